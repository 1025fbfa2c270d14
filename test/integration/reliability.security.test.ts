import crypto from 'node:crypto';
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/log/index.js';
import { openMentorService, type MentorService } from '../../src/mentor/index.js';
import { createMetrics, createServer, turnReporter, type MentorServer } from '../../src/server/index.js';
import { wechatSignature } from '../../src/channels/index.js';
import { sendRaw } from '../fuzz/support/http.js';
import { postJson, tempDataDir } from '../fixtures/channels/harness.js';

// Security headers, CORS (off unless CORS_ORIGINS lists an origin), body size limits, request ids, and
// PII-free structured logs, on real servers over loopback sharing one mentor service.

const ADMIN_TOKEN = 'security-test-admin-token';
const WECHAT_TOKEN = 'security-test-wechat-token';
const CHANNELS = {
  ADMIN_TOKEN,
  WECHAT_TOKEN,
  SLACK_SIGNING_SECRET: 'security-test-slack-secret',
  SLACK_CLIENT_ID: 'c.1',
  SLACK_CLIENT_SECRET: 'security-test-client-secret',
  SLACK_REDIRECT_URI: 'https://mentor.example.org/slack/oauth',
};
const BASE = { PORT: '0', HOST: '127.0.0.1', STREAM_PACE_MS: '0', LOG_LEVEL: 'debug', RATE_LIMIT_PER_MINUTE_IP: '0', RATE_LIMIT_PER_MINUTE_SESSION: '0', ...CHANNELS };

let dataDir: string;
let service: MentorService;
const servers: Record<'closed' | 'listed' | 'any', MentorServer> = {} as never;
const logs: string[] = [];

beforeAll(async () => {
  dataDir = tempDataDir();
  const metrics = createMetrics();
  const logger = createLogger({ level: 'debug', destination: { write: (line: string) => void logs.push(line) } });
  const config = (env: Record<string, string> = {}) => loadConfig({ ...BASE, DATA_DIR: dataDir, ...env });
  service = await openMentorService(config(), { onTurn: turnReporter(metrics, logger) });
  servers.closed = await createServer(service, { config: config(), metrics, logger });
  servers.listed = await createServer(service, { config: config({ CORS_ORIGINS: 'https://a.example, https://b.example:8443' }), logger: createLogger({ level: 'silent' }) });
  servers.any = await createServer(service, { config: config({ CORS_ORIGINS: '*' }), logger: createLogger({ level: 'silent' }) });
});

afterAll(async () => {
  for (const s of Object.values(servers)) await s?.close();
  service?.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

const chat = (base: string, headers: Record<string, string> = {}, message = '职称分几级？') => postJson(`${base}/api/chat`, { message }, headers);
const preflight = (url: string, origin: string) => fetch(url, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' } });

describe('security headers (helmet)', () => {
  it('are on the API and the page, and nothing says what the server runs', async () => {
    for (const res of [await chat(servers.closed.url), await fetch(`${servers.closed.url}/`), await fetch(`${servers.closed.url}/nothing-here`)]) {
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('x-frame-options')).toBe('SAMEORIGIN');
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
      expect(res.headers.get('strict-transport-security')).toMatch(/max-age=\d+/);
      expect(res.headers.get('cross-origin-opener-policy')).toBe('same-origin');
      expect(res.headers.get('cross-origin-resource-policy')).toBe('same-origin');
      expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
      expect(res.headers.get('x-powered-by')).toBeNull();
    }
  });
});

describe('CORS', () => {
  it('is off by default: no Access-Control-Allow-Origin on /api or /v1, for any origin', async () => {
    const api = await chat(servers.closed.url, { origin: 'https://a.example' });
    expect(api.status).toBe(200);
    expect(api.headers.get('access-control-allow-origin')).toBeNull();
    const pre = await preflight(`${servers.closed.url}/api/chat`, 'https://a.example');
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-origin')).toBeNull();
    expect(pre.headers.get('access-control-allow-methods')).toBeNull();
    const v1 = await postJson(`${servers.closed.url}/v1/chat/completions`, { model: 'title-mentor', messages: [{ role: 'user', content: '职称分几级？' }] }, { origin: 'https://a.example' });
    expect(v1.status).toBe(200);
    expect(v1.headers.get('access-control-allow-origin')).toBeNull();
    expect((await preflight(`${servers.closed.url}/v1/chat/completions`, 'https://a.example')).headers.get('access-control-allow-origin')).toBeNull();
  });

  it('allows exactly the origins CORS_ORIGINS lists, on /api and /v1, never with credentials', async () => {
    const ok = await chat(servers.listed.url, { origin: 'https://b.example:8443' });
    expect(ok.headers.get('access-control-allow-origin')).toBe('https://b.example:8443');
    expect(ok.headers.get('vary')).toMatch(/origin/i);
    expect(ok.headers.get('access-control-expose-headers')).toContain('x-request-id');
    expect(ok.headers.get('access-control-allow-credentials')).toBeNull();
    const pre = await preflight(`${servers.listed.url}/api/chat/stream`, 'https://a.example');
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-origin')).toBe('https://a.example');
    expect(pre.headers.get('access-control-allow-methods')).toContain('POST');
    expect(pre.headers.get('access-control-allow-headers')).toContain('content-type');

    for (const origin of ['https://evil.example', 'http://a.example', 'https://a.example.evil.example', 'null']) {
      const no = await chat(servers.listed.url, { origin });
      expect(no.status).toBe(200);
      expect(no.headers.get('access-control-allow-origin'), origin).toBeNull();
      expect((await preflight(`${servers.listed.url}/api/chat`, origin)).headers.get('access-control-allow-origin'), origin).toBeNull();
    }

    const v1 = await postJson(`${servers.listed.url}/v1/chat/completions`, { model: 'title-mentor', messages: [{ role: 'user', content: '职称分几级？' }] }, { origin: 'https://a.example' });
    expect(v1.headers.get('access-control-allow-origin')).toBe('https://a.example');
    expect(v1.headers.get('access-control-expose-headers')).toContain('x-session-id');
  });

  it('never opens the staff API to other origins', async () => {
    const res = await fetch(`${servers.listed.url}/api/admin/documents`, { headers: { origin: 'https://a.example', authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    expect((await preflight(`${servers.listed.url}/api/admin/documents`, 'https://a.example')).headers.get('access-control-allow-origin')).toBeNull();
  });

  it('CORS_ORIGINS=* allows any origin', async () => {
    const res = await chat(servers.any.url, { origin: 'https://anyone.example' });
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
  });

  it('refuses a CORS_ORIGINS that is not a list of origins', () => {
    for (const bad of ['a.example', 'https://a.example/path', 'ftp://a.example', 'https://a.example,*']) expect(() => loadConfig({ CORS_ORIGINS: bad }), bad).toThrow(ConfigError);
    expect(loadConfig({ CORS_ORIGINS: 'https://a.example/, http://localhost:5173' }).CORS_ORIGINS).toBe('https://a.example/, http://localhost:5173');
  });
});

describe('body size limits', () => {
  const wechatQuery = () => {
    const timestamp = String(Math.floor(Date.now() / 1000));
    return `?signature=${wechatSignature(WECHAT_TOKEN, timestamp, '1')}&timestamp=${timestamp}&nonce=1`;
  };

  it.each([
    ['/api/chat (64 kB)', '/api/chat', 'application/json', JSON.stringify({ message: 'x'.repeat(70_000) })],
    ['/api/chat/stream (64 kB)', '/api/chat/stream', 'application/json', JSON.stringify({ message: 'x'.repeat(70_000) })],
    ['/v1/chat/completions (64 kB)', '/v1/chat/completions', 'application/json', JSON.stringify({ model: 'title-mentor', messages: [{ role: 'user', content: 'x'.repeat(70_000) }] })],
    ['/wechat (64 kB)', `/wechat${wechatQuery()}`, 'text/xml', `<xml><Content>${'x'.repeat(70_000)}</Content></xml>`],
    ['/slack/events (1 MB)', '/slack/events', 'application/json', JSON.stringify({ type: 'event_callback', pad: 'x'.repeat(1_100_000) })],
  ])('answers a body over the limit on %s with 413 and a JSON message', async (_label, path, type, body) => {
    const res = await fetch(`${servers.closed.url}${path}`, { method: 'POST', headers: { 'content-type': type }, body });
    expect(res.status).toBe(413);
    const json = await res.json();
    expect(typeof json.error === 'string' ? json.error : json.error.message).toMatch(/too large/);
  });

  it('reads a staff body (up to 2 MB) only after the token is checked; one announced over 2 MB is never read', async () => {
    const within = JSON.stringify({ markdown: 'x'.repeat(1_500_000) });
    const anonymous = await fetch(`${servers.closed.url}/api/admin/validate`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: within });
    expect(anonymous.status).toBe(401);
    const big = JSON.stringify({ markdown: 'x'.repeat(2_200_000) });
    // Over the limit by its Content-Length: refused before the token is even looked at (nothing is read).
    const anonymousBig = await fetch(`${servers.closed.url}/api/admin/validate`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: big }).catch((err: Error) => err);
    if (!(anonymousBig instanceof Error)) expect(anonymousBig.status).toBe(413);
    const staff = await fetch(`${servers.closed.url}/api/admin/validate`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_TOKEN}` }, body: big });
    expect(staff.status).toBe(413);
    expect((await staff.json()).error).toMatch(/too large/);
  });
});

describe('request ids and structured logs', () => {
  it('echoes a plain x-request-id, and makes a new one for a missing, long, odd or personal one', async () => {
    expect((await chat(servers.closed.url, { 'x-request-id': 'trace-42.a:b' })).headers.get('x-request-id')).toBe('trace-42.a:b');
    for (const given of [undefined, 'x'.repeat(101), 'a b', 'id-13812345678', '<script>']) {
      const res = await chat(servers.closed.url, given === undefined ? {} : { 'x-request-id': given });
      const id = res.headers.get('x-request-id');
      expect(id, String(given)).toMatch(/^[0-9a-f-]{36}$/);
    }
  });

  it('writes one JSON line per request, and every line inside a request carries its id', async () => {
    logs.length = 0;
    const res = await chat(servers.closed.url, { 'x-request-id': 'one-request' }, '我能评工程师吗？');
    expect(res.status).toBe(200);
    await new Promise((r) => setTimeout(r, 50));
    const lines = logs.map((l) => JSON.parse(l) as Record<string, unknown>);
    const mine = lines.filter((l) => l.reqId === 'one-request');
    expect(mine.find((l) => l.msg === 'request')).toMatchObject({ level: 'info', method: 'POST', path: '/api/chat', status: 200, durationMs: expect.any(Number), time: expect.any(String) });
    expect(mine.find((l) => l.msg === 'turn')).toMatchObject({ level: 'debug', channel: 'api', intent: 'eligibility_check' });
    expect(lines.filter((l) => l.reqId !== 'one-request')).toEqual([]);
  });

  it('masks ID numbers, mobiles, e-mails and card numbers in every log line', async () => {
    logs.length = 0;
    const id = '11010519491231002X';
    const secrets = [id, '13812345678', '138 1234 5678', 'zhang.san@example.com', '6222020200000000008', '６２２２０２０２００００００００００８'];
    const message = `我的身份证${id}，手机13812345678（也可以打138 1234 5678），邮箱 zhang.san@example.com，卡号6222020200000000008 或 ６２２２０２０２００００００００００８，想评中级工程师`;
    expect((await chat(servers.closed.url, {}, message)).status).toBe(200);
    expect((await postJson(`${servers.closed.url}/api/chat/stream`, { message })).status).toBe(200);
    expect((await postJson(`${servers.closed.url}/v1/chat/completions`, { model: 'title-mentor', messages: [{ role: 'user', content: message }] })).status).toBe(200);
    const timestamp = String(Math.floor(Date.now() / 1000));
    const wechat = await fetch(`${servers.closed.url}/wechat?signature=${wechatSignature(WECHAT_TOKEN, timestamp, '7')}&timestamp=${timestamp}&nonce=7`, {
      method: 'POST',
      headers: { 'content-type': 'text/xml' },
      body: `<xml><ToUserName>gh</ToUserName><FromUserName>o13812345678</FromUserName><CreateTime>${timestamp}</CreateTime><MsgType>text</MsgType><Content><![CDATA[${message}]]></Content><MsgId>${crypto.randomInt(1e9)}</MsgId></xml>`,
    });
    expect(wechat.status).toBe(200);
    // Identifiers in a path (a staff lookup) and in a client's error.
    expect((await fetch(`${servers.closed.url}/api/admin/documents/${id}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).status).toBe(404);
    expect((await fetch(`${servers.closed.url}/api/chat/13812345678`, { method: 'POST' })).status).toBe(404);
    await new Promise((r) => setTimeout(r, 50));

    expect(logs.length).toBeGreaterThan(8);
    const all = logs.join('\n');
    for (const s of secrets) expect(all, s).not.toContain(s);
    expect(all).not.toContain(id.toLowerCase());
    expect(all).toContain('/api/admin/documents/[身份证号/ID]');
    expect(all).toContain('/api/chat/[手机号/phone]');
  });

  it('answers a request node:http cannot parse in JSON too, with a request id', async () => {
    const url = new URL(servers.closed.url);
    const garbage = await sendRaw(url, Buffer.from('GARBAGE\r\n\r\n'));
    expect(garbage).toMatchObject({ status: 400, headers: { 'content-type': 'application/json; charset=utf-8' } });
    if ('error' in garbage) throw new Error(garbage.error);
    expect(JSON.parse(garbage.body.toString()).error).toMatch(/malformed/);
    expect(garbage.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    const huge = await sendRaw(url, Buffer.from(`GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`));
    expect(huge).toMatchObject({ status: 431 });
    expect((await fetch(`${servers.closed.url}/healthz`)).status).toBe(200);
  });
});
