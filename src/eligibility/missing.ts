import { pathKeys, type EvalContext, type Outcome } from './conditions.js';
import { monthsBetween } from './dates.js';
import { DEGREES, FLAGS, LEVELS, SERIES_IDS, type ConditionSet, type NormalisedFacts, type Rule, type Status } from './schema.js';

/** Above this many what-if combinations the generous list is kept as it is (never seen with the current rules). */
const MAX_ASSIGNMENTS = 4096;

/**
 * Judges one what-if combination. `prepare` is called once per search with the candidate paths and how many
 * values each takes; the function it returns gets the facts with every candidate set and the value index of
 * each candidate (`digits`), and returns the route's status. (The fast judge memoises per rule on the digits the
 * rule reads; the reference judge ignores them and re-evaluates everything.)
 */
export type WhatIfJudge = (candidates: string[], sizes: number[]) => (facts: NormalisedFacts, digits: readonly number[]) => Status;

/**
 * Keep only the facts whose value can change the verdict. The conditions give a generous list first (every
 * unknown fact an open alternative depends on); a fact is kept when, for some values of the other listed facts,
 * changing it alone changes the status. Each fact is tried on a few representative values: every degree and
 * level, yes/no, and the year counts at each threshold the rules name (statuses only change there).
 */
export function exactMissing(outcome: Outcome, judge: WhatIfJudge, rules: Rule[], ctx: EvalContext): string[] {
  const candidates = outcome.missing;
  if (candidates.length < 2) return candidates;
  const domains = candidates.map((path) => domainOf(path, rules, ctx));
  if (domains.some((d) => d === undefined)) return candidates;
  const values = domains as unknown[][];
  const sizes = values.map((d) => d.length);
  const size = sizes.reduce((n, d) => n * d, 1);
  if (size > MAX_ASSIGNMENTS) return candidates;

  // Every combination, indexed in mixed radix: digit i is the value index of candidate i (an odometer, so that
  // only the candidates whose digit moved are set again).
  const statusOf = judge(candidates, sizes);
  const statuses: Status[] = new Array(size);
  // One copy, overwritten in place: every combination sets every candidate, and judging never mutates facts.
  const facts = structuredClone(ctx.facts);
  const digits = new Array<number>(candidates.length).fill(0);
  for (let i = 0; i < candidates.length; i++) setPath(facts, candidates[i], values[i][0]);
  for (let k = 0; k < size; k++) {
    if (k > 0) {
      for (let i = 0; i < candidates.length; i++) {
        digits[i] = digits[i] + 1 === sizes[i] ? 0 : digits[i] + 1;
        setPath(facts, candidates[i], values[i][digits[i]]);
        if (digits[i] !== 0) break;
      }
    }
    statuses[k] = statusOf(facts, digits);
  }
  return candidates.filter((_, i) => {
    const stride = sizes.slice(0, i).reduce((n, d) => n * d, 1);
    const len = sizes[i];
    for (let k = 0; k < size; k++) {
      if (Math.floor(k / stride) % len !== 0) continue;
      for (let v = 1; v < len; v++) if (statuses[k + v * stride] !== statuses[k]) return true;
    }
    return false;
  });
}

function domainOf(path: string, rules: Rule[], ctx: EvalContext): unknown[] | undefined {
  switch (path) {
    case 'education.degree':
      return [...DEGREES];
    case 'currentTitle.level':
      return [...LEVELS, 'none'];
    case 'currentTitle.series':
      return [ctx.facts.series, SERIES_IDS.find((s) => s !== ctx.facts.series)];
    case 'yearsInSpecialty':
      return yearsAtThresholds('in_specialty', rules, ctx);
    case 'currentTitle.yearsHeld':
      return yearsAtThresholds('since_previous_title', rules, ctx);
    case 'residence':
      return [{ hukou: true }, { hukou: false, residencePermit: false, overseasTalentResidencePermit: false, socialInsuranceMonthsLast24: 0, socialInsuranceMonthsLast12: 0 }];
    case 'residence.socialInsuranceMonthsLast24':
      return [0, 24];
    case 'residence.socialInsuranceMonthsLast12':
      return [0, 12];
    case 'overseas.listVersion':
      return ['1.0', '2.0', '3.0', 'none'];
    case 'overseas.category':
      return ['A', 'B', 'C', 'D'];
    default:
      return (FLAGS as readonly string[]).includes(path) ? [true, false] : undefined;
  }
}

/** 0, 60, and each threshold the rules name for this kind of years (moved back by any fixed counting date). */
function yearsAtThresholds(basis: 'in_specialty' | 'since_previous_title', rules: Rule[], ctx: EvalContext): number[] {
  const found = new Set<number>([0, 60]);
  const walk = (c: ConditionSet | undefined) => {
    if (!c) return;
    if (c.years && c.years.basis === basis) {
      const shift = c.years.countedTo ? monthsBetween(ctx.asOf, c.years.countedTo) / 12 : 0;
      found.add(Math.min(60, Math.max(0, c.years.min - shift)));
    }
    c.anyOf?.forEach(walk);
  };
  rules.forEach((r) => walk(r.requires));
  return [...found].sort((a, b) => a - b);
}

function setPath(facts: NormalisedFacts, path: string, value: unknown): void {
  const keys = pathKeys(path);
  let cur = facts as Record<string, unknown>;
  for (let i = 0; i < keys.length - 1; i++) {
    const key = keys[i];
    if (typeof cur[key] !== 'object' || cur[key] === null) cur[key] = {};
    cur = cur[key] as Record<string, unknown>;
  }
  cur[keys[keys.length - 1]] = value;
}
