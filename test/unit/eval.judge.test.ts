import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createLlmJudge, cosine, parseJsonObject, type Embed } from '../../src/eval/judge.js';
import { createChatModel } from '../../src/llm/index.js';
import { startFakeOpenAI, type FakeOpenAI } from '../fixtures/fake_openai.js';

// The judge through the real ChatOpenAI client, against the OpenAI-compatible fake playing the judge model.
describe('the LLM judge (RAGAS faithfulness and answer relevancy)', () => {
  let fake: FakeOpenAI;
  // A tiny deterministic embedding: questions about the same thing share axes.
  const vectors: Record<string, number[]> = {
    'What is the green channel?': [1, 0, 0],
    'What is Shanghai’s green channel?': [1, 0, 0],
    'Who can use the green channel?': [0.6, 0.8, 0],
    'What is the weather today?': [0, 0, 1],
  };
  const embed: Embed = async (texts) => texts.map((t) => vectors[t] ?? [0, 1, 0]);
  const judge = () => createLlmJudge(createChatModel({ baseURL: fake.baseURL, model: 'fake-judge', timeoutMs: 2000 }), embed);
  const input = {
    question: 'What is the green channel?',
    answer: 'The green channel lets outstanding professionals apply without the usual degree conditions [1]. It opens every March.',
    contexts: ['Shanghai’s green channel is a special route for professionals with outstanding results, without the usual degree and seniority conditions.'],
  };

  beforeAll(async () => {
    fake = await startFakeOpenAI();
  });
  afterAll(async () => {
    await fake?.close();
  });
  beforeEach(() => {
    fake.requests.length = 0;
  });

  it('faithfulness is the share of statements the contexts support; relevancy the mean similarity of generated questions', async () => {
    fake.script([
      { content: '```json\n{"statements": ["The green channel lets outstanding professionals apply.", "The green channel waives the usual degree conditions.", "The green channel opens every March."]}\n```' },
      {
        content: JSON.stringify({
          verdicts: [
            { statement: 's1', reason: 'stated', verdict: 1 },
            { statement: 's2', reason: 'stated', verdict: 1 },
            { statement: 's3', reason: 'no date in the context', verdict: 0 },
          ],
        }),
      },
      { content: JSON.stringify({ questions: ['What is Shanghai’s green channel?', 'Who can use the green channel?', 'What is the weather today?'], noncommittal: 0 }) },
    ]);
    const view = await judge().judge(input);
    expect(view.error).toBeUndefined();
    expect(view.faithfulness).toBeCloseTo(2 / 3, 10);
    expect(view.statements?.map((s) => s.supported)).toEqual([true, true, false]);
    expect(view.statements?.[2].reason).toBe('no date in the context');
    // cos = 1, 0.6, 0 → mean 0.5333…
    expect(view.answerRelevancy).toBeCloseTo((1 + 0.6 + 0) / 3, 10);
    expect(view.generatedQuestions).toHaveLength(3);
    // The verdict request carries the contexts and the statements.
    const verdictPrompt = JSON.stringify(fake.requests[1].messages);
    expect(verdictPrompt).toContain('special route for professionals');
    expect(verdictPrompt).toContain('The green channel opens every March.');
  });

  it('a fully supported, on-topic reply scores 1 and 1', async () => {
    fake.script([
      { content: '{"statements": ["The green channel waives the usual degree conditions."]}' },
      { content: '{"verdicts": [{"statement": "s", "reason": "r", "verdict": 1}]}' },
      { content: '{"questions": ["What is the green channel?", "What is Shanghai’s green channel?", "What is the green channel?"], "noncommittal": 0}' },
    ]);
    const view = await judge().judge(input);
    expect(view.faithfulness).toBe(1);
    expect(view.answerRelevancy).toBeCloseTo(1, 10);
  });

  it('a noncommittal reply has answer relevancy 0', async () => {
    fake.script([
      { content: '{"statements": []}' },
      { content: '{"questions": ["What is the green channel?", "What is the green channel?", "What is the green channel?"], "noncommittal": 1}' },
    ]);
    const view = await judge().judge({ ...input, answer: 'I am not sure, please call 12333.' });
    expect(view.answerRelevancy).toBe(0);
    expect(view.noncommittal).toBe(true);
    // No statements: faithfulness is undefined, not a perfect score.
    expect(view.faithfulness).toBeUndefined();
  });

  it('a judge that does not answer JSON leaves the metric out and records why', async () => {
    fake.script([{ content: 'I think it is mostly right.' }, { status: 500 }]);
    const view = await judge().judge(input);
    expect(view.faithfulness).toBeUndefined();
    expect(view.answerRelevancy).toBeUndefined();
    expect(view.error).toMatch(/faithfulness: the judge did not answer JSON.*answer relevancy:/);
  });

  it('a verdict count that does not match the statements is an error, not a score', async () => {
    fake.script([{ content: '{"statements": ["a", "b"]}' }, { content: '{"verdicts": [{"verdict": 1}]}' }, { content: '{"questions": ["What is the green channel?"], "noncommittal": 0}' }]);
    const view = await judge().judge(input);
    expect(view.faithfulness).toBeUndefined();
    expect(view.error).toMatch(/1 verdicts for 2 statements/);
    expect(view.answerRelevancy).toBe(1);
  });
});

describe('judge helpers', () => {
  it('cosine similarity', () => {
    expect(cosine([1, 0], [1, 0])).toBe(1);
    expect(cosine([1, 0], [0, 1])).toBe(0);
    expect(cosine([0, 0], [1, 1])).toBe(0);
    expect(cosine([3, 4], [6, 8])).toBeCloseTo(1, 12);
  });

  it('reads a JSON object out of fenced or chatty output', () => {
    expect(parseJsonObject('Sure! ```json\n{"a": 1}\n```')).toEqual({ a: 1 });
    expect(() => parseJsonObject('no json')).toThrow(/did not answer JSON/);
  });
});
