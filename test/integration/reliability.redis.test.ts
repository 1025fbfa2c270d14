import fs from 'node:fs';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { replyFields, textXml, wechatQuery } from '../fixtures/channels/wechat_client.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/log/index.js';
import { openMentorService, type MentorService } from '../../src/mentor/index.js';
import { createMetrics, createServer, turnReporter, type MentorServer } from '../../src/server/index.js';
import { metricSum, postJson, tempDataDir } from '../fixtures/channels/harness.js';
import { REDIS_SERVER, startRedis, type RedisProcess } from '../fixtures/redis_server.js';

// Redis failing under a running service (REDIS_URL set: sessions and rate limits in Redis). A real
// redis-server on loopback is stopped (SIGSTOP: it no longer answers), made to refuse writes (OOM),
// given a value that is not JSON, killed (SIGKILL) and started again on the same port. Every turn is
// answered 200 within a bound; each failure is counted in mentor_store_failures_total and logged as a
// warning with the request's id; a conversation keeps its facts through the outage (the instance's
// last known state); and once Redis is back, sessions are written to it again.

const COMMAND_TIMEOUT_MS = 200;
// Four Redis commands a turn at most (two rate-limit counts, a session read and a write).
const TURN_BOUND_MS = 4 * COMMAND_TIMEOUT_MS + 1500;
const WX_TOKEN = 'reliability-wechat-token';

describe.skipIf(!REDIS_SERVER)('when Redis fails under the service', () => {
  let redis: RedisProcess;
  let client: Redis;
  let dataDir: string;
  let service: MentorService;
  let server: MentorServer;
  const logs: Array<Record<string, unknown>> = [];
  const progress: string[] = [];

  beforeAll(async () => {
    redis = await startRedis();
    client = new Redis(redis.url, { maxRetriesPerRequest: 1, retryStrategy: (n) => Math.min(n * 50, 500) });
    client.on('error', () => {});
    dataDir = tempDataDir();
    const config = loadConfig({
      DATA_DIR: dataDir,
      REDIS_URL: redis.url,
      REDIS_COMMAND_TIMEOUT_MS: String(COMMAND_TIMEOUT_MS),
      // Limits that are never reached, but counted in Redis on every chat request.
      RATE_LIMIT_PER_MINUTE_IP: '100000',
      RATE_LIMIT_PER_MINUTE_SESSION: '100000',
      STREAM_PACE_MS: '0',
      LOG_LEVEL: 'debug',
      CORPUS_SYNC_MS: '0',
      WECHAT_TOKEN: WX_TOKEN,
    });
    const metrics = createMetrics();
    const logger = createLogger({ level: 'debug', destination: { write: (line: string) => void logs.push(JSON.parse(line)) } });
    service = await openMentorService(config, { onTurn: turnReporter(metrics, logger), onProgress: (m) => progress.push(m) });
    server = await createServer(service, { config, metrics, logger, log: () => {} });
  }, 60_000);

  afterAll(async () => {
    if (redis?.process.exitCode === null) redis.process.kill('SIGCONT');
    await server?.close();
    service?.close();
    client?.disconnect();
    await redis?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  const metricsText = async () => (await fetch(`${server.url}/metrics`)).text();
  const failures = async (match: Record<string, string> = {}) => metricSum(await metricsText(), 'mentor_store_failures_total', match);

  async function ask(message: string, sessionId?: string) {
    const started = Date.now();
    const res = await postJson(`${server.url}/api/chat`, { message, ...(sessionId ? { sessionId } : {}) });
    const ms = Date.now() - started;
    const body = (await res.json()) as { sessionId: string; reply: string; intent: string; citations: unknown[]; eligibility?: { facts: Record<string, any>; overall: { status: string } } };
    return { status: res.status, body, ms, requestId: res.headers.get('x-request-id')! };
  }

  const storeWarnings = (requestId: string) =>
    logs.filter((l) => l.reqId === requestId && l.level === 'warn' && /store failed/.test(String(l.msg))).map((l) => `${l.operation}:${l.code}`);

  it('answers within the command timeout while Redis does not answer at all (SIGSTOP), and counts REDIS_TIMEOUT', async () => {
    const first = await ask('中级职称怎么评？');
    expect(first.status).toBe(200);
    redis.process.kill('SIGSTOP');
    let turn;
    try {
      turn = await ask('What is the green channel?', first.body.sessionId);
    } finally {
      redis.process.kill('SIGCONT');
    }
    expect(turn.status).toBe(200);
    expect(turn.body.citations.length).toBeGreaterThan(0);
    expect(turn.ms).toBeLessThan(TURN_BOUND_MS);
    expect(await failures({ operation: 'load_session', code: 'REDIS_TIMEOUT' })).toBe(1);
    expect(await failures({ operation: 'save_session', code: 'REDIS_TIMEOUT' })).toBe(1);
    expect(await failures({ operation: 'rate_limit_ip', code: 'REDIS_TIMEOUT' })).toBe(1);
    expect(await failures({ operation: 'rate_limit_session', code: 'REDIS_TIMEOUT' })).toBe(1);
    expect(storeWarnings(turn.requestId).sort()).toEqual(['load_session:REDIS_TIMEOUT', 'rate_limit_ip:REDIS_TIMEOUT', 'rate_limit_session:REDIS_TIMEOUT', 'save_session:REDIS_TIMEOUT']);
    expect(metricSum(await metricsText(), 'mentor_errors_total')).toBe(0);
  });

  it('answers when Redis refuses writes (out of memory), and counts REDIS_OOM', async () => {
    const before = await failures({ code: 'REDIS_OOM' });
    await client.config('SET', 'maxmemory-policy', 'noeviction');
    await client.config('SET', 'maxmemory', '1');
    let turn;
    try {
      turn = await ask('上海申报职称需要什么条件？');
    } finally {
      await client.config('SET', 'maxmemory', '0');
    }
    expect(turn.status).toBe(200);
    expect(turn.body.citations.length).toBeGreaterThan(0);
    expect(await failures({ operation: 'save_session', code: 'REDIS_OOM' })).toBe(1);
    // The rate-limit counts are writes too: let through, counted.
    expect((await failures({ code: 'REDIS_OOM' })) - before).toBeGreaterThanOrEqual(2);
    expect(storeWarnings(turn.requestId)).toContain('save_session:REDIS_OOM');
  });

  it('answers a session whose stored value is not JSON, and counts REDIS_BAD_VALUE', async () => {
    const sessionId = `bad-value-${Date.now()}`;
    await client.set(`tm:session:${sessionId}`, '{"lang": "zh", "facts": {', 'PX', 60_000);
    const turn = await ask('中级职称怎么评？', sessionId);
    expect(turn.status).toBe(200);
    expect(turn.body.sessionId).toBe(sessionId);
    expect(await failures({ operation: 'load_session', code: 'REDIS_BAD_VALUE' })).toBe(1);
    // The turn's state replaced the unreadable value.
    expect(JSON.parse((await client.get(`tm:session:${sessionId}`))!)).toMatchObject({ lang: 'zh' });
  });

  it('answers every turn while Redis is dead (SIGKILL), from the last known state, and recovers when it is back', async () => {
    const first = await ask('我硕士毕业，在上海做工程技术工作两年半了，有居住证。');
    expect(first.status).toBe(200);
    const sessionId = first.body.sessionId;
    expect(await client.exists(`tm:session:${sessionId}`)).toBe(1);
    const before = await failures({ code: 'REDIS_UNAVAILABLE' });

    await redis.kill();
    // The next turns: each answered, quickly, the conversation's facts still known.
    const second = await ask('能评工程师吗？', sessionId);
    expect(second.status).toBe(200);
    expect(second.ms).toBeLessThan(TURN_BOUND_MS);
    expect(second.body.intent).toBe('eligibility_check');
    expect(second.body.eligibility?.facts.education?.degree).toBe('master');
    expect(second.body.eligibility?.overall.status).toBe('eligible');
    expect(storeWarnings(second.requestId).sort()).toEqual(['load_session:REDIS_UNAVAILABLE', 'rate_limit_ip:REDIS_UNAVAILABLE', 'rate_limit_session:REDIS_UNAVAILABLE', 'save_session:REDIS_UNAVAILABLE']);
    // The request itself was a success, logged with the same id.
    expect(logs.find((l) => l.msg === 'request' && l.reqId === second.requestId)).toMatchObject({ status: 200, path: '/api/chat' });

    const more = await Promise.all([ask('What is the green channel?'), ask('中级职称怎么评？'), ask('我还需要准备什么材料？', sessionId)]);
    for (const t of more) {
      expect(t.status).toBe(200);
      expect(t.ms).toBeLessThan(TURN_BOUND_MS);
    }
    // A WeChat message: no instance can claim it, so this one answers it, and the failure is counted.
    const wx = await fetch(`${server.url}/wechat?${wechatQuery(WX_TOKEN)}`, { method: 'POST', headers: { 'content-type': 'text/xml' }, body: textXml('oRedisDownUser', '中级职称怎么评？') });
    expect(wx.status).toBe(200);
    expect(replyFields(await wx.text()).Content).toBeTruthy();
    expect(await failures({ operation: 'wechat_claim', code: 'REDIS_UNAVAILABLE' })).toBe(1);
    // OpenAI-compatible API and streaming go through the same turn.
    const oa = await postJson(`${server.url}/v1/chat/completions`, { model: 'title-mentor', messages: [{ role: 'user', content: '中级职称怎么评？' }] }, { 'x-session-id': sessionId });
    expect(oa.status).toBe(200);
    const stream = await postJson(`${server.url}/api/chat/stream`, { message: '中级职称怎么评？', sessionId });
    expect(stream.status).toBe(200);
    expect(await stream.text()).toMatch(/event: done/);

    // 4 turns with a session: read, write and two limits each; 2 without: a write and the address limit.
    // (Plus the OpenAI and streamed turns.)
    const during = (await failures({ code: 'REDIS_UNAVAILABLE' })) - before;
    expect(during).toBeGreaterThanOrEqual(4 * 4 + 2 * 2);
    expect(metricSum(await metricsText(), 'mentor_errors_total')).toBe(0);
    expect(progress.join('\n')).toMatch(/Redis connection lost/);

    // Redis back (empty: no persistence) on the same port: the client reconnects by itself.
    redis = await startRedis(redis.port);
    client.disconnect();
    client = new Redis(redis.url);
    const deadline = Date.now() + 10_000;
    while (service.redis!.status !== 'ready' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(service.redis!.status).toBe('ready');
    expect(progress.join('\n')).toMatch(/Redis is back/);

    const after = await failures();
    const third = await ask('那我能评中级职称吗？', sessionId);
    expect(third.status).toBe(200);
    // Nothing failed; the facts learnt before (and the state saved during) the outage are in Redis again.
    expect(await failures()).toBe(after);
    expect(third.body.eligibility?.facts.education?.degree).toBe('master');
    const stored = JSON.parse((await client.get(`tm:session:${sessionId}`))!) as { facts: { education?: { degree?: string } }; turns: number };
    expect(stored.facts.education?.degree).toBe('master');
    expect(stored.turns).toBeGreaterThanOrEqual(5);
    expect(await client.pttl(`tm:session:${sessionId}`)).toBeGreaterThan(0);
    // Rate limits count in Redis again.
    expect(Number(await client.get(`tm:rl:session:${sessionId}`))).toBe(1);
  }, 30_000);

  it('never logs the PII a user typed while Redis was failing', async () => {
    await client.config('SET', 'maxmemory', '1');
    try {
      const turn = await ask('我的手机号是13812345678，身份证号110105194912310025，邮箱zhang.san@example.com');
      expect(turn.status).toBe(200);
    } finally {
      await client.config('SET', 'maxmemory', '0');
    }
    const text = logs.map((l) => JSON.stringify(l)).join('\n');
    expect(text).not.toMatch(/13812345678|110105194912310025|zhang\.san@example\.com/);
  });
});
