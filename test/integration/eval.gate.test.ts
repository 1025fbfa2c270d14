import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { readBaseline, runEvalCommand, type EvalCommandOptions, type EvalTarget } from '../../src/eval/index.js';
import type { Report } from '../../src/eval/report.js';

/**
 * The gate on the real mentor: a healthy run is accepted as the baseline and passes its own gate;
 * the same cases through a deliberately broken composer fail it, naming the metrics that fell.
 */
const dataset = path.join(import.meta.dirname, '..', 'fixtures', 'eval', 'small');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tm-eval-gate-'));
const config = loadConfig({ DATA_DIR: path.join(work, 'data'), LOG_LEVEL: 'silent' });
const baselineFile = path.join(work, 'baseline.json');

afterAll(() => fs.rmSync(work, { recursive: true, force: true }));
let healthy: Report;

async function evaluate(name: string, opts: EvalCommandOptions, wrapTarget?: (t: EvalTarget) => EvalTarget) {
  let stdout = '';
  let stderr = '';
  const out = path.join(work, name);
  const code = await runEvalCommand(
    { dataset, out, baseline: baselineFile, asOf: '2026-11-25', ...opts },
    { config, wrapTarget, stdout: (s) => (stdout += s), stderr: (s) => (stderr += s) },
  );
  const report = fs.existsSync(path.join(out, 'report.json')) ? (JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8')) as Report) : undefined;
  return { code, stdout, stderr, report, md: report ? fs.readFileSync(path.join(out, 'report.md'), 'utf8') : '' };
}

/** Breaks the composer after the fact: the text keeps its [n] markers, the citations are gone. */
const dropCitations = (t: EvalTarget): EvalTarget => ({ ...t, turn: async (r) => ({ ...(await t.turn(r)), citations: [] }) });
/** Replaces every reply with a vague sentence carrying a number no source has. */
const vagueReplies = (t: EvalTarget): EvalTarget => ({ ...t, turn: async (r) => ({ ...(await t.turn(r)), reply: 'It depends; usually it takes 7 years.' }) });

describe('mentor eval --gate', () => {
  it('refuses to gate without a baseline', async () => {
    const r = await evaluate('none', { gate: true });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no baseline at .*baseline\.json: accept one first with --update-baseline/);
  });

  it('accepts a healthy run as the baseline, and that run passes its own gate', async () => {
    const accepted = await evaluate('healthy', { updateBaseline: true });
    expect(accepted.code).toBe(0);
    expect(accepted.stdout).toMatch(/baseline updated: .*baseline\.json/);
    const baseline = readBaseline(baselineFile)!;
    expect(baseline.mode).toBe('offline');
    expect(baseline.caseCount).toBe(11);
    expect(baseline.metrics['citations.validity']).toMatchObject({ value: 1, tolerance: 0.02 });
    expect(baseline.metrics['answer.coverage']?.value).toBeGreaterThan(0.5);
    expect(baseline.metrics['latency.p95_ms']?.tolerance).toBe(150);
    expect(Object.keys(baseline.cases)).toHaveLength(11);
    healthy = accepted.report!;

    const again = await evaluate('again', { gate: true });
    expect(again.stderr).toMatch(/gate: passed/);
    expect(again.code).toBe(0);
    expect(again.report?.baseline?.diff.newlyFailing).toEqual([]);
  }, 120_000);

  it('fails when the composer drops its citations, naming citation validity', async () => {
    const broken = await evaluate('no-citations', { gate: true }, dropCitations);
    expect(broken.code).toBe(1);
    expect(broken.stderr).toMatch(/gate: FAILED/);
    expect(broken.stderr).toMatch(/citations\.validity: 1\.000 → 0\.000/);
    expect(broken.stderr).toMatch(/answer\.cites_relevant: [01]\.\d{3} → 0\.000/);
    expect(broken.report?.baseline?.gate.passed).toBe(false);
    // Every case that passed with citations in the accepted run is newly failing now.
    const citedAndPassing = healthy.runs[0].cases.filter((c) => c.failing.length === 0 && /\[\d+\]/.test(c.reply ?? '')).map((c) => c.id);
    expect(citedAndPassing.length).toBeGreaterThan(1);
    const newlyFailing = broken.report!.baseline!.diff.newlyFailing;
    expect(newlyFailing.map((d) => d.id)).toEqual(expect.arrayContaining(citedAndPassing));
    for (const d of newlyFailing) expect(d.failing).toContain('citations.validity');
    expect(broken.md).toMatch(new RegExp(`newly failing \\(${newlyFailing.length}\\): \`${newlyFailing[0].id}\` \\(`));
  }, 120_000);

  it('fails when the composer replaces its replies, naming coverage and groundedness', async () => {
    const broken = await evaluate('vague', { gate: true }, vagueReplies);
    expect(broken.code).toBe(1);
    const failed = broken.report!.baseline!.gate.failures.map((f) => f.key);
    // No reply asks back any more either; the citations themselves were left intact and still hold.
    expect(failed).toEqual(expect.arrayContaining(['answer.coverage', 'answer.fully_correct', 'grounding.numeric', 'ask_back.accuracy']));
    expect(failed).not.toContain('citations.validity');
    for (const key of ['answer.coverage', 'answer.fully_correct', 'grounding.numeric']) expect(broken.stderr).toContain(`  ${key}: `);
    // Intent routing was untouched, so it did not fall.
    expect(failed).not.toContain('intent.accuracy');
  }, 120_000);

  it('refuses a filtered gate and a gate that also updates the baseline', async () => {
    expect((await evaluate('filtered', { gate: true, limit: 2 })).code).toBe(2);
    const both = await evaluate('both', { gate: true, updateBaseline: true });
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/do not go together/);
  });
});
