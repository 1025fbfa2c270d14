import fs from 'node:fs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/log/index.js';
import { openMentorService, type MentorService } from '../../src/mentor/index.js';
import { createMetrics, createServer, turnReporter, type MentorServer } from '../../src/server/index.js';
import { metricSum, parseSse, postJson, tempDataDir } from '../fixtures/channels/harness.js';
import { startFakeOpenAI, type FakeOpenAI, type FakeStep } from '../fixtures/fake_openai.js';

// Model faults in LLM mode, through the real server and the real OpenAI client against a scripted fake
// on loopback: a 500, a 429, garbage and a timeout are each answered by the offline composer (no error
// reaches the user on any channel), counted in /metrics by reason, and logged as warnings.
//
// A stream cut midway does not apply: the mentor never streams the model's output. It waits for the
// whole answer, checks its grounding, and only then streams the finished reply (or the offline one).

let fake: FakeOpenAI;
let dataDir: string;
let offlineDir: string;
let service: MentorService;
let offline: MentorService;
let server: MentorServer;
const logs: Array<Record<string, unknown>> = [];
const QUESTION = '上海评高工要什么条件？';

beforeAll(async () => {
  fake = await startFakeOpenAI();
  dataDir = tempDataDir();
  offlineDir = tempDataDir();
  const env = { PORT: '0', HOST: '127.0.0.1', STREAM_PACE_MS: '0', LOG_LEVEL: 'info', RATE_LIMIT_PER_MINUTE_IP: '0', RATE_LIMIT_PER_MINUTE_SESSION: '0' };
  const config = loadConfig({ ...env, DATA_DIR: dataDir, OPENAI_BASE_URL: fake.baseURL, OPENAI_MODEL: 'fake-model', OPENAI_TIMEOUT_MS: '1500' });
  const metrics = createMetrics();
  const logger = createLogger({ level: 'info', destination: { write: (line: string) => void logs.push(JSON.parse(line)) } });
  service = await openMentorService(config, { onTurn: turnReporter(metrics, logger) });
  offline = await openMentorService(loadConfig({ ...env, DATA_DIR: offlineDir }));
  server = await createServer(service, { config, metrics, logger });
});

afterAll(async () => {
  await server?.close();
  service?.close();
  offline?.close();
  await fake?.close();
  for (const dir of [dataDir, offlineDir]) if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

beforeEach(() => {
  service.llm?.breaker?.reset();
});

const metricsText = async () => (await fetch(`${server.url}/metrics`)).text();

const FAULTS: Array<[string, FakeStep]> = [
  ['a 500', { status: 500 }],
  ['a 429', { status: 429, body: { error: { message: 'rate limited', type: 'rate_limit_error' } } }],
  ['garbage', { raw: '<html>not json' }],
  ['a timeout', { delayMs: 3000, then: { content: 'too late' } }],
];

describe('model faults in LLM mode', () => {
  it('answers each fault with the offline composer on /api/chat, and counts it by reason', async () => {
    const expected = (await offline.mentor.handleTurn({ message: QUESTION })).reply;
    for (const [label, step] of FAULTS) {
      fake.script([step]);
      const res = await postJson(`${server.url}/api/chat`, { message: QUESTION });
      expect(res.status, label).toBe(200);
      const reply = await res.json();
      expect(reply.reply, label).toBe(expected);
      expect(reply.citations.length, label).toBeGreaterThan(0);
      service.llm?.breaker?.reset();
    }
    const text = await metricsText();
    expect(metricSum(text, 'mentor_fallbacks_total', { channel: 'api', reason: 'error' })).toBe(FAULTS.length);
    expect(metricSum(text, 'mentor_errors_total')).toBe(0);
    const warnings = logs.filter((l) => l.msg === 'the language model failed; the offline composer answered');
    expect(warnings).toHaveLength(FAULTS.length);
    expect(warnings.every((w) => w.level === 'warn' && w.reason === 'error' && typeof w.reqId === 'string')).toBe(true);
  });

  it('streams the offline reply (no error event) on /api/chat/stream and /v1 when the model fails', async () => {
    fake.script([{ status: 500 }]);
    const stream = parseSse(await (await postJson(`${server.url}/api/chat/stream`, { message: QUESTION })).text());
    expect(stream.map((e) => e.event)).not.toContain('error');
    expect(stream.at(-1)?.event).toBe('done');
    expect(JSON.parse(stream.at(-1)!.data).citations.length).toBeGreaterThan(0);

    service.llm?.breaker?.reset();
    fake.script([{ raw: '{"choices": [' }]);
    const v1 = await postJson(`${server.url}/v1/chat/completions`, { model: 'title-mentor', messages: [{ role: 'user', content: QUESTION }] });
    expect(v1.status).toBe(200);
    expect((await v1.json()).choices[0].message.content).toContain('[1]');

    const text = await metricsText();
    expect(metricSum(text, 'mentor_fallbacks_total', { channel: 'openai', reason: 'error' })).toBe(1);
    expect(metricSum(text, 'mentor_errors_total')).toBe(0);
  });

  it('stops calling a failing model (circuit open) and counts those turns apart', async () => {
    fake.script([{ status: 500 }, { status: 500 }, { status: 500 }, { content: 'should not be asked' }]);
    const before = metricSum(await metricsText(), 'mentor_fallbacks_total', { reason: 'circuit_open' });
    for (let i = 0; i < 3; i++) expect((await postJson(`${server.url}/api/chat`, { message: QUESTION })).status).toBe(200);
    fake.requests.length = 0;
    const res = await postJson(`${server.url}/api/chat`, { message: QUESTION });
    expect(res.status).toBe(200);
    expect((await res.json()).citations.length).toBeGreaterThan(0);
    expect(fake.requests).toHaveLength(0);
    expect(metricSum(await metricsText(), 'mentor_fallbacks_total', { reason: 'circuit_open' }) - before).toBe(1);
  });
});
