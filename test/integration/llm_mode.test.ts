import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeOpenAI, type FakeOpenAI, type FakeStep } from '../fixtures/fake_openai.js';
import { openTestService } from '../support/mentor_harness.js';

/**
 * LLM mode through the real ChatOpenAI client against an OpenAI-compatible fake on loopback:
 * the fake plays the model, everything else is the product's own code path.
 */
describe('LLM mode', () => {
  let fake: FakeOpenAI;
  let service: Awaited<ReturnType<typeof openTestService>>;
  let offline: Awaited<ReturnType<typeof openTestService>>;
  const question = '上海评高工要什么条件？';

  beforeAll(async () => {
    fake = await startFakeOpenAI();
    service = await openTestService({ OPENAI_BASE_URL: fake.baseURL, OPENAI_MODEL: 'fake-model', OPENAI_TIMEOUT_MS: '1500' });
    offline = await openTestService();
  });
  afterAll(async () => {
    service?.close();
    offline?.close();
    await fake?.close();
  });
  beforeEach(() => {
    fake.requests.length = 0;
    service.llm?.breaker?.reset();
  });

  const lastTurn = (sessionId: string) => service.store.transcript(sessionId).at(-1)!;

  it('calls a tool, then answers with citations the tools supplied', async () => {
    fake.script([
      { toolCalls: [{ name: 'search_policy', arguments: JSON.stringify({ query: '上海 高级工程师 申报条件' }) }] },
      { content: '上海评高级工程师，需要满足学历和聘任年限等条件之一，具体看当年通知[1]。' },
    ]);
    const reply = await service.mentor.handleTurn({ message: question });
    expect(reply.reply).toBe('上海评高级工程师，需要满足学历和聘任年限等条件之一，具体看当年通知[1]。');
    expect(reply.citations).toHaveLength(1);
    expect(reply.citations[0].n).toBe(1);
    expect(service.index().chunks.find((c) => c.id === reply.citations[0].chunkId)?.text).toContain(reply.citations[0].quote);
    // The model saw both tools, and the tool result came back to it.
    const tools = (fake.requests[0].tools as Array<{ function: { name: string } }>).map((t) => t.function.name);
    expect(tools).toEqual(expect.arrayContaining(['search_policy', 'check_eligibility']));
    const second = fake.requests[1].messages as Array<{ role: string; content: unknown }>;
    const toolResult = second.find((m) => m.role === 'tool');
    expect(JSON.stringify(toolResult?.content)).toMatch(/\[\d+\]/);
    expect(lastTurn(reply.sessionId).fallback).toBeUndefined();
  });

  it('runs the eligibility tool for the model and lets it quote the verdict', async () => {
    const facts = { series: 'engineering', targetLevel: 'intermediate', education: { degree: 'bachelor' }, yearsInSpecialty: 3, residence: { residencePermit: true } };
    fake.script([
      { toolCalls: [{ name: 'check_eligibility', arguments: JSON.stringify(facts) }] },
      { content: '按你说的情况还差2年，最早2028-11-25可以申报上海工程师。' },
    ]);
    const reply = await service.mentor.handleTurn({ message: '上海评工程师要什么条件' });
    expect(reply.reply).toContain('2028-11-25');
    expect(reply.eligibility?.overall.status).toBe('not_yet');
    const toolResult = (fake.requests[1].messages as Array<{ role: string; content: unknown }>).find((m) => m.role === 'tool');
    expect(JSON.stringify(toolResult?.content)).toContain('2028-11-25');
  });

  it('retries once on an unsupported number, then falls back to the offline composer', async () => {
    fake.script([{ content: '上海评高工需要工作满37年[1]。' }, { content: '还是37年[1]。' }]);
    const reply = await service.mentor.handleTurn({ message: question });
    const expected = await offline.mentor.handleTurn({ message: question });
    expect(reply.reply).toBe(expected.reply);
    expect(reply.reply).not.toContain('37');
    expect(fake.requests).toHaveLength(2);
    const retryPrompt = (fake.requests[1].messages as Array<{ role: string; content: string }>).at(-1)!;
    expect(retryPrompt.content).toContain('37');
    expect(lastTurn(reply.sessionId).fallback).toBe('ungrounded');
  });

  it('accepts the retry when it fixes the number', async () => {
    fake.script([{ content: '需要工作满37年[1]。' }, { content: '上海评高工要看学历和聘任年限，具体以当年通知为准[1]。' }]);
    const reply = await service.mentor.handleTurn({ message: question });
    expect(reply.reply).toContain('以当年通知为准[1]');
    expect(lastTurn(reply.sessionId).fallback).toBeUndefined();
  });

  it.each<[string, FakeStep]>([
    ['a 500', { status: 500 }],
    ['a 429', { status: 429, body: { error: { message: 'rate limited', type: 'rate_limit_error' } } }],
    ['garbage', { raw: '<html>not json' }],
    ['a malformed tool call', { toolCalls: [{ name: 'search_policy', arguments: '{"query": ' }] }],
    ['an unknown tool', { toolCalls: [{ name: 'delete_everything', arguments: '{}' }] }],
  ])('falls back to the offline composer on %s', async (_label, step) => {
    fake.script([step]);
    const reply = await service.mentor.handleTurn({ message: question });
    const expected = await offline.mentor.handleTurn({ message: question });
    expect(reply.reply).toBe(expected.reply);
    expect(reply.citations.length).toBeGreaterThan(0);
    expect(['error', 'no_answer']).toContain(lastTurn(reply.sessionId).fallback);
  });

  it('falls back on a timeout, and the circuit opens after repeated failures', async () => {
    fake.script([{ delayMs: 3000, then: { content: 'too late' } }]);
    const started = Date.now();
    const reply = await service.mentor.handleTurn({ message: question });
    expect(Date.now() - started).toBeLessThan(2900);
    expect(reply.reply).not.toContain('too late');
    expect(lastTurn(reply.sessionId).fallback).toBe('error');

    fake.script([{ status: 500 }, { status: 500 }, { status: 500 }, { content: 'should not be asked' }]);
    for (let i = 0; i < 3; i++) await service.mentor.handleTurn({ message: question });
    fake.requests.length = 0;
    const afterOpen = await service.mentor.handleTurn({ message: question });
    expect(fake.requests).toHaveLength(0);
    expect(lastTurn(afterOpen.sessionId).fallback).toBe('circuit_open');
  });
});
