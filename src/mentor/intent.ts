import { classifyUnsafe, inOtherLanguage, looksOutOfScope, mentionsDomain, type SafetyRules, type UnsafeKind } from '../guard/index.js';
import { normalizeText } from '../knowledge/index.js';
import { ASKS, looksLikeFollowUp, NAMES_SERIES_SWITCH } from './followup.js';
import { hasAnyFact, type Extraction } from './slots.js';

export const INTENTS = ['policy_question', 'eligibility_check', 'greeting', 'thanks', 'help', 'out_of_scope', 'unsafe'] as const;
export type Intent = (typeof INTENTS)[number];

export interface IntentDecision {
  intent: Intent;
  unsafeKind?: UnsafeKind;
  /** A help request that asks what the mentor is ("你是机器人吗"). */
  identity?: boolean;
  /** Thanks that also (or only) say goodbye ("谢谢，再见", "bye"). */
  goodbye?: boolean;
  /** A message in neither Chinese nor English: the mentor says which two it answers in. */
  otherLanguage?: boolean;
}

const GREETING = /^(你好|您好|嗨|哈喽|hello|hi|hey|早上好|下午好|晚上好|good (morning|afternoon|evening)|在吗|有人吗)[呀啊哦~！!。.，,?？\s]*$/i;
/** Asking to be told about something ("我想了解会计系列", "tell me about engineering"), not stating one's own case. */
const WANTS_TO_KNOW = /了解|介绍|知道|问问|问一下|看看|讲讲|说说|\b(tell me|know about|learn about|information|info)\b/i;
/** A greeting that opens a longer message: "Hi, I work in IT in Shanghai". */
const GREETING_LEAD = /^(你好|您好|嗨|哈喽|hello|hi|hey|早上好|下午好|晚上好|good (morning|afternoon|evening))[呀啊哦~！!。.，,\s]+\S/i;
const THANKS = /^(谢谢|多谢|感谢|谢啦|thx|thanks|thank you|ok thanks|好的谢谢|明白了谢谢|ok|好的|明白了|懂了|got it|great|cool|嗯+|哦+|好吧|知道了|了解了|收到|👍|🙏|👌|🙂|😊)[你您呀啊哦~！!。.，,\s]*(much|a lot|so much)?[!！。.\s]*$|^(谢谢|多谢|感谢|thanks|thank you)[你您，,!！。.\s]*(很有帮助|太有用了|有用|帮大忙了|辛苦了|that('s| is| was)? (very |really |so )?(helpful|useful|great)|that helps( a lot)?|this helps( a lot)?|very helpful|you'?re (a star|great|the best))[了呀啊!！。.\s]*$/i;
const HELP = /^(?:(?:你好|您好|嗨|哈喽|hello|hi|hey)[呀啊，,!！.。\s]*)?(帮助|help|菜单|menu|你(?:都)?(?:能|会|可以)(?:做|干)(?:什么|啥|嘛)|你会什么|你有(?:什么|哪些)功能|你是谁|怎么用|how (do i|to) use( this| you)?|what can you (?:do|help (?:me )?with)|what do you do|who are you|[?？]+|(我)?(还是)?(不太|不是很|不|没|看不|听不)(懂|明白)(了)?|(i )?(still )?(don'?t|do not) (really )?(understand|get it)|i'?m (a bit )?confused|(你|您)?(这是|这个是|说的是)?(什么|啥)意思|what do you mean|what|huh|sorry|pardon|啥|什么|能(?:不能)?说得?(?:简单|通俗|明白)(?:一?点|些)(?:吗)?|(?:can|could) you (?:explain|say|put) (?:it|that)? ?(?:in )?(?:simpler|plain|easier)(?: words| terms| english)?|(?:please )?(?:explain|say) (?:it|that) (?:more )?simpl[ey]|in plain (?:english|words))[?？!！。.啊呀\s]*$/i;
/** "我想问问职称的事", "I have some questions about titles": nothing asked yet, so the mentor says what it can answer. */
/** "评职称", "职称的事": the subject alone, as typed into a chat app: what the mentor can do, and what to tell it. */
const NAMES_SUBJECT = /^(https?:\/\/\S+|www\.\S+|评|评审|申报)[。.!！?？\s]*$|^(我|本人)?(要|想|想要)?(评|申报|办|问问?|咨询)?(个|一下)?职称(的事|的事情|的问题|评审|申报|评定)?[吧呀啊呢吗。.!！?？\s]*$|^((hi|hello|hey)[,\s]+)?((i('d| would)? (like|want|wish|hope) to (apply for|get|obtain|go for) (a |an )?(professional |chinese )?title)|(professional )?titles?)[.!?\s]*$/i;
const ASKS_TO_ASK = /^(你好|您好|hi|hello)?[，,\s]*(我)?(想|想要|要)?(问问|问一下|问下|问个|咨询一下?|请教一下?|打听一下?)(关于)?(评)?职称(的事|的事情|的问题|方面的?(事|问题)?)?[吧呀啊呢。.!！?？\s]*$|^(hi|hello)?[,\s]*(i (want|would like|'d like) to ask|i have (a|some) questions?|can i ask)( (you )?(something|a question|some questions))?( about)?( (professional )?titles?)?[.!?\s]*$/i;
/** "你是机器人吗？", "are you a real person?": answered plainly, with what the mentor is. */
/** "嗯", "好的", "ok": a bare acknowledgement. */
const ACKNOWLEDGES = /^(嗯+|哦+|噢+|好|好的|好吧|行|ok|okay|收到|知道了|了解了)[呀啊哦~！!。.，,\s]*$/i;
/** "谢谢，再见", "bye": a goodbye, with or without thanks, is answered as thanks. */
const GOODBYE = /^(谢谢|多谢|感谢|好的|ok|thanks|thank you)?[你您呀啊了，,！!。.\s]*(再见|拜拜|回头见|下次见|bye|goodbye|see you)[呀啊哦~！!。.，,\s]*$/i;
/** "人工客服", "can I talk to a person?": asking for a person is answered with what the mentor is, and whom to ask. */
const ASKS_FOR_PERSON = /人工客服|转人工|找人工|人工服务|真人客服|真人服务|\b(talk|speak|chat) (to|with) (a |an )?(human|person|real person|agent)\b|\bhuman (agent|support)\b/i;
const ASKS_IF_HUMAN = /^(你是谁|您是谁|who are you\b)|^(who|which (company|organi[sz]ation))\s+(made|built|created|developed|runs|operates|owns|is behind)\s+(you|this)\b|^(你|您|这个助手)?是(谁|哪家|哪个单位)(做|开发|制作|运营|推出)的|^谁(做|开发|制作|运营)[了的]?(你|这个)|^(你|您)(叫|叫做)?(什么|啥)(名字)?[?？呀啊呢\s]*$|^(what'?s|what is) your name\b|^(你是|您是|是)(不是)?(机器人|真人|人工智能|ai|人工|真的人)(吗|么|嘛)?|^are you (a |an )?(bot|robot|human|real person|person|ai|machine)\b|^is this (a )?(bot|robot|human|real person|ai)\b/i;
/** Asking about oneself: "can I", "am I eligible", "我能不能", "我够不够" ("what can I do?" asks what to do). */
const ELIGIBILITY_CUE = /我(能|可以|够|符合|有资格|能不能|可不可以)|能不能评|能评|可以评|(?:能|可以|能不能)走|够不够|够条件|符合条件吗|有没有资格|\bcan i\b(?!\s+do\b)|\bcould i\b(?!\s+do\b)|\b(?:if|whether) i (?:can|could|may|qualify|am (?:eligible|qualified|able to))\b|\bam i (eligible|qualified)|\bdo i (qualify|meet)|\bmy (chances|eligibility)\b|\bcheck (my )?eligibility\b|\beligible\b/i;
/** Words of applying for a title: without them (or a title, level or fact), "can I…" asks what a rule allows. */
const APPLYING = /职称|评|申报|报考|报名|晋升|资格|apply|applying|application|title|eligib|qualif|promot|sit the|exam/i;
/** Speaking of oneself: an eligibility question is about the asker ("working as an accountant for 5 years" in shorthand, too). */
export const FIRST_PERSON = /我|本人|\bi\b|\bi'm\b|\bi've\b|\bmy\b|\bme\b|^[^?]{0,60}\bworking as an? \w+ for \d+ years?\b/i;
/** "Can someone with X apply?" asked without "I": still a personal check when facts are given. */
const CAN_APPLY = /能评|能报|能申报|可以评|可以报|可以申报|能不能评|能不能报|能考|可以考|能不能考|(能|可以)在[^，。？?,]{1,6}(评|申报|报)|够不够|够条件|符合条件|符合要求|行吗|行不行|有戏吗|\bcan (i |one |someone )?apply\b|\beligible\b|\b(ok|okay|possible|doable)\s*\?/i;
/** Asking what a rule says ("is it true that…", "must one…") is a policy question, not a check. */
const RULE_QUESTION = /是不是|是否|要不要|需不需要|还要|必须|听说|真的吗|有用吗|有什么用|什么时候|多少|哪些|几个|几年|几门|几种|几类|多久|要啥|要什么|什么条件|啥条件|\bis it true\b|\bdo (you|people|applicants) need\b|\bmust\b|\bhow many\b|\bwhen\b|\bwhich\b/i;
/** "How many years after X can I apply for Y?" asks what the rule is, though it says "I" (unless it also says who the asker is). */
const HOW_LONG = /几年|多少年|多久|多长时间|\bhow (many years|long)\b/i;
/**
 * A circumstance the documents answer for everyone alike: the kind of employer, hukou and residence, social
 * insurance, nationality ("我在民营企业工作，能评职称吗", "I don't have a Shanghai hukou, can I still apply?").
 */
const GENERAL_CIRCUMSTANCE = /民营|私营|私企|外企|外资|非公|自由职业|个体|灵活就业|公务员|机关|外地|户口|户籍|居住证|社保|外籍|外国|港澳台|港澳|香港|澳门|台湾|台胞|异地|远程|\bprivate(ly)?[- ](owned|company|firm|sector|employer|business|enterprise)\b|\b(company|employer|firm|business|enterprise|workplace) is (a )?(private|privately owned)\b|\bfreelanc|\bself[- ]employed\b|\bhukou\b|\bresidence permit\b|\bsocial insurance\b|\bforeign(er|ers)?\b|\bhong kong\b|\bmaca[ou]\b|\btaiwan(ese)?\b|\bnon-?public\b|\bremote(ly)?\b|\blive in\b|\bcivil servant|\bgovernment (official|employee)/i;
/** "我在深圳工作", "I work in Beijing": working somewhere other than Shanghai, where the asker would apply. */
const WORKS_ELSEWHERE = /在(?!上海|沪)(?![\u4e00-\u9fff]{0,3}(?:企业|公司|单位|医院|学校|机构|外企|国企|私企|民企|工厂|银行|机关|部门|行业|一线))[\u4e00-\u9fff]{2,4}(?:工作|上班|就业|交社保|缴社保)|\b(?:work|working|employed|based) in (?!shanghai\b|(?:engineering|accounting|finance|it|education|construction|publishing|economics|statistics|health|healthcare|medicine|nursing|sales|marketing|tech|technology|software|research|design|law|media|manufacturing|banking|insurance|hr|the|a|an|my|this|that|private|public|state|foreign|industry|academia|government)\b)[a-z]{3,}/i;
export const worksElsewhere = (text: string) => WORKS_ELSEWHERE.test(normalizeText(text));
/** Hukou, a residence permit, social insurance: no question for everyone when the asker says they have it. */
const RESIDENCE_PHRASES = /(?:上海)?(?:户口|户籍|居住证|社保)|\b(?:shanghai )?(?:hukou|residence permit|social insurance|shebao)\b/gi;
/** `residenceMet`: the message says the asker meets the residence condition ("shanghai hukou"), so that is no circumstance. */
export const statesGeneralCircumstance = (text: string, residenceMet = false) => {
  const s = normalizeText(text);
  return GENERAL_CIRCUMSTANCE.test(residenceMet ? s.replace(RESIDENCE_PHRASES, ' ') : s) || WORKS_ELSEWHERE.test(s);
};
/** "要工作几年", "how many years do I need": asks how long a rule asks for. */
export const asksHowLong = (text: string) => HOW_LONG.test(normalizeText(text));
/** "那明年呢？", "那现在呢？" right after a verdict: the same check again (its reply says when the years are met). */
const ASKS_LATER = /^(那|那么|如果|要是)?(现在|目前|明年|后年|年底|今年年底|下半年|明年年初|明年上半年)(呢|可以吗|行吗|能吗|可以了吗|就可以了吗|能评吗|能报吗)?[?？。!！\s]*$|^(and |what about |how about )?(now|right now|next year|the year after|later this year|end of (the|this) year)\s*[?？.!]*$/i;
/** "那我还要几年", "how many more years?" right after a verdict: the check again (it says when the years are met). */
const ASKS_HOW_MUCH_LONGER = /^(那|那么|所以)?我?(还|还要|还得|还需要|还差|要等|得等|需要再等)(多久|几年|多少年|多长时间)(才能(评|报|申报)了?|才可以)?(呢|啊)?[?？。!！\s]*$|^(so |and |then )?(how many more years|how much longer|how long (until|till|before) (i can|i'm eligible|i am eligible))\b[^?]{0,30}[?？.!]*$/i;
/** Asking what it takes: "需要什么条件", "what are the requirements". */
const ASKS_CONDITIONS = /(什么|啥|哪些)条件|条件是什么|要求是什么|\brequirements?\b|\bconditions?\b|\bwhat do i need\b/i;
/** "主管护师需要什么条件", "申报条件是什么", "what are the requirements". */
export const asksConditions = (text: string) => ASKS_CONDITIONS.test(normalizeText(text));
/**
 * "我是做软件开发的", "我在一家外企上班", "I work as a developer": one's own work, stated with nothing asked.
 * A work the lexicon has no series for still starts a check (which asks the series), not "I can't help".
 */
const STATES_WORK = /^(我|本人)(是|目前是|现在是)(一名|一个|个|一位)?[\u4e00-\u9fff]{0,6}(老师|教师|医生|护士|律师|设计师|程序员|研究员|技术员|编辑|记者|会计)[。.!！]*$|^(我|本人)(是|目前|现在|一直)?(做|从事|干)[^?？吗呢]{1,20}?(的|工作|行业|这一行|这行)?[。.!！]*$|^(我|本人)(目前|现在|一直)?在[^?？吗呢]{1,20}(工作|上班|任职)[。.!！]*$|^(我|本人)(目前|现在|一直)?在[^?？吗呢，,]{1,16}(公司|企业|外企|国企|民企|单位|医院|学校|研究所|出版社)(做|从事|干|当)[^?？吗呢]{1,12}?(的|工作)?[。.!！]*$|^i (work|am working|have been working) (in|as|at|for) [^?]{1,40}$|^i'?m an? [a-z -]{0,30}(developer|programmer|designer|analyst|consultant|researcher|technician)[.!]*$/i;
/**
 * "听说评高工必须要硕士，是真的吗", "My boss says I need a master's, is that true?", "an agency promises a
 * guaranteed title, can I trust it?": a claim about the rules, checked against them.
 */
const CLAIM_CHECK = /\bis (that|it|this) (really )?true\b|\b(can|should) i (really )?(trust|believe)\b|\btrustworthy\b|\blegit(imate)?\b|\b(a|it'?s a) scam\b|靠谱吗|能信吗|可信吗|\btrue that\b|\b(says|said|told me|heard) (that )?(i|you|we|one|people) (need|must|have to|can't|cannot)\b|听说|是真的吗|真的吗|是不是真的|真的假的/i;
/** Whether `text` states a claim about the rules to check against the documents. */
export const checksClaim = (text: string): boolean => CLAIM_CHECK.test(text);
/** "哪个更适合我？", "Which one is better for me?": which way fits the asker is a check of their case. */
const ASKS_WHICH_FITS = /(哪个|哪种|哪条|哪一个|哪一种|哪条路)(更|比较|最)?(适合|合适)(我)?|我(更|比较|最)?适合(走)?(哪|什么)|which (one|route|way|path|option|channel)s? (is|are|would be) (better|best|right|more suitable) for me|which (one|route|way) (should|could|can) i (take|use|go for|choose)|what('s| is) (better|best) for me/i;
/** Wanting a title or level for oneself: "我想评中级", "I want to get an intermediate title". */
const WANTS_LEVEL = /想评|想申报|想考|打算评|准备评|打算申报|准备申报|\b(want|would like|'d like|plan|hope) to (apply for|get|go for|obtain)\b/i;
/** "How can I look up my title?", "我可以在哪里网上申报": how or where something is done, not whether one may apply. */
const ASKS_PROCEDURE = /^(how|where|when) (can|could|do|should) i\b(?! (qualify|apply for|get|become|be eligible|go for))|^我?(可以|能|应该|该|要)?在?(哪里|哪儿|什么地方|哪个网站|哪个系统)(网上|在线)?(申报|报名|提交|上传|查|办理|交材料)/i;
/**
 * A how/what question is a policy question even mid-check: "怎么申报", "what materials", "还有效吗", and whether
 * a period counts toward the years ("我全日制读研的3年算不算工作年限", "does my maternity leave count").
 */
const POLICY_CUE = /算不算(?!符合|够)|算(?:在|进)?(?:工作)?年限|计入|扣除|\bcount(?:s|ed)? (?:as|toward|towards|in)\b|有效吗|还认吗|认不认|承认吗|还算数吗|\bstill valid\b|怎么|如何|哪里|在哪|什么是|是什么|哪些材料|材料|流程|步骤|网址|系统|热线|公示|继续教育|自动|初定|直接定|\bautomatic(ally)?\b|\bhow (do|to|can)\b(?! i (qualify|apply for))|\bwhat(?: is|'s|s| are)\b|\bwhere\b|\bwhich (documents|materials)\b/i;

/**
 * "2015年毕业", "I graduated in 2015", "我学的是土木": the asker's own background, told in passing. Mid-check,
 * and asking nothing, it is part of the check (whose questions still stand), not a question on the title.
 */
const STATES_BACKGROUND = /毕业|读(?:了|的|完)?(?:研究生|研|博士|博|本科|大专|硕士)|学的是|专业是|\bgraduated\b|\bi (?:studied|majored|did (?:a|my) (?:degree|master'?s|phd|bachelor'?s))\b|\bmy (?:major|degree|field|specialty) (?:is|was)\b/i;

/** Having failed an evaluation: what the notices say of applying again is a rule question. */
const FAILED_EVALUATION = /没评上|没评过|评审没通过|评审未通过|没通过评审|落选|\bfail(?:ed)? (?:the |my |an? )?(?:[a-z-]+ ){0,3}(?:evaluation|review)\b/i;

/** Decide what the user wants, with the conversation's context (an eligibility check in progress). */
export function classifyIntent(text: string, extraction: Extraction, safety: SafetyRules, context: { checking: boolean; aboutRouteTopic?: boolean; titleTopic?: boolean; personalTopic?: boolean; topicInPlay?: boolean; routeTopic?: boolean; namesOnly?: boolean }): IntentDecision {
  const unsafeKind = classifyUnsafe(safety, text);
  if (unsafeKind) return { intent: 'unsafe', unsafeKind };
  if (inOtherLanguage(text)) return { intent: 'help', otherLanguage: true };
  const s = normalizeText(text).trim();
  if (GREETING.test(s)) return { intent: 'greeting' };
  // "嗯", "好的" while a check waits for an answer: the question still stands (asked again), the check goes on.
  if (context.checking && ACKNOWLEDGES.test(s)) return { intent: 'eligibility_check' };
  if (GOODBYE.test(s)) return { intent: 'thanks', goodbye: true };
  if (THANKS.test(s)) return { intent: 'thanks' };
  if (ASKS_IF_HUMAN.test(s) || ASKS_FOR_PERSON.test(s)) return { intent: 'help', identity: true };
  if (HELP.test(s) || ASKS_TO_ASK.test(s) || NAMES_SUBJECT.test(s)) return { intent: 'help' };
  const facts = hasAnyFact(extraction.facts);
  const personal = facts && (extraction.facts.education?.degree !== undefined || extraction.facts.yearsInSpecialty !== undefined || extraction.facts.currentTitle !== undefined || extraction.facts.residence !== undefined || extraction.facts.overseas !== undefined);
  // A greeting and a word about oneself, with nothing asked yet: greeted back, and invited to ask.
  if (GREETING_LEAD.test(s) && !personal && !/[?？吗呢]/.test(s) && !mentionsDomain(safety, s) && !looksOutOfScope(safety, s)) return { intent: 'greeting' };
  const firstPerson = FIRST_PERSON.test(s);
  const ruleQuestion = RULE_QUESTION.test(s) && !firstPerson;
  // "工程", "中级" typed alone with no topic in play: the start of a check (it asks what is still missing).
  if (context.namesOnly && !context.topicInPlay) return { intent: 'eligibility_check' };
  if (checksClaim(s) && !CAN_APPLY.test(s)) return { intent: 'policy_question' };
  // "哪个更适合我？" after two routes were compared: which fits is the asker's case, checked.
  if (ASKS_WHICH_FITS.test(s)) return { intent: 'eligibility_check' };
  // "Can I use it with only a junior college degree?" of the green channel just explained asks what its rules say.
  if (context.aboutRouteTopic && !context.checking) return { intent: 'policy_question' };
  // "Can I switch series, from accounting to economics?" told nothing about the asker: what the rules say of 转评.
  if (NAMES_SERIES_SWITCH.test(s) && !personal && !context.checking) return { intent: 'policy_question' };
  // "I failed the senior engineer evaluation last year, can I apply this year?": the rule on failing, for everyone alike.
  if (FAILED_EVALUATION.test(s) && !personal && !context.checking) return { intent: 'policy_question' };
  // "Can I ignore the continuing-education requirement?" asks about a rule, not about applying.
  const aboutApplying = facts || APPLYING.test(s);
  if (ELIGIBILITY_CUE.test(s) && firstPerson && aboutApplying && !(HOW_LONG.test(s) && !personal) && !(ASKS_PROCEDURE.test(s) && !personal)) return { intent: 'eligibility_check' };
  if (context.checking && (facts || extraction.correction) && !POLICY_CUE.test(s) && !ruleQuestion) return { intent: 'eligibility_check' };
  if (context.checking && (ASKS_LATER.test(s) || ASKS_HOW_MUCH_LONGER.test(s) || extraction.yearsLater !== undefined)) return { intent: 'eligibility_check' };
  if (context.checking && STATES_BACKGROUND.test(s) && !ASKS.test(s) && !POLICY_CUE.test(s) && !ruleQuestion) return { intent: 'eligibility_check' };
  // "能评吗？", "so can I apply?" in a check: the check's answer, on what has been told.
  if (context.checking && CAN_APPLY.test(s) && s.length <= 12 && !POLICY_CUE.test(s)) return { intent: 'eligibility_check' };
  // Without "I", it takes two facts about a person (a degree and years, a title and years) to be a check.
  const f = extraction.facts;
  const factCount = [f.education?.degree, f.yearsInSpecialty, f.currentTitle?.level, f.currentTitle?.yearsHeld, f.residence, f.overseas?.listVersion, f.overseas?.category].filter((x) => x !== undefined).length;
  // Two facts about a person right after a question on a title ("我想评中级经济师" → "大专，工作了7年") are the asker's own;
  // after one the asker asked about themselves ("我想评工程师" → "本科"), one is.
  const afterTitle = context.titleTopic === true && !looksLikeFollowUp(s) && factCount >= (context.personalTopic ? 1 : 2);
  // Two facts stated with nothing asked ("本科，计算机专业，工作4年了") are the asker's own, too, unless they follow a
  // question on a topic (the direct train): then they ask what it says of someone like that. After the asker's
  // own question on a route ("我能走绿色通道吗"), the series and one fact more are the asker's, for that route.
  const afterOwnRoute = context.routeTopic === true && context.personalTopic === true && f.series !== undefined && factCount >= 1 && !ASKS.test(s);
  const statesSituation = (factCount >= 2 && (CAN_APPLY.test(s) || (!ASKS.test(s) && (context.checking || !context.topicInPlay || context.routeTopic === false)))) || afterTitle || afterOwnRoute;
  if (personal && !ruleQuestion && !POLICY_CUE.test(s) && (firstPerson || statesSituation)) return { intent: 'eligibility_check' };
  // "我是做会计的", "I work in engineering": one's own field, stated with nothing asked, starts a check. (A title
  // one wants, "我想评工程师", is answered with its conditions first.)
  if (f.series && !f.targetLevel && firstPerson && !ASKS.test(s) && !WANTS_TO_KNOW.test(s) && !POLICY_CUE.test(s) && !RULE_QUESTION.test(s)) return { intent: 'eligibility_check' };
  // "我想评中级职称": a level wanted in no series has no conditions of its own to answer with; the check asks the series.
  // Its conditions asked ("我想评高级职称，需要什么条件") are the series' too.
  if (f.targetLevel && !f.series && !context.titleTopic && firstPerson && WANTS_LEVEL.test(s) && ((!POLICY_CUE.test(s) && !RULE_QUESTION.test(s)) || ASKS_CONDITIONS.test(s))) return { intent: 'eligibility_check' };
  if (STATES_WORK.test(s) && !looksOutOfScope(safety, s)) return { intent: 'eligibility_check' };
  if (looksOutOfScope(safety, s) && !mentionsDomain(safety, s)) return { intent: 'out_of_scope' };
  return { intent: 'policy_question' };
}
