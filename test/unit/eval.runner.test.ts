import { beforeAll, describe, expect, it } from 'vitest';
import { buildKnowledgeIndex, type KnowledgeIndex } from '../../src/knowledge/index.js';
import type { MentorReply } from '../../src/mentor/index.js';
import { runEvaluation, type RunResult } from '../../src/eval/runner.js';
import { parseDataset } from '../../src/eval/schema.js';
import type { EvalTarget, TurnRequest } from '../../src/eval/targets.js';
import { FIXTURE_TODAY, hashed, loadFixtureCorpus } from '../fixtures/knowledge/fixtures.js';

// Hand-made cases with known answers: a scripted target replies exactly as written here, so every
// metric of every case is known in advance.
const dataset = [
  { id: 'good', lang: 'zh', kind: 'fact', question: '继续教育每年多少学时？', must_mention: ['90学时', '继续教育'], must_not: ['60学时'], intent: 'policy_question', relevant: ['continuing-education.en'] },
  { id: 'bad', lang: 'zh', kind: 'fact', question: '评审费多少钱？', must_mention: ['400元', '网上'], must_not: ['300元'], relevant: ['review-fee-2021.zh'] },
  { id: 'refused', lang: 'zh', kind: 'out_of_scope', question: '地铁几点最挤？', intent: 'out_of_scope' },
  { id: 'false-refusal', lang: 'zh', kind: 'fact', question: '高级工程师要几年？', must_mention: ['五年'] },
  { id: 'ask-back', lang: 'zh', kind: 'multi_turn', turns: ['我能评高工吗？', '本科'], intent: 'eligibility_check', eligibility: { status: 'needs_info' }, ask_back: true },
  { id: 'broken', lang: 'en', kind: 'fact', question: 'this turn fails', must_mention: ['anything'] },
  { id: 'wrong-verdict', lang: 'zh', kind: 'eligibility', question: '本科毕业三年能评中级吗？', intent: 'policy_question', eligibility: { status: 'eligible' }, ask_back: true, relevant: [] },
  { id: 'uncited', lang: 'zh', kind: 'fact', question: '高工要什么条件？', relevant: ['senior-engineer-review.zh'] },
  { id: 'ret', lang: 'zh', query: '继续教育学时要求', relevant: ['continuing-education.zh'] },
]
  .map((l) => JSON.stringify(l))
  .join('\n');

const base = (r: Partial<MentorReply>): MentorReply => ({ sessionId: 's', reply: '', lang: 'zh', intent: 'policy_question', citations: [], suggestions: [], ...r });
const cite = (n: number, chunkId: string, quote: string) => ({ n, docId: chunkId.split('#')[0], chunkId, title: 't', quote });

const replies: Record<string, (r: TurnRequest) => MentorReply> = {
  '继续教育每年多少学时？': () => base({ reply: '每年参加继续教育，累计不少于90学时。 [1]', citations: [cite(1, 'continuing-education.zh#0', '专业技术人员每年应参加继续教育，累计不少于90学时。')] }),
  // Says what it must not, cites a quote the chunk does not hold, a marker without a citation, numbers no source has.
  '评审费多少钱？': () => base({ reply: '评审费每人300元或350元。 [1] [2]', citations: [cite(1, 'review-fee-2021.zh#0', '职称评审费按每人350元收取')] }),
  '地铁几点最挤？': () => base({ reply: '这个我帮不上忙。', intent: 'out_of_scope' }),
  '高级工程师要几年？': () => base({ reply: '这个我帮不上忙。', intent: 'out_of_scope' }),
  '我能评高工吗？': () => base({ sessionId: 'conv-1', reply: '你的最高学历是？', intent: 'eligibility_check', eligibility: { overall: { status: 'needs_info', missing: ['education'] } } as never }),
  '本科毕业三年能评中级吗？': () => base({ reply: '还差一年。', intent: 'eligibility_check', eligibility: { overall: { status: 'not_yet', missing: [] } } as never }),
  '高工要什么条件？': () => base({ reply: '每年继续教育不少于90学时。 [1]', citations: [cite(1, 'continuing-education.zh#0', '专业技术人员每年应参加继续教育，累计不少于90学时。')] }),
  本科: (r) => base({ sessionId: r.sessionId, reply: r.sessionId === 'conv-1' ? '你在本专业做了几年？' : 'lost the session', intent: 'eligibility_check', eligibility: { overall: { status: 'needs_info', missing: ['yearsInSpecialty'] } } as never }),
};

const calls: TurnRequest[] = [];
const target: EvalTarget = {
  label: 'scripted',
  async turn(r) {
    calls.push(r);
    const make = replies[r.message];
    if (!make) throw new Error('scripted failure');
    return make(r);
  },
  close: async () => {},
};

let index: KnowledgeIndex;
let run: RunResult;
const byId = (id: string) => run.cases.find((c) => c.id === id)!;

beforeAll(async () => {
  const corpus = loadFixtureCorpus();
  index = await buildKnowledgeIndex(corpus.docs, corpus.glossary, hashed);
  const { cases, problems } = parseDataset(dataset, 'hand.jsonl');
  expect(problems).toEqual([]);
  const progress: number[] = [];
  run = await runEvaluation(cases, { target, index: () => index, asOf: FIXTURE_TODAY, progressEvery: 3, onProgress: (p) => progress.push(p.done) });
  expect(progress).toEqual([3, 6, 9]);
});

describe('the runner on hand-made cases', () => {
  it('scores a correct, cited, grounded answer full marks', () => {
    const c = byId('good');
    expect(c.scores).toMatchObject({
      'answer.coverage': 1,
      'answer.must_not_violations': 0,
      'citations.validity': 1,
      'grounding.numeric': 1,
      'intent.accuracy': 1,
      'refusal.false_rate': 0,
      'answer.cites_relevant': 1,
      'answer.fully_correct': 1,
      'retrieval.hit@1': 1,
      'retrieval.mrr': 1,
    });
    expect(c.failing).toEqual([]);
    // The relevant doc is the English translation: the Chinese chunk counts as the same document.
    expect(c.retrieved?.[0]).toMatchObject({ docId: 'continuing-education.zh', relevant: true });
  });

  it('fails every check a bad answer breaks, and says why', () => {
    const c = byId('bad');
    expect(c.scores).toMatchObject({ 'answer.coverage': 0, 'answer.must_not_violations': 1, 'citations.validity': 0, 'grounding.numeric': 0, 'answer.fully_correct': 0, 'answer.cites_relevant': 1 });
    expect(c.missed).toEqual(['400元', '网上']);
    expect(c.mustNotHits).toEqual(['300元']);
    expect(c.citationProblems).toEqual(['[2] has no citation', expect.stringMatching(/^\[1\] quote is not in review-fee-2021\.zh#0/)]);
    expect(c.ungroundedNumbers).toEqual(['300', '350']);
    expect(c.failing).toEqual(expect.arrayContaining(['answer.coverage', 'answer.must_not_violations', 'citations.validity', 'grounding.numeric']));
  });

  it('scores no ranking for a case that names no relevant document (not a miss)', () => {
    const scores = byId('wrong-verdict').scores;
    for (const key of ['retrieval.hit@5', 'retrieval.mrr', 'answer.cites_relevant'] as const) expect(scores[key]).toBeUndefined();
    expect(byId('wrong-verdict').failing).not.toContain('retrieval.hit@5');
  });

  it('counts refusals against what the case expects', () => {
    expect(byId('refused').scores).toMatchObject({ 'refusal.accuracy': 1, 'intent.accuracy': 1, 'answer.fully_correct': 1 });
    expect(byId('refused').scores['refusal.false_rate']).toBeUndefined();
    expect(byId('false-refusal').scores).toMatchObject({ 'refusal.false_rate': 1, 'answer.coverage': 0 });
    expect(byId('false-refusal').failing).toContain('refusal.false_rate');
  });

  it('keeps one session across turns and checks the last reply', () => {
    const c = byId('ask-back');
    expect(calls.filter((r) => r.message === '本科')[0].sessionId).toBe('conv-1');
    expect(c.turns?.map((t) => t.reply)).toEqual(['你的最高学历是？', '你在本专业做了几年？']);
    expect(c.scores).toMatchObject({ 'ask_back.accuracy': 1, 'eligibility.accuracy': 1, 'intent.accuracy': 1, 'answer.fully_correct': 1 });
    expect(calls.every((r) => r.lang === (r.message === 'this turn fails' ? 'en' : 'zh'))).toBe(true);
  });

  it('fails a wrong intent, a wrong verdict and a missing ask-back', () => {
    const c = byId('wrong-verdict');
    expect(c.scores).toMatchObject({ 'intent.accuracy': 0, 'eligibility.accuracy': 0, 'ask_back.accuracy': 0, 'answer.fully_correct': 0, 'refusal.false_rate': 0 });
    expect(c.failing).toEqual(expect.arrayContaining(['intent.accuracy', 'eligibility.accuracy', 'ask_back.accuracy']));
  });

  it('fails a valid citation of a document that is not the relevant one', () => {
    const c = byId('uncited');
    expect(c.scores).toMatchObject({ 'answer.cites_relevant': 0, 'citations.validity': 1, 'grounding.numeric': 1 });
    expect(c.failing).toContain('answer.cites_relevant');
  });

  it('records a failed turn as an error and a wrong case', () => {
    const c = byId('broken');
    expect(c.error).toMatch(/turn 1: scripted failure/);
    expect(c.scores).toMatchObject({ 'answer.coverage': 0, 'answer.fully_correct': 0 });
  });

  it('scores retrieval-only lines on the ranking of distinct documents', () => {
    const c = byId('ret');
    expect(c.kind).toBe('retrieval');
    expect(c.scores).toEqual({ 'retrieval.hit@1': 1, 'retrieval.hit@3': 1, 'retrieval.hit@5': 1, 'retrieval.mrr': 1, 'retrieval.ndcg@10': 1 });
  });

  it('gives the same results, in dataset order, with several cases in flight', async () => {
    const { cases } = parseDataset(dataset, 'hand.jsonl');
    const parallel = await runEvaluation(cases, { target, index: () => index, asOf: FIXTURE_TODAY, concurrency: 3 });
    const strip = (r: RunResult) => r.cases.map((c) => ({ id: c.id, reply: c.reply, scores: c.scores, failing: c.failing }));
    expect(strip(parallel)).toEqual(strip(run));
  });

  it('aggregates the run, by language and kind', () => {
    const m = run.metrics.overall;
    expect(m['answer.coverage']).toEqual({ value: 1 / 4, n: 4 });
    expect(m['answer.fully_correct']).toEqual({ value: 4 / 8, n: 8 });
    expect(m['citations.validity']).toEqual({ value: 2 / 3, n: 3 });
    expect(m['refusal.false_rate']).toEqual({ value: 1 / 7, n: 7 });
    expect(m['intent.accuracy']).toEqual({ value: 3 / 4, n: 4 });
    expect(m['latency.p50_ms']?.n).toBe(8);
    expect(run.metrics.byKind.multi_turn['ask_back.accuracy']).toEqual({ value: 1, n: 1 });
    expect(run.metrics.byLang.en['answer.fully_correct']).toEqual({ value: 0, n: 1 });
    expect(run.judge.enabled).toBe(false);
  });
});
