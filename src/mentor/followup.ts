import { normalizeText, tokenize } from '../knowledge/index.js';
import type { Facts } from '../eligibility/index.js';
import type { Lexicon } from './lexicon.js';

/** What the conversation is about, kept so "那副高呢？" can be read as a question about 副高 of the same topic. */
export interface Topic {
  query: string;
  /** The series and level the question named: a later eligibility check starts from them. */
  series?: Facts['series'];
  targetLevel?: Facts['targetLevel'];
  /** The asker spoke of themselves ("我想评工程师"): a bare fact after it ("本科") is theirs. */
  personal?: boolean;
}

/** The topic was a title (a series or level), not a route or procedure. */
export const namesTitle = (topic: Topic | undefined): boolean => Boolean(topic?.series || topic?.targetLevel);

const FOLLOW_UP_START = /^(那|那么|那如果|如果是|要是|还有|换成|那要是|and|and for|and if|what about|how about|what if|for|same for|also)\b|^(那|那么|如果|要是|还有|换成)/i;
const FOLLOW_UP_END = /(呢|的呢|怎么样|怎么算)[?？]?$/;
/** Where a rule applies: "那上海呢？" after a question on the national standard asks the same of Shanghai. */
const JURISDICTION = /国家基本标准|国家标准|国家|全国|上海市?|北京市?|深圳市?|广州市?|national(?: basic)? standards?|nationwide|national|shanghai|beijing|shenzhen|guangzhou/gi;
/** "Can I use it?", "这个要什么材料？": a question about the thing just discussed. */
export const REFERS_BACK = /\b(it|its|this|that|them|these|those)\b|它|这个|这条|这种|这项|这一?通道|这一?制度|该通道|该制度|那个/i;
const FILLERS = /^(那么?|如果是|要是|还有|换成|and( for| if)?|what about|how about|what if|same for|also)\s*|(呢|的呢)?[?？。!！]*$/gi;

/**
 * Rewrite a short follow-up with the topic already in play: the new series, level, title or degree
 * replaces the old one in the previous question, so retrieval sees a complete question.
 */
export function rewriteFollowUp(text: string, topic: Topic | undefined, lex: Lexicon): string {
  if (!topic) return text;
  const s = normalizeText(text).trim();
  // A question that points back at a route or procedure (not at a title) is asked of it: the topic goes first.
  if (isAboutRouteTopic(s, topic, lex)) return `${normalizeText(topic.query).trim()} ${s}`;
  const short = s.replace(/\s+/g, '').length <= 14 || s.split(/\s+/).length <= 6;
  if (!short) return text;
  const degrees = lex.degrees.find(s);
  const fresh = {
    title: lex.titles.find(s),
    // "junior college" is a degree, not the junior level.
    level: lex.levels.find(s).filter((l) => !degrees.some((d) => l.start < d.end && l.end > d.start)),
    series: lex.series.find(s),
    degree: degrees,
    aspect: lex.aspects.find(s),
  };
  // "本科，工作6年" after a question on a route: no question of its own, what the route says of someone like that.
  if (!ASKS.test(s) && !fresh.title.length && !fresh.series.length && !fresh.aspect.length && fresh.degree.length) return `${normalizeText(topic.query).trim()} ${s}`;
  if (!looksLikeFollowUp(s) && !namesOnly(s, Object.values(fresh).flat())) return text;

  let base = normalizeText(topic.query);
  const remove = (hits: { surface: string }[]) => {
    for (const h of hits) base = base.split(h.surface).join(' ');
  };
  const old = { title: lex.titles.find(base), level: lex.levels.find(base), series: lex.series.find(base), degree: lex.degrees.find(base) };
  if (fresh.title.length) {
    remove(old.title);
    remove(old.level);
  }
  if (fresh.level.length) {
    // A new level keeps the old title's series: "工程师" + "副高" → "高级工程师".
    const level = fresh.level[0].value;
    for (const t of old.title) {
      const names = lex.titleNames.get(`${t.value.series}:${level}`) ?? [];
      const sameScript = names.find((n) => /[\u3400-\u9fff]/.test(n) === /[\u3400-\u9fff]/.test(t.surface));
      base = base.split(t.surface).join(` ${sameScript ?? seriesWord(lex, t.value.series)} `);
    }
    remove(old.level);
  }
  if (fresh.series.length) {
    remove(old.series);
    remove(old.title);
  }
  if (fresh.degree.length) remove(old.degree);
  // "那需要什么材料呢？" after "上海评工程师要什么条件？" asks for the materials of the same title and place:
  // only those are kept of the earlier question, so its way of asking does not carry over.
  const otherAspect = lex.aspects.find(base).some((a) => !fresh.aspect.some((f) => f.value === a.value));
  // "and what if I fail?" after "how long does the review take?" names nothing of the earlier question and
  // asks something else: only what that question was about (its title, level, place) carries over.
  const namesNothing = !fresh.title.length && !fresh.level.length && !fresh.series.length && !fresh.degree.length && !fresh.aspect.length;
  if ((fresh.aspect.length && otherAspect) || (namesNothing && asksAnew(s, base))) {
    const titles = lex.titles.find(base);
    const words = [titles, lex.levels.find(base), lex.series.find(base), lex.degrees.find(base)].flat();
    // A series or level word inside a title ("工程" in "工程师") is not said twice.
    const context = words.filter((h) => titles.includes(h as never) || !titles.some((t) => h.start < t.end && h.end > t.start)).sort((a, b) => a.start - b.start);
    base = [...(base.match(JURISDICTION) ?? []), ...context.map((h) => h.surface)].join(' ');
  }
  if (s.match(JURISDICTION)) base = base.replace(JURISDICTION, ' ');
  // "那直通车呢？" after "绿色通道是什么？": the route named replaces the one asked about.
  const routes = lex.routes.find(s);
  if (routes.length) {
    remove(lex.routes.find(base).filter((r) => !routes.some((f) => f.value === r.value)));
    base = base.replace(/\b(?:the|a|an)\s*(?=[?？.。]|$)/gi, '');
  }
  const addition = s.replace(FILLERS, '').trim();
  return `${base.replace(/\s+/g, ' ').trim()} ${addition}`.trim();
}

/** A question word in what is left of the follow-up ("what if I fail", not "直通车" of "那直通车呢？"). */
const QUESTION_WORD = /吗|谁|什么|啥|怎么|如何|哪|几|多少|多久|\b(what|how|which|when|where|why|who|can|could|do|does|is|are|should)\b/i;

/**
 * The follow-up asks a question of its own, in words the earlier question does not have: "and what if I
 * fail?" after "how long does the review take?". ("那直通车呢？" only swaps what is asked about.)
 */
function asksAnew(followUp: string, earlier: string): boolean {
  const rest = followUp.replace(FILLERS, ' ');
  if (!QUESTION_WORD.test(rest)) return false;
  const before = new Set(tokenize(earlier));
  return tokenize(rest).some((t) => !before.has(t));
}

const TELL_ME_ZH = /^(?:请问|请|您好|你好)?[，,\s]*(?:我)?(?:想|想要|要)?(?:了解|知道|问问?|咨询|打听)(?:一下|下)?(?:关于)?/;
const TELL_ME_EN = /^(?:hi|hello)?[,\s]*(?:i(?:'d| would) like to|i want to|can you|could you|please)?\s*(?:know|learn|tell me|ask)\s+(?:more\s+)?about\s+/i;
/**
 * "I want to become an Engineer", "what do I need for engineer?": wanting a title, with nothing else asked, asks
 * what it takes. (Chinese "我想评工程师" finds the conditions as it is; "申报条件" added would pull in the notes
 * on conflicting conditions.)
 */
const WANTS_TITLE_ZH = /^(?:你好|您好)?[，,\s]*(?:我|本人)?(?:想|想要|要|打算|准备|计划)(?=(?:评|申报|申请|报考|考|拿)\S)/;
const WANTS_TITLE_EN = /^(?:hi|hello)?[,\s]*(?:i(?:'d| would)? (?:like|want|plan|hope) to (?:apply for|get|become|go for|obtain)|what (?:do i|does one|do you|would i) need (?:for|to (?:get|become|apply for))|what does it take to (?:get|become))\s+(?:an?\s+|the\s+)?(?=\S)/i;

/**
 * "我想了解一下职称", "tell me about the green channel": asking to hear about a topic is asking what it is, and
 * the framing words ("了解") would otherwise pull in what the corpus says about itself. "I want to become an
 * engineer" and "我想评中级工程师" are asking for its requirements.
 */
export function plainQuestion(text: string): string {
  const s = text.trim();
  // A wanted title must be all the message says: "I want to become an engineer, what documents?" asks its own question.
  const nameOnly = /^[^，,。；;？?！!]{1,40}$/;
  const asks = [
    [TELL_ME_ZH, (t: string) => `${t}是什么？`, /^.{1,20}$/],
    [TELL_ME_EN, (t: string) => `What is ${t}?`, /^.{1,20}$/],
    [WANTS_TITLE_EN, (t: string) => `What are the requirements for ${t}?`, nameOnly],
    // The verb kept: "评工程师要什么条件？", "考中级会计要什么条件？".
    [WANTS_TITLE_ZH, (t: string) => `${t}要什么条件？`, nameOnly],
  ] as const;
  for (const [re, ask, fits] of asks) {
    const m = re.exec(s);
    if (!m || m[0].trim() === '') continue;
    const topic = s.slice(m[0].length).replace(/[吧呢吗啊呀。.!！?？\s]+$/, '').trim();
    if (fits.test(topic)) return ask(topic);
  }
  return text;
}

/** Words that add nothing to a bare name: "工程类的", "中级的话", "the engineering one". */
const BARE_FILLERS = /[的类吗呢啊呀吧嘛哦]|的话|方面|这块|系列|\b(?:the|one|please)\b|[?？。.!！,，\s]/gi;

/** "工程类的", "中级": a message that only names a series, level, title or degree, to be read with the topic. */
function namesOnly(s: string, hits: Array<{ surface: string }>): boolean {
  if (!hits.length) return false;
  let rest = s;
  for (const h of hits) rest = rest.split(h.surface).join(' ');
  return rest.replace(BARE_FILLERS, '').length === 0;
}

/** "工程", "中级", "accounting": a message that only names a series, level or title (a keyword typed, as in a chat app). */
export function namesOnlyTitle(text: string, lex: Lexicon): boolean {
  const s = normalizeText(text).trim();
  return namesOnly(s, [...lex.titles.find(s), ...lex.levels.find(s), ...lex.series.find(s)]);
}

/** "那博士呢？", "and for a PhD?": the form of a follow-up, which asks the rule for another case. */
export const looksLikeFollowUp = (text: string) => {
  const s = normalizeText(text).trim();
  return FOLLOW_UP_START.test(s) || FOLLOW_UP_END.test(s);
};

/**
 * "Can I use it if I only have a junior college degree?" after "What is the green channel?": the message points
 * back with a pronoun and names no title of its own, and the topic was no title either (a route, a procedure).
 * After a question on a title, "can I apply for it?" is a check of that title instead.
 */
/** The topic in play is a route or scheme ("直通车是什么", "海外职业资格清单"), not a title. */
export const topicNamesRoute = (topic: Topic): boolean => NAMES_ROUTE.test(normalizeText(topic.query));

export function isAboutRouteTopic(text: string, topic: Topic | undefined, lex: Lexicon): boolean {
  if (!topic || namesTitle(topic)) return false;
  const s = normalizeText(text);
  const bare = topicNamesRoute(topic) && asksBareQuestion(s, lex);
  if (!(REFERS_BACK.test(s) || bare) || lex.titles.find(s).length || lex.series.find(s).length) return false;
  // "what about the green channel, can I use it?" after the direct train asks of the route it names.
  const named = lex.routes.find(s);
  if (named.length && !lex.routes.find(normalizeText(topic.query)).some((r) => named.some((n) => n.value === r.value))) return false;
  // "junior college" is a degree, not the junior level.
  const degrees = lex.degrees.find(s);
  return !lex.levels.find(s).some((l) => !degrees.some((d) => l.start < d.end && l.end > d.start));
}

/** A question of any kind: a question mark, a question particle or word ("Who qualifies?", "谁能申请"). */
// "认不认", "算不算", "有没有": a Chinese yes-or-no question without 吗.
export const ASKS = /[?？]|吗|呢|谁|什么|啥|怎么|如何|哪|几|多少|多久|([\u4e00-\u9fff])[不没]\1|\b(what|how|which|when|where|why|who|can|could|do|does|is|are|should)\b/i;

/**
 * "Who qualifies?", "需要什么材料？" right after "What is the green channel?": a question of a few words that
 * names no route, title, series or level of its own (and does not ask what something is) asks of the route
 * just discussed.
 */
function asksBareQuestion(s: string, lex: Lexicon): boolean {
  const short = /[\u3400-\u9fff]/.test(s) ? s.replace(/\s+/g, '').length <= 10 : s.trim().split(/\s+/).length <= 5;
  if (!short || !ASKS.test(s) || NAMES_ROUTE.test(s)) return false;
  if (ASKS_WHAT_IS.test(s) && lex.aspects.find(s).length === 0) return false;
  return lex.levels.find(s).length === 0 && lex.degrees.find(s).length === 0;
}

function seriesWord(lex: Lexicon, series: string): string {
  return lex.seriesNames.get(series)?.[0] ?? series;
}

/** A route or scheme of its own: a question naming one is not about the title just checked. */
export const NAMES_ROUTE = /绿色通道|直通车|立交桥|贯通|认定|推荐|海外|清单|以考代评|考评结合|green channel|direct train|overpass|recogni[sz]|recommend|overseas|\blists?\b/i;
/** "是什么", "what's": a question on what something is. */
export const ASKS_WHAT_IS = /是什么|什么是|啥是|是啥|什么意思|\bwhat(?: is|'s|s| are)\b|\bwhat does\b/i;
/** Moving a title to another series (转评): a question of its own, not about the title in play. */
export const NAMES_SERIES_SWITCH = /转评|跨系列|转系列|换系列|两个系列|\b(?:switch|change|transfer)(?:ing)? (?:my |the )?(?:title )?series\b|\b(?:two|2|several|multiple) (?:title )?series\b/i;

/**
 * "需要考试吗？" right after a check of 会计师 (or a question on it): a short question that names no title,
 * series, level or route of its own asks about the title in play.
 */
export function asksOfTitleInPlay(text: string, lex: Lexicon): boolean {
  const s = normalizeText(text).trim();
  const short = /[\u3400-\u9fff]/.test(s) ? s.replace(/\s+/g, '').length <= 14 : s.split(/\s+/).length <= 8;
  // "What is 以考代评?" asks what a thing is; "what are the exam subjects?" asks an aspect of the title in play.
  if (!short || NAMES_ROUTE.test(s) || NAMES_SERIES_SWITCH.test(s) || (ASKS_WHAT_IS.test(s) && lex.aspects.find(s).length === 0)) return false;
  return lex.titles.find(s).length === 0 && lex.series.find(s).length === 0 && lex.levels.find(s).length === 0;
}

/** A certificate or membership from another country: what the overseas-qualification lists are about. */
const FOREIGN_CREDENTIAL = /(美国|英国|澳大利亚|澳洲|加拿大|德国|法国|日本|新加坡|香港|国外|海外|境外|外国)[^，。？?！!]{0,16}(证书|职业资格|资格证|执照|会员)|\b(us|u\.s\.|usa|uk|american|british|australian|canadian|german|japanese|singapore|hong kong|foreign|overseas|international)\b[^,.?!]{0,30}\b(certificates?|qualifications?|licen[cs]es?|memberships?|charter(ed)?)\b|\b(certificates?|qualifications?|licen[cs]es?|memberships?)\b[^,.?!]{0,20}\bfrom (the )?(us|usa|uk|united states|united kingdom|america|britain|australia|canada|abroad|overseas)\b/i;
const OVERSEAS_QUALIFICATION = /海外职业资格|境外职业资格|overseas (professional |occupational )?qualification/i;
/** Certificates issued abroad, named by their usual short names. */
const FOREIGN_CERTIFICATE_NAME = /\b(acca|cima|icaew|cfa|frm|pmp|aicpa|cpa australia|cpa canada|chartered (accountant|engineer|surveyor))\b|特许(工程师|会计师|测量师|金融分析师)|(英国|澳洲|澳大利亚|加拿大)注册会计师/i;

/** "我有ACCA证书": the certificate named, as typed. */
export const namedForeignCertificate = (text: string): string | undefined => FOREIGN_CERTIFICATE_NAME.exec(text)?.[0];

/** "我有美国CPA证书", "Can I get a title with an ACCA?": the asker holds a credential from abroad. */
export const namesForeignCredential = (text: string): boolean => FOREIGN_CREDENTIAL.test(text) || FOREIGN_CERTIFICATE_NAME.test(text);

/**
 * "我有美国的注册会计师证书，有用吗？": a question about a credential from abroad is one about the overseas
 * qualification lists, though it names neither; the retrieval query says so.
 */
export function withImpliedOverseasQualification(text: string): string {
  if (!namesForeignCredential(text) || OVERSEAS_QUALIFICATION.test(text)) return text;
  return /[\u3400-\u9fff]/.test(text) ? `${text} 海外职业资格` : `${text} overseas qualification`;
}

const STATES_AGE = /\bi'?m \d{2}\b|\b\d{2} years old\b|\d{2}\s*岁|[四五六]十[一二三四五六七八九]?岁/i;
const NAMES_AGE = /年龄|岁数|\bage\b/i;

/** "I'm 48 years old", "我今年52岁了": the asker's age, which only the retirement exclusion looks at. */
export const statesAge = (text: string): boolean => STATES_AGE.test(text);

/** "Can I apply if I'm 50?", "我今年52岁了": a question about an age limit, though it says no "age"; the retrieval query does. */
export function withImpliedAge(text: string): string {
  if (!STATES_AGE.test(text) || NAMES_AGE.test(text)) return text;
  return /[\u3400-\u9fff]/.test(text) ? `${text} 年龄` : `${text} age limit`;
}

/** The question an age asks of the rules for everyone, whatever else the message says ("我52岁了，本科，能评高工吗"). */
export const ageQuestion = (lang: 'zh' | 'en'): string => (lang === 'zh' ? '评职称有年龄限制吗' : 'Is there an age limit for title applications?');

/** The titles, series and levels a topic's question named ("副高 正高"), or the question when it named none. */
export function topicNames(topic: Topic, lex: Lexicon): string {
  const q = normalizeText(topic.query);
  const hits = [...lex.titles.find(q), ...lex.series.find(q), ...lex.levels.find(q)].sort((a, b) => a.start - b.start);
  const kept: typeof hits = [];
  for (const h of hits) if (!kept.some((k) => h.start < k.end && h.end > k.start)) kept.push(h);
  return kept.length ? [...new Set(kept.map((h) => h.surface))].join(' ') : topic.query;
}

