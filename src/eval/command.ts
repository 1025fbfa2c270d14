import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT, type Config } from '../config.js';
import { embedderFactory } from '../knowledge/index.js';
import { createChatModel } from '../llm/index.js';
import type { ServiceOptions } from '../mentor/index.js';
import { SqliteStore } from '../store/index.js';
import { baselineFromRun, describeGate, gate, readBaseline, writeBaseline, type Baseline, type GateResult } from './baseline.js';
import { createLlmJudge, type Judge } from './judge.js';
import { baselineRun, buildReport, runName, writeReport } from './report.js';
import { METRICS, formatMetric, type MetricKey } from './results.js';
import { runEvaluation, type Progress, type RunResult } from './runner.js';
import { DatasetError, datasetHash, filterCases, KINDS, loadDatasets, RETRIEVAL_KIND, type CaseFilter } from './schema.js';
import { httpTarget, openInProcessTarget, type EvalMode, type EvalTarget, type InProcessTarget } from './targets.js';
import { appendCase, caseFromTranscript, caseLine } from './transcript.js';

export const DEFAULT_DATASETS = path.join(REPO_ROOT, 'eval', 'datasets');
export const DEFAULT_REPORTS = path.join(REPO_ROOT, 'eval', 'reports');
export const DEFAULT_BASELINE = path.join(REPO_ROOT, 'eval', 'baseline.json');

export interface EvalCommandOptions {
  dataset?: string;
  out?: string;
  limit?: number;
  kind?: string;
  lang?: 'zh' | 'en';
  gate?: boolean;
  updateBaseline?: boolean;
  baseline?: string;
  /** "offline,llm": both modes side by side. */
  compare?: string;
  url?: string;
  mode?: EvalMode;
  /** Evaluation date (YYYY-MM-DD) for the mentor's clock and retrieval validity. */
  asOf?: string;
  /** false: leave out the LLM-judged metrics even with a model configured. */
  judge?: boolean;
  /** Cases in flight at once; default 1 in process offline (latency stays comparable), 4 with a model or --url. */
  concurrency?: number;
}

export interface EvalCommandDeps {
  config: Config;
  /** Wraps each target before the run, e.g. a deliberately broken composer in the gate test. */
  wrapTarget?: (target: EvalTarget) => EvalTarget;
  serviceOptions?: ServiceOptions;
  stdout?: (text: string) => void;
  stderr?: (text: string) => void;
}

/** Exit codes: 0 done (gate passed), 1 the gate failed, 2 bad usage or an invalid dataset. */
export async function runEvalCommand(opts: EvalCommandOptions, deps: EvalCommandDeps): Promise<number> {
  const out = deps.stdout ?? ((s: string) => process.stdout.write(s));
  const err = deps.stderr ?? ((s: string) => process.stderr.write(s));
  const usage = (message: string) => {
    err(`error: ${message}\n`);
    return 2;
  };
  const config = deps.config;

  if (opts.gate && opts.updateBaseline) return usage('--gate and --update-baseline do not go together: gate against the accepted figures, or accept new ones');
  if (opts.kind && ![...KINDS, RETRIEVAL_KIND].includes(opts.kind as never)) return usage(`--kind must be one of ${[...KINDS, RETRIEVAL_KIND].join(', ')}`);
  if (opts.asOf && !/^\d{4}-\d{2}-\d{2}$/.test(opts.asOf)) return usage('--as-of must be a date, YYYY-MM-DD');
  const filter: CaseFilter = { ...(opts.kind ? { kind: opts.kind } : {}), ...(opts.lang ? { lang: opts.lang } : {}), ...(opts.limit ? { limit: opts.limit } : {}) };
  const filtered = Object.keys(filter).length > 0;
  if ((opts.gate || opts.updateBaseline) && filtered) return usage(`${opts.gate ? '--gate' : '--update-baseline'} needs the whole dataset: drop --kind, --lang and --limit`);

  const baselineFile = path.resolve(opts.baseline ?? DEFAULT_BASELINE);
  let baseline: Baseline | undefined;
  try {
    baseline = readBaseline(baselineFile);
  } catch (e) {
    return usage(`the baseline is unreadable: ${(e as Error).message}`);
  }
  if (opts.gate && !baseline) return usage(`no baseline at ${shown(baselineFile)}: accept one first with --update-baseline`);

  let modes: EvalMode[];
  if (opts.url) {
    if (opts.compare) return usage('--compare runs the mentor in this process; it does not go with --url');
    modes = [];
  } else if (opts.compare) {
    const parts = opts.compare.split(',').map((s) => s.trim());
    if (parts.length < 2 || new Set(parts).size !== parts.length || parts.some((p) => p !== 'offline' && p !== 'llm')) return usage('--compare takes two distinct modes: offline,llm');
    modes = parts as EvalMode[];
  } else {
    const fallback: EvalMode = opts.gate && baseline && (baseline.mode === 'offline' || baseline.mode === 'llm') ? baseline.mode : config.llmEnabled ? 'llm' : 'offline';
    modes = [opts.mode ?? fallback];
  }
  if (modes.includes('llm') && !config.llmEnabled) return usage('LLM mode needs a model: set OPENAI_API_KEY or OPENAI_BASE_URL (or run --mode offline)');

  const datasetPath = path.resolve(opts.dataset ?? DEFAULT_DATASETS);
  let cases;
  try {
    cases = filterCases(loadDatasets(datasetPath), filter);
  } catch (e) {
    if (e instanceof DatasetError) {
      err(`${e.message}\n`);
      return 2;
    }
    throw e;
  }
  if (cases.length === 0) return usage('no cases to run (check --dataset, --kind and --lang)');

  const id = runName();
  const outDir = path.resolve(opts.out ?? path.join(DEFAULT_REPORTS, id));
  const now = opts.asOf ? () => new Date(`${opts.asOf}T12:00:00Z`) : undefined;
  const serviceOptions: ServiceOptions = { ...(now ? { now } : {}), ...deps.serviceOptions };
  // The gate judges only when the accepted figures include judged metrics: it stays fast and free otherwise.
  const judging = opts.judge !== false && config.llmEnabled && (!opts.gate || Object.keys(baseline?.metrics ?? {}).some((k) => k.startsWith('judge.')));
  const judgeNote = !config.llmEnabled ? 'no model configured: the LLM-judged metrics (faithfulness, answer relevancy) are omitted' : opts.judge === false ? 'LLM-judged metrics turned off (--no-judge)' : 'LLM-judged metrics left out of the gate: the baseline has none';

  const runs: RunResult[] = [];
  const opened: InProcessTarget[] = [];
  try {
    const plan: Array<{ target: EvalTarget; reference: InProcessTarget }> = [];
    if (opts.url) {
      // The deployment answers; chunk texts and retrieval come from the corpus in this checkout.
      const reference = await openInProcessTarget(config, 'offline', serviceOptions);
      opened.push(reference);
      plan.push({ target: httpTarget(opts.url), reference });
    } else {
      for (const mode of modes) {
        const target = await openInProcessTarget(config, mode, serviceOptions);
        opened.push(target);
        plan.push({ target, reference: target });
      }
    }
    err(`evaluating ${cases.length} cases from ${shown(datasetPath)} on ${plan.map((p) => p.target.label).join(' and ')}${judging ? ', with the LLM judge' : ''}\n`);
    for (const { target, reference } of plan) {
      let judge: Judge | undefined;
      if (judging) {
        const embedder = embedderFactory(config)(reference.index().glossary);
        judge = createLlmJudge(createChatModel({ apiKey: config.OPENAI_API_KEY, baseURL: config.OPENAI_BASE_URL, model: config.OPENAI_MODEL, timeoutMs: config.OPENAI_TIMEOUT_MS }), (texts) => embedder.embed(texts));
      }
      const run = await runEvaluation(cases, {
        target: deps.wrapTarget ? deps.wrapTarget(target) : target,
        index: reference.index,
        judge,
        judgeNote,
        asOf: opts.asOf,
        concurrency: opts.concurrency ?? (opts.url || target.label === 'llm' ? 4 : 1),
        onProgress: (p) => err(progressLine(p)),
      });
      runs.push(run);
    }
  } finally {
    for (const t of opened) await t.close();
  }

  const hashOfDataset = datasetHash(datasetPath);
  let gateResult: GateResult | undefined;
  if (baseline) {
    const compared = baselineRun(runs, baseline.mode);
    gateResult = gate(compared.metrics.overall, baseline, { mode: compared.label, caseCount: compared.cases.length, filtered, datasetHash: hashOfDataset });
  }
  const report = buildReport({ id, dataset: shown(datasetPath), filter, asOf: opts.asOf ?? new Date().toISOString().slice(0, 10), runs, ...(baseline && gateResult ? { baseline: { file: shown(baselineFile), data: baseline, gate: gateResult } } : {}) });
  const files = writeReport(report, outDir);

  out(summaryTable(runs));
  out(`\nreport: ${shown(files.html)}\n        ${shown(files.md)}\n        ${shown(files.json)}\n`);
  if (report.baseline) {
    const d = report.baseline.diff;
    out(`since the baseline: ${d.newlyFailing.length} newly failing, ${d.newlyPassing.length} newly passing${d.newlyFailing.length ? ` (${d.newlyFailing.slice(0, 10).map((x) => x.id).join(', ')}${d.newlyFailing.length > 10 ? ', …' : ''})` : ''}\n`);
  }

  if (opts.updateBaseline) {
    const accepted = baselineRun(runs, baseline?.mode ?? runs[0].label);
    const next = baselineFromRun({ id, mode: accepted.label, dataset: shown(datasetPath), datasetHash: hashOfDataset, metrics: accepted.metrics.overall, cases: accepted.cases }, baseline);
    writeBaseline(baselineFile, next);
    out(`baseline updated: ${shown(baselineFile)} (${Object.keys(next.metrics).length} metrics from the ${accepted.label} run)\n`);
  }
  if (opts.gate && gateResult) {
    err(`${describeGate(gateResult)}\n`);
    return gateResult.passed ? 0 : 1;
  }
  if (gateResult && !gateResult.passed && !filtered) out(`(the baseline gate would fail: ${gateResult.failures.map((f) => f.key).join(', ')}; run with --gate to enforce it)\n`);
  return 0;
}

function progressLine(p: Progress): string {
  const parts = [`${p.done}/${p.total}`];
  if (p.coverage !== undefined) parts.push(`coverage ${p.coverage.toFixed(3)}`);
  if (p.fullyCorrect !== undefined) parts.push(`fully correct ${p.fullyCorrect.toFixed(3)}`);
  parts.push(`${(p.elapsedMs / 1000).toFixed(1)} s`);
  return `  [${p.label}] ${parts.join(' · ')}\n`;
}

function summaryTable(runs: RunResult[]): string {
  const keys = (Object.keys(METRICS) as MetricKey[]).filter((k) => runs.some((r) => r.metrics.overall[k]));
  const width = Math.max(...keys.map((k) => METRICS[k].label.length));
  const lines = [`${''.padEnd(width)}  ${runs.map((r) => r.label.padStart(14)).join('  ')}`];
  for (const k of keys) lines.push(`${METRICS[k].label.padEnd(width)}  ${runs.map((r) => formatMetric(k, r.metrics.overall[k]?.value).padStart(14)).join('  ')}`);
  return `${lines.join('\n')}\n`;
}

function shown(p: string): string {
  const rel = path.relative(process.cwd(), p);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : p;
}

export interface EvalAddOptions {
  fromTranscript: string;
  /** Append the case to this JSONL file; without it the line is printed. */
  append?: string;
  id?: string;
}

/** `mentor eval add --from-transcript SESSION`: a stored conversation as a draft case. */
export function runEvalAddCommand(opts: EvalAddOptions, deps: { config: Config; stdout?: (s: string) => void; stderr?: (s: string) => void }): number {
  const out = deps.stdout ?? ((s: string) => process.stdout.write(s));
  const err = deps.stderr ?? ((s: string) => process.stderr.write(s));
  const dbFile = path.join(deps.config.dataDir, 'mentor.sqlite');
  if (!fs.existsSync(dbFile)) {
    err(`error: no conversation store at ${dbFile} (DATA_DIR)\n`);
    return 2;
  }
  const store = new SqliteStore(dbFile);
  try {
    const rows = store.transcript(opts.fromTranscript);
    if (rows.length === 0) {
      err(`error: no turns stored for session ${opts.fromTranscript} in ${dbFile}\n`);
      return 2;
    }
    const draft = caseFromTranscript(opts.fromTranscript, rows, { id: opts.id });
    if (opts.append) {
      appendCase(opts.append, draft);
      out(`added case ${draft.id} to ${opts.append}\n`);
    } else out(`${caseLine(draft)}\n`);
    err(`draft case ${draft.id} from ${rows.length} turn(s): fill in must_mention and must_not, check intent, relevant and eligibility, then remove the TODO from its note.\n`);
    return 0;
  } catch (e) {
    err(`error: ${(e as Error).message}\n`);
    return 2;
  } finally {
    store.close();
  }
}
