// The eligibility folder's only door: rule schema and loading, the pure engine, explanations, the tool, the command.
export {
  FactsSchema, RuleSchema, RuleFileSchema, ConditionSetSchema,
  SeriesId, Level, Degree, Route, Jurisdiction, Confidence, Status, Flag,
  SERIES_IDS, LEVELS, DEGREES, ROUTES, STATUSES, FLAGS, CREDENTIAL_FACT_GROUPS,
  type Facts, type NormalisedFacts, type Rule, type RuleFile, type ConditionSet,
  type EligibilityResult, type RouteVerdict, type Citation, type Exclusion, type Bilingual,
} from './schema.js';
export { loadRules, validateRules, inspectRuleTexts, RulesError, DEFAULT_RULES_DIR, type Problem, type RuleText } from './load.js';
export { evaluate, normaliseFacts, inEffect } from './engine.js';
export { explainEligibility, eligibilityRecord, headlineRoute, type EligibilityRecord } from './explain.js';
export { createEligibilityTool } from './tool.js';
export { runEligibilityCommand, todayInShanghai, formatIssues, type EligibilityCommandOptions } from './cli.js';
export { FACT_NAMES, FLAG_NAMES, ROUTE_NAMES, LEVEL_NAMES, STATUS_NAMES, SERIES_NAMES, factName } from './labels.js';
