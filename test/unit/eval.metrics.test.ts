import { describe, expect, it } from 'vitest';
import {
  askedBack,
  citationProblems,
  expectsRefusal,
  isRefusal,
  keyFacts,
  mentions,
  mustNotHits,
  ndcgAt,
  numberEvidence,
  percentile,
  retrievalScores,
  ungroundedNumbers,
} from '../../src/eval/metrics.js';
import { aggregate, breakdown, failingChecks, type CaseResult } from '../../src/eval/results.js';

const chunks: Record<string, string> = {
  'eng.zh#0': '具备硕士学位、取得工程师职称后从事技术工作满5年的人员，可以申报高级工程师。申报截止日期为2025年12月31日。',
  'fee.zh#0': '评审费为每人300元，2021年起执行。',
};
const chunkText = (id: string) => chunks[id];
const reply = (text: string, citations: Array<{ n: number; chunkId: string; quote: string }> = [], extra: Record<string, unknown> = {}) => ({
  reply: text,
  intent: 'policy_question',
  citations: citations.map((c) => ({ ...c, docId: c.chunkId.split('#')[0] })),
  ...extra,
});

describe('key-fact coverage', () => {
  it('counts each must_mention entry once, alternatives with |, case-insensitively', () => {
    expect(mentions('The Green Channel is open', 'green channel')).toBe(true);
    expect(mentions('高工，即副高级', '高级工程师|高工')).toBe(true);
    expect(mentions('工程师', '高级工程师|正高')).toBe(false);
    const r = keyFacts('高级工程师属于副高级，需满5年。', ['副高', '5年', '12333|热线', '正高']);
    expect(r.missed).toEqual(['12333|热线', '正高']);
    expect(r.coverage).toBe(0.5);
  });

  it('is full when every fact is there and undefined when the case names none', () => {
    expect(keyFacts('副高，5年', ['副高', '5年']).coverage).toBe(1);
    expect(keyFacts('anything', []).coverage).toBeUndefined();
  });

  it('folds full-width characters', () => {
    expect(mentions('热线１２３３３', '12333')).toBe(true);
  });
});

describe('must-not violations', () => {
  it('lists what the reply must not say and does', () => {
    expect(mustNotHits('Approval is guaranteed.', ['guaranteed', '100%'])).toEqual(['guaranteed']);
    expect(mustNotHits('Approval depends on the panel.', ['guaranteed', '100%'])).toEqual([]);
  });
});

describe('citation validity', () => {
  const quote = '具备硕士学位、取得工程师职称后从事技术工作满5年的人员，可以申报高级工程师。';

  it('accepts markers that resolve and quotes verbatim in their chunk', () => {
    expect(citationProblems(reply('满5年可以申报。 [1]', [{ n: 1, chunkId: 'eng.zh#0', quote }]), chunkText)).toEqual([]);
  });

  it('flags a marker without a citation', () => {
    expect(citationProblems(reply('满5年可以申报。 [1] [2]', [{ n: 1, chunkId: 'eng.zh#0', quote }]), chunkText)).toEqual(['[2] has no citation']);
  });

  it('flags a quote that is not in its chunk, an unknown chunk and an empty quote', () => {
    const problems = citationProblems(
      reply('[1] [2] [3]', [
        { n: 1, chunkId: 'eng.zh#0', quote: '满3年即可申报高级工程师。' },
        { n: 2, chunkId: 'gone.zh#4', quote: 'x' },
        { n: 3, chunkId: 'fee.zh#0', quote: ' ' },
      ]),
      chunkText,
    );
    expect(problems).toHaveLength(3);
    expect(problems[0]).toMatch(/\[1\] quote is not in eng\.zh#0/);
    expect(problems[1]).toMatch(/\[2\] cites gone\.zh#4, which is not in the index/);
    expect(problems[2]).toMatch(/\[3\] has an empty quote/);
  });

  it('flags dropped citations: the text keeps [1] but the list is empty', () => {
    expect(citationProblems(reply('满5年可以申报。 [1]'), chunkText)).toEqual(['[1] has no citation']);
  });
});

describe('numeric groundedness', () => {
  const cited = reply('硕士满5年可申报，截止2025-12-31。 [1]', [{ n: 1, chunkId: 'eng.zh#0', quote: '申报截止日期为2025年12月31日。' }]);

  it('accepts numbers found in a cited chunk, dates in either notation', () => {
    expect(ungroundedNumbers(cited.reply, numberEvidence(cited, chunkText))).toEqual([]);
  });

  it('rejects a number only found inside a larger one (5 is not in 2025)', () => {
    expect(ungroundedNumbers('满5年', ['截至2025年'])).toEqual(['5']);
    expect(ungroundedNumbers('费用30元', ['每人300元'])).toEqual(['30']);
    expect(ungroundedNumbers('2.5年', ['满2年'])).toEqual(['2.5']);
    expect(ungroundedNumbers('满5年', ['满2.5年'])).toEqual(['5']);
    expect(ungroundedNumbers('满2年', ['满2.5年'])).toEqual(['2']);
  });

  it('finds a number after a non-numeric dot or inside an identifier', () => {
    expect(ungroundedNumbers('文件 No.1', ['SMHRSSB D [2020] No.1'])).toEqual([]);
    expect(ungroundedNumbers('满5年。', ['满5年。'])).toEqual([]);
  });

  it('reads only the cited chunks, not the whole corpus', () => {
    const r = reply('评审费300元。 [1]', [{ n: 1, chunkId: 'eng.zh#0', quote: 'x' }]);
    expect(ungroundedNumbers(r.reply, numberEvidence(r, chunkText))).toEqual(['300']);
  });

  it('accepts numbers from the eligibility result', () => {
    const r = reply('你有2.5年，符合。', [], { eligibility: { overall: { status: 'eligible' }, facts: { yearsInSpecialty: 2.5 } } });
    expect(ungroundedNumbers(r.reply, numberEvidence(r, chunkText))).toEqual([]);
  });

  it('does not exempt template numbers such as list markers', () => {
    expect(ungroundedNumbers('还需要确认3件事：\n1. 学历', [])).toEqual(['3', '1']);
  });

  it('ignores citation markers', () => {
    expect(ungroundedNumbers('见规定。 [12]', [])).toEqual([]);
  });
});

describe('refusals', () => {
  it('a reply is a refusal when its intent is unsafe or out of scope', () => {
    expect(isRefusal('unsafe')).toBe(true);
    expect(isRefusal('out_of_scope')).toBe(true);
    expect(isRefusal('policy_question')).toBe(false);
    expect(isRefusal('eligibility_check')).toBe(false);
  });

  it('the expectation comes from the intent, else the kind', () => {
    expect(expectsRefusal({ intent: 'unsafe', kind: 'adversarial' })).toBe(true);
    expect(expectsRefusal({ intent: 'policy_question', kind: 'adversarial' })).toBe(false);
    expect(expectsRefusal({ kind: 'out_of_scope' })).toBe(true);
    expect(expectsRefusal({ kind: 'fact' })).toBe(false);
    expect(expectsRefusal({ kind: 'adversarial' })).toBeUndefined();
  });
});

describe('ask-back', () => {
  it('needs an eligibility check wanting facts and a question in the reply', () => {
    expect(askedBack(reply('1. 你的最高学历是？', [], { eligibility: { overall: { status: 'needs_info' } } }))).toBe(true);
    expect(askedBack(reply('Which degree do you hold?', [], { eligibility: { overall: { status: 'eligible' } } }))).toBe(false);
    expect(askedBack(reply('还需要更多信息。', [], { eligibility: { overall: { status: 'needs_info' } } }))).toBe(false);
    expect(askedBack(reply('你的学历是？'))).toBe(false);
  });
});

describe('retrieval metrics', () => {
  const rel = new Set(['b', 'e']);

  it('hit@k, reciprocal rank and first rank', () => {
    const s = retrievalScores(['a', 'b', 'c', 'd', 'e'], rel);
    expect(s.hit).toEqual({ 1: 0, 3: 1, 5: 1 });
    expect(s.rr).toBe(0.5);
    expect(s.firstRank).toBe(2);
  });

  it('nDCG@10 with binary gains against the ideal ranking', () => {
    // DCG = 1/log2(3) + 1/log2(6); IDCG = 1 + 1/log2(3)
    const expected = (1 / Math.log2(3) + 1 / Math.log2(6)) / (1 + 1 / Math.log2(3));
    expect(ndcgAt(['a', 'b', 'c', 'd', 'e'], rel, 10)).toBeCloseTo(expected, 10);
    expect(ndcgAt(['b', 'e', 'a'], rel, 10)).toBe(1);
    expect(ndcgAt(['a', 'c'], rel, 10)).toBe(0);
  });

  it('counts nothing beyond the cut-off', () => {
    const ranked = ['a', 'c', 'd', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'b'];
    const s = retrievalScores(ranked, rel);
    expect(s.hit[5]).toBe(0);
    expect(s.ndcg10).toBe(0);
    expect(s.rr).toBeCloseTo(1 / 11);
  });

  it('scores zero when nothing relevant is found', () => {
    const s = retrievalScores(['x', 'y'], rel);
    expect(s).toEqual({ hit: { 1: 0, 3: 0, 5: 0 }, rr: 0, ndcg10: 0 });
  });
});

describe('latency percentiles', () => {
  it('nearest rank', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(values, 50)).toBe(50);
    expect(percentile(values, 95)).toBe(95);
    expect(percentile([7], 95)).toBe(7);
    expect(percentile([], 50)).toBeUndefined();
    expect(percentile([30, 10, 20], 50)).toBe(20);
  });
});

describe('aggregation', () => {
  const result = (id: string, lang: 'zh' | 'en', kind: CaseResult['kind'], scores: CaseResult['scores'], latencies: number[] = []): CaseResult => ({
    id,
    file: 'x.jsonl',
    line: 1,
    lang,
    kind,
    messages: ['q'],
    expected: {},
    turns: latencies.map((latencyMs) => ({ message: 'q', reply: 'r', intent: 'policy_question', latencyMs, citations: 0 })),
    scores,
    failing: failingChecks(scores),
  });
  const cases = [
    result('a', 'zh', 'fact', { 'answer.coverage': 1, 'citations.validity': 1, 'refusal.false_rate': 0 }, [10, 20]),
    result('b', 'zh', 'fact', { 'answer.coverage': 0.5, 'citations.validity': 0, 'refusal.false_rate': 1 }, [30]),
    result('c', 'en', 'out_of_scope', { 'refusal.accuracy': 0 }, [40]),
    result('r', 'en', 'retrieval', { 'retrieval.hit@5': 1, 'retrieval.mrr': 0.5 }),
  ];

  it('means over the cases a metric applies to, with n', () => {
    const t = aggregate(cases);
    expect(t['answer.coverage']).toEqual({ value: 0.75, n: 2 });
    expect(t['citations.validity']).toEqual({ value: 0.5, n: 2 });
    expect(t['refusal.accuracy']).toEqual({ value: 0, n: 1 });
    expect(t['refusal.false_rate']).toEqual({ value: 0.5, n: 2 });
    expect(t['retrieval.mrr']).toEqual({ value: 0.5, n: 1 });
    expect(t['intent.accuracy']).toBeUndefined();
    expect(t['latency.p50_ms']).toEqual({ value: 20, n: 4 });
    expect(t['latency.p95_ms']).toEqual({ value: 40, n: 4 });
  });

  it('breaks every metric down by language and kind', () => {
    const b = breakdown(cases);
    expect(Object.keys(b.byLang)).toEqual(['en', 'zh']);
    expect(b.byLang.zh['answer.coverage']).toEqual({ value: 0.75, n: 2 });
    expect(b.byKind.out_of_scope['refusal.accuracy']).toEqual({ value: 0, n: 1 });
    expect(b.byKind.retrieval['retrieval.hit@5']).toEqual({ value: 1, n: 1 });
    expect(b.byKind.fact['latency.p95_ms']).toEqual({ value: 30, n: 3 });
  });

  it('a case fails a check below full marks, or above zero for the lower-is-better ones', () => {
    expect(cases[0].failing).toEqual([]);
    expect(cases[1].failing).toEqual(['answer.coverage', 'citations.validity', 'refusal.false_rate']);
    expect(cases[2].failing).toEqual(['refusal.accuracy']);
    expect(failingChecks({ 'retrieval.hit@5': 0, 'retrieval.mrr': 0, 'answer.fully_correct': 0, 'judge.answer_relevancy': 0.5, 'judge.faithfulness': 0.8 })).toEqual(['retrieval.hit@5', 'judge.answer_relevancy', 'judge.faithfulness']);
  });
});
