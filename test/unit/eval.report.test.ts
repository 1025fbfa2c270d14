import { describe, expect, it } from 'vitest';
import { gate, type Baseline } from '../../src/eval/baseline.js';
import { buildReport, renderMarkdownReport, runName } from '../../src/eval/report.js';
import { groupedBars, histogram, renderHtmlReport } from '../../src/eval/report_html.js';
import { breakdown, failingChecks, type CaseResult } from '../../src/eval/results.js';
import type { RunResult } from '../../src/eval/runner.js';

const mk = (id: string, kind: CaseResult['kind'], lang: 'zh' | 'en', scores: CaseResult['scores'], extra: Partial<CaseResult> = {}): CaseResult => ({
  id,
  file: 'eval/datasets/chat.jsonl',
  line: 1,
  lang,
  kind,
  messages: ['q'],
  expected: {},
  turns: [{ message: 'q', reply: 'r', intent: 'policy_question', latencyMs: 12, citations: 1 }],
  reply: 'r',
  intent: 'policy_question',
  scores,
  failing: failingChecks(scores),
  ...extra,
});

const cases: CaseResult[] = [
  mk('ok-1', 'fact', 'zh', { 'answer.coverage': 1, 'citations.validity': 1 }),
  // A reply that tries to break out of the page's data block must stay data.
  mk('evil', 'pathway', 'en', { 'answer.coverage': 0.5, 'grounding.numeric': 0 }, { reply: '</script><script>alert(1)</script> 3 years', missed: ['green channel'], ungroundedNumbers: ['3'] }),
  mk('was-failing', 'fact', 'en', { 'answer.coverage': 1 }),
];
const run: RunResult = { label: 'offline', target: 'offline', startedAt: '2026-11-25T10:00:00.000Z', durationMs: 1234, judge: { enabled: false, note: 'no model configured' }, warnings: ['x: relevant doc y.zh is not in the index'], cases, metrics: breakdown(cases) };
const baseline: Baseline = {
  acceptedAt: '2026-11-24T00:00:00.000Z',
  run: 'r0',
  mode: 'offline',
  dataset: 'eval/datasets',
  caseCount: 3,
  metrics: { 'answer.coverage': { value: 0.95, tolerance: 0.02 }, 'citations.validity': { value: 1, tolerance: 0.02 } },
  cases: { 'ok-1': [], evil: [], 'was-failing': ['answer.coverage'] },
};

const report = buildReport({ id: runName(new Date('2026-11-25T10:00:00.123Z')), dataset: 'eval/datasets', filter: {}, asOf: '2026-11-25', runs: [run], baseline: { file: 'eval/baseline.json', data: baseline, gate: gate(run.metrics.overall, baseline, { mode: 'offline', caseCount: 3, filtered: false }) } });

describe('reports', () => {
  it('names runs by timestamp, safe as a folder name', () => {
    expect(report.id).toBe('2026-11-25T10-00-00Z');
  });

  it('report.md: figures, gate, changes since the baseline, failing cases', () => {
    const md = renderMarkdownReport(report);
    expect(md).toContain('| key-fact coverage | 0.833 (n=3) | 0.950 | -0.117 | 0.02 | **FAIL** |');
    expect(md).toContain('gate: FAILED: 1 metric(s)');
    expect(md).toContain('newly failing (1): `evil` (answer.coverage, grounding.numeric)');
    expect(md).toContain('newly passing (1): `was-failing`');
    expect(md).toMatch(/\| `evil` \| pathway \| en \| answer\.coverage, grounding\.numeric \| missed: green channel · ungrounded numbers: 3 \|/);
    expect(md).toContain('### by language');
    expect(md).toContain('warning: x: relevant doc y.zh is not in the index');
  });

  it('report.html: self-contained, with charts, the embedded cases and the baseline diff', () => {
    const html = renderHtmlReport(report);
    // Nothing is fetched: no external scripts, styles or images.
    expect(html).not.toMatch(/<(script|link|img)[^>]+(src|href)=/i);
    expect(html.match(/<svg /g)?.length).toBe(3);
    expect(html).toContain('Newly failing (1)');
    expect(html).toContain('data-case="evil"');
    expect(html).toContain('<option value="metric:grounding.numeric">numeric groundedness</option>');
    // The reply's </script> is escaped inside the JSON block, and the block parses back to the cases.
    const block = html.match(/<script type="application\/json" id="report-data">([\s\S]*?)<\/script>/)![1];
    expect(block).not.toContain('</script>');
    const data = JSON.parse(block) as { runs: Array<{ cases: CaseResult[] }>; diff: { newlyFailing: unknown[] } };
    expect(data.runs[0].cases.find((c) => c.id === 'evil')?.reply).toBe('</script><script>alert(1)</script> 3 years');
    expect(data.diff.newlyFailing).toEqual([{ id: 'evil', failing: ['answer.coverage', 'grounding.numeric'] }]);
    expect(html).toContain('How to read this report');
  });

  it('charts draw one bar per measured metric and group, and a latency histogram', () => {
    const bars = groupedBars(run.metrics.byKind);
    // fact: coverage + citation validity; pathway: coverage + numeric groundedness.
    expect(bars.match(/<rect [^>]*><title>/g)?.length).toBe(4);
    expect(bars).toContain('pathway · numeric groundedness: 0.000 (n=1)');
    const h = histogram([1, 2, 3, 50, 100]);
    expect(h.match(/<title>[^<]*: (\d+) turns/g)?.reduce((sum, t) => sum + Number(t.match(/: (\d+) turns/)![1]), 0)).toBe(5);
    expect(histogram([])).toContain('no turns');
  });
});
