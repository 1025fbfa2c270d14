import { z } from 'zod';
import { isIsoDate } from './dates.js';

// ---------------------------------------------------------------------------------------------
// Vocabulary shared by facts, rules and results
// ---------------------------------------------------------------------------------------------

/** Series ids, as in knowledge/series.json (a test keeps the two in step). */
export const SERIES_IDS = [
  'higher_ed_teacher', 'social_science_research', 'natural_science_research', 'health', 'engineering',
  'agriculture', 'journalism', 'publishing', 'library', 'cultural_relics_museums', 'archives', 'arts_crafts',
  'technical_college_teacher', 'primary_secondary_teacher', 'secondary_vocational_teacher',
  'experimental_technology', 'economics', 'accounting', 'statistics', 'auditing', 'art', 'sports',
  'public_legal_services', 'literary_creation', 'translation',
] as const;
export const SeriesId = z.enum(SERIES_IDS);
export type SeriesId = z.infer<typeof SeriesId>;

/** Title levels, lowest first: 员级, 助理级, 中级, 副高级, 正高级. */
export const LEVELS = ['junior', 'assistant', 'intermediate', 'associate_senior', 'senior'] as const;
export const Level = z.enum(LEVELS);
export type Level = z.infer<typeof Level>;

/** Education, lowest first; a higher degree satisfies a requirement for a lower one. */
export const DEGREES = ['secondary_vocational', 'junior_college', 'bachelor', 'second_bachelor', 'master', 'phd'] as const;
export const Degree = z.enum(DEGREES);
export type Degree = z.infer<typeof Degree>;

export const ROUTES = ['regular', 'exam', 'recognition', 'overseas_qualification', 'green_channel', 'direct_train', 'recommendation', 'overpass'] as const;
export const Route = z.enum(ROUTES);
export type Route = z.infer<typeof Route>;

export const Jurisdiction = z.enum(['shanghai', 'national']);
export type Jurisdiction = z.infer<typeof Jurisdiction>;

export const Confidence = z.enum(['A', 'B', 'C']);
export type Confidence = z.infer<typeof Confidence>;

export const STATUSES = ['eligible', 'not_yet', 'needs_info', 'not_eligible'] as const;
export const Status = z.enum(STATUSES);
export type Status = z.infer<typeof Status>;

/** The new eight-level vocational skill ladder (FACTS F2.5), lowest first. */
export const SKILL_LEVELS = [
  'apprentice', 'junior_worker', 'intermediate_worker', 'senior_worker', 'technician', 'senior_technician', 'special_technician', 'chief_technician',
] as const;

export const IsoDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date written YYYY-MM-DD')
  .refine(isIsoDate, 'is not a real calendar date');

/** YAML turns an unquoted 2025-08-25 into a Date; read it back as the date it was written as. */
const YamlDate = z.preprocess((v) => (v instanceof Date ? v.toISOString().slice(0, 10) : v), IsoDate);

export const Bilingual = z.strictObject({ zh: z.string().trim().min(1), en: z.string().trim().min(1) });
export type Bilingual = z.infer<typeof Bilingual>;

// ---------------------------------------------------------------------------------------------
// Facts: what a citizen tells us. Every field is optional; the engine works on what it is given.
// ---------------------------------------------------------------------------------------------

const yes = (what: string) => z.boolean().optional().describe(what);

/**
 * Fact groups that only special routes ask about (an overseas certificate, an award, a talent programme,
 * a skill level, a passed exam): most people have none, so they are asked for only once mentioned.
 */
export const CREDENTIAL_FACT_GROUPS = ['overseas', 'skill', 'awards', 'specialRoute', 'exams'] as const;

export const FactsSchema = z
  .strictObject({
    series: SeriesId.optional().describe('Title series id, e.g. "engineering" (工程技术人员), "accounting", "publishing".'),
    targetLevel: Level.optional().describe(
      'The level applied for: junior (员级), assistant (助理级, e.g. 助理工程师), intermediate (中级, e.g. 工程师), associate_senior (副高, e.g. 高级工程师), senior (正高, e.g. 正高级工程师).',
    ),
    route: Route.optional().describe('Only check this route; leave out to check every route that could apply.'),
    jurisdiction: Jurisdiction.optional().describe('Where the application is made: "shanghai" (default) or "national" for the national baseline.'),
    education: z
      .strictObject({
        degree: Degree.optional().describe('Highest education: secondary_vocational (中专/高中), junior_college (大专), bachelor (本科), second_bachelor (第二学士), master (硕士), phd (博士).'),
        fieldRelated: yes('The degree is in a field related to the series (for engineering: science or engineering, 理工科).'),
        relatedJuniorCollegeDiploma: yes('Also holds a science/engineering junior-college (大专) diploma (matters when the bachelor is in an unrelated field).'),
        inService: yes('The degree was earned by in-service (在职) study.'),
      })
      .optional(),
    yearsInSpecialty: z.number().min(0).max(60).optional().describe('Years of professional work in the specialty applied for (overseas work counts for the overseas route).'),
    currentTitle: z
      .strictObject({
        level: z.enum([...LEVELS, 'none']).optional().describe('Level of the title held now, or "none".'),
        series: SeriesId.optional().describe('Series of the title held now, when it differs from the series applied for.'),
        yearsHeld: z.number().min(0).max(60).optional().describe('Years since obtaining (or being appointed to) the current title.'),
        obtained: IsoDate.optional().describe('Date the current title was obtained (YYYY-MM-DD); used instead of yearsHeld when given.'),
      })
      .optional(),
    residence: z
      .strictObject({
        hukou: yes('Has Shanghai hukou (户籍).'),
        residencePermit: yes('Holds a valid Shanghai Residence Permit (上海市居住证).'),
        overseasTalentResidencePermit: yes('Holds a Shanghai Overseas Talent Residence Permit.'),
        socialInsuranceMonthsLast24: z.number().int().min(0).max(24).optional().describe('Months of Shanghai social insurance paid in the last 24 months.'),
        socialInsuranceMonthsLast12: z.number().int().min(0).max(12).optional().describe('Months of Shanghai social insurance paid in the last 12 months.'),
      })
      .optional(),
    overseas: z
      .strictObject({
        listVersion: z.enum(['1.0', '2.0', '3.0', 'none']).optional().describe('Version of the Shanghai List of Recognized Overseas Occupational Qualifications that lists the certificate, or "none".'),
        category: z.enum(['A', 'B', 'C', 'D']).optional().describe('Category of the certificate on that list.'),
        tookPartInEarlierRound: yes('Already took part in an earlier round of overseas-qualification title recognition.'),
      })
      .optional(),
    skill: z.strictObject({ level: z.enum(SKILL_LEVELS).optional().describe('Vocational skill level on the eight-level ladder.') }).optional(),
    awards: z
      .strictObject({
        chinaSkillsAward: yes('Winner of the China Skills Award (中华技能大奖).'),
        stateCouncilSpecialAllowance: yes('Receives the State Council special allowance (国务院特殊津贴).'),
      })
      .optional(),
    specialRoute: z
      .strictObject({
        outstandingAchievements: yes('Genuine ability and outstanding results (green channel).'),
        peerExpertRecommendation: yes('Recommended by peer experts (green channel).'),
        youngKeyTechBreakthrough: yes('Young sci-tech talent who cracked key core technologies, achieved leading original results or led major national tasks to breakthroughs.'),
        overseasHighLevelTalent: yes('Overseas high-level sci-tech talent introduced by a Shanghai employer (direct train).'),
        privateSectorOutstandingContribution: yes('High-level private-sector talent with outstanding contributions (direct train).'),
        recommendedByTopTalent: yes('Core member of a top technical team recommended by a strategic scientist, peak talent or key-technology team leader.'),
        highSkilledWorker: yes('A high-skilled worker (高技能人才) moving into title evaluation (overpass).'),
        aiCoreEnterpriseNominee: yes('Nominated by a core AI enterprise on the Shanghai pilot list.'),
        onlineLiteratureWorks: yes('Has signed, completed original online works of at least the size the Shanghai online-literature rule asks for.'),
      })
      .optional(),
    exams: z
      .strictObject({ passedIntermediateEconStatAudit: yes('Has passed the national intermediate exam in economics, statistics or auditing.') })
      .optional(),
    retirement: z
      .strictObject({
        retired: yes('Already retired.'),
        reachesStatutoryAgeThisYear: yes('Reaches statutory retirement age in the application year.'),
        seniorExpertExtension: yes('Has an approved senior-expert extension of service.'),
      })
      .optional(),
    lastYear: z
      .strictObject({
        failedShanghaiSeniorEvaluation: yes('Failed the Shanghai senior evaluation last year.'),
        newMajorResults: yes('Has major new results since then (a provincial/ministerial award or a published monograph).'),
      })
      .optional(),
    integrity: z
      .strictObject({
        fraudSanction: yes('Was found to have used false materials in a title application (or had a title revoked for fraud).'),
        fraudSanctionDate: IsoDate.optional().describe('Date of that finding (YYYY-MM-DD).'),
      })
      .optional(),
  })
  .describe('What the person has told us. Every field is optional; leave out what is unknown rather than guessing.');

export type Facts = z.infer<typeof FactsSchema>;
/** Facts after normalisation: jurisdiction defaulted, yearsHeld derived from the date obtained. */
export type NormalisedFacts = Facts & { jurisdiction: Jurisdiction };

/** Boolean facts that rules may test, by their dotted path. */
export const FLAGS = [
  'education.fieldRelated', 'education.relatedJuniorCollegeDiploma', 'education.inService',
  'residence.hukou', 'residence.residencePermit', 'residence.overseasTalentResidencePermit',
  'overseas.tookPartInEarlierRound',
  'awards.chinaSkillsAward', 'awards.stateCouncilSpecialAllowance',
  'specialRoute.outstandingAchievements', 'specialRoute.peerExpertRecommendation', 'specialRoute.youngKeyTechBreakthrough',
  'specialRoute.overseasHighLevelTalent', 'specialRoute.privateSectorOutstandingContribution', 'specialRoute.recommendedByTopTalent',
  'specialRoute.highSkilledWorker', 'specialRoute.aiCoreEnterpriseNominee', 'specialRoute.onlineLiteratureWorks',
  'exams.passedIntermediateEconStatAudit',
  'retirement.retired', 'retirement.reachesStatutoryAgeThisYear', 'retirement.seniorExpertExtension',
  'lastYear.failedShanghaiSeniorEvaluation', 'lastYear.newMajorResults',
  'integrity.fraudSanction',
] as const;
export const Flag = z.enum(FLAGS);
export type Flag = z.infer<typeof Flag>;

// ---------------------------------------------------------------------------------------------
// Rules: dated, sourced, conditions as data
// ---------------------------------------------------------------------------------------------

export const YearsBasis = z.enum(['in_specialty', 'since_previous_title']);
export type YearsBasis = z.infer<typeof YearsBasis>;

/** A set of conditions that must all hold; `anyOf` nests alternatives. */
export interface ConditionSet {
  degreeAtLeast?: Degree;
  years?: { min: number; basis: YearsBasis; countedTo?: string };
  previousTitleAtLeast?: Level;
  transferFromOtherSeries?: true;
  residence?: {
    hukou?: true;
    residencePermit?: true;
    overseasTalentResidencePermit?: true;
    socialInsurance?: { minMonths: number; withinMonths: 12 | 24 };
  };
  overseasCertificate?: { listVersion: ('1.0' | '2.0' | '3.0')[]; category: ('A' | 'B' | 'C' | 'D')[] };
  flags?: Flag[];
  anyFlag?: Flag[];
  notFlags?: Flag[];
  sanctionWithinYears?: number;
  anyOf?: ConditionSet[];
}

export const ConditionSetSchema: z.ZodType<ConditionSet> = z.lazy(() =>
  z.strictObject({
    degreeAtLeast: Degree.optional(),
    years: z
      .strictObject({ min: z.number().min(0).max(60), basis: YearsBasis, countedTo: YamlDate.optional() })
      .optional(),
    previousTitleAtLeast: Level.optional(),
    transferFromOtherSeries: z.literal(true).optional(),
    residence: z
      .strictObject({
        hukou: z.literal(true).optional(),
        residencePermit: z.literal(true).optional(),
        overseasTalentResidencePermit: z.literal(true).optional(),
        socialInsurance: z.strictObject({ minMonths: z.number().int().min(1).max(24), withinMonths: z.union([z.literal(12), z.literal(24)]) }).optional(),
      })
      .refine((r) => Object.keys(r).length > 0, 'name at least one way to meet the residence condition')
      .optional(),
    overseasCertificate: z
      .strictObject({ listVersion: z.array(z.enum(['1.0', '2.0', '3.0'])).min(1), category: z.array(z.enum(['A', 'B', 'C', 'D'])).min(1) })
      .optional(),
    flags: z.array(Flag).min(1).optional(),
    anyFlag: z.array(Flag).min(1).optional(),
    notFlags: z.array(Flag).min(1).optional(),
    sanctionWithinYears: z.number().positive().optional(),
    anyOf: z.array(ConditionSetSchema).min(1).optional(),
  }),
);

export const RuleKind = z.enum(['eligibility', 'scope', 'exclusion', 'info']);
export type RuleKind = z.infer<typeof RuleKind>;

const oneOrMany = <T extends z.ZodType>(item: T) => z.union([z.literal('any'), item, z.array(item).min(1)]);

export const RuleSchema = z
  .strictObject({
    id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'use lowercase letters, digits and hyphens'),
    kind: RuleKind.default('eligibility'),
    title: Bilingual,
    series: z.union([z.literal('any'), z.array(z.string()).min(1)]),
    targetLevel: oneOrMany(Level),
    route: oneOrMany(Route),
    jurisdiction: Jurisdiction,
    thresholds: z.enum(['stated', 'from_current_notice']).default('stated'),
    requires: ConditionSetSchema.optional(),
    excludedIf: ConditionSetSchema.optional(),
    unless: ConditionSetSchema.optional(),
    alsoNeeded: z.array(Bilingual).default([]),
    note: Bilingual.optional(),
    showWhen: z.array(Status).min(1).optional(),
    conflictsWith: z.array(z.string()).default([]),
    nextStep: Bilingual.optional(),
    effectiveFrom: YamlDate.nullable(),
    effectiveTo: YamlDate.nullable().default(null),
    source: z.strictObject({
      docId: z.string().min(1),
      clause: z.string().trim().min(1),
      url: z.url().optional(),
      date: z.preprocess((v) => (v instanceof Date ? v.toISOString().slice(0, 10) : v), z.string().min(1)),
    }),
    confidence: Confidence,
  })
  .superRefine((r, ctx) => {
    if (r.series !== 'any') {
      r.series.forEach((s, i) => {
        if (!(SERIES_IDS as readonly string[]).includes(s)) ctx.addIssue({ code: 'custom', path: ['series', i], message: `unknown series id "${s}" (see knowledge/series.json)` });
      });
    }
    if (r.effectiveFrom && r.effectiveTo && r.effectiveTo < r.effectiveFrom) {
      ctx.addIssue({ code: 'custom', path: ['effectiveTo'], message: `${r.effectiveTo} is before effectiveFrom ${r.effectiveFrom}` });
    }
    if (r.kind === 'eligibility' && r.thresholds === 'stated' && !r.requires) {
      ctx.addIssue({ code: 'custom', path: ['requires'], message: 'an eligibility rule with stated thresholds needs its conditions (or thresholds: from_current_notice)' });
    }
    if (r.kind === 'scope' && !r.requires) ctx.addIssue({ code: 'custom', path: ['requires'], message: 'a scope rule needs the conditions it adds' });
    if (r.kind === 'exclusion' && !r.excludedIf) ctx.addIssue({ code: 'custom', path: ['excludedIf'], message: 'an exclusion rule needs excludedIf' });
    if (r.kind !== 'exclusion' && (r.excludedIf || r.unless)) ctx.addIssue({ code: 'custom', path: ['excludedIf'], message: 'only exclusion rules take excludedIf / unless' });
    if (r.kind !== 'info' && r.showWhen) ctx.addIssue({ code: 'custom', path: ['showWhen'], message: 'only info rules take showWhen' });
    if (r.kind === 'info' && !r.note) ctx.addIssue({ code: 'custom', path: ['note'], message: 'an info rule needs the note it adds' });
  });

export type Rule = z.output<typeof RuleSchema>;

export const RuleFileSchema = z.strictObject({
  family: z.string().trim().min(1),
  description: z.string().optional(),
  rules: z.array(RuleSchema).min(1),
});
export type RuleFile = z.output<typeof RuleFileSchema>;

// ---------------------------------------------------------------------------------------------
// Result
// ---------------------------------------------------------------------------------------------

export interface Citation {
  ruleId: string;
  docId: string;
  clause: string;
  url?: string;
  confidence: Confidence;
}

export interface RouteVerdict {
  route: Route;
  targetLevel: Level;
  series: SeriesId;
  jurisdiction: Jurisdiction;
  status: Status;
  /** What decided: rules with stated thresholds; a route whose thresholds only the current notice gives; low-confidence rules only. */
  basis: 'stated' | 'current_notice' | 'low_confidence';
  /** For a route decided only by confidence-C rules: what those rules indicate (never decides). */
  indicativeStatus?: Status;
  reasons: { zh: string[]; en: string[] };
  /** Fact paths whose value would change the verdict, e.g. 'education.degree', 'residence'. */
  missing: string[];
  earliest?: string;
  yearsStillNeeded?: number;
  ruleIds: string[];
  citations: Citation[];
  notes: Bilingual[];
  nextStep: Bilingual;
}

export interface Exclusion {
  ruleId: string;
  reason: Bilingual;
  confidence: Confidence;
  citation: Citation;
}

export interface EligibilityResult {
  asOf: string;
  facts: NormalisedFacts;
  routes: RouteVerdict[];
  overall: {
    status: Status;
    bestRoute?: Route;
    bestLevel?: Level;
    /** Facts that would change the overall answer, most useful first. */
    missing: string[];
    nextStep: Bilingual;
  };
  excludedBy?: Exclusion[];
  notes: Bilingual[];
}
