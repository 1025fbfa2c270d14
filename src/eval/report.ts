import fs from 'node:fs';
import path from 'node:path';
import { describeGate, diffCases, type Baseline, type CaseDiff, type GateResult } from './baseline.js';
import { maskReport } from './redact.js';
import { renderHtmlReport } from './report_html.js';
import { METRIC_KEYS, METRICS, fallbackSummary, formatMetric, type MetricDef, type MetricKey } from './results.js';
import type { RunResult } from './runner.js';
import type { CaseFilter } from './schema.js';

/** One evaluation: one run, or two side by side (--compare offline,llm), and how it stands against the baseline. */
export interface Report {
  /** The run's name: its start time, e.g. 2026-11-25T10-00-00Z. */
  id: string;
  createdAt: string;
  dataset: string;
  filter: CaseFilter;
  /** The evaluation date: the mentor's clock (eligibility) and retrieval validity windows. */
  asOf: string;
  runs: RunResult[];
  metricsCatalogue: Record<MetricKey, MetricDef>;
  baseline?: {
    file: string;
    acceptedAt: string;
    run: string;
    mode: string;
    /** The run compared with the baseline (the one in the baseline's mode, else the first). */
    comparedRun: string;
    metrics: Baseline['metrics'];
    gate: GateResult;
    diff: CaseDiff;
  };
}

export function runName(date = new Date()): string {
  return date.toISOString().replace(/\.\d+Z$/, 'Z').replace(/:/g, '-');
}

export function buildReport(input: { id: string; dataset: string; filter: CaseFilter; asOf: string; runs: RunResult[]; baseline?: { file: string; data: Baseline; gate: GateResult } }): Report {
  const report: Report = { id: input.id, createdAt: new Date().toISOString(), dataset: input.dataset, filter: input.filter, asOf: input.asOf, runs: input.runs, metricsCatalogue: METRICS };
  if (input.baseline) {
    const b = input.baseline.data;
    const compared = baselineRun(input.runs, b.mode);
    report.baseline = { file: input.baseline.file, acceptedAt: b.acceptedAt, run: b.run, mode: b.mode, comparedRun: compared.label, metrics: b.metrics, gate: input.baseline.gate, diff: diffCases(compared.cases, b) };
  }
  return report;
}

export function baselineRun(runs: RunResult[], mode: string): RunResult {
  return runs.find((r) => r.label === mode) ?? runs[0];
}

/** Write report.json, report.md and report.html (PII-masked) into a folder; returns their paths. */
export function writeReport(unmasked: Report, outDir: string): { json: string; md: string; html: string } {
  const report = maskReport(unmasked);
  fs.mkdirSync(outDir, { recursive: true });
  const files = { json: path.join(outDir, 'report.json'), md: path.join(outDir, 'report.md'), html: path.join(outDir, 'report.html') };
  fs.writeFileSync(files.json, `${JSON.stringify(report, null, 1)}\n`);
  fs.writeFileSync(files.md, renderMarkdownReport(report));
  fs.writeFileSync(files.html, renderHtmlReport(report));
  return files;
}

const SUMMARY_KEYS: MetricKey[] = METRIC_KEYS;

/** The report as Markdown: the figures, the gate, the changes since the baseline and the failing cases. */
export function renderMarkdownReport(unmasked: Report): string {
  const report = maskReport(unmasked);
  const out: string[] = [];
  const runs = report.runs;
  out.push(`# Evaluation ${report.id}`, '');
  out.push(`- dataset: \`${report.dataset}\`${describeFilter(report.filter)}; evaluated as of ${report.asOf}`);
  for (const r of runs) {
    const answer = r.cases.filter((c) => c.kind !== 'retrieval').length;
    out.push(`- ${r.label}: ${r.cases.length} cases (${answer} answer, ${r.cases.length - answer} retrieval-only) in ${(r.durationMs / 1000).toFixed(1)} s; ${r.judge.note}`);
    const fellBack = fallbackSummary(r.cases);
    if (fellBack) out.push(`  - ${fellBack}`);
    for (const w of r.warnings) out.push(`  - warning: ${w}`);
  }
  if (report.baseline) out.push(`- baseline: \`${report.baseline.file}\`, accepted ${report.baseline.acceptedAt} (run ${report.baseline.run}, ${report.baseline.mode})`);
  out.push('');

  out.push('## Metrics', '');
  const head = ['metric', ...runs.map((r) => r.label), ...(report.baseline ? ['baseline', 'Δ', 'tolerance', 'gate'] : [])];
  out.push(`| ${head.join(' | ')} |`, `|${head.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`);
  for (const key of SUMMARY_KEYS) {
    const values = runs.map((r) => r.metrics.overall[key]);
    if (values.every((v) => !v) && !report.baseline?.metrics[key]) continue;
    const cells = [`${METRICS[key].label}`, ...values.map((v) => (v ? `${formatMetric(key, v.value)} (n=${v.n})` : '–'))];
    if (report.baseline) {
      const cmp = report.baseline.gate.comparisons.find((c) => c.key === key);
      cells.push(cmp ? formatMetric(key, cmp.baseline) : '–', cmp?.delta !== undefined ? signedDelta(key, cmp.delta) : '–', cmp ? String(cmp.tolerance) : '–', cmp ? (cmp.failed ? '**FAIL**' : 'ok') : '–');
    }
    out.push(`| ${cells.join(' | ')} |`);
  }
  out.push('');
  if (runs.some((r) => !r.judge.enabled)) out.push(`LLM-judged metrics: ${runs.filter((r) => !r.judge.enabled).map((r) => `${r.label}: ${r.judge.note}`).join('; ')}.`, '');

  for (const r of runs) {
    for (const [title, groups] of [
      ['language', r.metrics.byLang],
      ['kind', r.metrics.byKind],
    ] as const) {
      const names = Object.keys(groups);
      out.push(`### ${runs.length > 1 ? `${r.label}: ` : ''}by ${title}`, '');
      out.push(`| metric | ${names.join(' | ')} |`, `|---|${names.map(() => '---:').join('|')}|`);
      for (const key of SUMMARY_KEYS) {
        if (names.every((g) => !groups[g][key])) continue;
        out.push(`| ${METRICS[key].label} | ${names.map((g) => (groups[g][key] ? `${formatMetric(key, groups[g][key]!.value)} (${groups[g][key]!.n})` : '–')).join(' | ')} |`);
      }
      out.push('');
    }
  }

  if (report.baseline) {
    const { gate, diff } = report.baseline;
    out.push('## Gate', '', '```', describeGate(gate), '```', '');
    out.push(`## Since the baseline (${report.baseline.comparedRun} run)`, '');
    out.push(`- newly failing (${diff.newlyFailing.length}): ${diff.newlyFailing.map((d) => `\`${d.id}\` (${d.failing.join(', ')})`).join(', ') || 'none'}`);
    out.push(`- newly passing (${diff.newlyPassing.length}): ${diff.newlyPassing.map((d) => `\`${d.id}\``).join(', ') || 'none'}`);
    if (diff.changed.length) out.push(`- failing differently (${diff.changed.length}): ${diff.changed.map((d) => `\`${d.id}\` (${d.before.join(', ')} → ${d.now.join(', ')})`).join(', ')}`);
    if (diff.added.length) out.push(`- not in the baseline (${diff.added.length}): ${diff.added.map((id) => `\`${id}\``).join(', ')}`);
    if (diff.removed.length) out.push(`- in the baseline, not in this run (${diff.removed.length}): ${diff.removed.map((id) => `\`${id}\``).join(', ')}`);
    out.push('');
  }

  for (const r of runs) {
    const failing = r.cases.filter((c) => c.failing.length > 0);
    out.push(`## ${runs.length > 1 ? `${r.label}: ` : ''}failing cases (${failing.length} of ${r.cases.length})`, '');
    if (failing.length) {
      out.push('| case | kind | lang | failing | details |', '|---|---|---|---|---|');
      for (const c of failing) {
        const details = [
          c.error && `error: ${c.error}`,
          c.missed?.length && `missed: ${c.missed.join('; ')}`,
          c.mustNotHits?.length && `said: ${c.mustNotHits.join('; ')}`,
          c.expected.intent && c.intent !== c.expected.intent && `intent ${c.intent} ≠ ${c.expected.intent}`,
          c.expected.eligibility && c.eligibility?.status !== c.expected.eligibility && `eligibility ${c.eligibility?.status ?? 'none'} ≠ ${c.expected.eligibility}`,
          c.expected.askBack !== undefined && c.askedBack !== c.expected.askBack && (c.expected.askBack ? 'did not ask back' : 'asked back'),
          c.citationProblems?.length && `citations: ${c.citationProblems.join('; ')}`,
          c.ungroundedNumbers?.length && `ungrounded numbers: ${c.ungroundedNumbers.join(', ')}`,
          c.failing.includes('retrieval.hit@5') && `no relevant doc in the top 5 (got ${[...new Set((c.retrieved ?? []).slice(0, 5).map((x) => x.docId))].join(', ')})`,
          c.judge?.error && `judge: ${c.judge.error}`,
        ].filter(Boolean);
        out.push(`| \`${c.id}\` | ${c.kind} | ${c.lang} | ${c.failing.join(', ')} | ${mdCell(details.join(' · '))} |`);
      }
      out.push('');
    }
  }
  out.push('Open `report.html` beside this file for the charts, each case’s reply, citations and retrieved chunks.', '');
  return out.join('\n');
}

function describeFilter(f: CaseFilter): string {
  const parts = [f.kind && `kind ${f.kind}`, f.lang && `lang ${f.lang}`, f.limit && `first ${f.limit}`].filter(Boolean);
  return parts.length ? ` (filtered: ${parts.join(', ')})` : '';
}

function signedDelta(key: MetricKey, delta: number): string {
  const s = METRICS[key].unit === 'ms' ? delta.toFixed(1) : delta.toFixed(3);
  return delta >= 0 ? `+${s}` : s;
}

function mdCell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

