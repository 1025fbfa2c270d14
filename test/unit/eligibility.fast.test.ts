import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_RULES_DIR, LEVELS, loadRules, type ConditionSet, type Facts } from '../../src/eligibility/index.js';
import { evaluate, evaluateReference, normaliseFacts } from '../../src/eligibility/engine.js';
import { boundsOf, evaluateConditions } from '../../src/eligibility/conditions.js';
import { asOfArb, bool, factsArbitrary } from '../eligibility/arbitraries.js';
import { loadCases } from '../eligibility/cases.js';

/**
 * The fast engine (status-only, memoised what-if search for `missing`) against the straightforward one
 * (every what-if combination judged with the full evaluation): byte-identical answers.
 */
const rules = loadRules(DEFAULT_RULES_DIR);
const same = (facts: Facts, asOf: string, rs = rules): void => {
  expect(JSON.stringify(evaluate(rs, facts, asOf))).toBe(JSON.stringify(evaluateReference(rs, facts, asOf)));
};

/** Facts of every shape, mostly partial, so that the what-if search has several unknowns to combine. */
// The series is always given: without it the engine answers at once and there is nothing to search.
const factsArb = factsArbitrary({ withRoute: true, allSpecialRoutes: true, seriesRequired: true });

describe('fast eligibility engine = reference engine', () => {
  it('boundsOf gives the [worst, best] of evaluateConditions for every condition set of every rule', () => {
    const sets: ConditionSet[] = rules.flatMap((r) => [r.requires, r.excludedIf, r.unless].filter((c): c is ConditionSet => c !== undefined));
    fc.assert(
      fc.property(factsArb, asOfArb, fc.constantFrom(...LEVELS), bool, (input, asOf, targetLevel, presumeFlagsFalse) => {
        const facts = normaliseFacts({ series: 'engineering', ...input }, asOf);
        for (const cond of sets) {
          const ctx = { facts, asOf, targetLevel, presumeFlagsFalse };
          const full = evaluateConditions(cond, ctx);
          expect(boundsOf(cond, ctx)).toBe(full.best * 4 + full.worst);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('gives byte-identical answers on every case in test/eligibility/cases, and on each with one group of facts dropped', () => {
    for (const { c } of loadCases()) {
      same(c.facts, c.asOf);
      for (const key of Object.keys(c.facts)) {
        const partial = { ...c.facts } as Record<string, unknown>;
        delete partial[key];
        same(partial as Facts, c.asOf);
      }
    }
  });

  it('gives byte-identical answers on random facts (verdicts, reasons, missing, earliest, citations, notes)', () => {
    fc.assert(
      fc.property(factsArb, asOfArb, (facts, asOf) => same(facts, asOf)),
      { numRuns: Number(process.env.FAST_RUNS ?? 400) },
    );
  });

  it('gives byte-identical answers when the rules are shuffled or some are out of force', () => {
    fc.assert(
      fc.property(factsArb, asOfArb, fc.integer({ min: 1, max: 1000 }), (facts, asOf, seed) => {
        const subset = rules.filter((r, i) => (i * seed) % 7 !== 0).sort((x, y) => ((x.id.length * seed) % 13) - ((y.id.length * seed) % 13));
        same(facts, asOf, subset);
      }),
      { numRuns: 150 },
    );
  });
});
