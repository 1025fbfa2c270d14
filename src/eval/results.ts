import { mean, percentile } from './metrics.js';
import type { CaseKind } from './schema.js';

/** Every metric the runner reports, in the order reports show them. */
export const METRICS = {
  'retrieval.hit@1': { label: 'retrieval hit@1', better: 'higher', unit: 'rate', about: 'a relevant document is ranked first' },
  'retrieval.hit@3': { label: 'retrieval hit@3', better: 'higher', unit: 'rate', about: 'a relevant document is in the first 3' },
  'retrieval.hit@5': { label: 'retrieval hit@5', better: 'higher', unit: 'rate', about: 'a relevant document is in the first 5' },
  'retrieval.mrr': { label: 'retrieval MRR', better: 'higher', unit: 'score', about: 'mean reciprocal rank of the first relevant document (top 10)' },
  'retrieval.ndcg@10': { label: 'retrieval nDCG@10', better: 'higher', unit: 'score', about: 'normalised discounted cumulative gain of the first 10 documents' },
  'answer.coverage': { label: 'key-fact coverage', better: 'higher', unit: 'rate', about: 'share of must_mention facts the reply contains' },
  'answer.fully_correct': { label: 'fully correct', better: 'higher', unit: 'rate', about: 'every expectation of the case met (facts, must_not, intent, eligibility, ask-back)' },
  'answer.must_not_violations': { label: 'must-not violations', better: 'lower', unit: 'rate', about: 'share of cases whose reply says something it must not' },
  'answer.cites_relevant': { label: 'cites a relevant doc', better: 'higher', unit: 'rate', about: 'the reply cites one of the relevant documents (cases with relevant ids)' },
  'citations.validity': { label: 'citation validity', better: 'higher', unit: 'rate', about: 'every [n] resolves and every quote is verbatim in its chunk' },
  'grounding.numeric': { label: 'numeric groundedness', better: 'higher', unit: 'rate', about: 'every number in the reply is in a cited chunk or the eligibility result' },
  'refusal.accuracy': { label: 'refusal accuracy', better: 'higher', unit: 'rate', about: 'cases expected to be refused that were refused' },
  'refusal.false_rate': { label: 'false-refusal rate', better: 'lower', unit: 'rate', about: 'cases expected to be answered that were refused' },
  'intent.accuracy': { label: 'intent accuracy', better: 'higher', unit: 'rate', about: 'the routed intent is the expected one' },
  'eligibility.accuracy': { label: 'eligibility verdict accuracy', better: 'higher', unit: 'rate', about: 'the overall eligibility status is the expected one' },
  'ask_back.accuracy': { label: 'ask-back accuracy', better: 'higher', unit: 'rate', about: 'the mentor asks back exactly when the case expects it' },
  'judge.faithfulness': { label: 'faithfulness (LLM judge)', better: 'higher', unit: 'score', about: 'RAGAS: share of the reply’s statements the contexts support' },
  'judge.answer_relevancy': { label: 'answer relevancy (LLM judge)', better: 'higher', unit: 'score', about: 'RAGAS: similarity of questions generated from the reply to the question asked' },
  'latency.p50_ms': { label: 'latency p50', better: 'lower', unit: 'ms', about: 'median turn latency, milliseconds' },
  'latency.p95_ms': { label: 'latency p95', better: 'lower', unit: 'ms', about: '95th percentile turn latency, milliseconds' },
} as const satisfies Record<string, MetricDef>;

export interface MetricDef {
  label: string;
  better: 'higher' | 'lower';
  unit: 'rate' | 'score' | 'ms';
  about: string;
}

export type MetricKey = keyof typeof METRICS;
/** Metrics a case scores itself (latency is a percentile over turns instead). */
export type CaseMetricKey = Exclude<MetricKey, 'latency.p50_ms' | 'latency.p95_ms'>;
export const METRIC_KEYS = Object.keys(METRICS) as MetricKey[];

export interface CitationView {
  n: number;
  docId: string;
  chunkId: string;
  title: string;
  url?: string;
  quote: string;
}

export interface TurnView {
  message: string;
  reply: string;
  intent: string;
  latencyMs: number;
  citations: number;
  eligibility?: string;
  /** LLM mode answered with the offline composer on this turn, and why (circuit_open, ungrounded, error, no_answer). */
  fallback?: string;
}

export interface RetrievedView {
  rank: number;
  docId: string;
  chunkId: string;
  title: string;
  score: number;
  relevant?: boolean;
  text: string;
}

export interface JudgeView {
  faithfulness?: number;
  answerRelevancy?: number;
  statements?: Array<{ statement: string; supported: boolean; reason?: string }>;
  generatedQuestions?: string[];
  noncommittal?: boolean;
  error?: string;
}

/** Everything known about one case after a run: what was asked, what came back, how it scored. */
export interface CaseResult {
  id: string;
  file: string;
  line: number;
  lang: 'zh' | 'en';
  kind: CaseKind;
  note?: string;
  /** The question, or the turns of the conversation. */
  messages: string[];
  expected: {
    mustMention?: string[];
    mustNot?: string[];
    intent?: string;
    eligibility?: string;
    askBack?: boolean;
    refusal?: boolean;
    relevant?: string[];
  };
  /** Every turn; the last one is the reply the checks read. Absent for retrieval-only cases. */
  turns?: TurnView[];
  reply?: string;
  intent?: string;
  citations?: CitationView[];
  eligibility?: { status: string; bestRoute?: string; bestLevel?: string; missing?: string[] };
  askedBack?: boolean;
  missed?: string[];
  mustNotHits?: string[];
  citationProblems?: string[];
  ungroundedNumbers?: string[];
  retrieved?: RetrievedView[];
  /** The query the retrieval metrics were measured on. */
  retrievalQuery?: string;
  judge?: JudgeView;
  /** Per-case metric values (0..1); a metric absent here does not apply to the case. */
  scores: Partial<Record<CaseMetricKey, number>>;
  /** Checks the case failed, named by metric key. Empty means the case passes. */
  failing: CaseMetricKey[];
  error?: string;
}

export interface MetricValue {
  value: number;
  /** How many cases (or turns, for latency) the value is measured on. */
  n: number;
}

export type MetricTable = Partial<Record<MetricKey, MetricValue>>;

export interface MetricBreakdown {
  overall: MetricTable;
  byLang: Record<string, MetricTable>;
  byKind: Record<string, MetricTable>;
}

/** Which per-case values count as failing: below full marks for the higher-is-better checks. */
export function failingChecks(scores: Partial<Record<CaseMetricKey, number>>): CaseMetricKey[] {
  const failing: CaseMetricKey[] = [];
  for (const key of Object.keys(scores) as CaseMetricKey[]) {
    const v = scores[key]!;
    if (key === 'answer.fully_correct' || key === 'retrieval.mrr' || key === 'retrieval.ndcg@10' || key === 'retrieval.hit@1' || key === 'retrieval.hit@3') continue;
    if (key === 'judge.answer_relevancy') {
      if (v < ANSWER_RELEVANCY_PASS) failing.push(key);
      continue;
    }
    if (METRICS[key].better === 'higher' ? v < 1 : v > 0) failing.push(key);
  }
  return failing;
}

/** Below this answer relevancy a case is listed as failing it (relevancy is a similarity, rarely exactly 1). */
export const ANSWER_RELEVANCY_PASS = 0.7;

/** Aggregate case scores into metrics: means of the per-case values, percentiles of turn latency. */
export function aggregate(cases: CaseResult[]): MetricTable {
  const table: MetricTable = {};
  for (const key of METRIC_KEYS) {
    if (key === 'latency.p50_ms' || key === 'latency.p95_ms') continue;
    const values = cases.map((c) => c.scores[key as CaseMetricKey]).filter((v): v is number => v !== undefined);
    const m = mean(values);
    if (m !== undefined) table[key] = { value: m, n: values.length };
  }
  const latencies = cases.flatMap((c) => (c.turns ?? []).map((t) => t.latencyMs));
  const p50 = percentile(latencies, 50);
  const p95 = percentile(latencies, 95);
  if (p50 !== undefined) table['latency.p50_ms'] = { value: p50, n: latencies.length };
  if (p95 !== undefined) table['latency.p95_ms'] = { value: p95, n: latencies.length };
  return table;
}

export function breakdown(cases: CaseResult[]): MetricBreakdown {
  const group = (by: (c: CaseResult) => string) => {
    const groups = new Map<string, CaseResult[]>();
    for (const c of cases) groups.set(by(c), [...(groups.get(by(c)) ?? []), c]);
    return Object.fromEntries([...groups.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([k, list]) => [k, aggregate(list)]));
  };
  return { overall: aggregate(cases), byLang: group((c) => c.lang), byKind: group((c) => c.kind) };
}

/** A metric value as people read it: rates and scores to 3 decimals, latency in ms to 1. */
export function formatMetric(key: MetricKey, value: number | undefined): string {
  if (value === undefined) return '–';
  return METRICS[key].unit === 'ms' ? `${value.toFixed(1)} ms` : value.toFixed(3);
}

/** "3 of 120 turns fell back to the offline composer (ungrounded 2, error 1)", or nothing. */
export function fallbackSummary(cases: CaseResult[]): string | undefined {
  const turns = cases.flatMap((c) => c.turns ?? []);
  const reasons = new Map<string, number>();
  for (const t of turns) if (t.fallback) reasons.set(t.fallback, (reasons.get(t.fallback) ?? 0) + 1);
  const n = [...reasons.values()].reduce((a, b) => a + b, 0);
  if (!n) return undefined;
  return `${n} of ${turns.length} turns fell back to the offline composer (${[...reasons.entries()].map(([k, v]) => `${k} ${v}`).join(', ')})`;
}
