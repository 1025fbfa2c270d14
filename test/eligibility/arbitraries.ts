import fc from 'fast-check';
import { DEGREES, LEVELS, ROUTES, type Facts } from '../../src/eligibility/index.js';
import { addMonths, monthsBetween } from '../../src/eligibility/dates.js';

/** A YYYY-MM-DD date between two months. */
export const isoDate = (from: string, to: string) =>
  fc.integer({ min: 0, max: monthsBetween(from, to) }).chain((m) => fc.integer({ min: 1, max: 28 }).map((d) => `${addMonths(from, m).slice(0, 8)}${String(d).padStart(2, '0')}`));
/** "Now" around the rules' history. */
export const asOfArb = isoDate('2019-01-01', '2027-12-01');
export const years = fc.integer({ min: 0, max: 150 }).map((t) => t / 10);
export const bool = fc.boolean();

const SERIES = ['engineering', 'engineering', 'engineering', 'accounting', 'economics', 'publishing', 'statistics', 'health', 'literary_creation', 'arts_crafts', 'translation'] as const;
const SPECIAL_ROUTES = ['outstandingAchievements', 'peerExpertRecommendation', 'youngKeyTechBreakthrough', 'overseasHighLevelTalent', 'highSkilledWorker', 'aiCoreEnterpriseNominee', 'recommendedByTopTalent'];
const MORE_SPECIAL_ROUTES = ['privateSectorOutstandingContribution', 'onlineLiteratureWorks'];

export interface FactsShape {
  /** Also a chosen `route`. */
  withRoute?: boolean;
  /** Every special-route flag the rules read, not only the common ones. */
  allSpecialRoutes?: boolean;
  /** The series always given. */
  seriesRequired?: boolean;
}

/** Facts of every shape, including the underspecified ones (every field optional unless asked). */
export function factsArbitrary(shape: FactsShape = {}): fc.Arbitrary<Facts> {
  const flags = shape.allSpecialRoutes ? [...SPECIAL_ROUTES, ...MORE_SPECIAL_ROUTES] : SPECIAL_ROUTES;
  return fc.record(
    {
      series: fc.constantFrom(...SERIES),
      targetLevel: fc.constantFrom(...LEVELS),
      ...(shape.withRoute ? { route: fc.constantFrom(...ROUTES) } : {}),
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
      specialRoute: fc.record(Object.fromEntries(flags.map((f) => [f, bool])), { requiredKeys: [] }),
      exams: fc.record({ passedIntermediateEconStatAudit: bool }, { requiredKeys: [] }),
      retirement: fc.record({ retired: bool, reachesStatutoryAgeThisYear: bool, seniorExpertExtension: bool }, { requiredKeys: [] }),
      lastYear: fc.record({ failedShanghaiSeniorEvaluation: bool, newMajorResults: bool }, { requiredKeys: [] }),
      integrity: fc.record({ fraudSanction: bool, fraudSanctionDate: isoDate('2019-01-01', '2025-12-01') }, { requiredKeys: [] }),
    },
    { requiredKeys: shape.seriesRequired ? ['series'] : [] },
  ) as unknown as fc.Arbitrary<Facts>;
}
