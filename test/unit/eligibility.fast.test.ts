import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_RULES_DIR, DEGREES, LEVELS, ROUTES, loadRules, type ConditionSet, type Facts } from '../../src/eligibility/index.js';
import { evaluate, evaluateReference, normaliseFacts } from '../../src/eligibility/engine.js';
import { boundsOf, evaluateConditions } from '../../src/eligibility/conditions.js';
import { addMonths, monthsBetween } from '../../src/eligibility/dates.js';
import { loadCases } from '../eligibility/cases.js';

/**
 * The fast engine (status-only, memoised what-if search for `missing`) against the straightforward one
 * (every what-if combination judged with the full evaluation): byte-identical answers.
 */
const rules = loadRules(DEFAULT_RULES_DIR);
const same = (facts: Facts, asOf: string, rs = rules): void => {
  expect(JSON.stringify(evaluate(rs, facts, asOf))).toBe(JSON.stringify(evaluateReference(rs, facts, asOf)));
};

const isoDate = (from: string, to: string) =>
  fc.integer({ min: 0, max: monthsBetween(from, to) }).chain((m) => fc.integer({ min: 1, max: 28 }).map((d) => `${addMonths(from, m).slice(0, 8)}${String(d).padStart(2, '0')}`));
const asOfArb = isoDate('2019-01-01', '2027-12-01');
const years = fc.integer({ min: 0, max: 150 }).map((t) => t / 10);
const bool = fc.boolean();
const SERIES = ['engineering', 'engineering', 'engineering', 'accounting', 'economics', 'publishing', 'statistics', 'health', 'literary_creation', 'arts_crafts', 'translation'] as const;

/** Facts of every shape, mostly partial, so that the what-if search has several unknowns to combine. */
const factsArb: fc.Arbitrary<Facts> = fc.record(
  {
    series: fc.constantFrom(...SERIES),
    targetLevel: fc.constantFrom(...LEVELS),
    route: fc.constantFrom(...ROUTES),
    jurisdiction: fc.constantFrom('shanghai', 'national'),
    education: fc.record({ degree: fc.constantFrom(...DEGREES), fieldRelated: bool, relatedJuniorCollegeDiploma: bool, inService: bool }, { requiredKeys: [] }),
    yearsInSpecialty: years,
    currentTitle: fc.record(
      { level: fc.constantFrom(...LEVELS, 'none' as const), series: fc.constantFrom('engineering', 'publishing', 'accounting'), yearsHeld: years, obtained: isoDate('2010-01-01', '2025-12-01') },
      { requiredKeys: [] },
    ),
    residence: fc.record(
      { hukou: bool, residencePermit: bool, overseasTalentResidencePermit: bool, socialInsuranceMonthsLast24: fc.integer({ min: 0, max: 24 }), socialInsuranceMonthsLast12: fc.integer({ min: 0, max: 12 }) },
      { requiredKeys: [] },
    ),
    overseas: fc.record({ listVersion: fc.constantFrom('1.0', '2.0', '3.0', 'none'), category: fc.constantFrom('A', 'B', 'C', 'D'), tookPartInEarlierRound: bool }, { requiredKeys: [] }),
    awards: fc.record({ chinaSkillsAward: bool, stateCouncilSpecialAllowance: bool }, { requiredKeys: [] }),
    specialRoute: fc.record(
      {
        outstandingAchievements: bool, peerExpertRecommendation: bool, youngKeyTechBreakthrough: bool, overseasHighLevelTalent: bool, highSkilledWorker: bool,
        aiCoreEnterpriseNominee: bool, recommendedByTopTalent: bool, privateSectorOutstandingContribution: bool, onlineLiteratureWorks: bool,
      },
      { requiredKeys: [] },
    ),
    exams: fc.record({ passedIntermediateEconStatAudit: bool }, { requiredKeys: [] }),
    retirement: fc.record({ retired: bool, reachesStatutoryAgeThisYear: bool, seniorExpertExtension: bool }, { requiredKeys: [] }),
    lastYear: fc.record({ failedShanghaiSeniorEvaluation: bool, newMajorResults: bool }, { requiredKeys: [] }),
    integrity: fc.record({ fraudSanction: bool, fraudSanctionDate: isoDate('2019-01-01', '2025-12-01') }, { requiredKeys: [] }),
  },
  // The series is always given: without it the engine answers at once and there is nothing to search.
  { requiredKeys: ['series'] },
) as fc.Arbitrary<Facts>;

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
