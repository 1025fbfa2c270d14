import crypto from 'node:crypto';
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metricSum, startTestServer, tempDataDir, type TestServer } from '../fixtures/channels/harness.js';
import { replyFields, textXml } from '../fixtures/channels/wechat_client.js';

// Replays on the WeChat webhook, over real HTTP with signatures computed here: a signed request whose
// timestamp is far from the server's clock is refused (401, counted), whatever its body; a captured
// signed URL cannot carry another message; WeChat's own retries of one message (same MsgId, the same
// or fresh signatures) still get the first answer, and run one turn only.
const TOKEN = 'wechat-replay-token';
const SKEW = 120;

let dataDir: string;
let server: TestServer; // WECHAT_MAX_CLOCK_SKEW_SECONDS=120
let unchecked: TestServer; // WECHAT_MAX_CLOCK_SKEW_SECONDS=0

beforeAll(async () => {
  dataDir = tempDataDir();
  server = await startTestServer({ WECHAT_TOKEN: TOKEN, WECHAT_MAX_CLOCK_SKEW_SECONDS: String(SKEW) }, { dataDir });
  unchecked = await startTestServer({ WECHAT_TOKEN: TOKEN, WECHAT_MAX_CLOCK_SKEW_SECONDS: '0' }, { dataDir, service: server.service, metrics: server.metrics });
});

afterAll(async () => {
  await unchecked?.close();
  await server?.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

const now = () => Math.floor(Date.now() / 1000);

/** A query signed as WeChat signs it (sha1 of the sorted token, timestamp and nonce), for any timestamp. */
function signed(timestamp: number | string, nonce = crypto.randomBytes(6).toString('hex'), extra: Record<string, string> = {}): string {
  const ts = String(timestamp);
  const signature = crypto.createHash('sha1').update([TOKEN, ts, nonce].sort().join('')).digest('hex');
  return new URLSearchParams({ signature, timestamp: ts, nonce, ...extra }).toString();
}

const post = (t: TestServer, query: string, body: string) => fetch(`${t.url}/wechat?${query}`, { method: 'POST', headers: { 'content-type': 'text/xml' }, body });
const metrics = async (t: TestServer) => t.server.metrics.registry.metrics();
const refused = async (code: string) => metricSum(await metrics(server), 'mentor_errors_total', { channel: 'wechat', code });
const wechatTurns = async () => metricSum(await metrics(server), 'mentor_turns_total', { channel: 'wechat' });

describe('the signed timestamp', () => {
  it('refuses a message signed 10 minutes ago with a 401 that says why, runs no turn, and counts it', async () => {
    const turns = await wechatTurns();
    const res = await post(server, signed(now() - 600), textXml('oReplay_old_0000000000000001', '中级职称怎么评？'));
    expect(res.status).toBe(401);
    const body = (await res.json()) as { error: string; code: string };
    expect(body.code).toBe('stale_timestamp');
    expect(body.error).toMatch(/timestamp is 6\d\d s old \(at most 120 s from the server's clock is accepted\): refused as a possible replay/);
    expect(await refused('stale_timestamp')).toBe(1);
    expect(await wechatTurns()).toBe(turns);
  });

  it('refuses a timestamp 10 minutes in the future, and one that is not a number of seconds', async () => {
    const future = await post(server, signed(now() + 600), textXml('oReplay_future_00000000000001', '中级职称怎么评？'));
    expect(future.status).toBe(401);
    expect(((await future.json()) as { error: string }).error).toMatch(/in the future/);
    const malformed = await post(server, signed('1e9'), textXml('oReplay_nan_00000000000000001', '中级职称怎么评？'));
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toMatchObject({ code: 'bad_timestamp' });
    expect(await refused('stale_timestamp')).toBe(2);
    expect(await refused('bad_timestamp')).toBe(1);
  });

  it('answers a message whose timestamp is within the window (a minute behind, a minute ahead)', async () => {
    for (const ts of [now() - 60, now() + 60]) {
      const res = await post(server, signed(ts), textXml(`oReplay_fresh_${ts}`, '职称分几级？'));
      expect(res.status).toBe(200);
      expect(replyFields(await res.text()).Content.length).toBeGreaterThan(10);
    }
  });

  it('refuses a stale handshake too (no echostr)', async () => {
    const res = await fetch(`${server.url}/wechat?${signed(now() - 3600, 'n1', { echostr: 'echo-stale' })}`);
    expect(res.status).toBe(401);
    expect(await res.text()).not.toContain('echo-stale');
    const fresh = await fetch(`${server.url}/wechat?${signed(now(), 'n2', { echostr: 'echo-fresh' })}`);
    expect(await fresh.text()).toBe('echo-fresh');
  });

  it('is not checked when WECHAT_MAX_CLOCK_SKEW_SECONDS is 0', async () => {
    const res = await post(unchecked, signed(now() - 86_400), textXml('oReplay_unchecked_000000001', '职称分几级？'));
    expect(res.status).toBe(200);
  });
});

describe('replays within the window', () => {
  it('refuses a captured signed URL carrying another message; the first message was answered', async () => {
    const query = signed(now());
    const first = await post(server, query, textXml('oReplay_capture_000000000001', '职称分几级？'));
    expect(first.status).toBe(200);
    const turns = await wechatTurns();
    const forged = await post(server, query, textXml('oReplay_capture_000000000001', '帮我查一下别人的申报材料'));
    expect(forged.status).toBe(401);
    expect(await forged.json()).toMatchObject({ code: 'replayed_signature' });
    expect(await refused('replayed_signature')).toBe(1);
    expect(await wechatTurns()).toBe(turns);
  });

  it("answers WeChat's three retries of one message (same MsgId) with the first reply, in one turn", async () => {
    const turns = await wechatTurns();
    const body = textXml('oReplay_retry_00000000000001', '中级职称怎么评？', '55443322110099');
    // WeChat re-sends after 5 s without an answer: the same signed request, or a freshly signed one.
    const query = signed(now());
    const replies = await Promise.all([post(server, query, body), post(server, query, body), post(server, signed(now()), body)]);
    const texts = await Promise.all(replies.map((r) => r.text()));
    expect(replies.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(new Set(texts.map((t) => replyFields(t).Content)).size).toBe(1);
    expect(await wechatTurns()).toBe(turns + 1);
  });
});
