// The evaluation folder's door: datasets, the runner and its metrics, reports, the baseline gate, the commands.
export { EvalCaseSchema, RetrievalCaseSchema, DatasetError, loadDatasets, parseDataset, filterCases, KINDS, RETRIEVAL_KIND, type EvalCase, type AnswerCase, type RetrievalCase, type CaseFilter, type Kind } from './schema.js';
export { mentions, keyFacts, mustNotHits, citationProblems, ungroundedNumbers, numberEvidence, isRefusal, expectsRefusal, askedBack, retrievalScores, ndcgAt, percentile } from './metrics.js';
export { METRICS, METRIC_KEYS, aggregate, breakdown, failingChecks, formatMetric, type CaseResult, type MetricKey, type MetricTable, type MetricBreakdown } from './results.js';
export { runEvaluation, topicOf, type RunOptions, type RunResult, type Progress } from './runner.js';
export { openInProcessTarget, httpTarget, configForMode, type EvalTarget, type EvalMode, type TurnRequest } from './targets.js';
export { createLlmJudge, cosine, type Judge, type JudgeModel } from './judge.js';
export { readBaseline, writeBaseline, baselineFromRun, gate, describeGate, diffCases, defaultTolerance, type Baseline, type GateResult } from './baseline.js';
export { buildReport, writeReport, renderMarkdownReport, runName, type Report } from './report.js';
export { renderHtmlReport } from './report_html.js';
export { caseFromTranscript, caseLine, appendCase } from './transcript.js';
export { runEvalCommand, runEvalAddCommand, DEFAULT_BASELINE, DEFAULT_DATASETS, DEFAULT_REPORTS, type EvalCommandOptions } from './command.js';
export { maskReport } from './redact.js';
