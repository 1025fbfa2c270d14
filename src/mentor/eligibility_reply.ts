import { evaluateConditions, FAILED, MET, SHORT } from '../eligibility/conditions.js';
import { headlineRoute } from '../eligibility/explain.js';
import { LEVEL_NAMES, ROUTE_NAMES, SERIES_NAMES, STATUS_NAMES } from '../eligibility/labels.js';
import { CREDENTIAL_FACT_GROUPS, DEGREES, LEVELS, type Bilingual, type ConditionSet, type EligibilityResult, type Facts, type Level, type Route, type Rule, type RouteVerdict } from '../eligibility/schema.js';
import type { Lang } from '../llm/prompts.js';

/** Fact groups asked about only when the user brought them up: special routes' credentials and the exclusions. */
const SPECIAL_GROUPS: readonly string[] = [...CREDENTIAL_FACT_GROUPS, 'integrity', 'lastYear', 'retirement'];

/**
 * The facts worth asking for next: the engine's own list (most useful first), without special-route
 * facts the user never mentioned, nor those the user could not tell (`unsure`), nor a fact that waits on
 * another still to be asked (`askAfter`: fact → the fact whose answer decides whether it matters), at
 * most two. A special route the asker asked about (`route`) has its open facts asked first.
 */
export function factsToAskFor(result: EligibilityResult, mentioned: Set<string>, askAfter: Record<string, string> = {}, unsure: Set<string> = new Set(), route?: Route): string[] {
  const asked = route ? result.routes.filter((r) => r.route === route && r.status === 'needs_info').flatMap((r) => r.missing) : [];
  // The exception to an exclusion the asker falls under ("已退休", unless an approved senior-expert extension) is asked
  // first: without it no route is open, whatever the degree and years.
  const closesAll = (path: string) => path.startsWith('retirement.') || path.startsWith('lastYear.');
  const missing = [...new Set([...asked, ...result.overall.missing])].sort((a, b) => Number(closesAll(b)) - Number(closesAll(a)));
  return missing.filter((path) => {
    if (unsure.has(path)) return false;
    const group = path.split('.')[0];
    if (SPECIAL_GROUPS.includes(group) && !mentioned.has(group) && !asked.includes(path)) return false;
    return !(askAfter[path] && missing.includes(askAfter[path]));
  }).slice(0, 2);
}

/**
 * The level to look at first when the one asked about is out of reach for want of the title below it
 * (no title at all, or one two levels down): "not Senior Engineer yet, but Engineer?".
 */
export function levelToTryFirst(result: EligibilityResult, facts: Facts): Level | undefined {
  const target = facts.targetLevel;
  const held = facts.currentTitle?.level;
  if (result.overall.status !== 'not_eligible' || !target || held === undefined) return undefined;
  const i = LEVELS.indexOf(target);
  if (i <= 0 || (held !== 'none' && LEVELS.indexOf(held) >= i - 1)) return undefined;
  return LEVELS[i - 1];
}

/** Each way a condition set can be met, as one set: `anyOf` alternatives merged with the conditions beside them (flags of both). */
function alternatives(cond: ConditionSet): ConditionSet[] {
  const { anyOf, ...rest } = cond;
  if (!anyOf) return [rest];
  return anyOf.flatMap((alt) =>
    alternatives(alt).map((branch) => {
      const flags = [...(rest.flags ?? []), ...(branch.flags ?? [])];
      return { ...rest, ...branch, ...(flags.length ? { flags } : {}) };
    }),
  );
}

/**
 * The years a usual route (regular evaluation, an exam) asks of someone like the asker, for "我本科，要工作几年
 * 才能评工程师": of the alternatives the asker's degree meets and nothing known rules out, the one asking
 * fewest years. Without a degree, nothing: the years differ by degree.
 */
export function yearsAskedOfAsker(result: EligibilityResult, rules: Rule[]): { rule: Rule; conditions: ConditionSet } | undefined {
  const facts = result.facts;
  if (!facts.education?.degree) return undefined;
  const byId = new Map(rules.map((r) => [r.id, r]));
  for (const verdict of result.routes.filter((r) => r.route === 'regular' || r.route === 'exam')) {
    let best: { rule: Rule; conditions: ConditionSet } | undefined;
    for (const rule of verdict.ruleIds.map((id) => byId.get(id))) {
      if (rule?.kind !== 'eligibility' || !rule.requires) continue;
      for (const branch of alternatives(rule.requires)) {
        if (!branch.years || branch.years.min <= 0 || branch.transferFromOtherSeries) continue;
        // Everything but the years, judged on what the asker said: a degree too low or a flag said "no" rules it out.
        const { years: _years, ...rest } = branch;
        if (evaluateConditions(rest, { facts, asOf: result.asOf, targetLevel: verdict.targetLevel }).best === FAILED) continue;
        if (!best || branch.years.min < best.conditions.years!.min) best = { rule, conditions: branch };
      }
    }
    if (best) return best;
  }
  return undefined;
}

/**
 * "什么时候能评高工？": when the years of the asker's own branch of the rule (yearsAskedOfAsker) are met, on the
 * years they told, whatever else is still open: `earliest` when they fall short, `met` when they are met already.
 */
export function whenYearsMet(result: EligibilityResult, rules: Rule[]): { rule: Rule; met: true } | { rule: Rule; met: false; earliest: string } | undefined {
  const branch = yearsAskedOfAsker(result, rules);
  const level = result.facts.targetLevel;
  if (!branch?.conditions.years || !level) return undefined;
  const outcome = evaluateConditions({ years: branch.conditions.years }, { facts: result.facts, asOf: result.asOf, targetLevel: level });
  if (outcome.best === MET && outcome.worst === MET) return { rule: branch.rule, met: true };
  if (outcome.best === SHORT && outcome.worst === SHORT && outcome.earliest) return { rule: branch.rule, met: false, earliest: outcome.earliest };
  return undefined;
}

/** A title's name for a reply: "Senior Engineer", without the level it may carry in brackets (the line names the level). */
export function titleName(series: string, level: Level, lang: Lang): string | undefined {
  return SERIES_NAMES[series]?.levels?.[level]?.[lang]?.replace(/\s*[（(][^（()）]*[)）]$/, '');
}

/** The routes worth telling a citizen about: decided ones first, special routes only when they apply. */
export function routesToShow(result: EligibilityResult, headline?: RouteVerdict): { best?: RouteVerdict; others: RouteVerdict[] } {
  const best = headline ?? headlineRoute(result);
  // A level below the best one on the same route says nothing new ("工程师：可以申报" needs no "助理工程师：可以申报").
  const below = (r: RouteVerdict) => best !== undefined && r.route === best.route && LEVELS.indexOf(r.targetLevel) < LEVELS.indexOf(best.targetLevel);
  const others = result.routes.filter((r) => r !== best && (r.status === 'eligible' || r.status === 'not_yet') && !below(r));
  return { best, others };
}

/**
 * The rule a verdict's reason line states, and the condition alone, without the rule's name before it or the
 * verdict after ("——符合（你有8年）"): what says which of the rule's sentences to cite.
 */
export function reasonSource(reason: string, verdict: RouteVerdict, rules: Rule[], lang: Lang): { ruleId: string; condition: string } {
  const ruleId = rules.find((r) => reason.startsWith(r.title[lang]))?.id ?? verdict.ruleIds[0];
  return { ruleId, condition: reason.split(/——| — /)[0].replace(/^[^：:]*[：:]\s*/, '') };
}

/**
 * The first few reasons of a verdict. A route failed for want of something else than the education is explained
 * by the rules for an education like the asker's: a science master's holder short of the Engineer title is told
 * the master's rule, not the doctorate's ("your education: master's degree") nor the non-science graduates'.
 */
function reasonsToShow(verdict: RouteVerdict, result: EligibilityResult, rules: Rule[], lang: Lang): string[] {
  // Closed by an exclusion (retired, no extension): the rules still waiting on facts decide nothing now.
  const open = /——需补充|— still to know/;
  const reasons = result.excludedBy?.length && verdict.status === 'not_eligible' ? verdict.reasons[lang].filter((r) => !open.test(r)) : verdict.reasons[lang];
  const education = result.facts.education;
  if (verdict.status !== 'not_eligible' || !education) return reasons.slice(0, 3);
  // Lines on rules for a degree: the ones whose education is the asker's, and of those the rule for the highest
  // degree (the bachelor's rule beside the master's only repeats it). Other lines (who may apply, exclusions) stay.
  const requiresOf = (reason: string) => rules.find((r) => r.id === reasonSource(reason, verdict, rules, lang).ruleId)?.requires;
  const degreeOf = (reason: string) => requiresOf(reason)?.degreeAtLeast;
  const askersOwn = reasons.filter((reason) => degreeOf(reason) !== undefined && educationFits(requiresOf(reason), education));
  if (askersOwn.length === 0) return reasons.slice(0, 3);
  const top = Math.max(...askersOwn.map((reason) => DEGREES.indexOf(degreeOf(reason)!)));
  return reasons.filter((reason) => degreeOf(reason) === undefined || (askersOwn.includes(reason) && DEGREES.indexOf(degreeOf(reason)!) === top)).slice(0, 3);
}

/**
 * Whether a rule is for an education like the asker's: a degree they have and their field (science or not). A
 * second diploma the rule asks for is one of its conditions, not whom it is for.
 */
function educationFits(requires: ConditionSet | undefined, education: NonNullable<Facts['education']>): boolean {
  if (!requires) return true;
  if (requires.degreeAtLeast && education.degree && DEGREES.indexOf(requires.degreeAtLeast) > DEGREES.indexOf(education.degree)) return false;
  const field = education.fieldRelated;
  if (field === undefined) return true;
  return !(requires.flags?.includes('education.fieldRelated') && !field) && !(requires.notFlags?.includes('education.fieldRelated') && field);
}

/**
 * A phone-screen explanation of a verdict: the headline, the reasons of the best route (or of `headline`, the
 * route asked about) with their citation numbers, the earliest date, one note and the next step. Every number
 * comes from the result.
 */
export function renderEligibilityReply(result: EligibilityResult, lang: Lang, rules: Rule[], citeRule: (ruleId: string, about?: string) => number | undefined, headline?: RouteVerdict): string {
  const { best, others } = routesToShow(result, headline);
  const lines: string[] = [];
  // An exclusion the route's own reasons state ("…——适用，所有途径暂不能申报。") is said once, there.
  const shownReasons = best ? reasonsToShow(best, result, rules, lang) : [];
  for (const e of result.excludedBy ?? []) {
    if (!shownReasons.some((r) => r.startsWith(e.reason[lang]))) lines.push(`• ${e.reason[lang]}${marker(citeRule(e.ruleId))}`);
  }
  if (best) {
    const series = SERIES_NAMES[best.series]?.[lang] ?? best.series;
    const title = titleName(best.series, best.targetLevel, lang);
    const level = `${LEVEL_NAMES[best.targetLevel][lang]}${title ? (lang === 'zh' ? `（${title}）` : ` (${title})`) : ''}`;
    const sep = lang === 'zh' ? '：' : ': ';
    lines.unshift(`${lang === 'zh' ? '结论' : 'Verdict'}${sep}${STATUS_NAMES[best.status][lang]} · ${ROUTE_NAMES[best.route][lang]} · ${series} ${level}`);
    for (const reason of shownReasons) {
      const { ruleId, condition } = reasonSource(reason, best, rules, lang);
      lines.push(`• ${reason}${marker(citeRule(ruleId, condition))}`);
    }
    // The route's first note, and any note the asker's own facts called up (an in-service degree counts only after
    // a year's work): the rest are general and the reply stays short.
    const ownFacts = (n: Bilingual) => rules.some((r) => r.kind === 'info' && r.requires !== undefined && r.note?.zh === n.zh);
    for (const note of best.notes.filter((n, i) => i === 0 || ownFacts(n))) lines.push(`${lang === 'zh' ? '提示：' : 'Note: '}${note[lang]}`);
  } else if (result.notes[0]) {
    lines.push(`${lang === 'zh' ? '提示：' : 'Note: '}${result.notes[0][lang]}`);
  }
  if (others.length) {
    // Another level of the same route is named by its level: "常规评审（可以申报）" twice would say nothing.
    const name = (r: RouteVerdict) => `${ROUTE_NAMES[r.route][lang]}${best && r.targetLevel !== best.targetLevel ? ` · ${LEVEL_NAMES[r.targetLevel][lang]}` : ''}`;
    const list = others.map((r) => `${name(r)}（${STATUS_NAMES[r.status][lang]}）`).join(lang === 'zh' ? '；' : '; ');
    lines.push(lang === 'zh' ? `其他途径：${list}` : `Other routes: ${list.replace(/（/g, ' (').replace(/）/g, ')')}`);
  }
  lines.push(`${lang === 'zh' ? '下一步：' : 'Next step: '}${(headline ?? result.overall).nextStep[lang]}`);
  return lines.join('\n');
}

const marker = (n: number | undefined) => (n ? ` [${n}]` : '');
