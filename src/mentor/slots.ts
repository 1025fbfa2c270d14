import { normalizeText } from '../knowledge/index.js';
import { findDurations, parseCount } from './durations.js';
import type { Facts } from '../eligibility/index.js';
import type { Route } from '../eligibility/schema.js';
import { DEGREES, LEVELS, type Degree, type Lexicon } from './lexicon.js';

/** Facts gathered from the conversation: the eligibility tool's own Facts shape. */
export type CollectedFacts = Facts;

export interface Extraction {
  facts: CollectedFacts;
  /** The user said they were correcting an earlier answer. */
  correction: boolean;
  /** Months of social insurance said as more on top of those known ("再交两个月"), not as the total. */
  moreSocialInsuranceMonths?: number;
  /** A special route the message names ("能走绿色通道吗"). */
  route?: Route;
  /** "in 2 years?", "两年后呢", "明年呢": the check supposed that many years from now. */
  yearsLater?: number;
  /**
   * The years were read from a corrected graduation year alone ("不对，我是2020年毕业的"): they stand only if
   * the work was said before to have begun at graduation ("2019年毕业，一直做设计").
   */
  yearsFromCorrectedGraduation?: boolean;
}

/**
 * A time from now, not a length of work: "in 2 years", "两年后（呢）", "再过两年", "明年". "毕业3年后" is after an
 * event, not from now: a Chinese "N年后" counts only at the start of what is said (after 那, 如果, 再).
 */
const LATER_BY = /\bin\s+(\d+|a|an|one|two|three|four|five|six|seven|eight|nine|ten)\s+years?\b(?!\s+(?:of|in)\b)|(?:再过|过)\s*(\d+|[一二两三四五六七八九十]+)\s*年|(?:^|那|那么|如果|要是|再)\s*(\d+|[一二两三四五六七八九十]+)\s*年(?:以)?后|(?<!\bbeen\s)\bwait(?:ing)?\s+(?:for\s+)?(?:another\s+)?(\d+|a|an|one|two|three|four|five|six|seven|eight|nine|ten|another)\s+(?:more\s+)?years?\b|(?:再|多)?等\s*(\d+|[一二两三四五六七八九十]+)\s*年/;
// "明年退休", "retiring next year": when something else happens, not a question of applying a year later.
const NEXT_YEARS: Array<[RegExp, number]> = [[/明年(?!就?要?退休)|(?<!retir(?:e|ing) )\bnext year\b(?! i(?:'ll| will) retire)/, 1], [/后年|\bthe year after( next)?\b|\bin a couple of years\b/, 2]];

function yearsLaterIn(text: string): { years: number; span: [number, number] } | undefined {
  const m = LATER_BY.exec(text);
  if (m) {
    const word = m[1] ?? m[2] ?? m[3] ?? (m[4] === 'another' ? 'one' : m[4]) ?? m[5];
    const years = parseCount(word);
    if (years !== undefined && years > 0 && years <= 30) return { years, span: [m.index, m.index + m[0].length] };
  }
  for (const [re, years] of NEXT_YEARS) {
    const n = re.exec(text);
    if (n) return { years, span: [n.index, n.index + n[0].length] };
  }
  return undefined;
}

/** "再交两个月", "又缴了3个月": social insurance paid on top of what was said before. */
const MORE_PAID = /(再|又|多)(交|缴)(了)?/;
const EN_MORE_PAID = /\b(?:pay|paid|paying|contribute|contributed)\b[^.?!]{0,24}?\b(\d{1,2}|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)\s+more\s+months?\b/;
/** Paying (交/缴) for months is paying social insurance, in this domain, even when the word is left out. */
const PAID_MONTHS = /(交|缴)(了)?\s*[^，。]{0,4}个?月/;
const SOCIAL_INSURANCE = /社保|社会保险|social insurance|shebao/;
/** Paying something for a time ("交了2年", "缴了两年", "paid for 2 years"). */
const PAID = /(交|缴|缴纳)了?\s*[^，。]{0,4}年|\bpaid (it )?for\b/;

/** A degree still being studied for: said before it ("在读", "studying for a") or after it ("在读", "candidate"). */
const STUDYING_BEFORE = /(在读|正在读|还在读|攻读中|读在)\s*$|\b(studying for|doing|pursuing|working on|enrolled in|currently in|dropped out of|didn't finish|did not finish|never finished)\s+(?:a|an|my|the)?\s*$/;
const STUDYING_AFTER = /^\s*(?:学位|研究生)?\s*(在读|在读中|还没毕业|未毕业|没毕业|肄业|没读完)|^\s*(?:'s|s)?\s*(?:degree\s+)?(candidate|student|in progress)\b|^\s*(?:'s|s)?\s*(?:degree\s+)?now\b/;

const CLAUSE_BREAK = /[，,。;；!！?？\n]|\.(?=\s)|\s(?:but|and then|so)\s/;
const CURRENT_CUE = /(我是|现在是|目前是|已经是|已是|拿了|拿到|(评|拿|考|聘|取得|获得|评上|考上|考过|考下)的|取得了?|持有|评上了?|评了|评过|考过了?|考出了?|考下了?|考到了?|通过了?|有|聘任?|担任|当了|做了|i passed|passed|i am|i'm|im|i've been|i have been|have been|i have|i hold|i got|got|obtained|received|awarded|holding|currently|already|as an?|became|(?:was|got) promoted to)\s*(一名|一个|an?|the|my)?\s*$/;
const TARGET_CUE = /(想评|想申报|想考|想报|申报|报考|评|考|申请|升|晋升|能不能|能否|可以|够|冲|apply(ing)? for|go for|aim(ing)? for|want|become|get|qualify for|eligible for|upgrade to|promoted to|take|sit( for)?|register for|for)\s*(一个|个|an?|the)?\s*$/;
/** A title followed by its years or appointment is one the person holds: "工程师聘任6年". */
const HELD_AFTER = /^\s*(?:刚刚?|才)?\s*(已经|已|聘任|任职|满|做了|当了|拿了|拿到|取得了?|评上了?|考了|考下了?|考过了?|(评|考|拿|聘)了?\s*(\d+(\.\d+)?|[一二两三四五六七八九十半]+)\s*(多)?年)|^\s*(\d+(\.\d+)?|[一二两三四五六七八九十]+)\s*年|^\s*for (\d+|a|an|one|two|three|four|five|six|seven|eight|nine|ten)\b|^\s*(title|qualification)\s+for\b|^\s*职称\s*(\d+(\.\d+)?|[一二两三四五六七八九十]+)\s*年|^\s*(?:职称)?\s*是\s*(?:(?:19|20)\d{2}\s*年(?:\s*\d{1,2}\s*月)?份?|去年|前年|今年)?\s*(?:评上|拿到|取得|获得|(?:评|拿|考|聘)的)/;
/** A clause that speaks of the present: a title in it without a target cue is held. */
/** A clause that says a title named just before is held: "聘了6年", "评上3年了", "任职5年", "2020年评的". */
/** "accountant title since 2019", "Engineer, obtained in 2020": a title followed by when it was obtained is held. */
const HELD_SINCE = /^\s*,?\s*(?:title\s+|qualification\s+)?(?:since|obtained in|awarded in|got in)\s+(?:[a-z]+\.?\s+)?(?:19|20)\d{2}\b/;
const HELD_NEXT = /^\s*(?:(?:19|20)\d{2}\s*年(?:\s*\d{1,2}\s*月)?份?\s*)?(已经|已)?(聘了|聘任|受聘|任职|评上了?|拿到了?|取得了?|拿了|(?:评|拿|考|聘|取得|获得)的)/;
const CURRENT_ANYWHERE = /我是|我现在是|目前是|已经是|取得了|拿到了|持有|i am|i'm|i've been|i have been|currently|\bhold\b/;
const TARGET_CLAUSE = /想|申报|报考|能不能|能否|可以评|能评|够不够|够条件|can i|could i|am i|do i qualify|eligible|apply|want|next/;
/**
 * A title word used as a job: "a software engineer", "I work as an accountant", "软件工程师", "测试工程师". Job
 * names share words with titles; these say the field of the work, not a title held or wanted.
 */
const JOB_BEFORE = /\b(?:work(?:s|ing|ed)?|employed|job|position|role|career) as (?:an?|the)?\s*$|\b(?:software|civil|mechanical|electrical|electronics?|chemical|structural|project|process|test|testing|qa|data|network|systems?|hardware|design|sales|field|site|maintenance|automation|production|quality|cloud|devops|ai|ml|research|application|support|r&d|lead|principal|staff|tax|cost|management|financial|audit)\s+$|(?:软件|测试|研发|开发|项目|销售|硬件|算法|运维|网络|数据|系统|售前|售后|实施|设备|工艺|质量|结构|电气|机械|土木|嵌入式|前端|后端|技术支持)$|(?<!叫)做$/;
/**
 * "I'm an accountant", "I've been an engineer for 6 years": in English, being one is the job; a title held is
 * said as one (I hold, I got, I passed), with a word of titles outside a question about one wanted (title,
 * certified, appointed) or with the date it was obtained ("an Engineer since 2019").
 */
const BEING_EN = /\b(?:i am|i'm|im|i've been|i have been|have been|currently|as)\s+(?:an?|the|my)?\s*$/;
const SPEAKS_OF_TITLES = /\btitles?\b|certif|qualif|appoint|\branks?\b|\bgrades?\b/;
/** What follows a bare level word that makes it no title: 高级专家, 高级人才, 中级工 and 高级工 (skill grades). */
const NOT_A_TITLE_AFTER = /^(专家|人才|技师|技工|工(?!程)|管理人员|顾问)/;
const NEGATION = /(不是|没有|没|无|非|not an?|no|without|don't have|do not have)\s*\S{0,2}$/;
/** "没有任何职称", "I don't hold a title": no title at all (a level of "none"). */
const NO_TITLE = /(没有|没|无|还没有?|尚无|未取得|未评|没评过?)(任何)?(的)?职称|no (professional )?title|(don't|do not|doesn't) (have|hold) (a|any) (professional )?title|(haven't|have not|never) (got|gotten|obtained|held|had) (a|any) (professional )?title|without (a|any) (professional )?title/;
/** Saying what one studied: "学的是会计", "专业是金融", "I studied law", "a degree in business". */
const STUDIED = /学的是?|读的是?|所学专业|专业是|\bstudied\b|\bmajor(ed)? in\b|\b(degree|bachelor'?s?|master'?s?|phd|diploma) (?:is |was )?in\b|\bbut not in\b|^\s*not in\b/;
/** Just out of school: "刚毕业", "刚硕士毕业", "应届生", "I just graduated", "just finished my PhD". */
const JUST_GRADUATED = /刚(?:刚)?(?:[\u4e00-\u9fff]{1,8})?毕业|应届|\bjust (?:graduated|finished (?:my )?(?:phd|doctorate|master'?s|degree|studies))\b|\bfresh graduate\b|\bnew graduate\b|\brecent graduate\b|\bgraduated last month\b/;
const CORRECTION = /不对(?!口)|错了|说错|更正|纠正|其实是|应该是|我是说|改成|sorry|i meant|actually|correction|not .{1,20} but/;

type SkillLevel = NonNullable<NonNullable<Facts['skill']>['level']>;

const DEGREE_RANK = new Map(DEGREES.map((d, i) => [d, i]));

/** A level word as the whole message, in English: "what about senior?", "and intermediate?". */
const LEVEL_ALONE = /^(?:and |so |then |what about |how about |and what about |and how about )?(?:the |a )?(senior|intermediate|junior)(?: level| title| one| grade)?(?: then)?\s*[?？.!]*$/i;
/** "Senior" alone is the associate-senior level (高级) in English usage, as "Senior Engineer" is 高级工程师. */
const LEVEL_ALONE_MEANS: Record<string, NonNullable<Facts['targetLevel']>> = { senior: 'associate_senior', intermediate: 'intermediate', junior: 'assistant' };

/** "土木工程", "计算机专业": a clause that is a major's name and nothing else; bare 工程 is a line of work as often. */
function majorAlone(clause: string, lex: Lexicon): boolean {
  const bare = clause.replace(/(专业)?(毕业)?的?$/, '');
  return lex.majors.find(bare).some((h) => h.start === 0 && /^(工程|工程学|科学与技术|技术)?$/.test(bare.slice(h.end)) && !/^(工程|engineering)$/.test(h.surface));
}

function clauses(text: string): string[] {
  return text.split(CLAUSE_BREAK).map((c) => c.trim()).filter(Boolean);
}

/** After a school's name: one's studies there ("大学学的会计", "高中毕业", "university degree"), not one's work. */
const STUDIES_AFTER = /^\s*(?:里|时|的时候)?(?:学|读|念|毕业|本科|专业|学历|文凭|degree|diploma|graduate|student)/;

/** Work or specialty years, as opposed to years at a title. */
const WORK_YEARS = /工作|从事|专业|干了|工龄|work|worked|experience|in the (field|specialty)/;

/**
 * Pull the eligibility facts a message states, in Chinese or English. `expecting`: the facts the mentor
 * just asked for, so that a bare answer ("工程师，6年" to "which title do you hold, for how long?") fills them.
 */
export function extractFacts(message: string, lex: Lexicon, expecting: readonly string[] = [], today?: Date): Extraction {
  const expectHeldTitle = expecting.includes('currentTitle.level');
  const expectYearsHeld = expecting.includes('currentTitle.yearsHeld') && !expecting.includes('yearsInSpecialty');
  const text = normalizeText(message);
  const facts: CollectedFacts = {};
  let bestDegree: Degree | undefined;
  /** The series of the title named as held, to tell a job ("working as an engineer") from a transfer. */
  let heldSeries: string | undefined;

  let previousClauseCurrent = false;
  let route: Route | undefined;
  let yearsLater: number | undefined;
  // Titles spoken of outside a question about one wanted ("appointed 6 years ago", not "can I get the … title?").
  const speaksOfTitleHeld = clauses(text).some((c) => SPEAKS_OF_TITLES.test(c) && !TARGET_CLAUSE.test(c) && !NO_TITLE.test(c));
  const allClauses = clauses(text);
  // A degree named anywhere in the message ("我本科，土木工程"): a clause that is only a major is then the asker's.
  const namesDegree = lex.degrees.find(text).length > 0;
  for (const [clauseIndex, clause] of allClauses.entries()) {
    const inside = (h: { start: number; end: number }, spans: { start: number; end: number }[]) => spans.some((t) => h.start < t.end && h.end > t.start);
    // "senior technician" (高级技师) is a skill grade, not the title Technician (技术员) with "senior" before it.
    const skillHits = lex.skills.find(clause);
    const titleHits = lex.titles.find(clause).filter((h) => !inside(h, skillHits));
    const degreeHits = lex.degrees.find(clause);
    // "junior college" is a degree, not the junior level; a title's own level word is not a second mention.
    const levelHits = lex.levels.find(clause).filter((h) => !inside(h, titleHits) && !inside(h, degreeHits) && !inside(h, skillHits));
    let currentInClause = false;
    const clauseHasCurrentCue = CURRENT_ANYWHERE.test(clause) && !TARGET_CLAUSE.test(clause);

    for (const hit of [...titleHits.map((h) => ({ ...h, level: h.value.level, series: h.value.series as string | undefined })), ...levelHits.map((h) => ({ ...h, level: h.value, series: undefined }))].sort((a, b) => a.start - b.start)) {
      const before = clause.slice(Math.max(0, hit.start - 20), hit.start);
      const after = clause.slice(hit.end, hit.end + 10);
      if (NEGATION.test(before)) continue;
      // 高级专家, 高级人才, 高级工: the level word as an adjective, not a title.
      if (!hit.series && NOT_A_TITLE_AFTER.test(after)) continue;
      if (JOB_BEFORE.test(before) || (/^[a-z]/.test(hit.surface) && BEING_EN.test(before) && !speaksOfTitleHeld && !obtainedDate(clause) && !expectHeldTitle)) {
        facts.series ??= hit.series as Facts['series'];
        continue;
      }
      // The same title again (e.g. in brackets) only restates the current one.
      if (facts.currentTitle?.level === hit.level && currentInClause && !TARGET_CUE.test(before)) continue;
      // "工程师，聘了6年": a title that ends its clause, held as the next clause says.
      const heldNext = !after.trim() && !TARGET_CUE.test(before) && !TARGET_CLAUSE.test(clause) && HELD_NEXT.test(allClauses[clauseIndex + 1] ?? '');
      const role = CURRENT_CUE.test(before) || HELD_AFTER.test(after) || (HELD_SINCE.test(clause.slice(hit.end, hit.end + 40)) && !TARGET_CUE.test(before)) || heldNext ? 'current' : TARGET_CUE.test(before) ? 'target' : clauseHasCurrentCue || expectHeldTitle ? 'current' : 'target';
      if (role === 'current') {
        facts.currentTitle = { ...facts.currentTitle, level: hit.level };
        // "工程师刚评上": held from now, no years yet.
        if (/^\s*(?:刚刚?|才)\s*(?:评上|拿到|取得|获得)/.test(after)) facts.currentTitle.yearsHeld ??= 0;
        heldSeries = hit.series ?? heldSeries;
        currentInClause = true;
      } else facts.targetLevel = hit.level;
      if (hit.series) facts.series = hit.series as Facts['series'];
    }

    if (NO_TITLE.test(clause) && facts.currentTitle?.level === undefined) facts.currentTitle = { ...facts.currentTitle, level: 'none' };
    // A major is not the series applied in: "学的是会计" in a check of Senior Engineer.
    if (!STUDIED.test(clause)) for (const hit of lex.series.find(clause)) facts.series ??= hit.value as Facts['series'];
    for (const hit of degreeHits) {
      if (NEGATION.test(clause.slice(Math.max(0, hit.start - 8), hit.start))) continue;
      // "博士在读", "I'm a PhD candidate", "studying for a master's": a degree not yet held.
      if (STUDYING_BEFORE.test(clause.slice(Math.max(0, hit.start - 24), hit.start)) || STUDYING_AFTER.test(clause.slice(hit.end, hit.end + 16))) continue;
      if (!bestDegree || DEGREE_RANK.get(hit.value)! > DEGREE_RANK.get(bestDegree)!) bestDegree = hit.value;
      // "本科土木", "硕士计算机": the major named right after the degree is its field.
      const after = clause.slice(hit.end);
      const major = lex.majors.find(after).find((h) => /^\s*(?:学历|毕业)?\s*(?:学的是?|读的是?|专业是?)?\s*$/.test(after.slice(0, h.start)));
      if (major && facts.education?.fieldRelated === undefined) facts.education = { ...facts.education, fieldRelated: major.value };
    }

    const later = yearsLaterIn(clause);
    if (later) yearsLater ??= later.years;
    // "in 2 years" is a time from now, not two years of work.
    // "毕业3年后评了助理工程师": a time after an event, not a length of work or of holding a title now.
    const durations = findDurations(clause).filter((d) => (!later || d.end <= later.span[0] || d.start >= later.span[1]) && !/^\s*(后|以后|之后)/.test(clause.slice(d.end)));
    // "有社保，交了2年": paying, in a message on social insurance (or in answer to the mentor's question on it).
    // "for 18 months", "两年" in answer to "how many months of social insurance?": those months.
    const answersMonths = expecting.includes('residence.socialInsuranceMonthsLast24') && !WORK_YEARS.test(clause) && !/聘|任职|appointed|held|holding/.test(clause);
    const socialInsurance = SOCIAL_INSURANCE.test(clause) || PAID_MONTHS.test(clause) || answersMonths || (PAID.test(clause) && (SOCIAL_INSURANCE.test(text) || expecting.some((e) => e.startsWith('residence'))));
    for (const d of durations) {
      if (socialInsurance) {
        // Paid elsewhere ("社保是在苏州交的", "paid in Beijing") or a gap ("社保断了半年"): no Shanghai months said.
        if (!INSURANCE_ELSEWHERE.test(text) && !/断(?:了|过)?\s*$/.test(clause.slice(0, d.start))) facts.residence = { ...facts.residence, socialInsuranceMonthsLast24: Math.min(24, Math.round(d.years * 12)) };
      } else if (currentInClause || /聘|任职|appointed|held|holding/.test(clause) || (expectYearsHeld && !WORK_YEARS.test(clause)) || (previousClauseCurrent && (/已经|已|了|already|now|\bfor\b/.test(clause) || clause.length <= 12) && !lex.titles.find(clause).length && !WORK_YEARS.test(clause))) {
        facts.currentTitle = { ...facts.currentTitle, yearsHeld: Math.min(60, d.years) };
      } else {
        facts.yearsInSpecialty = Math.min(60, d.years);
      }
    }

    // "工程师，2021年3月取得", "an Engineer since 2020": the date the title held was obtained.
    const obtained = currentInClause || previousClauseCurrent || expecting.includes('currentTitle.yearsHeld') ? obtainedDate(clause, today) : undefined;
    if (obtained && facts.currentTitle?.level !== 'none') facts.currentTitle = { ...facts.currentTitle, obtained };
    residenceFacts(clause, facts);
    overseasFacts(clause, facts);
    for (const hit of skillHits) facts.skill = { ...facts.skill, level: hit.value as SkillLevel };
    for (const hit of lex.awards.find(clause)) facts.awards = { ...facts.awards, [hit.value]: true };
    for (const hit of lex.routeFacts.find(clause)) {
      const flag = hit.value.split('.')[1];
      facts.specialRoute = { ...facts.specialRoute, [flag]: !NEGATION.test(clause.slice(Math.max(0, hit.start - 8), hit.start)) };
    }
    route ??= lex.routes.find(clause)[0]?.value;
    exclusionFacts(clause, facts);
    if (/理工科|理工类|工科|理科|(电气|机械|土木|计算机|电子|化工|自动化|软件|通信|材料|建筑)(工程)?专业|science or engineering|science\/engineering|stem|(science|engineering|technical|stem) degree|(degree|bachelor'?s?|master'?s?|phd|doctorate|msc|bsc|meng|beng) in [a-z ]*(engineering|science|physics|chemistry|mathematics|maths?|computing|\bee\b|\bcs\b|electrical|electronics?|mechanical|civil)/.test(clause)) facts.education = { ...facts.education, fieldRelated: !/非理工|不是理工|not (?:in )?(a )?(science|engineering)/.test(clause) };
    else if (/文科|非理工|not (?:in )?(a )?(science|engineering)/.test(clause)) facts.education = { ...facts.education, fieldRelated: false };
    // "专业不对口" / "专业对口": the degree's field against the specialty, said outright.
    else if (/(?:专业)?(?:不|没有?)(?:对口|相关)|\b(?:un|not )related (?:field|major|degree|to my (?:job|work))/.test(clause)) facts.education = { ...facts.education, fieldRelated: false };
    else if (/专业(?:对口|相关)|^对口|\b(?:a )?related (?:field|major|degree)\b/.test(clause)) facts.education = { ...facts.education, fieldRelated: true };
    // "学的是工商管理" to "is your degree in science or engineering?": the major says it.
    else if (expecting.includes('education.fieldRelated') || STUDIED.test(clause) || (namesDegree && majorAlone(clause, lex))) {
      // "我拿到工程师了": 工程 inside a title's name is no major.
      const major = lex.majors.find(clause).find((h) => !inside(h, titleHits));
      if (major) facts.education = { ...facts.education, fieldRelated: major.value };
    }
    // "在职硕士", "非全日制", "a part-time master's": a degree earned in service (it counts only after a year's work, in
    // the Shanghai senior engineering notices).
    if (/在职(?:读|攻读|取得|拿)?的?(?:硕士|研究生|博士|本科|学历|学位)|非全日制|\bpart-time (?:master|degree|phd|bachelor|study|studies)|\bstudied part-time\b|\bin-service (?:degree|master)/.test(clause)) facts.education = { ...facts.education, inService: true };
    if (/全国|国家标准|国家规定|national/.test(clause)) facts.jurisdiction = 'national';
    else if (/上海|沪|shanghai/.test(clause) && !/外地|non-shanghai/.test(clause)) facts.jurisdiction ??= 'shanghai';
    previousClauseCurrent = currentInClause;
  }
  // "what about senior?" after a check: the bare English level word, which inside a longer message
  // ("senior developer", "senior high school") names no title.
  const alone = facts.targetLevel === undefined ? LEVEL_ALONE.exec(text) : null;
  if (alone) facts.targetLevel = LEVEL_ALONE_MEANS[alone[1].toLowerCase()];
  if (bestDegree) facts.education = { ...facts.education, degree: bestDegree };
  // "我在大学教书", or "中学" in answer to "你是中小学老师还是高校老师？": the kind of work picks the series.
  if (facts.series === undefined) {
    // A bare answer is short; "大学学的会计" and "高中毕业" speak of one's studies, not of where one teaches.
    const bareAnswer = expecting.includes('series') && text.length <= 24 && lex.degrees.find(text).length === 0;
    for (const work of lex.sharedWork) {
      if (!bareAnswer && work.said.find(text).length === 0) continue;
      const picked = new Set(work.answers.find(text).filter((h) => !STUDIES_AFTER.test(text.slice(h.end))).map((h) => h.value));
      if (picked.size === 1) facts.series = [...picked][0] as Facts['series'];
    }
  }
  // "2018年本科毕业，一直在做结构设计": the years since then, counted from the end of the month (or year) said.
  const since = facts.yearsInSpecialty === undefined && today ? workingSince(text, CORRECTION.test(text)) : undefined;
  let yearsFromCorrectedGraduation = false;
  if (since) {
    const years = Math.floor(((today!.getTime() - Date.parse(since)) / (365.25 * 86_400_000)) * 10) / 10;
    if (years >= 0 && years <= 60) {
      facts.yearsInSpecialty = years;
      yearsFromCorrectedGraduation = workingSince(text) === undefined;
    }
  }
  // "我是博士，刚毕业": no years of work yet and no title, unless the message says otherwise.
  if (JUST_GRADUATED.test(text)) {
    facts.yearsInSpecialty ??= 0;
    facts.currentTitle ??= { level: 'none' };
  }
  // "Working as an engineer for 6 years, can I apply for intermediate?": a title of the very level and series
  // asked for is the job, not a title held, and its years are years in the specialty.
  const held = facts.currentTitle;
  if (held?.level && held.level === facts.targetLevel && !held.obtained && (heldSeries === undefined || heldSeries === facts.series)) {
    if (held.yearsHeld !== undefined) facts.yearsInSpecialty ??= held.yearsHeld;
    delete facts.currentTitle;
  }
  // "没有理工科大专" in answer to "你另外还有理工科的大专学历吗？" is about that second diploma, not the degree: its
  // yes or no answers the question (mentor.ts), and the degree and field already told stand.
  if (expecting.includes('education.relatedJuniorCollegeDiploma') && facts.education?.degree === 'junior_college') {
    const { degree: _diploma, fieldRelated: _itsField, ...rest } = facts.education;
    if (Object.keys(rest).length) facts.education = rest;
    else delete facts.education;
  }
  // "what if I pay two more months?": months on top of those told (the Chinese "再交两个月" is read above).
  const moreEn = facts.residence?.socialInsuranceMonthsLast24 === undefined ? EN_MORE_PAID.exec(text) : null;
  if (moreEn) facts.residence = { ...facts.residence, socialInsuranceMonthsLast24: Math.min(24, parseCount(moreEn[1]) ?? 0) };
  const months = facts.residence?.socialInsuranceMonthsLast24;
  // "我是高级技师，能评工程师吗": a skill grade is the overpass's business (whether it counts, the rules leave to the notice).
  if (facts.skill?.level) route ??= 'overpass';
  return { facts, correction: CORRECTION.test(text), ...(months !== undefined && (MORE_PAID.test(text) || moreEn) ? { moreSocialInsuranceMonths: months } : {}), ...(route ? { route } : {}), ...(yearsLater ? { yearsLater } : {}), ...(yearsFromCorrectedGraduation ? { yearsFromCorrectedGraduation } : {}) };
}

const MONTHS: Record<string, number> = { jan: 1, feb: 2, mar: 3, apr: 4, may: 5, jun: 6, jul: 7, aug: 8, sep: 9, oct: 10, nov: 11, dec: 12 };
const EN_OBTAINED = /\b(?:since|in|from|obtained|got it|awarded)\s+(?:(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+)?((?:19|20)\d{2})\b/g;
const ZH_OBTAINED = /((?:19|20)\d{2})\s*年\s*(?:(\d{1,2})\s*月)?(?:份)?\s*(?:起|开始|就|取得|拿到|拿的|评上|评的|评了|获得|聘任|聘的|聘)/;

const RELATIVE_YEARS: Record<string, number> = { 今年: 0, 去年: 1, 前年: 2, 'this year': 0, 'last year': 1 };
const ZH_OBTAINED_RELATIVE = /(今年|去年|前年)\s*(?:(\d{1,2})\s*月)?(?:份)?\s*(?:才|就|刚)?\s*(?:取得|拿到|拿的|评上|评的|评了|考上|考过|获得|聘任|聘的|聘)/;
const EN_OBTAINED_RELATIVE = /\b(?:got|obtained|became|awarded|promoted)\b[^.?!]{0,40}?\b(last year|this year)\b/;
const ZH_GRADUATED = /((?:19|20)\d{2})\s*年\s*(?:(\d{1,2})\s*月)?(?:份)?\s*(?:[\u4e00-\u9fff]{0,4})?毕业/;
const ZH_ALL_ALONG = /一直|至今|到现在|到今天|以来/;
const ZH_STARTED_WORK = /((?:19|20)\d{2})\s*年\s*(?:(\d{1,2})\s*月)?(?:份)?\s*(?:开始工作|参加工作|入职|开始从事|起从事|开始做)/;
const EN_WORKING_SINCE = /\b(?:work(?:ed|ing)?|in (?:the|this) field|doing (?:this|it))\b[^.?!]{0,50}\bsince (?:(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+)?((?:19|20)\d{2})\b/;
/** "graduated in 2020 and have worked … since", "got my master's in 2023, working … since then". */
const EN_GRADUATED_SINCE = /\b(?:graduated|got (?:my|a) (?:bachelor'?s|master'?s|degree|phd|doctorate|diploma)|(?:bachelor'?s|master'?s|phd|doctorate|degree|diploma))\b[^.?!]{0,30}?\b(?:in )?((?:19|20)\d{2})\b[^.?!]*\b(?:ever since|since then|since)\b(?!\s+(?:(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+)?(?:19|20)\d{2})/;
const EN_GRADUATED_IN = /\bgraduated (?:in )?((?:19|20)\d{2})\b/;

/**
 * When the asker's work in the field began, from "2018年本科毕业，一直在…", "2019年参加工作", "working in the
 * field since 2018": the end of the month (or year) said, so the years are never overstated.
 */
function workingSince(text: string, correcting = false): string | undefined {
  // "不对，我是2020年毕业的" corrects the year the asker's work began, as told before ("2019年毕业，一直做设计").
  const started = ZH_STARTED_WORK.exec(text) ?? (ZH_ALL_ALONG.test(text) || correcting ? ZH_GRADUATED.exec(text) : null);
  if (started) return lastDayOf(Number(started[1]), started[2] ? Number(started[2]) : undefined);
  const en = EN_WORKING_SINCE.exec(text);
  if (en) return lastDayOf(Number(en[2]), en[1] ? MONTHS[en[1]] : undefined);
  const graduated = EN_GRADUATED_SINCE.exec(text) ?? (correcting ? EN_GRADUATED_IN.exec(text) : null);
  return graduated ? lastDayOf(Number(graduated[1])) : undefined;
}

/** The last day (YYYY-MM-DD) of a month, or of the year when no month is said. */
function lastDayOf(year: number, month = 12): string {
  return `${year}-${String(month).padStart(2, '0')}-${String(new Date(Date.UTC(year, month, 0)).getUTCDate()).padStart(2, '0')}`;
}

/**
 * The date a title was obtained, from "since 2020", "in March 2021", "2021年3月取得". Only the year (or month)
 * is said: the last day of it is taken, so the years are never overstated.
 */
function obtainedDate(clause: string, today?: Date): string | undefined {
  // "graduated in 2015 and have been an Engineer since 2020": the year of the degree is not the title's.
  const en = [...clause.matchAll(EN_OBTAINED)].find((m) => !/\bgraduat\w*\b[^,;]{0,30}$/.test(clause.slice(0, m.index)));
  const zh = en ? undefined : ZH_OBTAINED.exec(clause);
  // "我去年评上的工程师", "got it last year": a year counted back from today (its last month, so never overstated).
  const relative = !en && !zh && today ? (ZH_OBTAINED_RELATIVE.exec(clause) ?? EN_OBTAINED_RELATIVE.exec(clause)) : null;
  if (relative) {
    const back = RELATIVE_YEARS[relative[1]];
    const month = relative[2] ? Number(relative[2]) : 12;
    return month >= 1 && month <= 12 ? lastDayOf(today!.getUTCFullYear() - back, month) : undefined;
  }
  const year = Number(en?.[2] ?? zh?.[1]);
  if (!year) return undefined;
  const month = en?.[1] ? MONTHS[en[1]] : zh?.[2] ? Number(zh[2]) : 12;
  return month >= 1 && month <= 12 ? lastDayOf(year, month) : undefined;
}

/** "Do I need a residence permit?", "要不要上海户口": asking what is required says nothing of what one has. */
const ASKS_IF_REQUIRED = /(需要|要不要|需不需要|必须|是否要|一定要|得有)[^，。；,;]{0,8}(居住证|户口|户籍|沪籍)|(居住证|户口|户籍|沪籍)[^，。；,;]{0,6}(必须|是必须|是必要|需要吗|要求吗)|\b(do|does) (i|one|you|we|someone|applicants?) (need|have to have|require)\b|\b(residence permit|hukou)s? (is |are )?(required|necessary|needed)\b|\bneed (a |an )?(shanghai )?(residence permit|hukou)\b/;

/**
 * The residence condition a message asks whether one needs ("我需要居住证吗？"), as its fact path: a plain
 * "有的" or "no" next answers it.
 */
export function requirementAskedAbout(message: string): 'residence.residencePermit' | 'residence.hukou' | undefined {
  for (const clause of clauses(normalizeText(message))) {
    if (!ASKS_IF_REQUIRED.test(clause)) continue;
    if (/居住证|residence permit/.test(clause)) return 'residence.residencePermit';
    if (/户口|户籍|沪籍|hukou/.test(clause)) return 'residence.hukou';
  }
  return undefined;
}

/** A hukou of another place ("北京户口", "江苏户籍", "a Beijing hukou"): the condition asks for Shanghai's. */
const PLACES = '北京|天津|重庆|河北|山西|辽宁|吉林|黑龙江|江苏|浙江|安徽|福建|江西|山东|河南|湖北|湖南|广东|海南|四川|贵州|云南|陕西|甘肃|青海|内蒙古?|广西|西藏|宁夏|新疆|香港|澳门|台湾|深圳|广州|杭州|南京|苏州|无锡|宁波|武汉|成都|西安|老家|农村|外省|外地';
const PLACES_EN = 'beijing|tianjin|chongqing|hebei|shanxi|liaoning|jilin|heilongjiang|jiangsu|zhejiang|anhui|fujian|jiangxi|shandong|henan|hubei|hunan|guangdong|hainan|sichuan|guizhou|yunnan|shaanxi|gansu|qinghai|inner mongolia|guangxi|tibet|ningxia|xinjiang|shenzhen|guangzhou|hangzhou|nanjing|suzhou|wuhan|chengdu|xi\'an|my hometown|another (?:city|province)|rural';
const OTHER_PLACE_HUKOU = new RegExp(`(?:${PLACES})(?:市|省)?(?:的)?户[口籍]|\\b(?:${PLACES_EN})\\s+hukou\\b|\\bhukou\\s+(?:is\\s+)?(?:in|from)\\s+(?:${PLACES_EN})\\b`);

/** Social insurance paid in another place than Shanghai. */
const INSURANCE_ELSEWHERE = new RegExp(`(?:社保|社会保险)[^，。,.]{0,6}(?:在|是在)\\s*(?:${PLACES})|(?:在)(?:${PLACES})(?:市|省)?(?:交|缴)(?:的|了)?(?:社保|社会保险)?|social insurance[^,.]{0,20}\\bin\\s+(?:${PLACES_EN})\\b`);

function residenceFacts(clause: string, facts: CollectedFacts): void {
  if (ASKS_IF_REQUIRED.test(clause)) return;
  const negated = (re: RegExp) => {
    const m = re.exec(clause);
    // "没有上海户口和居住证", "no hukou or residence permit": one negation over both.
    return m ? /(没有|没|无|不是|非|未|not|no|don't|do not|without)\s*(?:\S{0,4}|[^，。,.;；]{0,32}(?:和|与|及|或|、|\band\b|\bor\b|\bnor\b)(?:\s+(?:a|an|the|any))?\s*)$/.test(clause.slice(Math.max(0, m.index - 44), m.index)) : undefined;
  };
  const permit = negated(/居住证|residence permit/);
  // "居住证过期了", "my residence permit expired": the condition asks for a valid one ("快到期了" still is).
  const expired = /居住证[^，。,.]{0,6}(?<!快)(?:过期|失效|已到期|到期了)|residence permit\s+(?:has\s+|had\s+)?(?:expired|lapsed)|expired\s+(?:shanghai\s+)?residence permit/.test(clause);
  if (permit !== undefined) facts.residence = { ...facts.residence, residencePermit: !permit && !expired };
  if (/外地户口|非沪籍|非上海户[口籍]|不是上海户[口籍]|没有上海户[口籍]|外省户口|not (a )?shanghai hukou|non-shanghai hukou|\bno (shanghai )?hukou|without (a )?(shanghai )?hukou|(don't|do not|doesn't) have (a )?(shanghai )?hukou/.test(clause) || OTHER_PLACE_HUKOU.test(clause)) facts.residence = { ...facts.residence, hukou: false };
  else {
    const hukou = negated(/上海户[口籍]|沪籍|本地户口|户口|户籍|hukou/);
    if (hukou !== undefined) facts.residence = { ...facts.residence, hukou: !hukou };
  }
}

function overseasFacts(clause: string, facts: CollectedFacts): void {
  const version = /(?:清单|list|名单)\s*([123])(?:\.0)?|([123])\.0\s*(?:版|清单|list)?/.exec(clause);
  const category = /(?:category|cat\.?|类别)\s*([abcd])\b|(?<![a-z])([abcd])\s*类|(?<![a-z])([abcd])-?class\b/.exec(clause);
  const overseasContext = /海外|境外|国外|overseas|foreign|清单|list|证书|certificate|qualification/.test(clause);
  if (version && overseasContext) facts.overseas = { ...facts.overseas, listVersion: `${version[1] ?? version[2]}.0` as '1.0' | '2.0' | '3.0' };
  if (category && (overseasContext || facts.overseas)) facts.overseas = { ...facts.overseas, category: (category[1] ?? category[2] ?? category[3]).toUpperCase() as 'A' | 'B' | 'C' | 'D' };
  if (/(参加|参与)过?(了)?(第一|第二|第1|第2|前两)(批|轮)|took part in (round|batch) [12]|participated in (an )?earlier round|(first|second|1st|2nd) (round|batch)/.test(clause)) {
    facts.overseas = { ...facts.overseas, tookPartInEarlierRound: !/没有?(参加|参与)|not|never|didn't/.test(clause) };
  }
}

function exclusionFacts(clause: string, facts: CollectedFacts): void {
  if (/已经?退休|退休了|返聘|retired|rehired after retirement/.test(clause) && !/没有?退休|未退休|not retired/.test(clause)) facts.retirement = { ...facts.retirement, retired: true };
  if (/今年(就)?(要)?退休|今年到退休年龄|reach(ing)? (the )?(statutory )?retirement age this year|retire this year/.test(clause)) facts.retirement = { ...facts.retirement, reachesStatutoryAgeThisYear: true };
  if (/出版(了)?专著|省部级(以上)?奖|monograph|provincial or ministerial award|ministerial award/.test(clause) && !/没有|没|无|\bno\b|not|never/.test(clause)) facts.lastYear = { ...facts.lastYear, newMajorResults: true };
  if (/去年[^，。,.]{0,8}(没|未)(评上|通过|评过)|去年(评审)?落选|去年(高级)?(职称)?没过|failed (?:the |my )?(?:[a-z-]+ ){0,3}(?:evaluation|review )?last year|didn't pass last year/.test(clause)) facts.lastYear = { ...facts.lastYear, failedShanghaiSeniorEvaluation: true };
}

/** Merge newer facts over older ones (a later answer corrects an earlier one); returns the changed paths. */
/** `changed`: facts told before that this update corrects; `added`: facts told for the first time. */
export function mergeFacts(old: CollectedFacts, update: CollectedFacts): { merged: CollectedFacts; changed: string[]; added: string[] } {
  const changed: string[] = [];
  const added: string[] = [];
  const merge = (a: Record<string, unknown>, b: Record<string, unknown>, prefix: string): Record<string, unknown> => {
    const out: Record<string, unknown> = { ...a };
    for (const [key, value] of Object.entries(b)) {
      if (value === undefined) continue;
      const path = prefix ? `${prefix}.${key}` : key;
      if (value && typeof value === 'object' && !Array.isArray(value)) {
        out[key] = merge((a[key] as Record<string, unknown>) ?? {}, value as Record<string, unknown>, path);
      } else {
        if (a[key] === undefined) added.push(path);
        else if (JSON.stringify(a[key]) !== JSON.stringify(value)) changed.push(path);
        out[key] = value;
      }
    }
    return out;
  };
  return { merged: merge(old as Record<string, unknown>, update as Record<string, unknown>, '') as CollectedFacts, changed, added };
}

export const hasAnyFact = (f: CollectedFacts) => Object.keys(f).some((k) => k !== 'jurisdiction');
export { LEVELS };
