import { durationEn, durationZh, levelTitle } from './conditions.js';
import { JURISDICTION_NAMES, LEVEL_NAMES, ROUTE_NAMES, SERIES_NAMES, STATUS_NAMES, factName } from './labels.js';
import type { Bilingual, Citation, EligibilityResult, Level, RouteVerdict } from './schema.js';

type Lang = 'zh' | 'en';

const MAX_REASONS = 3;
const MAX_NOTES = 3;
const MAX_CLAUSES = 2;

/**
 * The route that heads an answer: the overall verdict's best route; for a "not eligible" without one, the
 * first route judged; none for an open verdict without a route to ask about (only special routes left).
 * public/app.js picks the same for the web card.
 */
export function headlineRoute(result: EligibilityResult): RouteVerdict | undefined {
  const { bestRoute, bestLevel, status } = result.overall;
  const best = result.routes.find((r) => r.route === bestRoute && r.targetLevel === (bestLevel ?? r.targetLevel));
  return best ?? (status === 'needs_info' ? undefined : result.routes[0]);
}

/**
 * A short plain-text answer for a phone screen: the verdict, the reasons for the best route with the clauses
 * it applied, the next step, one line per other route. Every number and date in it comes from the result
 * (whose reasons take their numbers from the facts and the rules).
 */
export function explainEligibility(result: EligibilityResult, lang: Lang): string {
  const zh = lang === 'zh';
  const sep = zh ? '：' : ': ';
  const lines: string[] = [];
  const f = result.facts;
  const levels = [...new Set(result.routes.map((r) => r.targetLevel))];
  const oneLevel = levels.length === 1 ? levels[0] : f.targetLevel;

  const head = [JURISDICTION_NAMES[f.jurisdiction][lang], f.series ? SERIES_NAMES[f.series][lang] : '', oneLevel ? levelLabel(oneLevel, f.series, lang) : '']
    .filter(Boolean)
    .join(' · ');
  lines.push(zh ? `${head}｜截至${result.asOf}` : `${head} | as of ${result.asOf}`);

  const best = result.routes.find((r) => r.route === result.overall.bestRoute && r.targetLevel === result.overall.bestLevel);
  const status = STATUS_NAMES[result.overall.status][lang];
  const where = best ? `${routeLabel(best, levels.length > 1, lang)}` : '';
  lines.push(`${zh ? '结论' : 'Answer'}${sep}${status}${where ? ` · ${where}` : ''}`);
  for (const ex of result.excludedBy ?? []) {
    lines.push(`${zh ? '限制' : 'Restriction'}${sep}${ex.reason[lang]}`);
    lines.push(`${zh ? '依据' : 'Based on'}${sep}${cite(ex.citation, lang)}`);
  }

  if (best) {
    lines.push('');
    lines.push(verdictHeader(best, levels.length > 1, lang));
    for (const reason of best.reasons[lang].slice(0, MAX_REASONS)) lines.push(`· ${reason}`);
    const clauses = best.citations.slice(0, MAX_CLAUSES).map((c) => cite(c, lang));
    const more = best.citations.slice(MAX_CLAUSES).map((c) => c.ruleId);
    lines.push(`${zh ? '依据' : 'Based on'}${sep}${[...clauses, ...more].join(zh ? '；' : '; ')}`);
  }

  const notes = dedupe([...(best?.notes ?? []), ...result.notes]).slice(0, MAX_NOTES);
  for (const n of notes) lines.push(`${zh ? '提示' : 'Note'}${sep}${n[lang]}`);
  lines.push(`${zh ? '下一步' : 'Next step'}${sep}${result.overall.nextStep[lang]}`);

  const others = result.routes.filter((r) => r !== best);
  if (others.length) {
    lines.push(zh ? '其他途径：' : 'Other routes:');
    for (const v of others) lines.push(`· ${otherLine(v, levels.length > 1, lang)}`);
  }
  return lines.join('\n');
}

const cite = (c: Citation, lang: Lang) => `${c.ruleId}〔${c.docId}｜${c.clause}｜${lang === 'zh' ? '可信度' : 'confidence '}${c.confidence}〕`;

function levelLabel(level: Level, series: string | undefined, lang: Lang): string {
  const specific = levelTitle(level, series)[lang];
  const generic = LEVEL_NAMES[level][lang];
  if (specific === generic) return generic;
  if (lang === 'en' && specific.includes('(')) return specific;
  return lang === 'zh' ? `${generic}（${specific}）` : `${generic} (${specific})`;
}

function routeLabel(v: RouteVerdict, withLevel: boolean, lang: Lang): string {
  const route = ROUTE_NAMES[v.route][lang];
  if (!withLevel) return route;
  return lang === 'zh' ? `${LEVEL_NAMES[v.targetLevel].zh}·${route}` : `${route}, ${LEVEL_NAMES[v.targetLevel].en}`;
}

function verdictHeader(v: RouteVerdict, withLevel: boolean, lang: Lang): string {
  const zh = lang === 'zh';
  const parts = [`【${routeLabel(v, withLevel, lang)}】${STATUS_NAMES[v.status][lang]}`];
  if (v.indicativeStatus) parts.push(zh ? `（低可信度来源显示：${STATUS_NAMES[v.indicativeStatus].zh}）` : ` (low-confidence sources indicate: ${STATUS_NAMES[v.indicativeStatus].en})`);
  if (v.earliest) parts.push(zh ? `，还需${durationZh(v.yearsStillNeeded ?? 0)}，最早${v.earliest}` : `; ${durationEn(v.yearsStillNeeded ?? 0)} more, from ${v.earliest}`);
  return parts.join('');
}

function otherLine(v: RouteVerdict, withLevel: boolean, lang: Lang): string {
  const zh = lang === 'zh';
  let line = `${routeLabel(v, withLevel, lang)}${zh ? '——' : ' — '}${STATUS_NAMES[v.status][lang]}`;
  if (v.earliest) line += zh ? `（最早${v.earliest}）` : ` (from ${v.earliest})`;
  else if (v.status === 'needs_info' && v.missing.length) {
    const ask = v.missing.slice(0, 2).map((p) => factName(p)[lang]).join(zh ? '、' : '; ');
    line += zh ? `（需补充：${ask}）` : ` (still to know: ${ask})`;
  } else if (v.status === 'needs_info') line += zh ? '（以当年通知为准）' : ' (the current notice decides)';
  return line;
}

const dedupe = (notes: Bilingual[]) => notes.filter((n, i) => notes.findIndex((m) => m.zh === n.zh) === i);

/** What a transcript keeps of a check (see `eligibilityRecord`). */
export interface EligibilityRecord {
  asOf: string;
  facts: EligibilityResult['facts'];
  overall: Omit<EligibilityResult['overall'], 'nextStep'>;
  routes: Array<Pick<RouteVerdict, 'route' | 'targetLevel' | 'series' | 'status' | 'basis' | 'missing' | 'ruleIds'> & Partial<Pick<RouteVerdict, 'earliest' | 'yearsStillNeeded'>>>;
  excludedBy?: string[];
}

/**
 * A check as a transcript keeps it: the facts, the verdicts and the rules that decided each route, without
 * the reasons, notes and citations the rules give again (and the reply beside it already shows). The whole
 * result is about 16 KB a check, written on every eligibility turn; this is about a tenth of that.
 */
export function eligibilityRecord(result: EligibilityResult): EligibilityRecord {
  const { nextStep: _nextStep, ...overall } = result.overall;
  return {
    asOf: result.asOf,
    facts: result.facts,
    overall,
    routes: result.routes.map((r) => ({
      route: r.route,
      targetLevel: r.targetLevel,
      series: r.series,
      status: r.status,
      basis: r.basis,
      missing: r.missing,
      ruleIds: r.ruleIds,
      ...(r.earliest ? { earliest: r.earliest } : {}),
      ...(r.yearsStillNeeded !== undefined ? { yearsStillNeeded: r.yearsStillNeeded } : {}),
    })),
    ...(result.excludedBy?.length ? { excludedBy: result.excludedBy.map((e) => e.ruleId) } : {}),
  };
}
