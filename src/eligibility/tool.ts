import { tool } from '@langchain/core/tools';
import { evaluate } from './engine.js';
import { explainEligibility } from './explain.js';
import { FactsSchema, type EligibilityResult, type Facts, type Rule } from './schema.js';

const DESCRIPTION = `Checks whether a person can apply for a Chinese professional title (职称) level now, and by which route
(regular evaluation, exam, recognition, overseas qualification, green channel, direct train, talent recommendation,
skills overpass). It applies dated rules taken from official notices, mainly for Shanghai, and returns for each route a
status (eligible | not_yet | needs_info | not_eligible), the reasons in Chinese and English, the earliest date when
years are still short, the facts still missing, and the rule ids with the documents and clauses they come from.
Call it whenever the user asks whether they qualify, when they can apply, or which route fits; never judge
eligibility yourself. Pass only facts the user actually stated and leave out anything unknown (do not guess a
degree or a number of years): the result's "missing" lists what to ask next. Quote its reasons and cite its rule and
document ids; when a route is needs_info because the current notice sets the thresholds, say so and do not invent
numbers.`;

/** What the model reads: the verdicts and their grounds, without the echo of the facts it sent. */
function forModel(result: EligibilityResult) {
  return {
    asOf: result.asOf,
    overall: result.overall,
    excludedBy: result.excludedBy,
    routes: result.routes.map((v) => ({
      route: v.route,
      targetLevel: v.targetLevel,
      status: v.status,
      basis: v.basis,
      indicativeStatus: v.indicativeStatus,
      earliest: v.earliest,
      yearsStillNeeded: v.yearsStillNeeded,
      missing: v.missing,
      reasons: v.reasons,
      notes: v.notes,
      citations: v.citations,
      nextStep: v.nextStep,
    })),
    notes: result.notes,
    explanation: { zh: explainEligibility(result, 'zh'), en: explainEligibility(result, 'en') },
  };
}

/**
 * The LangChain tool `check_eligibility`. Its content is JSON for the model; its artifact is the full
 * EligibilityResult, for the reply's `eligibility` field. `now()` gives the date to evaluate at (YYYY-MM-DD).
 */
export function createEligibilityTool(rules: Rule[], now: () => string) {
  return tool(
    async (facts: Facts): Promise<[string, EligibilityResult]> => {
      const result = evaluate(rules, facts, now());
      return [JSON.stringify(forModel(result)), result];
    },
    { name: 'check_eligibility', description: DESCRIPTION, schema: FactsSchema, responseFormat: 'content_and_artifact' },
  );
}
