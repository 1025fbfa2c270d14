import { addMonths, monthsBetween } from './dates.js';
import { DEGREE_NAMES, FLAG_NAMES, LEVEL_NAMES, SERIES_NAMES } from './labels.js';
import { DEGREES, LEVELS, type Bilingual, type ConditionSet, type Flag, type Level, type NormalisedFacts } from './schema.js';

/**
 * Conditions are judged on an ordered scale; an unknown fact leaves a range [worst, best].
 * NOTICE sits between "fails" and "not yet": the route may be open, but the current notice decides.
 */
export const FAILED = 0;
export const NOTICE = 1;
export const SHORT = 2;
export const MET = 3;

export interface Outcome {
  best: number;
  worst: number;
  /** Fact paths that would move the outcome within [worst, best]. Empty when best === worst. */
  missing: string[];
  /** When the outcome is (at best) SHORT: how long until the years are met. */
  earliest?: string;
  yearsStillNeeded?: number;
  /** What was found, in words, for the reasons. */
  situation: Situation[];
  /** How many conditions failed outright: of two failed rules, the one with fewer is nearer to being met. */
  unmet?: number;
}

/** One finding; `shortfall` marks "years still short", which matters only while nothing else fails. */
export type Situation = Bilingual & { shortfall?: true };

export interface EvalContext {
  facts: NormalisedFacts;
  asOf: string;
  targetLevel: Level;
  /** Exclusion triggers: a flag nobody mentioned counts as not set. */
  presumeFlagsFalse?: boolean;
}

const EPS = 1e-9;
export const round2 = (x: number) => Math.round(x * 100) / 100;
export const fmtYears = (x: number) => String(round2(x));
/** "1 year", "2.5 years": English only; Chinese has no plural. */
export const yearsEn = (x: number) => `${fmtYears(x)} ${round2(x) === 1 ? 'year' : 'years'}`;

/** The asker's own years as a citizen says them: "6年10个月", "2年6个月", "11个月" (not "6.83年"). */
export function durationZh(x: number): string {
  const { years, months } = yearsAndMonths(x);
  if (months === 0) return `${years}年`;
  return years === 0 ? `${months}个月` : `${years}年${months}个月`;
}

/** "6 years 10 months", "1 year", "11 months". */
export function durationEn(x: number): string {
  const { years, months } = yearsAndMonths(x);
  const y = `${years} ${years === 1 ? 'year' : 'years'}`;
  const m = `${months} ${months === 1 ? 'month' : 'months'}`;
  if (months === 0) return y;
  return years === 0 ? m : `${y} ${m}`;
}

function yearsAndMonths(x: number): { years: number; months: number } {
  const total = Math.max(0, Math.round(x * 12));
  return { years: Math.floor(total / 12), months: total % 12 };
}
const rankOf = <T extends string>(list: readonly T[], v: T) => list.indexOf(v);

/** Fact paths split once: the what-if search reads the same few paths many times. */
const PATH_KEYS = new Map<string, string[]>();
export function pathKeys(path: string): string[] {
  let keys = PATH_KEYS.get(path);
  if (!keys) PATH_KEYS.set(path, (keys = path.split('.')));
  return keys;
}

function getPath(facts: NormalisedFacts, path: string): unknown {
  let cur: unknown = facts;
  for (const key of pathKeys(path)) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

const known = (state: number, situation: Situation[] = []): Outcome => ({ best: state, worst: state, missing: [], situation, ...(state === FAILED ? { unmet: 1 } : {}) });
const unmetOf = (o: Outcome) => o.unmet ?? 0;
const unknown = (missing: string[], best = MET, worst = FAILED): Outcome => ({ best, worst, missing, situation: [] });

const uniq = (xs: string[]) => [...new Set(xs)];

/** All of the parts must hold. */
export function allOf(parts: Outcome[]): Outcome {
  if (parts.length === 0) return known(MET);
  const best = Math.min(...parts.map((p) => p.best));
  const worst = Math.min(...parts.map((p) => p.worst));
  const missing = best === worst ? [] : uniq(parts.filter((p) => p.best !== p.worst).flatMap((p) => p.missing));
  const out: Outcome = { best, worst, missing, situation: parts.flatMap((p) => p.situation) };
  const unmet = parts.reduce((n, p) => n + unmetOf(p), 0);
  if (unmet) out.unmet = unmet;
  const short = parts.filter((p) => p.earliest !== undefined);
  if (best === SHORT && short.length) {
    // Every shortfall must close: the latest date wins.
    const last = short.reduce((a, b) => (b.earliest! > a.earliest! ? b : a));
    out.earliest = last.earliest;
    out.yearsStillNeeded = Math.max(...short.map((p) => p.yearsStillNeeded ?? 0));
  }
  return out;
}

/** At least one of the parts must hold. */
export function anyOf(parts: Outcome[]): Outcome {
  if (parts.length === 0) return known(FAILED);
  const best = Math.max(...parts.map((p) => p.best));
  const worst = Math.max(...parts.map((p) => p.worst));
  const missing = best === worst ? [] : uniq(parts.filter((p) => p.best !== p.worst && p.best > worst).flatMap((p) => p.missing));
  if (best === MET) {
    const met = parts.find((p) => p.worst === MET) ?? parts.find((p) => p.best === MET)!;
    return { best, worst, missing, situation: best === worst ? met.situation : [] };
  }
  if (best === SHORT) {
    const determined = parts.filter((p) => p.best === SHORT && p.worst === SHORT && p.earliest);
    const pool = determined.length ? determined : parts.filter((p) => p.best === SHORT && p.earliest);
    const soonest = pool.reduce<Outcome | undefined>((a, b) => (!a || b.earliest! < a.earliest! ? b : a), undefined);
    return { best, worst, missing, situation: soonest?.situation ?? [], earliest: soonest?.earliest, yearsStillNeeded: soonest?.yearsStillNeeded };
  }
  // Every alternative failed: as near to being met as the nearest of them.
  const unmet = best === FAILED ? Math.min(...parts.map(unmetOf)) : 0;
  if (best === FAILED && parts.length > 1) {
    return { best, worst, missing, situation: [{ zh: '各项可选条件均不满足', en: 'none of the alternatives is met' }], ...(unmet ? { unmet } : {}) };
  }
  return { best, worst, missing, situation: parts.flatMap((p) => p.situation), ...(unmet ? { unmet } : {}) };
}

/** Limit an outcome to at most `ceiling` (a route whose thresholds only the current notice gives). */
export function capAt(o: Outcome, ceiling: number): Outcome {
  const best = Math.min(o.best, ceiling);
  const worst = Math.min(o.worst, ceiling);
  return { best, worst, missing: best === worst ? [] : o.missing, situation: o.situation, ...(o.unmet ? { unmet: o.unmet } : {}) };
}

export function levelTitle(level: Level, series: string | undefined): Bilingual {
  return (series && SERIES_NAMES[series]?.levels[level]) || LEVEL_NAMES[level];
}

// ---------------------------------------------------------------------------------------------
// Judging
// ---------------------------------------------------------------------------------------------

export function evaluateConditions(cond: ConditionSet, ctx: EvalContext): Outcome {
  const parts: Outcome[] = [];
  const f = ctx.facts;
  if (cond.degreeAtLeast) parts.push(judgeDegree(cond.degreeAtLeast, f));
  if (cond.previousTitleAtLeast) parts.push(judgePreviousTitle(cond.previousTitleAtLeast, f));
  if (cond.transferFromOtherSeries) parts.push(judgeTransfer(ctx));
  if (cond.years && cond.years.min > 0) parts.push(judgeYears(cond.years, ctx));
  if (cond.residence) parts.push(judgeResidence(cond.residence, f));
  if (cond.overseasCertificate) parts.push(judgeOverseas(cond.overseasCertificate, f));
  for (const flag of cond.flags ?? []) parts.push(judgeFlag(flag, ctx));
  if (cond.anyFlag) parts.push(anyOf(cond.anyFlag.map((flag) => judgeFlag(flag, ctx))));
  for (const flag of cond.notFlags ?? []) {
    // Presumed absent unless stated: nobody is asked to prove a negative.
    const v = getPath(f, flag);
    parts.push(v === true ? known(FAILED, [{ zh: `属于“${FLAG_NAMES[flag].zh}”`, en: `you have: ${FLAG_NAMES[flag].en}` }]) : known(MET));
  }
  if (cond.sanctionWithinYears !== undefined) parts.push(judgeWithinYears(cond.sanctionWithinYears, ctx));
  if (cond.anyOf) parts.push(anyOf(cond.anyOf.map((c) => evaluateConditions(c, ctx))));
  return allOf(parts);
}

// ---------------------------------------------------------------------------------------------
// Bounds only: the what-if search needs the status, never the words
// ---------------------------------------------------------------------------------------------

/**
 * [worst, best] of evaluateConditions(cond, ctx), packed as best * 4 + worst, with nothing else built: no
 * situations, no missing lists, no dates. It mirrors evaluateConditions judge by judge (allOf is the minimum of
 * the parts, anyOf the maximum, an empty anyOf fails); the property test `eligibility.fast` holds the two together.
 */
export function boundsOf(cond: ConditionSet, ctx: EvalContext): number {
  // The parts are folded in as they come (allOf = the minimum; worst <= best always). No inner closures: this
  // runs hundreds of thousands of times per chat turn. A part that fails settles the whole set.
  let best = MET;
  let worst = MET;
  const f = ctx.facts;
  if (cond.degreeAtLeast) {
    const have = f.education?.degree;
    if (have === undefined) worst = FAILED;
    else if (rankOf(DEGREES, have) < rankOf(DEGREES, cond.degreeAtLeast)) return FAILED_BOUNDS;
  }
  if (cond.previousTitleAtLeast) {
    const have = f.currentTitle?.level;
    if (have === undefined) worst = FAILED;
    else if (have === 'none' || rankOf(LEVELS, have) < rankOf(LEVELS, cond.previousTitleAtLeast)) return FAILED_BOUNDS;
  }
  if (cond.transferFromOtherSeries) {
    const t = f.currentTitle;
    if (t?.level === undefined) worst = FAILED;
    else if (t.level !== ctx.targetLevel) return FAILED_BOUNDS;
    else if (t.series === undefined) worst = FAILED;
    else if (t.series === f.series) return FAILED_BOUNDS;
  }
  if (cond.years && cond.years.min > 0) {
    const req = cond.years;
    const have = req.basis === 'in_specialty' ? f.yearsInSpecialty : f.currentTitle?.yearsHeld;
    if (have === undefined) {
      // Unknown: [SHORT, MET], or [FAILED, MET] when the years are counted to a fixed date.
      if (req.countedTo) worst = FAILED;
      else if (worst > SHORT) worst = SHORT;
    } else if (req.countedTo) {
      if (have + monthsBetween(ctx.asOf, req.countedTo) / 12 < req.min - EPS) return FAILED_BOUNDS;
    } else if (have < req.min - EPS) {
      if (best > SHORT) best = SHORT;
      if (worst > SHORT) worst = SHORT;
    }
  }
  if (cond.residence) {
    const req = cond.residence;
    const r = f.residence;
    if (r === undefined) worst = FAILED;
    else {
      let met = false;
      let open = false;
      if (req.hukou) {
        if (r.hukou === true) met = true;
        else if (r.hukou === undefined) open = true;
      }
      if (req.residencePermit) {
        if (r.residencePermit === true) met = true;
        else if (r.residencePermit === undefined) open = true;
      }
      if (req.overseasTalentResidencePermit) {
        if (r.overseasTalentResidencePermit === true) met = true;
        else if (r.overseasTalentResidencePermit === undefined) open = true;
      }
      if (req.socialInsurance) {
        const months = req.socialInsurance.withinMonths === 24 ? r.socialInsuranceMonthsLast24 : r.socialInsuranceMonthsLast12;
        if (months === undefined) open = true;
        else if (months >= req.socialInsurance.minMonths) met = true;
      }
      if (!met) {
        if (!open) return FAILED_BOUNDS;
        worst = FAILED;
      }
    }
  }
  if (cond.overseasCertificate) {
    const req = cond.overseasCertificate;
    const version = f.overseas?.listVersion;
    const category = f.overseas?.category;
    const versionOk = version === undefined ? undefined : version !== 'none' && (req.listVersion as string[]).includes(version);
    const categoryOk = version === 'none' ? false : category === undefined ? undefined : req.category.includes(category);
    if (versionOk === false || categoryOk === false) return FAILED_BOUNDS;
    if (versionOk === undefined || categoryOk === undefined) worst = FAILED;
  }
  if (cond.flags) {
    for (const flag of cond.flags) {
      const v = getPath(f, flag);
      if (v === true) continue;
      if (v === false || ctx.presumeFlagsFalse) return FAILED_BOUNDS;
      worst = FAILED;
    }
  }
  if (cond.anyFlag) {
    // anyOf: the maximum of the flags' bounds; none given means it fails.
    let b = FAILED;
    let w = FAILED;
    for (const flag of cond.anyFlag) {
      const v = getPath(f, flag);
      if (v === true) {
        b = MET;
        w = MET;
        break;
      }
      if (v !== false && !ctx.presumeFlagsFalse) b = MET;
    }
    if (b === FAILED) return FAILED_BOUNDS;
    if (w < worst) worst = w;
  }
  if (cond.notFlags) {
    // Presumed absent unless stated.
    for (const flag of cond.notFlags) if (getPath(f, flag) === true) return FAILED_BOUNDS;
  }
  if (cond.sanctionWithinYears !== undefined) {
    const date = f.integrity?.fraudSanctionDate;
    if (date === undefined) worst = FAILED;
    else if (monthsBetween(date, ctx.asOf) >= cond.sanctionWithinYears * 12) return FAILED_BOUNDS;
  }
  if (cond.anyOf) {
    let b = FAILED;
    let w = FAILED;
    for (const c of cond.anyOf) {
      const s = boundsOf(c, ctx);
      if (s >> 2 > b) b = s >> 2;
      if ((s & 3) > w) w = s & 3;
    }
    if (b < best) best = b;
    if (w < worst) worst = w;
  }
  return best * 4 + worst;
}

const FAILED_BOUNDS = FAILED * 4 + FAILED;

function judgeDegree(min: (typeof DEGREES)[number], f: NormalisedFacts): Outcome {
  const have = f.education?.degree;
  if (have === undefined) return unknown(['education.degree']);
  if (rankOf(DEGREES, have) >= rankOf(DEGREES, min)) return known(MET);
  return known(FAILED, [{ zh: `你的学历：${DEGREE_NAMES[have].zh}`, en: `your education: ${DEGREE_NAMES[have].en}` }]);
}

function judgePreviousTitle(min: Level, f: NormalisedFacts): Outcome {
  const have = f.currentTitle?.level;
  if (have === undefined) return unknown(['currentTitle.level']);
  if (have !== 'none' && rankOf(LEVELS, have) >= rankOf(LEVELS, min)) return known(MET);
  const name = have === 'none' ? { zh: '无', en: 'none' } : LEVEL_NAMES[have];
  return known(FAILED, [{ zh: `你的现有职称：${name.zh}`, en: `your current title: ${name.en}` }]);
}

function judgeTransfer(ctx: EvalContext): Outcome {
  const t = ctx.facts.currentTitle;
  if (t?.level === undefined) return unknown(['currentTitle.level']);
  const fail = known(FAILED, [{ zh: '现有职称不是其他系列的同级职称', en: 'your current title is not a same-level title in another series' }]);
  if (t.level !== ctx.targetLevel) return fail;
  if (t.series === undefined) return unknown(['currentTitle.series']);
  return t.series !== ctx.facts.series ? known(MET) : fail;
}

function judgeYears(req: NonNullable<ConditionSet['years']>, ctx: EvalContext): Outcome {
  const f = ctx.facts;
  const path = req.basis === 'in_specialty' ? 'yearsInSpecialty' : 'currentTitle.yearsHeld';
  const have = req.basis === 'in_specialty' ? f.yearsInSpecialty : f.currentTitle?.yearsHeld;
  // Unknown years can at worst be "not yet" (time fixes them), unless the round counts years only to a fixed date.
  if (have === undefined) return unknown([path], MET, req.countedTo ? FAILED : SHORT);
  const haveText = durationZh(have);
  if (req.countedTo) {
    // The round counts experience up to a fixed date: project (or roll back) the years to that date.
    const atCutoff = have + monthsBetween(ctx.asOf, req.countedTo) / 12;
    if (atCutoff >= req.min - EPS) return known(MET, [{ zh: `你有${haveText}（计算至${req.countedTo}）`, en: `you have ${durationEn(have)} (counted to ${req.countedTo})` }]);
    return known(FAILED, [{ zh: `计算至${req.countedTo}仍不足${req.min}年（你有${haveText}）`, en: `still short of ${yearsEn(req.min)} when counted to ${req.countedTo} (you have ${durationEn(have)})` }]);
  }
  if (have >= req.min - EPS) return known(MET, [{ zh: `你有${haveText}`, en: `you have ${durationEn(have)}` }]);
  const stillNeeded = round2(req.min - have);
  const obtained = req.basis === 'since_previous_title' ? f.currentTitle?.obtained : undefined;
  const earliest = obtained ? addMonths(obtained, Math.round(req.min * 12)) : addMonths(ctx.asOf, Math.ceil((req.min - have) * 12 - EPS));
  return {
    best: SHORT,
    worst: SHORT,
    missing: [],
    earliest,
    yearsStillNeeded: stillNeeded,
    situation: [
      { zh: `你有${haveText}`, en: `you have ${durationEn(have)}` },
      { zh: `还差${durationZh(stillNeeded)}`, en: `${durationEn(stillNeeded)} more needed`, shortfall: true },
    ],
  };
}

function judgeResidence(req: NonNullable<ConditionSet['residence']>, f: NormalisedFacts): Outcome {
  const r = f.residence;
  if (r === undefined) return unknown(['residence']);
  const options: { path: string; value: boolean | undefined }[] = [];
  if (req.hukou) options.push({ path: 'residence.hukou', value: r.hukou });
  if (req.residencePermit) options.push({ path: 'residence.residencePermit', value: r.residencePermit });
  if (req.overseasTalentResidencePermit) options.push({ path: 'residence.overseasTalentResidencePermit', value: r.overseasTalentResidencePermit });
  if (req.socialInsurance) {
    const path = req.socialInsurance.withinMonths === 24 ? 'residence.socialInsuranceMonthsLast24' : 'residence.socialInsuranceMonthsLast12';
    const months = req.socialInsurance.withinMonths === 24 ? r.socialInsuranceMonthsLast24 : r.socialInsuranceMonthsLast12;
    options.push({ path, value: months === undefined ? undefined : months >= req.socialInsurance.minMonths });
  }
  if (options.some((o) => o.value === true)) return known(MET);
  const open = options.filter((o) => o.value === undefined).map((o) => o.path);
  if (open.length) return unknown(open);
  return known(FAILED, [{ zh: '户籍、居住证、社保条件均不满足', en: 'none of the hukou, Residence Permit or social-insurance options is met' }]);
}

function judgeOverseas(req: NonNullable<ConditionSet['overseasCertificate']>, f: NormalisedFacts): Outcome {
  const o = f.overseas;
  const version = o?.listVersion;
  const category = o?.category;
  const versionOk = version === undefined ? undefined : version !== 'none' && (req.listVersion as string[]).includes(version);
  const categoryOk = version === 'none' ? false : category === undefined ? undefined : req.category.includes(category);
  if (versionOk === false || categoryOk === false) {
    const have = version === 'none' || version === undefined ? { zh: '无清单内证书', en: 'no listed certificate' } : { zh: `清单${version}${category ? `的${category}类` : ''}`, en: `list ${version}${category ? `, category ${category}` : ''}` };
    return known(FAILED, [{ zh: `你的证书：${have.zh}`, en: `your certificate: ${have.en}` }]);
  }
  const open = [versionOk === undefined ? 'overseas.listVersion' : '', categoryOk === undefined ? 'overseas.category' : ''].filter(Boolean);
  return open.length ? unknown(open) : known(MET);
}

function judgeFlag(flag: Flag, ctx: EvalContext): Outcome {
  const v = getPath(ctx.facts, flag);
  if (v === true) return known(MET);
  if (v === false || ctx.presumeFlagsFalse) return known(FAILED, [{ zh: `不满足：${FLAG_NAMES[flag].zh}`, en: `not met: ${FLAG_NAMES[flag].en}` }]);
  return unknown([flag]);
}

function judgeWithinYears(years: number, ctx: EvalContext): Outcome {
  const date = ctx.facts.integrity?.fraudSanctionDate;
  if (date === undefined) return unknown(['integrity.fraudSanctionDate']);
  return monthsBetween(date, ctx.asOf) < years * 12 ? known(MET) : known(FAILED);
}

// ---------------------------------------------------------------------------------------------
// Describing a requirement in words (numbers only from the rule)
// ---------------------------------------------------------------------------------------------

export function describeConditions(cond: ConditionSet, lang: 'zh' | 'en', series?: string): string {
  const zh = lang === 'zh';
  const parts: string[] = [];
  if (cond.degreeAtLeast) {
    const d = DEGREE_NAMES[cond.degreeAtLeast][lang];
    parts.push(cond.degreeAtLeast === 'phd' ? (zh ? '博士学位' : 'a doctorate') : zh ? `${d}及以上学历` : `${d} or higher`);
  }
  for (const flag of cond.flags ?? []) parts.push(FLAG_NAMES[flag][lang]);
  if (cond.previousTitleAtLeast) {
    const name = levelTitle(cond.previousTitleAtLeast, series)[lang];
    parts.push(zh ? `已取得${name}职称` : `holds the ${name} title`);
  }
  if (cond.transferFromOtherSeries) parts.push(zh ? '已在其他系列取得同级职称（转评）' : 'holds a same-level title in another series (transfer, 转评)');
  if (cond.years && cond.years.min > 0) {
    const { min, basis, countedTo } = cond.years;
    let text = basis === 'in_specialty' ? (zh ? `从事本专业工作满${min}年` : `${yearsEn(min)} of work in the specialty`) : zh ? `取得现职称后满${min}年` : `${yearsEn(min)} since obtaining the current title`;
    if (countedTo) text += zh ? `（计算至${countedTo}）` : ` (counted to ${countedTo})`;
    parts.push(text);
  }
  if (cond.residence) {
    const r = cond.residence;
    const opts: string[] = [];
    if (r.hukou) opts.push(FLAG_NAMES['residence.hukou'][lang]);
    if (r.residencePermit) opts.push(FLAG_NAMES['residence.residencePermit'][lang]);
    if (r.overseasTalentResidencePermit) opts.push(FLAG_NAMES['residence.overseasTalentResidencePermit'][lang]);
    if (r.socialInsurance) {
      const { minMonths, withinMonths } = r.socialInsurance;
      opts.push(zh ? `近${withinMonths}个月在上海缴纳社保满${minMonths}个月` : `${minMonths} months of Shanghai social insurance in the last ${withinMonths} months`);
    }
    parts.push(zh ? `${opts.join('，或')}（满足其一）` : `${opts.join(', or ')} (any one)`);
  }
  if (cond.overseasCertificate) {
    const { listVersion, category } = cond.overseasCertificate;
    parts.push(zh ? `持有上海海外职业资格证书认可清单${listVersion.join('/')}中的${category.join('/')}类证书` : `a Category ${category.join('/')} certificate on the Shanghai overseas-qualification list ${listVersion.join('/')}`);
  }
  if (cond.anyFlag) parts.push(cond.anyFlag.map((f) => FLAG_NAMES[f][lang]).join(zh ? '，或' : ', or '));
  for (const flag of cond.notFlags ?? []) parts.push(zh ? `不属于“${FLAG_NAMES[flag].zh}”` : `not ${FLAG_NAMES[flag].en}`);
  if (cond.sanctionWithinYears !== undefined) parts.push(zh ? `认定后${cond.sanctionWithinYears}年内` : `within ${cond.sanctionWithinYears} years of the finding`);
  if (cond.anyOf) {
    const alts = cond.anyOf.map((c) => describeConditions(c, lang, series));
    const joined = alts.join(zh ? '；或' : '; or ');
    // Alternatives beside other conditions are bracketed; a single one is just one more condition.
    parts.push(parts.length && alts.length > 1 ? `（${joined}）`.replace(/^（(.*)）$/, zh ? '（$1）' : '($1)') : joined);
  }
  return parts.join(zh ? '，' : ', ');
}
