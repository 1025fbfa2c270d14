import {
  FAILED, MET, NOTICE, SHORT, allOf, anyOf, boundsOf, capAt, describeConditions, evaluateConditions, round2,
  type EvalContext, type Outcome,
} from './conditions.js';
import { isIsoDate, monthsBetween } from './dates.js';
import { exactMissing, type WhatIfJudge } from './missing.js';
import { FACT_NAMES, LEVEL_NAMES, ROUTE_NAMES, SERIES_NAMES, factName } from './labels.js';
import {
  CREDENTIAL_FACT_GROUPS, DEGREES, LEVELS, ROUTES,
  type Bilingual, type Citation, type ConditionSet, type EligibilityResult, type Exclusion, type Facts, type Level, type NormalisedFacts, type Route,
  type RouteVerdict, type Rule, type Status,
} from './schema.js';

/**
 * evaluate(rules, facts, asOf): a pure function. Rules are data; the engine only knows how to read them:
 * - eligibility rules open a route to a level; the rules of one route and level are alternatives;
 * - scope rules add conditions to every matching route (the Shanghai residence clause);
 * - exclusion rules close every matching route (retirement, last year's failure, fraud);
 * - info rules add notes.
 * For a Shanghai applicant, a Shanghai rule replaces the national rules of the same route and level;
 * national rules still decide where Shanghai has none. A confidence-C rule never decides alone:
 * its route is "needs_info" with what the rule indicates and a "confirm with the current notice" note.
 * A rule with thresholds: from_current_notice can at best be "needs_info" (what is known, never a number).
 */
export function evaluate(rules: Rule[], input: Facts, asOf: string): EligibilityResult {
  return evaluateWith(rules, input, asOf, true);
}

/**
 * The straightforward engine, kept as the reference the fast one is tested against (internal, not exported by
 * index.ts): its what-if search for `missing` judges every combination with the full evaluation.
 */
export function evaluateReference(rules: Rule[], input: Facts, asOf: string): EligibilityResult {
  return evaluateWith(rules, input, asOf, false);
}

function evaluateWith(rules: Rule[], input: Facts, asOf: string, fast: boolean): EligibilityResult {
  if (!isIsoDate(asOf)) throw new Error(`asOf must be a date written YYYY-MM-DD, got "${asOf}"`);
  const notes: Bilingual[] = [];
  const facts = normaliseFacts(input, asOf, notes);
  const inForce = rules.filter((r) => inEffect(r, asOf));

  if (!facts.series) {
    return {
      asOf,
      facts,
      routes: [],
      overall: { status: 'needs_info', missing: ['series'], nextStep: askFor(['series']) },
      notes: [...notes, { zh: '请先说明申报哪个职称系列（如工程、会计、出版）。', en: 'First tell us which title series you are applying in (e.g. engineering, accounting, publishing).' }],
    };
  }

  const levels = levelsToCheck(inForce, facts, notes);
  const routes: RouteVerdict[] = [];
  const excludedBy = new Map<string, Exclusion>();
  for (const level of levels) {
    const ctx: EvalContext = { facts, asOf, targetLevel: level };
    const candidates = inForce.filter((r) => r.kind === 'eligibility' && appliesTo(r, facts, level) && jurisdictionFits(r, facts));
    for (const route of ROUTES) {
      if (facts.route && facts.route !== route) continue;
      let group = candidates.filter((r) => covers(r.route, route));
      if (group.length === 0) continue;
      // For a Shanghai applicant a Shanghai rule replaces the national ones at this route and level.
      if (facts.jurisdiction === 'shanghai' && group.some((r) => r.jurisdiction === 'shanghai')) group = group.filter((r) => r.jurisdiction === 'shanghai');
      const verdict = judgeRoute(route, level, group, inForce, ctx, fast);
      applyExclusions(verdict, inForce, ctx, excludedBy);
      attachInfo(verdict, inForce, ctx);
      routes.push(verdict);
    }
  }

  // What decides the answer goes before how the facts were read (the place or level assumed).
  if (levels.length && !seriesRulesDecide(routes, inForce)) {
    notes.unshift({
      zh: `规则库中没有${SERIES_NAMES[facts.series].zh}系列该层级的具体申报条件；请以当年正式通知为准。`,
      en: `The rule base has no specific conditions for this level in the ${SERIES_NAMES[facts.series].en} series; the current official notice decides.`,
    });
  }
  const held = facts.currentTitle?.level;
  if (facts.targetLevel && held && held !== 'none' && LEVELS.indexOf(held) >= LEVELS.indexOf(facts.targetLevel)) {
    notes.unshift({ zh: `你已持有${LEVEL_NAMES[held].zh}职称，不低于申报层级。`, en: `You already hold a title at the ${LEVEL_NAMES[held].en}, not below the level asked about.` });
  }

  const overall = overallOf(routes, facts, inForce);
  if (excludedBy.size && overall.status === 'not_eligible') overall.nextStep = EXCLUDED_NEXT_STEP;
  return {
    asOf,
    facts,
    routes,
    overall,
    ...(excludedBy.size ? { excludedBy: [...excludedBy.values()] } : {}),
    notes,
  };
}

/** Whether a rule of the asked series itself judged a route (not only the special routes open to every series). */
export function seriesRulesDecide(routes: RouteVerdict[], rules: Rule[]): boolean {
  const seriesRules = new Set(rules.filter((r) => r.kind === 'eligibility' && r.series !== 'any').map((r) => r.id));
  return routes.some((v) => v.ruleIds.some((id) => seriesRules.has(id)));
}

// ---------------------------------------------------------------------------------------------
// Facts and rule selection
// ---------------------------------------------------------------------------------------------

export function normaliseFacts(input: Facts, asOf: string, notes: Bilingual[] = []): NormalisedFacts {
  const facts: NormalisedFacts = structuredClone({ ...input, jurisdiction: input.jurisdiction ?? 'shanghai' });
  if (input.jurisdiction === undefined) {
    notes.push({ zh: '未说明申报地，按上海的规定判断。', en: 'No place of application given: checked against the Shanghai rules.' });
  }
  const t = facts.currentTitle;
  if (t?.obtained) {
    const months = Math.max(0, monthsBetween(t.obtained, asOf));
    if (t.yearsHeld !== undefined && Math.abs(t.yearsHeld - months / 12) >= 0.1) {
      notes.push({ zh: `现有职称年限按取得日期${t.obtained}计算。`, en: `Years in the current title are counted from the date obtained, ${t.obtained}.` });
    }
    t.yearsHeld = round2(months / 12);
  }
  return facts;
}

export function inEffect(rule: Rule, asOf: string): boolean {
  return (rule.effectiveFrom === null || rule.effectiveFrom <= asOf) && (rule.effectiveTo === null || asOf <= rule.effectiveTo);
}

const covers = <T extends string>(field: 'any' | T | T[], value: T) => field === 'any' || field === value || (Array.isArray(field) && field.includes(value));

function appliesTo(rule: Rule, facts: NormalisedFacts, level: Level): boolean {
  return covers(rule.targetLevel, level) && (rule.series === 'any' || rule.series.includes(facts.series!));
}

/** A national eligibility rule is a candidate everywhere; other kinds of national rule apply everywhere too. */
function jurisdictionFits(rule: Rule, facts: NormalisedFacts): boolean {
  return rule.jurisdiction === 'national' || facts.jurisdiction === 'shanghai';
}

function levelsToCheck(rules: Rule[], facts: NormalisedFacts, notes: Bilingual[]): Level[] {
  if (facts.targetLevel) return [facts.targetLevel];
  const held = facts.currentTitle?.level;
  if (held && held !== 'none') {
    const next = LEVELS[LEVELS.indexOf(held) + 1];
    if (!next) {
      notes.push({ zh: '你已持有正高级职称，这是最高层级。', en: 'You already hold a full-senior title, the highest level.' });
      return [];
    }
    notes.push({ zh: `未说明申报层级，按现有职称的上一级（${LEVEL_NAMES[next].zh}）判断。`, en: `No level given: checked the level above your current title (${LEVEL_NAMES[next].en}).` });
    return [next];
  }
  const eligibility = rules.filter((r) => r.kind === 'eligibility' && jurisdictionFits(r, facts));
  const specific = LEVELS.filter((l) => eligibility.some((r) => r.series !== 'any' && appliesTo(r, facts, l)));
  const levels = specific.length ? specific : LEVELS.filter((l) => eligibility.some((r) => appliesTo(r, facts, l)));
  notes.push({ zh: '未说明申报层级，已逐级判断。', en: 'No level given: each level was checked.' });
  return levels;
}

// ---------------------------------------------------------------------------------------------
// One route at one level
// ---------------------------------------------------------------------------------------------

/** The best each route can still give once its missing facts are known (internal: orders the overall answer). */
const bestCase = new WeakMap<RouteVerdict, Status>();
/** What would open a route that fails only on a scope condition (its rule's nextStep: get a Residence Permit…). */
const remedyOf = new WeakMap<RouteVerdict, Bilingual>();
const STATUS_RANK: Record<Status, number> = { not_eligible: 0, needs_info: 1, not_yet: 2, eligible: 3 };

interface Judged {
  rule: Rule;
  raw: Outcome;
  capped: Outcome;
}

interface GroupOutcome {
  judged: Judged[];
  scopeOutcomes: { rule: Rule; outcome: Outcome }[];
  total: Outcome;
  /** Set when only confidence-C rules decide the route: what they indicate, uncapped. */
  indicative?: Outcome;
}

/** The outcome of one route at one level: its rules as alternatives, under the scope rules' conditions. */
function judgeGroup(group: Rule[], scope: Rule[], ctx: EvalContext): GroupOutcome {
  const judged: Judged[] = group.map((rule) => {
    const raw = evaluateConditions(rule.requires ?? {}, ctx);
    const capped = rule.confidence === 'C' ? { best: NOTICE, worst: NOTICE, missing: [], situation: raw.situation } : rule.thresholds === 'from_current_notice' ? capAt(raw, NOTICE) : raw;
    return { rule, raw, capped };
  });
  const scopeOutcomes = scope.map((rule) => ({ rule, outcome: evaluateConditions(rule.requires!, ctx) }));
  const total = allOf([...scopeOutcomes.map((s) => s.outcome), anyOf(judged.map((j) => j.capped))]);
  const onlyC = judged.every((j) => j.rule.confidence === 'C');
  const indicative = onlyC ? allOf([...scopeOutcomes.map((s) => s.outcome), anyOf(judged.map((j) => j.raw))]) : undefined;
  return { judged, scopeOutcomes, total, indicative };
}

/**
 * The fast what-if judge: statusOf(g.indicative ?? g.total) of judgeGroup(group, scope, ctx), from the bounds
 * alone (no reason, missing list or date is built), and each rule judged once per combination of the candidate
 * facts it reads: a rule that reads none of them is judged once for the whole search.
 */
function fastJudge(group: Rule[], scope: Rule[], ctx: EvalContext): WhatIfJudge {
  return (candidates, sizes) => {
    const scopeMemo = scope.map((r) => memoFor(r.requires, candidates, sizes));
    const groupMemo = group.map((r) => memoFor(r.requires, candidates, sizes));
    const whatIf: EvalContext = { ...ctx };
    const scopeBounds = new Array<number>(scope.length);
    const groupBounds = new Array<number>(group.length);
    return (facts, digits) => {
      whatIf.facts = facts;
      for (let i = 0; i < scope.length; i++) scopeBounds[i] = boundsAt(scopeMemo[i], digits, whatIf);
      for (let i = 0; i < group.length; i++) groupBounds[i] = boundsAt(groupMemo[i], digits, whatIf);
      return groupStatus(group, scopeBounds, groupBounds);
    };
  };
}

/** One rule's bounds per combination of the candidates it reads (digit j of the slot: candidate deps[j]). */
interface RuleMemo {
  cond: ConditionSet | undefined;
  deps: number[];
  strides: number[];
  table: number[];
}

function memoFor(cond: ConditionSet | undefined, candidates: string[], sizes: number[]): RuleMemo {
  if (!cond) return { cond, deps: [], strides: [], table: [MET * 4 + MET] };
  const reads = readsOf(cond);
  const deps: number[] = [];
  const strides: number[] = [];
  let n = 1;
  for (let i = 0; i < candidates.length; i++) {
    const c = candidates[i];
    if (!reads.some((p) => p === c || p.startsWith(`${c}.`) || c.startsWith(`${p}.`))) continue;
    deps.push(i);
    strides.push(n);
    n *= sizes[i];
  }
  return { cond, deps, strides, table: new Array<number>(n).fill(-1) };
}

function boundsAt(m: RuleMemo, digits: readonly number[], ctx: EvalContext): number {
  let slot = 0;
  for (let j = 0; j < m.deps.length; j++) slot += digits[m.deps[j]] * m.strides[j];
  let b = m.table[slot];
  if (b < 0) b = m.table[slot] = boundsOf(m.cond!, ctx);
  return b;
}

/** The reference what-if judge: the full evaluation of the route for every combination. */
function referenceJudge(group: Rule[], scope: Rule[], ctx: EvalContext): WhatIfJudge {
  return () => (facts) => {
    const g = judgeGroup(group, scope, { ...ctx, facts });
    return statusOf(g.indicative ?? g.total);
  };
}

/**
 * Every fact path (or a prefix of it) a condition set reads, as boundsOf reads them; the series, the level and
 * the date are fixed during a what-if search. Prefixes are conservative: they may tie a rule to a candidate it
 * does not read (a smaller saving), never the reverse. A path left out here would make the memo stale, which
 * test/unit/eligibility.fast.test.ts catches (fast engine = reference engine).
 */
const READS = new WeakMap<ConditionSet, string[]>();
function readsOf(cond: ConditionSet): string[] {
  let reads = READS.get(cond);
  if (reads) return reads;
  const out = new Set<string>();
  if (cond.degreeAtLeast) out.add('education.degree');
  if (cond.previousTitleAtLeast) out.add('currentTitle.level');
  if (cond.transferFromOtherSeries) ['currentTitle.level', 'currentTitle.series'].forEach((p) => out.add(p));
  if (cond.years) out.add(cond.years.basis === 'in_specialty' ? 'yearsInSpecialty' : 'currentTitle');
  if (cond.residence) out.add('residence');
  if (cond.overseasCertificate) out.add('overseas');
  for (const flag of [...(cond.flags ?? []), ...(cond.anyFlag ?? []), ...(cond.notFlags ?? [])]) out.add(flag);
  if (cond.sanctionWithinYears !== undefined) out.add('integrity');
  for (const c of cond.anyOf ?? []) readsOf(c).forEach((p) => out.add(p));
  reads = [...out];
  READS.set(cond, reads);
  return reads;
}

/** The status of a route from the bounds (best * 4 + worst) of its scope rules and of its own rules, as judgeGroup has it. */
function groupStatus(group: Rule[], scopeBounds: number[], groupBounds: number[]): Status {
  // allOf over the scope rules: the minimum of their bounds.
  let sBest = MET;
  let sWorst = MET;
  for (const b of scopeBounds) {
    if (b >> 2 < sBest) sBest = b >> 2;
    if ((b & 3) < sWorst) sWorst = b & 3;
  }
  // anyOf over the rules of the route, capped (total) and raw (indicative, when only C rules decide).
  let cBest = FAILED;
  let cWorst = FAILED;
  let rBest = FAILED;
  let rWorst = FAILED;
  let onlyC = true;
  for (let i = 0; i < group.length; i++) {
    const rule = group[i];
    let best = groupBounds[i] >> 2;
    let worst = groupBounds[i] & 3;
    if (best > rBest) rBest = best;
    if (worst > rWorst) rWorst = worst;
    if (rule.confidence === 'C') best = worst = NOTICE;
    else {
      onlyC = false;
      if (rule.thresholds === 'from_current_notice') {
        if (best > NOTICE) best = NOTICE;
        if (worst > NOTICE) worst = NOTICE;
      }
    }
    if (best > cBest) cBest = best;
    if (worst > cWorst) cWorst = worst;
  }
  const b = onlyC ? rBest : cBest;
  const w = onlyC ? rWorst : cWorst;
  return statusOfBounds(Math.min(sBest, b), Math.min(sWorst, w));
}

function judgeRoute(route: Route, level: Level, group: Rule[], inForce: Rule[], ctx: EvalContext, fast: boolean): RouteVerdict {
  const facts = ctx.facts;
  const series = facts.series!;
  const scope = inForce.filter((r) => r.kind === 'scope' && appliesTo(r, facts, level) && covers(r.route, route) && jurisdictionFits(r, facts));
  const { judged, scopeOutcomes, total, indicative } = judgeGroup(group, scope, ctx);
  const onlyC = indicative !== undefined;
  const status = statusOf(total);
  const basis: RouteVerdict['basis'] = judged.some((j) => j.rule.confidence !== 'C' && j.rule.thresholds === 'stated')
    ? 'stated'
    : judged.some((j) => j.rule.confidence !== 'C')
      ? 'current_notice'
      : 'low_confidence';
  const shown = onlyC ? indicative! : total;
  const shownStatus = statusOf(shown);
  const missing = sortPaths(
    exactMissing(
      shown,
      fast ? fastJudge(group, scope, ctx) : referenceJudge(group, scope, ctx),
      [...group, ...scope],
      ctx,
    ),
  );
  const relevant = pickRelevant(judged, status, total, indicative, missing);

  // A route that fails is explained by what rules it out: a failed scope condition (residence) first,
  // then its rules from the nearest to being met (a reply shows the first few lines only).
  const fails = status === 'not_eligible';
  const ruleLines = fails ? [...relevant].sort((a, b) => b.raw.best - a.raw.best || b.raw.worst - a.raw.worst || (a.raw.unmet ?? 0) - (b.raw.unmet ?? 0)) : relevant;
  const scopeFirst = fails ? scopeOutcomes.filter((s) => s.outcome.worst === FAILED && s.outcome.best === FAILED) : [];
  const scopeLater = scopeOutcomes.filter((s) => !scopeFirst.includes(s));
  const reasons = { zh: [] as string[], en: [] as string[] };
  // Judged once for both languages.
  const own = new Map(ruleLines.map((j) => [j, j.rule.requires && askersAlternative(j.rule.requires, ctx, j.raw)]));
  for (const lang of ['zh', 'en'] as const) {
    for (const s of scopeFirst) reasons[lang].push(scopeLine(s.rule, s.outcome, lang));
    for (const j of ruleLines) reasons[lang].push(reasonLine(j, lang, series, shownStatus, missing, own.get(j)));
    for (const s of scopeLater) reasons[lang].push(scopeLine(s.rule, s.outcome, lang));
  }

  const notes: Bilingual[] = [];
  const addNote = (n: Bilingual) => {
    if (!notes.some((m) => m.zh === n.zh)) notes.push(n);
  };
  for (const j of relevant) if (j.rule.note) addNote(j.rule.note);
  if (judged.some((j) => j.rule.confidence === 'C')) {
    addNote({ zh: '部分条件只见于第三方网站（低可信度），不能单独作为结论：请以当年正式通知核实。', en: 'Some conditions come only from third-party sites (low confidence) and cannot decide alone: confirm with the current official notice.' });
  }
  if (judged.some((j) => j.rule.thresholds === 'from_current_notice')) {
    addNote({ zh: '该途径的具体门槛（年限、等级等）来源中没有给出，以当年正式通知为准。', en: 'The sources give no numeric thresholds for this route; the current official notice sets them.' });
  }
  if (facts.jurisdiction === 'shanghai' && judged.every((j) => j.rule.jurisdiction === 'national')) {
    addNote({ zh: '未检索到上海的专门规定，按全国标准判断。', en: 'No Shanghai-specific rule was found; the national standard is applied.' });
  }
  for (const j of relevant) {
    for (const otherId of j.rule.conflictsWith) {
      const other = inForce.find((r) => r.id === otherId);
      if (!other?.requires) continue;
      addNote({
        zh: `全国标准与此不同（${other.id}）：${describeConditions(other.requires, 'zh', series)}。上海申报按上海通知判断。`,
        en: `The national standard differs (${other.id}): ${describeConditions(other.requires, 'en', series)}. A Shanghai application follows the Shanghai notice.`,
      });
    }
  }
  if (status !== 'not_eligible') {
    for (const rule of [...relevant.map((j) => j.rule), ...scope]) for (const need of rule.alsoNeeded) addNote({ zh: `还需：${need.zh}`, en: `Also needed: ${need.en}` });
  }

  const cited = [...relevant.map((j) => j.rule), ...scope];
  const verdict: RouteVerdict = {
    route,
    targetLevel: level,
    series,
    jurisdiction: facts.jurisdiction,
    status,
    basis,
    ...(onlyC ? { indicativeStatus: statusOf(indicative!) } : {}),
    reasons,
    missing,
    ruleIds: cited.map((r) => r.id),
    citations: cited.map(citationOf),
    notes,
    nextStep: { zh: '', en: '' },
  };
  if (shownStatus === 'not_yet' && shown.earliest) {
    verdict.earliest = shown.earliest;
    verdict.yearsStillNeeded = shown.yearsStillNeeded;
  }
  verdict.nextStep = nextStepOf(verdict, relevant.map((j) => j.rule));
  // Its own conditions met, only the scope failing: the scope rule's next step says what would change that.
  const remedy = fails && judged.some((j) => j.raw.worst === MET) ? scopeFirst.find((s) => s.rule.nextStep)?.rule.nextStep : undefined;
  if (remedy) {
    verdict.nextStep = remedy;
    remedyOf.set(verdict, remedy);
  }
  bestCase.set(verdict, statusOf({ ...shown, worst: shown.best }));
  return verdict;
}

function statusOf(o: Outcome): Status {
  return statusOfBounds(o.best, o.worst);
}

function statusOfBounds(best: number, worst: number): Status {
  if (best !== worst) return 'needs_info';
  return best === MET ? 'eligible' : best === SHORT ? 'not_yet' : best === NOTICE ? 'needs_info' : 'not_eligible';
}

/**
 * Of rules met, those for the highest degree any of them asks: a master's meets the bachelor's rule too,
 * but "上海工程师评审（本科）——符合" beside the master's rule only repeats the verdict. Rules that ask no
 * degree stay.
 */
function nearestDegree(met: Judged[]): Judged[] {
  const degreeOf = (j: Judged) => j.rule.requires?.degreeAtLeast;
  const ranks = met.map(degreeOf).filter((d): d is NonNullable<typeof d> => d !== undefined).map((d) => DEGREES.indexOf(d));
  if (ranks.length < 2) return met;
  const top = Math.max(...ranks);
  return met.filter((j) => degreeOf(j) === undefined || DEGREES.indexOf(degreeOf(j)!) === top);
}

/**
 * The rules that explain the verdict: the ones that met, the soonest shortfall, the best still open (preferring
 * those that wait only on the facts the verdict asks for), or all that failed.
 */
function pickRelevant(judged: Judged[], status: Status, total: Outcome, indicative: Outcome | undefined, missing: string[]): Judged[] {
  const openOnes = (outcomeOf: (j: Judged) => Outcome) => {
    const top = Math.max(...judged.map((j) => outcomeOf(j).best));
    const open = judged.filter((j) => outcomeOf(j).best === top && top > FAILED);
    const asked = open.filter((j) => outcomeOf(j).missing.every((p) => missing.includes(p)));
    const pool = asked.length ? asked : open;
    // Rules that are all decided "not yet" (the route waits on something else, say the residence): the soonest says it.
    if (pool.length > 1 && pool.every((j) => outcomeOf(j).best === SHORT && outcomeOf(j).worst === SHORT && outcomeOf(j).earliest)) {
      return [pool.reduce((a, b) => (outcomeOf(b).earliest! < outcomeOf(a).earliest! ? b : a))];
    }
    return pool.length ? pool : judged;
  };
  if (indicative) {
    const ind = statusOf(indicative);
    if (ind === 'eligible') return judged.filter((j) => j.raw.worst === MET);
    if (ind === 'not_yet') return judged.filter((j) => j.raw.best === SHORT && j.raw.earliest === indicative.earliest).slice(0, 1);
    return openOnes((j) => j.raw);
  }
  if (status === 'eligible') return nearestDegree(judged.filter((j) => j.capped.worst === MET));
  if (status === 'not_yet') {
    const soonest = judged.filter((j) => j.capped.best === SHORT && j.capped.worst === SHORT && j.capped.earliest === total.earliest);
    return soonest.length ? soonest.slice(0, 1) : judged.filter((j) => j.capped.best === SHORT);
  }
  if (status === 'needs_info') return openOnes((j) => j.capped);
  // Failed only on something else (the residence scope): the rule that is met says so; the other degrees'
  // alternatives ("大专: 7 years — not yet" beside "本科: 5 years — met") would only confuse.
  const met = judged.filter((j) => j.capped.worst === MET);
  return met.length ? met : judged;
}

/**
 * Of a rule's many alternatives (one per degree), the one that decides for this asker: that of the highest
 * degree the asker holds whose outcome is the rule's own. Undefined when the degree is not known or no
 * single alternative explains the outcome; then every alternative is said.
 */
function askersAlternative(cond: ConditionSet, ctx: EvalContext, o: Outcome): ConditionSet | undefined {
  const degree = ctx.facts.education?.degree;
  if (!cond.anyOf || cond.anyOf.length < 3 || !degree) return undefined;
  const rank = DEGREES.indexOf(degree);
  const fitting = cond.anyOf
    .filter((alt) => alt.degreeAtLeast && DEGREES.indexOf(alt.degreeAtLeast) <= rank)
    .sort((a, b) => DEGREES.indexOf(b.degreeAtLeast!) - DEGREES.indexOf(a.degreeAtLeast!));
  for (const alt of fitting) {
    const narrowed = { ...cond, anyOf: [alt] };
    const own = evaluateConditions(narrowed, ctx);
    if (own.best === o.best && own.worst === o.worst) return narrowed;
  }
  return undefined;
}

/**
 * "<rule>: <what it asks> — <how the facts meet it>." Years still short are told only while time can open the
 * route, and a date only when the route is "not yet". `own`: the asker's one alternative of the rule
 * (askersAlternative), said instead of all of them.
 */
function reasonLine(j: Judged, lang: 'zh' | 'en', series: string, route: Status, routeMissing: string[], own: ConditionSet | undefined): string {
  const zh = lang === 'zh';
  const o = j.raw;
  // "本科（学士）及以上学历，从事本专业工作满4年" for a graduate, not the six ways in for every degree.
  const req = j.rule.requires ? describeConditions(own ?? j.rule.requires, lang, series) : '';
  const title = `${j.rule.title[lang]}${own ? (zh ? '（按你的学历）' : ' (for your degree)') : ''}`;
  const head = `${title}${req ? (zh ? `：${req}` : `: ${req}`) : ''}`;
  const findings = o.best === FAILED || route === 'not_eligible' ? o.situation.filter((s) => !s.shortfall) : o.situation;
  let said = findings.map((s) => s[lang]).join(zh ? '，' : ', ');
  if (o.best === SHORT && o.best === o.worst && route === 'not_yet' && o.earliest) said += zh ? `，最早${o.earliest}满足` : `, met from ${o.earliest}`;
  let verdict: string;
  if (o.best !== o.worst) {
    const asked = o.missing.filter((p) => routeMissing.includes(p));
    const ask = (asked.length ? asked : o.missing).map((p) => factName(p)[lang]).join(zh ? '、' : '; ');
    verdict = zh ? `需补充：${ask}` : `still to know: ${ask}`;
  } else if (o.best === MET) verdict = zh ? `符合${said ? `（${said}）` : ''}` : `met${said ? ` (${said})` : ''}`;
  else if (o.best === SHORT) verdict = zh ? `暂不满足（${said}）` : `not yet (${said})`;
  else verdict = zh ? `不符合${said ? `（${said}）` : ''}` : `not met${said ? ` (${said})` : ''}`;
  if (j.rule.thresholds === 'from_current_notice' && o.best !== FAILED) verdict += zh ? '；具体门槛以当年通知为准' : '; the current notice sets the thresholds';
  if (j.rule.confidence === 'C') verdict += zh ? '；低可信度来源，仅供参考' : '; low-confidence source, for reference only';
  return `${head}${zh ? '——' : ' — '}${verdict}${zh ? '。' : '.'}`;
}

function scopeLine(rule: Rule, o: Outcome, lang: 'zh' | 'en'): string {
  const zh = lang === 'zh';
  const req = describeConditions(rule.requires!, lang);
  const said = o.situation.map((s) => s[lang]).join(zh ? '；' : '; ');
  const verdict =
    o.best !== o.worst
      ? (zh ? '需补充：' : 'still to know: ') + o.missing.map((p) => factName(p)[lang]).join(zh ? '、' : '; ')
      : o.best === MET
        ? zh ? '符合' : 'met'
        : (zh ? '不符合' : 'not met') + (said ? (zh ? `（${said}）` : ` (${said})`) : '');
  return `${rule.title[lang]}${zh ? '：' : ': '}${req}${zh ? '——' : ' — '}${verdict}${zh ? '。' : '.'}`;
}

export function citationOf(rule: Rule): Citation {
  return { ruleId: rule.id, docId: rule.source.docId, clause: rule.source.clause, ...(rule.source.url ? { url: rule.source.url } : {}), confidence: rule.confidence };
}

// ---------------------------------------------------------------------------------------------
// Exclusions and notes that cut across routes
// ---------------------------------------------------------------------------------------------

function applyExclusions(v: RouteVerdict, inForce: Rule[], ctx: EvalContext, excludedBy: Map<string, Exclusion>): void {
  const exclusions = inForce.filter((r) => r.kind === 'exclusion' && appliesTo(r, ctx.facts, v.targetLevel) && covers(r.route, v.route) && jurisdictionFits(r, ctx.facts));
  const before = v.status;
  let closed = false;
  for (const rule of exclusions) {
    const trigger = evaluateConditions(rule.excludedIf!, { ...ctx, presumeFlagsFalse: true });
    if (trigger.best === FAILED) continue;
    const exception = rule.unless ? evaluateConditions(rule.unless, ctx) : undefined;
    if (exception && exception.worst === MET) continue;
    const certain = trigger.worst === MET && (!exception || exception.best === FAILED);
    const open = [...(trigger.best !== trigger.worst ? trigger.missing : []), ...(exception && exception.best !== exception.worst ? exception.missing : [])];
    const reason: Bilingual = {
      zh: `${rule.title.zh}${rule.unless ? `（例外：${describeConditions(rule.unless, 'zh')}）` : ''}`,
      en: `${rule.title.en}${rule.unless ? ` (exception: ${describeConditions(rule.unless, 'en')})` : ''}`,
    };
    v.ruleIds.push(rule.id);
    v.citations.push(citationOf(rule));
    if (rule.note) v.notes.push(rule.note);
    if (rule.confidence === 'C') {
      if (v.status === 'not_eligible') continue;
      // A low-confidence exclusion never closes a route: it holds the verdict open and says why.
      v.reasons.zh.push(`${reason.zh}——${certain ? '可能适用' : '可能适用，需补充信息'}；低可信度来源，请以当年通知核实。`);
      v.reasons.en.push(`${reason.en} — ${certain ? 'may apply' : 'may apply; more information needed'}; low-confidence source, confirm with the current notice.`);
      setStatus(v, 'needs_info');
      if (!certain) v.missing = sortPaths([...v.missing, ...open]);
      v.notes.push({ zh: '存在可能的限制条件：请以当年正式通知核实后再申报。', en: 'A restriction may apply: confirm with the current official notice before applying.' });
      continue;
    }
    if (certain) {
      v.reasons.zh.unshift(`${reason.zh}——适用，所有途径暂不能申报。`);
      v.reasons.en.unshift(`${reason.en} — applies, so no route is open for now.`);
      setStatus(v, 'not_eligible');
      v.missing = [];
      bestCase.set(v, 'not_eligible');
      closed = true;
      excludedBy.set(rule.id, { ruleId: rule.id, reason, confidence: rule.confidence, citation: citationOf(rule) });
    } else if (v.status !== 'not_eligible') {
      v.reasons.zh.push(`${reason.zh}——需补充：${open.map((p) => factName(p).zh).join('、')}。`);
      v.reasons.en.push(`${reason.en} — still to know: ${open.map((p) => factName(p).en).join('; ')}.`);
      setStatus(v, 'needs_info');
      v.missing = sortPaths([...v.missing, ...open]);
    }
  }
  if (closed || v.status !== before) v.nextStep = nextStepOf(v, [], closed);
}

function setStatus(v: RouteVerdict, status: Status): void {
  v.status = status;
  if (status !== 'not_yet' && v.indicativeStatus !== 'not_yet') {
    delete v.earliest;
    delete v.yearsStillNeeded;
  }
}

function attachInfo(v: RouteVerdict, inForce: Rule[], ctx: EvalContext): void {
  const info = inForce.filter(
    (r) => r.kind === 'info' && appliesTo(r, ctx.facts, v.targetLevel) && covers(r.route, v.route) && jurisdictionFits(r, ctx.facts) && (!r.showWhen || r.showWhen.includes(v.status)),
  );
  for (const rule of info) {
    if (rule.requires && evaluateConditions(rule.requires, { ...ctx, targetLevel: v.targetLevel, presumeFlagsFalse: true }).worst !== MET) continue;
    if (!v.notes.some((n) => n.zh === rule.note!.zh)) v.notes.push(rule.note!);
    v.ruleIds.push(rule.id);
    v.citations.push(citationOf(rule));
  }
}

// ---------------------------------------------------------------------------------------------
// Next steps and the overall answer
// ---------------------------------------------------------------------------------------------

const FACT_ORDER = Object.keys(FACT_NAMES);
function sortPaths(paths: string[]): string[] {
  const rank = (p: string) => (FACT_ORDER.includes(p) ? FACT_ORDER.indexOf(p) : FACT_ORDER.length);
  return [...new Set(paths)].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

function askFor(missing: string[]): Bilingual {
  return {
    zh: `请补充：${missing.map((p) => factName(p).zh).join('、')}。`,
    en: `Please tell us ${missing.map((p) => factName(p).en).join('; ')}.`,
  };
}

function nextStepOf(v: RouteVerdict, rules: Rule[], excluded = false): Bilingual {
  const route = ROUTE_NAMES[v.route];
  if (excluded) return EXCLUDED_NEXT_STEP;
  switch (v.status) {
    case 'eligible':
      return rules.find((r) => r.nextStep)?.nextStep ?? { zh: `按当年通知准备材料，经单位审核后通过${route.zh}申报。`, en: `Prepare the materials the current notice asks for and apply by ${route.en} through your employer.` };
    case 'not_yet':
      return v.earliest
        ? { zh: `按你提供的年限，最早${v.earliest}满足年限要求；届时按当年通知申报（年限计算截止日以通知为准）。`, en: `On the years you gave, you meet the years requirement from ${v.earliest}; apply then under that year's notice (the notice sets the cut-off date for counting years).` }
        : { zh: '年限满足后按当年通知申报。', en: "Apply once the years are met, under that year's notice." };
    case 'needs_info':
      if (v.missing.length) return askFor(v.missing);
      return rules.find((r) => r.nextStep)?.nextStep ?? { zh: `查阅当年正式通知中${route.zh}的具体条件，或向单位人事部门咨询。`, en: `Check the conditions for the ${route.en} in the current official notice, or ask your employer's HR department.` };
    default:
      return { zh: `${route.zh}目前不适用；可看看其他途径。`, en: `The ${route.en} does not apply at present; see the other routes.` };
  }
}

const EXCLUDED_NEXT_STEP: Bilingual = {
  zh: '存在限制申报的情形，目前不能申报；如情况有变，请对照当年通知。',
  en: 'A restriction applies, so you cannot apply for now; if your situation changes, check the current notice.',
};

const ROUTE_RANK = (r: Route) => ROUTES.indexOf(r);

/** Routes whose rules can say "eligible": stated thresholds, confidence A or B. */
const isDecisive = (v: RouteVerdict) => v.basis === 'stated';

/**
 * A route still waiting on a credential (CREDENTIAL_FACT_GROUPS) from someone who has said nothing of the
 * kind, and did not ask about that route, is one to look into, not the question to ask: most people hold
 * no overseas certificate.
 */
const CREDENTIAL_FACTS: ReadonlySet<string> = new Set(CREDENTIAL_FACT_GROUPS);
const isCredentialPath = (path: string) => CREDENTIAL_FACTS.has(path.split('.')[0]);
const waitsOnUntoldCredential = (v: RouteVerdict, facts: NormalisedFacts, rules: readonly Rule[]) =>
  facts.route !== v.route &&
  routeNeedsCredential(v, rules) &&
  v.missing.some((path) => isCredentialPath(path) && facts[path.split('.')[0] as keyof NormalisedFacts] === undefined);

/**
 * Whether every way into the route asks for a credential. One that a credential merely opens besides a
 * degree and years (the accounting exam: "or passed another intermediate exam") waits on the degree.
 */
function routeNeedsCredential(v: RouteVerdict, rules: readonly Rule[]): boolean {
  const own = rules.filter((r) => r.kind === 'eligibility' && v.ruleIds.includes(r.id));
  return own.length === 0 || own.every((r) => needsCredential(r.requires ?? {}));
}

function needsCredential(c: ConditionSet): boolean {
  if (c.overseasCertificate || c.flags?.some(isCredentialPath) || c.anyFlag?.every(isCredentialPath)) return true;
  return c.anyOf !== undefined && c.anyOf.every(needsCredential);
}

function overallOf(routes: RouteVerdict[], facts: NormalisedFacts, rules: readonly Rule[]): EligibilityResult['overall'] {
  if (routes.length === 0) {
    return { status: 'needs_info', missing: [], nextStep: { zh: '规则库中没有可判断的途径；请查阅当年正式通知或咨询区人才服务中心。', en: 'No route in the rule base fits; check the current official notice or ask your district talent service centre.' } };
  }
  const byPreference = (a: RouteVerdict, b: RouteVerdict) => LEVELS.indexOf(b.targetLevel) - LEVELS.indexOf(a.targetLevel) || ROUTE_RANK(a.route) - ROUTE_RANK(b.route);
  const eligible = routes.filter((v) => v.status === 'eligible').sort(byPreference);
  const pick = (v: RouteVerdict, status: Status, missing: string[] = []) => ({ status, bestRoute: v.route, bestLevel: v.targetLevel, missing, nextStep: v.nextStep });
  if (eligible.length) return pick(eligible[0], 'eligible');
  const notYet = routes.filter((v) => v.status === 'not_yet').sort((a, b) => a.earliest!.localeCompare(b.earliest!) || byPreference(a, b));
  if (notYet.length) return pick(notYet[0], 'not_yet');
  const rankOf = (v: RouteVerdict) => STATUS_RANK[bestCase.get(v) ?? v.status];
  const openOf = (candidates: RouteVerdict[]) => {
    const decisive = candidates.filter(isDecisive);
    return (decisive.length ? decisive : candidates).filter((v) => v.status === 'needs_info');
  };
  const untold = (v: RouteVerdict) => v.status === 'needs_info' && waitsOnUntoldCredential(v, facts, rules);
  // The routes still open, by name: what a verdict that asks nothing more points to.
  const openNames = routes.filter((v) => v.status === 'needs_info').map((v) => ROUTE_NAMES[v.route]);
  const lookInto = { zh: uniqNames(openNames, 'zh').join('、'), en: uniqNames(openNames, 'en').join(', ') };
  // A route whose conditions are all met on a source not confirmed officially ("to be confirmed", the
  // intermediate accountant exam) is the answer, not "cannot apply" because a route above it is closed.
  // (Met, not merely undecided: a confidence-C route the asker fails, the AI pilot for a 大专 holder, is no answer.)
  const confirmable = routes.filter((v) => v.status === 'needs_info' && v.missing.length === 0 && v.reasons.en.length > 0 && (v.indicativeStatus ?? 'eligible') === 'eligible').sort(byPreference);
  if (confirmable.length && !routes.some((v) => v.status === 'needs_info' && v.missing.length > 0 && isDecisive(v) && !untold(v))) return pick(confirmable[0], 'needs_info');
  let open = openOf(routes.filter((v) => !untold(v)));
  // Nothing else judged: "cannot apply" would claim too much. With only untold routes left, none of them is
  // the question to ask either (senior economist: the rule base has only the special routes).
  if (!open.length && !routes.some((v) => v.status === 'not_eligible')) {
    open = openOf(routes);
    if (open.length && open.every(untold)) {
      return {
        status: 'needs_info',
        missing: [],
        nextStep: {
          zh: `请以当年正式通知为准，或咨询单位人事部门；如果你符合条件，也可了解${lookInto.zh}。`,
          en: `Check the current official notice or ask your employer's HR; if you qualify, you may also look into the ${lookInto.en}.`,
        },
      };
    }
  }
  open.sort((a, b) => rankOf(b) - rankOf(a) || ROUTE_RANK(a.route) - ROUTE_RANK(b.route) || byPreference(a, b));
  if (open.length) {
    // Ask first what the most promising route needs; another route's facts only if it could do better.
    const first = open[0];
    const better = open.slice(1).filter((v) => rankOf(v) > rankOf(first));
    return pick(first, 'needs_info', [...new Set([...first.missing, ...sortPaths(better.flatMap((v) => v.missing))])]);
  }
  const remedy = routes.map((v) => remedyOf.get(v)).find((r) => r !== undefined);
  let nextStep: Bilingual;
  if (remedy) nextStep = openNames.length ? { zh: `${remedy.zh}也可了解${lookInto.zh}。`, en: `${remedy.en} You may also look into the ${lookInto.en}.` } : remedy;
  else if (openNames.length) nextStep = { zh: `按已知条件目前无法申报；可了解${lookInto.zh}（以当年通知为准）。`, en: `On what we know you cannot apply yet; you may look into the ${lookInto.en} (the current notice decides).` };
  else nextStep = { zh: '按已知条件目前无法申报；可关注今后的通知，或咨询单位人事部门、区人才服务中心。', en: "On what we know you cannot apply yet; watch for future notices, or ask your employer's HR or the district talent service centre." };
  return { status: 'not_eligible', missing: [], nextStep };
}

const uniqNames = (names: Bilingual[], lang: 'zh' | 'en') => [...new Set(names.map((n) => n[lang]))];

