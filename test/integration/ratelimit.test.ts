import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config.js';
import { createApp } from '../../src/server/index.js';
import { openTestService } from '../support/mentor_harness.js';

/** Per-address and per-session limits on the chat routes (in memory; the Redis store is in scaleout.test.ts). */
let service: Awaited<ReturnType<typeof openTestService>>;
const servers: http.Server[] = [];

beforeAll(async () => {
  service = await openTestService();
}, 120_000);

afterAll(async () => {
  for (const s of servers) await new Promise<void>((resolve) => s.close(() => resolve()));
  service?.close();
  fs.rmSync(service.dataDir, { recursive: true, force: true });
});

async function serve(limits: Partial<Config>): Promise<string> {
  const server = http.createServer(createApp(service, { config: { ...service.config, STREAM_PACE_MS: 0, ...limits }, log: () => {} }));
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function chat(url: string, body: Record<string, unknown>, path = '/api/chat', headers: Record<string, string> = {}) {
  const res = await fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, json: () => JSON.parse(text) };
}

describe('rate limits on the chat routes', () => {
  it('answers 429 with a JSON error once an address is over its limit, across sessions and routes', async () => {
    const url = await serve({ RATE_LIMIT_PER_MINUTE_IP: 4, RATE_LIMIT_PER_MINUTE_SESSION: 0 });
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await chat(url, { message: '中级职称怎么评？', sessionId: `ip-${i}` })).status);
    expect(statuses).toEqual([200, 200, 200, 200]);

    const refused = await chat(url, { message: '中级职称怎么评？', sessionId: 'ip-new' });
    expect(refused.status).toBe(429);
    expect(refused.headers.get('content-type')).toMatch(/application\/json/);
    const body = refused.json();
    expect(body.code).toBe('rate_limited');
    expect(body.error).toMatch(/too many messages from this address: at most 4 a minute/);
    expect(body.retryAfterSeconds).toBeGreaterThan(0);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(refused.headers.get('ratelimit-policy')).toBe('4;w=60');

    // The streaming route and the OpenAI-compatible route share the address's count.
    const stream = await chat(url, { message: '中级职称怎么评？' }, '/api/chat/stream');
    expect(stream.status).toBe(429);
    expect(stream.json().code).toBe('rate_limited');
    const openai = await chat(url, { model: 'title-mentor', messages: [{ role: 'user', content: 'hi' }] }, '/v1/chat/completions');
    expect(openai.status).toBe(429);
    expect(openai.json().error).toMatchObject({ type: 'requests', code: 'rate_limit_exceeded' });

    // Everything else is not limited: the page's persona, health, votes.
    expect((await fetch(`${url}/api/persona`)).status).toBe(200);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    expect((await chat(url, { sessionId: 'ip-0', turnId: 999_999, vote: 'up' }, '/api/chat/vote')).status).toBe(404);
  });

  it('limits each session on its own, whatever the address allows', async () => {
    const url = await serve({ RATE_LIMIT_PER_MINUTE_IP: 100, RATE_LIMIT_PER_MINUTE_SESSION: 3 });
    const first = await chat(url, { message: '你好' });
    expect(first.status).toBe(200);
    const sessionId = first.json().sessionId as string;
    // The first message had no session yet: it counted for the address only.
    for (let i = 0; i < 3; i++) expect((await chat(url, { message: '中级职称怎么评？', sessionId })).status).toBe(200);
    const refused = await chat(url, { message: '中级职称怎么评？', sessionId });
    expect(refused.status).toBe(429);
    expect(refused.json().error).toMatch(/from this session: at most 3 a minute/);
    // Streaming counts for the same session.
    expect((await chat(url, { message: '中级职称怎么评？', sessionId }, '/api/chat/stream')).status).toBe(429);
    // Other sessions carry on.
    expect((await chat(url, { message: '中级职称怎么评？', sessionId: 'another-session' })).status).toBe(200);
  });

  it('limits an OpenAI-compatible session by x-session-id or by user', async () => {
    const url = await serve({ RATE_LIMIT_PER_MINUTE_IP: 0, RATE_LIMIT_PER_MINUTE_SESSION: 2 });
    const completion = (headers: Record<string, string>, user?: string) =>
      chat(url, { model: 'title-mentor', messages: [{ role: 'user', content: '中级职称怎么评？' }], ...(user ? { user } : {}) }, '/v1/chat/completions', headers);
    expect((await completion({ 'x-session-id': 'oa-limit' })).status).toBe(200);
    expect((await completion({ 'x-session-id': 'oa-limit' })).status).toBe(200);
    const refused = await completion({ 'x-session-id': 'oa-limit' });
    expect(refused.status).toBe(429);
    expect(refused.json().error.code).toBe('rate_limit_exceeded');
    expect((await completion({}, 'alice@example.org')).status).toBe(200);
    expect((await completion({}, 'alice@example.org')).status).toBe(200);
    expect((await completion({}, 'alice@example.org')).status).toBe(429);
    expect((await completion({}, 'bob@example.org')).status).toBe(200);
  });

  it('is off when the limits are 0, and on by default at the configured figures', async () => {
    const off = await serve({ RATE_LIMIT_PER_MINUTE_IP: 0, RATE_LIMIT_PER_MINUTE_SESSION: 0 });
    const res = await chat(off, { message: '你好', sessionId: 'off' });
    expect(res.status).toBe(200);
    expect(res.headers.get('ratelimit-policy')).toBeNull();

    expect(service.config.RATE_LIMIT_PER_MINUTE_IP).toBe(120);
    expect(service.config.RATE_LIMIT_PER_MINUTE_SESSION).toBe(30);
    const defaults = await serve({});
    const withSession = await chat(defaults, { message: '你好', sessionId: 'defaults' });
    expect(withSession.status).toBe(200);
    // The session limit runs last, so its policy is the one in the headers.
    expect(withSession.headers.get('ratelimit-policy')).toBe('30;w=60');
    const noSession = await chat(defaults, { message: '你好' });
    expect(noSession.headers.get('ratelimit-policy')).toBe('120;w=60');
  });
});
