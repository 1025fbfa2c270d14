import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_RULES_DIR, DEGREES, LEVELS, evaluate, inEffect, loadRules,
  type EligibilityResult, type Facts, type Rule, type RouteVerdict,
} from '../../src/eligibility/index.js';
import { asOfArb, bool, factsArbitrary, years } from '../eligibility/arbitraries.js';
import { monthsBetween } from '../../src/eligibility/dates.js';

const rules = loadRules(DEFAULT_RULES_DIR);
const RUNS = { numRuns: 150 };

// ---------------------------------------------------------------------------------------------
// Arbitraries: facts of every shape, including the underspecified ones, and dates around the rules' history.
// ---------------------------------------------------------------------------------------------

const factsArb = factsArbitrary();

/** Mostly well-specified facts for one series and level, so that "eligible" actually comes up. */
const focusedArb: fc.Arbitrary<Facts> = fc.record({
  series: fc.constantFrom('engineering', 'publishing', 'accounting'),
  targetLevel: fc.constantFrom('assistant', 'intermediate', 'associate_senior', 'senior'),
  jurisdiction: fc.constantFrom('shanghai', 'national'),
  education: fc.record({ degree: fc.constantFrom(...DEGREES), fieldRelated: bool, relatedJuniorCollegeDiploma: bool }),
  yearsInSpecialty: years,
  currentTitle: fc.record({ level: fc.constantFrom(...LEVELS, 'none' as const), yearsHeld: years }),
  residence: fc.record({ hukou: bool, residencePermit: bool, socialInsuranceMonthsLast24: fc.integer({ min: 0, max: 24 }) }),
  overseas: fc.record({ listVersion: fc.constantFrom('2.0', '3.0', 'none'), category: fc.constantFrom('A', 'C') }),
}) as fc.Arbitrary<Facts>;

const key = (v: RouteVerdict) => `${v.route}@${v.targetLevel}`;
const byKey = (r: EligibilityResult) => new Map(r.routes.map((v) => [key(v), v]));
const ruleById = new Map(rules.map((r) => [r.id, r]));

describe('eligibility engine properties', () => {
  it('is deterministic and does not touch its input', () => {
    fc.assert(
      fc.property(factsArb, asOfArb, (facts, asOf) => {
        const before = structuredClone(facts);
        const a = evaluate(rules, facts, asOf);
        const b = evaluate(rules, structuredClone(facts), asOf);
        expect(b).toEqual(a);
        expect(JSON.stringify(b)).toBe(JSON.stringify(a));
        expect(facts).toEqual(before);
      }),
      RUNS,
    );
  });

  it('does not depend on the order of the rules', () => {
    fc.assert(
      fc.property(focusedArb, asOfArb, fc.integer({ min: 1, max: 1000 }), (facts, asOf, seed) => {
        const shuffled = [...rules].sort((x, y) => ((hash(x.id) * seed) % 997) - ((hash(y.id) * seed) % 997));
        const a = evaluate(rules, facts, asOf);
        const b = evaluate(shuffled, facts, asOf);
        expect(b.overall.status).toBe(a.overall.status);
        expect(b.routes.map((v) => [key(v), v.status, v.earliest, [...v.missing].sort()]).sort()).toEqual(a.routes.map((v) => [key(v), v.status, v.earliest, [...v.missing].sort()]).sort());
      }),
      RUNS,
    );
  });

  it('is monotone in years: more years never turn eligible into anything else', () => {
    fc.assert(
      fc.property(focusedArb, asOfArb, years, years, (facts, asOf, extraSpecialty, extraTitle) => {
        const more: Facts = structuredClone(facts);
        more.yearsInSpecialty = (facts.yearsInSpecialty ?? 0) + extraSpecialty;
        if (more.currentTitle) more.currentTitle.yearsHeld = (facts.currentTitle?.yearsHeld ?? 0) + extraTitle;
        const before = byKey(evaluate(rules, facts, asOf));
        const after = byKey(evaluate(rules, more, asOf));
        for (const [k, v] of before) {
          if (v.status === 'eligible') expect(after.get(k)?.status, k).toBe('eligible');
          if (v.status !== 'not_eligible') expect(after.get(k)?.status, k).not.toBe('not_eligible');
        }
      }),
      RUNS,
    );
  });

  it('is monotone in the degree: a higher degree never turns eligible into anything else', () => {
    fc.assert(
      fc.property(focusedArb, asOfArb, fc.integer({ min: 1, max: DEGREES.length - 1 }), (facts, asOf, step) => {
        const degree = facts.education!.degree!;
        const higher = DEGREES[Math.min(DEGREES.length - 1, DEGREES.indexOf(degree) + step)];
        const more: Facts = { ...facts, education: { ...facts.education, degree: higher } };
        const before = byKey(evaluate(rules, facts, asOf));
        const after = byKey(evaluate(rules, more, asOf));
        for (const [k, v] of before) {
          if (v.status === 'eligible') expect(after.get(k)?.status, k).toBe('eligible');
          if (v.status !== 'not_eligible') expect(after.get(k)?.status, k).not.toBe('not_eligible');
        }
      }),
      RUNS,
    );
  });

  it('never lets a rule outside its effective dates fire', () => {
    const dated = fc.array(
      fc.record({ id: fc.constantFrom(...rules.map((r) => r.id)), from: fc.option(asOfArb, { nil: null }), to: fc.option(asOfArb, { nil: null }) }),
      { maxLength: 12 },
    );
    fc.assert(
      fc.property(fc.oneof(focusedArb, factsArb), asOfArb, dated, (facts, asOf, changes) => {
        const redated: Rule[] = rules.map((r) => {
          const c = changes.find((x) => x.id === r.id);
          if (!c) return r;
          const [from, to] = c.from && c.to && c.to < c.from ? [c.to, c.from] : [c.from, c.to];
          return { ...r, effectiveFrom: from, effectiveTo: to };
        });
        const result = evaluate(redated, facts, asOf);
        const byId = new Map(redated.map((r) => [r.id, r]));
        const cited = [...result.routes.flatMap((v) => v.ruleIds), ...(result.excludedBy ?? []).map((e) => e.ruleId)];
        for (const id of cited) expect(inEffect(byId.get(id)!, asOf), `${id} cited on ${asOf}`).toBe(true);
        // And the rules out of force change nothing: dropping them gives the same answer.
        expect(evaluate(redated.filter((r) => inEffect(r, asOf)), facts, asOf)).toEqual(result);
      }),
      RUNS,
    );
  });

  it('cites at least one rule with a source for every eligible verdict, and never a C rule alone', () => {
    fc.assert(
      fc.property(fc.oneof(focusedArb, factsArb), asOfArb, (facts, asOf) => {
        const result = evaluate(rules, facts, asOf);
        for (const v of result.routes) {
          if (v.status === 'eligible') {
            expect(v.citations.length).toBeGreaterThan(0);
            const deciding = v.citations.filter((c) => ruleById.get(c.ruleId)?.kind === 'eligibility');
            expect(deciding.length, key(v)).toBeGreaterThan(0);
            for (const c of v.citations) {
              expect(c.docId).toMatch(/\.zh$/);
              expect(c.clause.length).toBeGreaterThan(0);
              expect(c.url).toMatch(/^https?:\/\//);
            }
            expect(deciding.some((c) => c.confidence !== 'C'), `${key(v)} decided by a C rule`).toBe(true);
          }
          if (v.basis === 'low_confidence') {
            expect(v.status, key(v)).not.toBe('eligible');
            if (v.status === 'not_eligible') expect(v.citations.some((c) => c.confidence !== 'C'), `${key(v)}: only C rules closed it`).toBe(true);
          }
          if (v.basis === 'current_notice') expect(['needs_info', 'not_eligible']).toContain(v.status);
        }
      }),
      RUNS,
    );
  });

  it('keeps its promise on `earliest`: on that date, with the time added, the route is eligible', () => {
    // Years near the thresholds, so that "not yet" comes up often.
    fc.assert(
      fc.property(focusedArb, asOfArb, (facts, asOf) => {
        // `earliest` is a promise under the rules in force on asOf: a later change of rule may move it.
        const frozen = rules.filter((r) => inEffect(r, asOf)).map((r) => ({ ...r, effectiveFrom: null, effectiveTo: null }));
        const result = evaluate(frozen, facts, asOf);
        for (const v of result.routes.filter((r) => r.status === 'not_yet')) {
          expect(v.earliest! > asOf).toBe(true);
          const months = monthsBetween(asOf, v.earliest!);
          const later: Facts = structuredClone(facts);
          later.yearsInSpecialty = (facts.yearsInSpecialty ?? 0) + months / 12;
          if (later.currentTitle?.yearsHeld !== undefined) later.currentTitle.yearsHeld += months / 12;
          const then = byKey(evaluate(frozen, later, v.earliest!)).get(key(v));
          expect(then?.status, `${key(v)} on ${v.earliest}`).toBe('eligible');
        }
      }),
      { numRuns: 300 },
    );
  });

  it('names only facts that can change the verdict in `missing`, and fills every needs_info it can', () => {
    fc.assert(
      fc.property(fc.oneof(focusedArb, factsArb), asOfArb, (facts, asOf) => {
        const result = evaluate(rules, facts, asOf);
        for (const v of result.routes) {
          if (v.status !== 'needs_info' && v.indicativeStatus === undefined) expect(v.missing, key(v)).toEqual([]);
          for (const path of v.missing) {
            expect(path).toMatch(/^(series|targetLevel|education\.|yearsInSpecialty|currentTitle\.|residence|overseas\.|awards\.|specialRoute\.|exams\.|retirement\.|lastYear\.|integrity\.)/);
            // A fact already given is never asked for again.
            expect(valueAt(result.facts, path), `${key(v)} asks for ${path}, which was given`).toBeUndefined();
          }
        }
      }),
      RUNS,
    );
  });
});

function valueAt(obj: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((cur, k) => (cur && typeof cur === 'object' ? (cur as Record<string, unknown>)[k] : undefined), obj);
}

function hash(s: string): number {
  let h = 7;
  for (const ch of s) h = (h * 31 + ch.charCodeAt(0)) % 100_003;
  return h;
}
