import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { baselineFromRun, describeGate, diffCases, gate, readBaseline, writeBaseline, type Baseline } from '../../src/eval/baseline.js';
import type { CaseResult, MetricTable } from '../../src/eval/results.js';

const caseResult = (id: string, failing: CaseResult['failing']): CaseResult => ({ id, file: 'x.jsonl', line: 1, lang: 'zh', kind: 'fact', messages: ['q'], expected: {}, scores: {}, failing });

const baseline: Baseline = {
  acceptedAt: '2026-11-25T00:00:00.000Z',
  run: 'r0',
  mode: 'offline',
  dataset: 'eval/datasets',
  caseCount: 3,
  metrics: {
    'answer.coverage': { value: 0.9, tolerance: 0.02 },
    'answer.must_not_violations': { value: 0.05, tolerance: 0.02 },
    'latency.p95_ms': { value: 100, tolerance: 150 },
  },
  cases: { a: [], b: ['answer.coverage'], c: [] },
};
const run = { mode: 'offline', caseCount: 3, filtered: false };

describe('the gate', () => {
  it('passes when every metric is within its tolerance, even a little worse', () => {
    const metrics: MetricTable = { 'answer.coverage': { value: 0.881, n: 10 }, 'answer.must_not_violations': { value: 0.069, n: 10 }, 'latency.p95_ms': { value: 249, n: 10 } };
    const result = gate(metrics, baseline, run);
    expect(result.passed).toBe(true);
    expect(result.failures).toEqual([]);
    expect(describeGate(result)).toMatch(/^gate: passed/);
  });

  it('fails a higher-is-better metric that fell, and a lower-is-better one that rose, beyond tolerance', () => {
    const metrics: MetricTable = { 'answer.coverage': { value: 0.87, n: 10 }, 'answer.must_not_violations': { value: 0.08, n: 10 }, 'latency.p95_ms': { value: 251, n: 10 } };
    const result = gate(metrics, baseline, run);
    expect(result.passed).toBe(false);
    expect(result.failures.map((f) => f.key)).toEqual(['answer.coverage', 'answer.must_not_violations', 'latency.p95_ms']);
    const text = describeGate(result);
    expect(text).toMatch(/FAILED: 3 metric/);
    expect(text).toContain('answer.coverage: 0.900 → 0.870 (-0.030; tolerance 0.02)');
  });

  it('never fails on improvement', () => {
    const metrics: MetricTable = { 'answer.coverage': { value: 1, n: 10 }, 'answer.must_not_violations': { value: 0, n: 10 }, 'latency.p95_ms': { value: 1, n: 10 } };
    expect(gate(metrics, baseline, run).passed).toBe(true);
  });

  it('fails a metric the run did not measure, and notes a different mode or size', () => {
    const result = gate({ 'answer.coverage': { value: 0.9, n: 10 } }, baseline, { mode: 'llm', caseCount: 5, filtered: true });
    expect(result.failures.map((f) => f.key)).toEqual(['answer.must_not_violations', 'latency.p95_ms']);
    expect(describeGate(result)).toContain('not measured in this run');
    expect(result.notes.join('\n')).toMatch(/offline mode, this run is llm[\s\S]*3 cases, this run 5[\s\S]*filtered/);
  });
});

it('notes datasets that changed under the same case count', () => {
  const hashed = { ...baseline, datasetHash: 'aaaa' };
  const metrics: MetricTable = { 'answer.coverage': { value: 0.9, n: 10 }, 'answer.must_not_violations': { value: 0.05, n: 10 }, 'latency.p95_ms': { value: 100, n: 10 } };
  expect(gate(metrics, hashed, { ...run, datasetHash: 'bbbb' }).notes).toEqual(['the datasets changed since the baseline was accepted']);
  expect(gate(metrics, hashed, { ...run, datasetHash: 'aaaa' }).notes).toEqual([]);
});

describe('cases since the baseline', () => {
  it('lists newly failing, newly passing, changed, added and removed cases', () => {
    const baseline2: Baseline = { ...baseline, cases: { a: [], b: ['answer.coverage'], c: ['intent.accuracy'], gone: [] } };
    const diff = diffCases([caseResult('a', ['citations.validity']), caseResult('b', []), caseResult('c', ['answer.coverage']), caseResult('new', [])], baseline2);
    expect(diff.newlyFailing).toEqual([{ id: 'a', failing: ['citations.validity'] }]);
    expect(diff.newlyPassing).toEqual([{ id: 'b', failedBefore: ['answer.coverage'] }]);
    expect(diff.changed).toEqual([{ id: 'c', before: ['intent.accuracy'], now: ['answer.coverage'] }]);
    expect(diff.added).toEqual(['new']);
    expect(diff.removed).toEqual(['gone']);
  });
});

describe('the baseline file', () => {
  it('is written from a run, keeps tolerances set before, and reads back', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tm-eval-bl-'));
    const file = path.join(dir, 'baseline.json');
    const metrics: MetricTable = { 'answer.coverage': { value: 0.912345, n: 10 }, 'retrieval.mrr': { value: 0.8, n: 5 }, 'latency.p50_ms': { value: 12.3456, n: 12 } };
    const next = baselineFromRun({ id: 'r1', mode: 'offline', dataset: 'd', metrics, cases: [caseResult('a', []), caseResult('b', ['answer.coverage'])] }, baseline);
    writeBaseline(file, next);
    const back = readBaseline(file)!;
    expect(back.metrics['answer.coverage']).toEqual({ value: 0.9123, tolerance: 0.02, n: 10 });
    expect(back.metrics['retrieval.mrr']?.tolerance).toBe(0.02);
    expect(back.metrics['latency.p50_ms']).toEqual({ value: 12.35, tolerance: 50, n: 12 });
    expect(back.cases).toEqual({ a: [], b: ['answer.coverage'] });
    expect(back.caseCount).toBe(2);
    // One line per metric and per case, so a review shows what moved.
    expect(fs.readFileSync(file, 'utf8')).toContain('\n    "b": ["answer.coverage"]\n');
  });

  it('refuses an unknown metric or a malformed file', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tm-eval-bl-'));
    const file = path.join(dir, 'baseline.json');
    fs.writeFileSync(file, JSON.stringify({ ...baseline, metrics: { 'answer.coverge': { value: 1, tolerance: 0 } } }));
    expect(() => readBaseline(file)).toThrow(/answer\.coverge: unknown metric/);
    fs.writeFileSync(file, '{');
    expect(() => readBaseline(file)).toThrow(/not valid JSON/);
    expect(readBaseline(path.join(dir, 'none.json'))).toBeUndefined();
  });
});
