import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { METRIC_KEYS, METRICS, formatMetric, type CaseResult, type MetricKey, type MetricTable } from './results.js';

const BaselineSchema = z.object({
  about: z.string().optional(),
  acceptedAt: z.string(),
  run: z.string(),
  mode: z.string(),
  dataset: z.string(),
  /** sha256 of the dataset files, to tell a changed dataset from a changed mentor. */
  datasetHash: z.string().optional(),
  caseCount: z.number().int().nonnegative(),
  metrics: z.record(
    z.string(),
    z.object({
      value: z.number(),
      /** How far the metric may fall (in its own unit) before the gate fails. */
      tolerance: z.number().nonnegative(),
      n: z.number().int().nonnegative().optional(),
    }),
  ),
  /** Every case of the accepted run, with the checks it failed (empty = passing). */
  cases: z.record(z.string(), z.array(z.string())),
});

export type Baseline = z.infer<typeof BaselineSchema>;

/** Default tolerances: two points on rates and scores, generous on latency (machines differ). */
export const DEFAULT_TOLERANCE: Record<MetricDefUnit, number> = { rate: 0.02, score: 0.02, ms: 0 };
type MetricDefUnit = 'rate' | 'score' | 'ms';
const LATENCY_TOLERANCE: Partial<Record<MetricKey, number>> = { 'latency.p50_ms': 50, 'latency.p95_ms': 150 };

export function defaultTolerance(key: MetricKey): number {
  return LATENCY_TOLERANCE[key] ?? DEFAULT_TOLERANCE[METRICS[key].unit];
}

export function readBaseline(file: string): Baseline | undefined {
  if (!fs.existsSync(file)) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`${file}: not valid JSON: ${(err as Error).message}`);
  }
  const parsed = BaselineSchema.safeParse(raw);
  if (!parsed.success) throw new Error(`${file}: ${parsed.error.issues.map((i) => `${i.path.join('.') || '-'}: ${i.message}`).join('; ')}`);
  for (const key of Object.keys(parsed.data.metrics)) if (!(key in METRICS)) throw new Error(`${file}: metrics.${key}: unknown metric (known: ${METRIC_KEYS.join(', ')})`);
  return parsed.data;
}

/** A baseline from a run; tolerances already set in the previous baseline are kept. */
export function baselineFromRun(run: { id: string; mode: string; dataset: string; datasetHash?: string; metrics: MetricTable; cases: CaseResult[] }, previous?: Baseline, now = new Date()): Baseline {
  const metrics: Baseline['metrics'] = {};
  for (const key of METRIC_KEYS) {
    const m = run.metrics[key];
    if (!m) continue;
    metrics[key] = { value: roundFor(key, m.value), tolerance: previous?.metrics[key]?.tolerance ?? defaultTolerance(key), n: m.n };
  }
  return {
    about: 'Accepted evaluation figures. `mentor eval --gate` fails when a metric falls by more than its tolerance (in the metric’s unit); `mentor eval --update-baseline` accepts a new level on purpose.',
    acceptedAt: now.toISOString(),
    run: run.id,
    mode: run.mode,
    dataset: run.dataset,
    ...(run.datasetHash ? { datasetHash: run.datasetHash } : {}),
    caseCount: run.cases.length,
    metrics,
    cases: Object.fromEntries(run.cases.map((c) => [c.id, [...c.failing]])),
  };
}

/** Baseline JSON that reviews well: one line per metric and per case. */
export function formatBaseline(b: Baseline): string {
  const lines = ['{'];
  if (b.about) lines.push(`  "about": ${JSON.stringify(b.about)},`);
  lines.push(`  "acceptedAt": ${JSON.stringify(b.acceptedAt)},`, `  "run": ${JSON.stringify(b.run)},`, `  "mode": ${JSON.stringify(b.mode)},`, `  "dataset": ${JSON.stringify(b.dataset)},`, ...(b.datasetHash ? [`  "datasetHash": ${JSON.stringify(b.datasetHash)},`] : []), `  "caseCount": ${b.caseCount},`);
  const metricLines = Object.entries(b.metrics).map(([k, v]) => `    ${JSON.stringify(k)}: ${JSON.stringify(v)}`);
  lines.push('  "metrics": {', metricLines.join(',\n'), '  },');
  const caseLines = Object.entries(b.cases).map(([k, v]) => `    ${JSON.stringify(k)}: ${JSON.stringify(v)}`);
  lines.push('  "cases": {', caseLines.join(',\n'), '  }', '}');
  return `${lines.filter((l) => l !== '').join('\n')}\n`;
}

export function writeBaseline(file: string, b: Baseline): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp`;
  fs.writeFileSync(tmp, formatBaseline(b));
  fs.renameSync(tmp, file);
}

export interface MetricComparison {
  key: MetricKey;
  baseline: number;
  current?: number;
  /** current − baseline, in the metric's unit. */
  delta?: number;
  tolerance: number;
  /** Fell by more than the tolerance, or was not measured at all. */
  failed: boolean;
}

export interface GateResult {
  passed: boolean;
  comparisons: MetricComparison[];
  failures: MetricComparison[];
  /** Things a reader should know: the dataset or mode differs from the baseline's. */
  notes: string[];
}

/** Compare a run's metrics with the baseline: a metric fails when it got worse by more than its tolerance. */
export function gate(metrics: MetricTable, baseline: Baseline, run: { mode: string; caseCount: number; filtered: boolean; datasetHash?: string }): GateResult {
  const comparisons: MetricComparison[] = [];
  for (const [k, b] of Object.entries(baseline.metrics)) {
    const key = k as MetricKey;
    const current = metrics[key]?.value;
    if (current === undefined) {
      comparisons.push({ key, baseline: b.value, tolerance: b.tolerance, failed: true });
      continue;
    }
    const delta = current - b.value;
    const worse = METRICS[key].better === 'higher' ? -delta : delta;
    comparisons.push({ key, baseline: b.value, current, delta, tolerance: b.tolerance, failed: worse > b.tolerance + 1e-9 });
  }
  const notes: string[] = [];
  if (run.mode !== baseline.mode) notes.push(`the baseline was accepted in ${baseline.mode} mode, this run is ${run.mode}`);
  if (run.caseCount !== baseline.caseCount) notes.push(`the baseline has ${baseline.caseCount} cases, this run ${run.caseCount}`);
  else if (run.datasetHash && baseline.datasetHash && run.datasetHash !== baseline.datasetHash) notes.push('the datasets changed since the baseline was accepted');
  if (run.filtered) notes.push('this run is filtered (--kind, --lang or --limit): its figures are not comparable with the baseline');
  const failures = comparisons.filter((c) => c.failed);
  return { passed: failures.length === 0, comparisons, failures, notes };
}

export function describeGate(result: GateResult): string {
  const lines: string[] = [];
  if (result.passed) lines.push(`gate: passed (${result.comparisons.length} metrics within tolerance of the baseline)`);
  else {
    lines.push(`gate: FAILED: ${result.failures.length} metric(s) fell by more than their tolerance:`);
    for (const f of result.failures) {
      lines.push(
        f.current === undefined
          ? `  ${f.key}: not measured in this run (baseline ${formatMetric(f.key, f.baseline)})`
          : `  ${f.key}: ${formatMetric(f.key, f.baseline)} → ${formatMetric(f.key, f.current)} (${signed(f.key, f.delta!)}; tolerance ${f.tolerance})`,
      );
    }
  }
  for (const n of result.notes) lines.push(`  note: ${n}`);
  return lines.join('\n');
}

export interface CaseDiff {
  newlyFailing: Array<{ id: string; failing: string[] }>;
  newlyPassing: Array<{ id: string; failedBefore: string[] }>;
  /** Failing both times but on different checks. */
  changed: Array<{ id: string; before: string[]; now: string[] }>;
  added: string[];
  removed: string[];
}

/** Which cases changed state since the baseline. */
export function diffCases(cases: CaseResult[], baseline: Baseline): CaseDiff {
  const diff: CaseDiff = { newlyFailing: [], newlyPassing: [], changed: [], added: [], removed: [] };
  const current = new Set<string>();
  for (const c of cases) {
    current.add(c.id);
    const before = baseline.cases[c.id];
    if (!before) {
      diff.added.push(c.id);
      continue;
    }
    if (before.length === 0 && c.failing.length > 0) diff.newlyFailing.push({ id: c.id, failing: c.failing });
    else if (before.length > 0 && c.failing.length === 0) diff.newlyPassing.push({ id: c.id, failedBefore: before });
    else if (before.length > 0 && [...before].sort().join() !== [...c.failing].sort().join()) diff.changed.push({ id: c.id, before, now: c.failing });
  }
  for (const id of Object.keys(baseline.cases)) if (!current.has(id)) diff.removed.push(id);
  return diff;
}

function roundFor(key: MetricKey, v: number): number {
  return METRICS[key].unit === 'ms' ? Math.round(v * 100) / 100 : Math.round(v * 10000) / 10000;
}

function signed(key: MetricKey, delta: number): string {
  const s = METRICS[key].unit === 'ms' ? `${delta.toFixed(1)} ms` : delta.toFixed(3);
  return delta >= 0 ? `+${s}` : s;
}
