import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import type { MentorService } from '../../src/mentor/index.js';
import { createApp, startMentorServer, type MentorServer } from '../../src/server/index.js';
import { CorpusStore } from '../../src/store/index.js';
import { REDIS_SERVER, startRedis } from '../fixtures/redis_server.js';
import { replyFields, textXml, wechatQuery } from '../fixtures/channels/wechat_client.js';

/**
 * Scale-out: two instances on loopback share a real redis-server (sessions, rate limits) and one corpus
 * store (SQLite WAL), each with its own index and transcripts. A conversation alternating between them
 * keeps its facts; a staff change on one is served by the other within seconds, at the same revision.
 * Needs Debian's redis-server (.ci/run installs it).
 */
if (!REDIS_SERVER) console.warn('scaleout tests skipped: redis-server is not installed (apt-get install redis-server; .ci/run installs it)');

const TOKEN = 'scaleout-admin-token';
const WX_TOKEN = 'scaleout-wechat-token';

interface Instance {
  server: MentorServer;
  service: MentorService;
  dataDir: string;
  log: string[];
}

async function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: any; headers: Headers }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  return { status: res.status, body: await res.json(), headers: res.headers };
}

const readyz = async (i: Instance) => (await (await fetch(`${i.server.url}/readyz`)).json()) as { status: string; corpus: { revision: number; latest: number } };

describe.skipIf(!REDIS_SERVER)('scale-out: two instances, one Redis, one corpus store', () => {
  let redis: Awaited<ReturnType<typeof startRedis>>;
  let client: Redis;
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tm-scaleout-'));
  const corpusDb = path.join(root, 'shared', 'corpus.sqlite');
  let a: Instance;
  let b: Instance;

  async function start(name: string, env: Record<string, string> = {}): Promise<Instance> {
    const dataDir = path.join(root, name);
    const log: string[] = [];
    const config = loadConfig({
      DATA_DIR: dataDir,
      CORPUS_DB: corpusDb,
      REDIS_URL: redis.url,
      CORPUS_SYNC_MS: '200',
      ADMIN_TOKEN: TOKEN,
      WECHAT_TOKEN: WX_TOKEN,
      // Every request here comes from 127.0.0.1, and the address limit is shared through Redis.
      RATE_LIMIT_PER_MINUTE_IP: '100000',
      LOG_LEVEL: 'silent',
      STREAM_PACE_MS: '0',
      ...env,
    });
    const { server, service } = await startMentorServer(config, { port: 0, host: '127.0.0.1', log: () => {}, onProgress: (m) => log.push(m) });
    return { server, service: await service, dataDir, log };
  }

  beforeAll(async () => {
    redis = await startRedis();
    client = new Redis(redis.url);
    // One after the other, as a rolling deployment starts them: the second finds the seed imported.
    a = await start('a');
    // The second builds its index in a child process, as a large corpus always does.
    b = await start('b', { INDEX_BUILD_CHILD_MIN_DOCS: '0' });
  }, 120_000);

  afterAll(async () => {
    for (const i of [a, b]) {
      await i?.server.close();
      i?.service.close();
    }
    client?.disconnect();
    await redis?.stop();
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('serves the same corpus revision on both instances, each from its own index', async () => {
    const [ra, rb] = await Promise.all([readyz(a), readyz(b)]);
    expect(ra.status).toBe('ready');
    expect(ra.corpus.revision).toBeGreaterThan(0);
    expect(rb.corpus.revision).toBe(ra.corpus.revision);
    expect(rb.corpus.latest).toBe(ra.corpus.latest);
    expect(fs.existsSync(path.join(a.dataDir, 'index', 'CURRENT'))).toBe(true);
    expect(fs.existsSync(path.join(b.dataDir, 'index', 'CURRENT'))).toBe(true);
    // Only the shared store holds the corpus: neither instance made its own.
    expect(fs.existsSync(path.join(a.dataDir, 'corpus.sqlite'))).toBe(false);
    expect(fs.existsSync(path.join(b.dataDir, 'corpus.sqlite'))).toBe(false);
    // Each built its own index: A in process (a small corpus), B in a child process.
    expect(a.log.join('\n')).not.toMatch(/child process/);
    expect(b.log.join('\n')).toMatch(/index for revision \d+ built in a child process/);
    expect(b.service.index().manifest.corpusHash).toBe(a.service.index().manifest.corpusHash);
  });

  it('rebuilds the index in a child process while serving: the event loop stays free, every turn is answered', async () => {
    const before = a.service.index();
    const loop = monitorEventLoopDelay({ resolution: 10 });
    loop.enable();
    let done = false;
    const rebuilt = a.service.corpus.rebuild().finally(() => (done = true));
    const statuses: number[] = [];
    while (!done) statuses.push((await post(`${a.server.url}/api/chat`, { message: '中级职称怎么评？' })).status);
    const index = await rebuilt;
    loop.disable();
    expect(a.log.join('\n')).toMatch(/built in a child process/);
    expect(index).not.toBe(before);
    expect(index.manifest.corpusHash).toBe(before.manifest.corpusHash);
    expect(a.service.index()).toBe(index);
    expect(statuses.length).toBeGreaterThan(0);
    expect(statuses.every((s) => s === 200)).toBe(true);
    // Only loading the finished index (a few hundred chunks) runs here; no build second is spent on this loop.
    expect(loop.max / 1e6).toBeLessThan(500);
  }, 60_000);

  it('keeps the facts of one conversation that alternates between the instances', async () => {
    const first = await post(`${a.server.url}/api/chat`, { message: '我硕士毕业，在上海做工程技术工作两年半了，有居住证。' });
    expect(first.status).toBe(200);
    const sessionId = first.body.sessionId as string;

    // The state is in Redis, with the session TTL, not in either instance's SQLite sessions table.
    const ttl = await client.pttl(`tm:session:${sessionId}`);
    expect(ttl).toBeGreaterThan((a.service.config.SESSION_TTL_HOURS - 0.01) * 3600_000);
    expect(ttl).toBeLessThanOrEqual(a.service.config.SESSION_TTL_HOURS * 3600_000);
    expect(a.service.store.getSession(sessionId)).toBeUndefined();

    // Turn 2 on the other instance: the eligibility check uses turn 1's degree, years and residence.
    const second = await post(`${b.server.url}/api/chat`, { message: '能评工程师吗？', sessionId });
    expect(second.status).toBe(200);
    expect(second.body.sessionId).toBe(sessionId);
    expect(second.body.intent).toBe('eligibility_check');
    expect(second.body.eligibility?.facts.education?.degree).toBe('master');
    expect(second.body.eligibility?.facts.yearsInSpecialty).toBe(2.5);
    expect(second.body.eligibility?.overall.status).toBe('eligible');

    // Turn 3 back on the first instance, through the OpenAI-compatible API: still the same facts.
    const third = await post(
      `${a.server.url}/v1/chat/completions`,
      { model: 'title-mentor', messages: [{ role: 'user', content: '那我能评中级职称吗？' }] },
      { 'x-session-id': sessionId },
    );
    expect(third.status).toBe(200);
    expect(third.body.mentor.eligibility?.facts.education?.degree).toBe('master');

    // Transcripts stay with the instance that answered.
    expect(a.service.store.transcript(sessionId).map((t) => t.userText)).toEqual(['我硕士毕业，在上海做工程技术工作两年半了，有居住证。', '那我能评中级职称吗？']);
    expect(b.service.store.transcript(sessionId).map((t) => t.userText)).toEqual(['能评工程师吗？']);
  });

  it('serves a staff change made on one instance from the other within seconds, at the same revision', async () => {
    const id = 'scaleout-update.zh';
    const marker = '蓝鲸评审窗口';
    const markdown = `---\nid: ${id}\ntitle: "扩容测试：${marker}"\nlang: zh\nscope: titles\n---\n\n# 扩容测试：${marker}\n\n## ${marker}在哪里\n\n${marker}设在上海市人才服务中心三楼，每周二开放，申报中级职称的材料可以在${marker}当面提交。\n`;
    const before = (await readyz(b)).corpus.revision;
    const res = await fetch(`${a.server.url}/api/admin/documents/${id}`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ markdown, summary: 'scale-out test' }),
    });
    expect(res.status).toBe(201);
    const { revision } = (await res.json()) as { revision: number };
    expect(revision).toBeGreaterThan(before);

    const started = Date.now();
    let rb = await readyz(b);
    while (rb.corpus.revision !== revision && Date.now() - started < 5000) {
      await new Promise((r) => setTimeout(r, 100));
      rb = await readyz(b);
    }
    expect(rb.corpus.revision).toBe(revision);
    expect((await readyz(a)).corpus.revision).toBe(revision);

    const answer = await post(`${b.server.url}/api/chat`, { message: `${marker}在哪里？` });
    expect(answer.status).toBe(200);
    expect(answer.body.citations.map((c: { docId: string }) => c.docId)).toContain(id);
    expect(answer.body.reply).toContain('三楼');
  }, 20_000);

  describe('a WeChat message re-sent to the other instance', () => {
    const wechat = (i: Instance, xml: string) => fetch(`${i.server.url}/wechat?${wechatQuery(WX_TOKEN)}`, { method: 'POST', headers: { 'content-type': 'text/xml' }, body: xml });
    const turnsFor = (text: string) => [a, b].flatMap((i) => i.service.store.recentTurns(1000)).filter((t) => t.channel === 'wechat' && t.userText === text).length;
    // The Redis key of a message, as the instances name it (a hash of sender and MsgId).
    const claimKey = (openId: string, msgId: string) => `tm:wechat:claim:${crypto.createHash('sha256').update(`${openId}:${msgId}`).digest('hex').slice(0, 32)}`;

    it('runs one turn, and both requests get the same answer, sent at once or one after the other', async () => {
      const together = '上海评中级职称要什么条件？';
      const xml = textXml('oScaleoutUser1', together, '8100000000000000001');
      const [ra, rb] = await Promise.all([wechat(a, xml), wechat(b, xml)]);
      expect([ra.status, rb.status]).toEqual([200, 200]);
      const [xa, xb] = [await ra.text(), await rb.text()];
      expect(replyFields(xa).Content).toBeTruthy();
      expect(replyFields(xb).Content).toBe(replyFields(xa).Content);
      expect(turnsFor(together)).toBe(1);

      const later = '工程师职称怎么评？';
      const first = await (await wechat(a, textXml('oScaleoutUser2', later, '8100000000000000002'))).text();
      const resent = await (await wechat(b, textXml('oScaleoutUser2', later, '8100000000000000002'))).text();
      expect(replyFields(resent).Content).toBe(replyFields(first).Content);
      expect(turnsFor(later)).toBe(1);
      // The claim is kept for a minute, under a hash: no WeChat id in clear in Redis.
      expect(await client.pttl(claimKey('oScaleoutUser2', '8100000000000000002'))).toBeGreaterThan(50_000);
      expect(await client.keys('*oScaleoutUser2*')).toEqual([]);
    });

    it('is answered by the instance it reaches when the one that claimed it never answers', async () => {
      const text = '职称评审材料怎么交？';
      // An instance claimed the message and died before answering.
      await client.set(claimKey('oScaleoutUser3', '8100000000000000003'), '1', 'PX', 60_000);
      const started = Date.now();
      const res = await wechat(b, textXml('oScaleoutUser3', text, '8100000000000000003'));
      expect(res.status).toBe(200);
      expect(replyFields(await res.text()).Content).toBeTruthy();
      // It waited half the reply budget for the other answer, and still answered within WeChat's 5 s.
      expect(Date.now() - started).toBeGreaterThanOrEqual(b.service.config.WECHAT_REPLY_BUDGET_MS / 2 - 50);
      expect(Date.now() - started).toBeLessThan(5000);
      expect(turnsFor(text)).toBe(1);
    }, 15_000);
  });

  it('counts a session rate limit across both instances', async () => {
    // Apps with a low limit on the same services (and so the same Redis).
    const limited = (service: MentorService) => createApp(service, { config: { ...service.config, RATE_LIMIT_PER_MINUTE_IP: 0, RATE_LIMIT_PER_MINUTE_SESSION: 3 }, log: () => {} });
    const servers = [http.createServer(limited(a.service)), http.createServer(limited(b.service))];
    const urls: string[] = [];
    for (const s of servers) {
      await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
      urls.push(`http://127.0.0.1:${(s.address() as net.AddressInfo).port}`);
    }
    try {
      const sessionId = `limit-${Date.now()}`;
      const statuses: number[] = [];
      for (const url of [urls[0], urls[1], urls[0], urls[1]]) statuses.push((await post(`${url}/api/chat`, { message: '中级职称怎么评？', sessionId })).status);
      expect(statuses).toEqual([200, 200, 200, 429]);
      const refused = await post(`${urls[0]}/api/chat`, { message: '中级职称怎么评？', sessionId });
      expect(refused.status).toBe(429);
      expect(refused.body.code).toBe('rate_limited');
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
      // Another session is not affected.
      expect((await post(`${urls[1]}/api/chat`, { message: '中级职称怎么评？', sessionId: `${sessionId}-other` })).status).toBe(200);
      expect(Number(await client.get(`tm:rl:session:${sessionId}`))).toBe(5);
    } finally {
      for (const s of servers) await new Promise<void>((resolve) => s.close(() => resolve()));
    }
  });

  it('imports the seed once when two instances share a store (the second finds it imported)', () => {
    const store = new CorpusStore(corpusDb);
    try {
      const imports = store.audit({ limit: 10_000 }).filter((e) => e.action === 'import');
      const perItem = new Map<string, number>();
      for (const e of imports) perItem.set(`${e.kind}:${e.itemId}`, (perItem.get(`${e.kind}:${e.itemId}`) ?? 0) + 1);
      expect(Math.max(...perItem.values())).toBe(1);
    } finally {
      store.close();
    }
  });
});
