import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { runEvalCommand } from '../../src/eval/index.js';
import type { Report } from '../../src/eval/report.js';
import { startFakeOpenAI, type FakeOpenAI } from '../fixtures/fake_openai.js';

/**
 * `--compare offline,llm` with a model configured: the fake OpenAI-compatible server plays both the
 * mentor's model (LLM mode) and the judge, so both runs carry the LLM-judged metrics.
 */
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tm-eval-llm-'));
const dataset = path.join(work, 'cases.jsonl');
let fake: FakeOpenAI;
let report: Report;
let stdout = '';
let stderr = '';
let code: number;

const judgeSteps = (supported: number[], question = 'What is the green channel?') => [
  { content: JSON.stringify({ statements: supported.map((_, i) => `statement ${i + 1}`) }) },
  { content: JSON.stringify({ verdicts: supported.map((v, i) => ({ statement: `statement ${i + 1}`, reason: 'r', verdict: v })) }) },
  { content: JSON.stringify({ questions: [question, question, question], noncommittal: 0 }) },
];

beforeAll(async () => {
  fs.writeFileSync(
    dataset,
    [
      { id: 'gc', lang: 'en', kind: 'pathway', question: 'What is the green channel?', must_mention: ['green channel'], intent: 'policy_question' },
      { id: 'weather', lang: 'zh', kind: 'out_of_scope', question: '今天天气怎么样', intent: 'out_of_scope' },
      { id: 'senior', lang: 'zh', kind: 'fact', question: '上海评高工要什么条件？', intent: 'policy_question' },
    ]
      .map((l) => JSON.stringify(l))
      .join('\n'),
  );
  fake = await startFakeOpenAI();
  // One case at a time, so the scripted answers meet the requests in order.
  fake.script([
    // offline run: the judge on each offline reply (one of two statements supported, then all)
    ...judgeSteps([1, 0]),
    ...judgeSteps([1], '上海评高工要什么条件？'),
    // llm run: the mentor's model answers from the search results it was given, then the judge…
    { content: 'The green channel is a special route for outstanding professionals [1].' },
    ...judgeSteps([1]),
    // …and a number no source has, twice: the mentor falls back to the offline composer.
    { content: '评高工需要工作987年[1]。' },
    { content: '评高工需要工作987年[1]。' },
    ...judgeSteps([1], '上海评高工要什么条件？'),
  ]);
  const config = loadConfig({ DATA_DIR: path.join(work, 'data'), LOG_LEVEL: 'silent', OPENAI_BASE_URL: fake.baseURL, OPENAI_MODEL: 'fake-model', OPENAI_TIMEOUT_MS: '5000' });
  code = await runEvalCommand({ dataset, out: path.join(work, 'report'), compare: 'offline,llm', baseline: path.join(work, 'none.json'), concurrency: 1 }, { config, stdout: (s) => (stdout += s), stderr: (s) => (stderr += s) });
  report = JSON.parse(fs.readFileSync(path.join(work, 'report', 'report.json'), 'utf8')) as Report;
}, 120_000);

afterAll(async () => {
  await fake?.close();
  fs.rmSync(work, { recursive: true, force: true });
});

describe('mentor eval --compare offline,llm', () => {
  it('runs the same cases in both modes, side by side', () => {
    expect(code, stderr).toBe(0);
    expect(report.runs.map((r) => r.label)).toEqual(['offline', 'llm']);
    const llmReply = report.runs[1].cases.find((c) => c.id === 'gc')!;
    expect(llmReply.reply).toBe('The green channel is a special route for outstanding professionals [1].');
    expect(llmReply.citations).toHaveLength(1);
    expect(llmReply.scores['citations.validity']).toBe(1);
    expect(report.runs[0].cases.find((c) => c.id === 'gc')!.reply).not.toBe(llmReply.reply);
    expect(llmReply.turns![0].fallback).toBeUndefined();
    // The ungrounded answer was refused: the offline composer's reply stands, and the report says so.
    const senior = report.runs[1].cases.find((c) => c.id === 'senior')!;
    expect(senior.turns![0].fallback).toBe('ungrounded');
    expect(senior.reply).toBe(report.runs[0].cases.find((c) => c.id === 'senior')!.reply);
    expect(senior.reply).not.toContain('987');
    expect(stdout).toMatch(/offline\s+llm/);
    const md = fs.readFileSync(path.join(work, 'report', 'report.md'), 'utf8');
    expect(md).toContain('| metric | offline | llm |');
    expect(md).toContain('1 of 3 turns fell back to the offline composer (ungrounded 1)');
  });

  it('judges faithfulness and answer relevancy in each mode, not on refusals', () => {
    const [offline, llm] = report.runs;
    expect(offline.judge.enabled).toBe(true);
    expect(offline.metrics.overall['judge.faithfulness']).toEqual({ value: 0.75, n: 2 });
    expect(llm.metrics.overall['judge.faithfulness']).toEqual({ value: 1, n: 2 });
    expect(llm.metrics.overall['judge.answer_relevancy']?.value).toBeCloseTo(1, 6);
    expect(offline.cases.find((c) => c.id === 'weather')!.judge).toBeUndefined();
    // 3 judge calls per judged reply, 3 for the mentor's model: nothing else reached the model.
    expect(fake.requests).toHaveLength(15);
    // The verdict request carried the cited chunk the offline reply rests on.
    const offlineCited = offline.cases.find((c) => c.id === 'gc')!.citations![0].quote;
    expect(JSON.stringify(fake.requests[1].messages)).toContain(offlineCited.slice(0, 30));
  });

  it('refuses LLM mode without a model', async () => {
    let err = '';
    const c = await runEvalCommand({ dataset, mode: 'llm' }, { config: loadConfig({ DATA_DIR: path.join(work, 'data2'), LOG_LEVEL: 'silent' }), stdout: () => {}, stderr: (s) => (err += s) });
    expect(c).toBe(2);
    expect(err).toMatch(/LLM mode needs a model/);
  });
});
