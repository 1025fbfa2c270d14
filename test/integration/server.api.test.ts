import http from 'node:http';
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { openMentorService, type MentorService } from '../../src/mentor/index.js';
import { createServer } from '../../src/server/index.js';
import { metricSum, parseSse, postJson, startTestServer, tempDataDir, type TestServer } from '../fixtures/channels/harness.js';

// The chat API, its SSE stream, votes, health, the page's static files and /metrics, on a real server.
let t: TestServer;
let dataDir: string;
let turnsMade = 0;

beforeAll(async () => {
  dataDir = tempDataDir();
  t = await startTestServer({ MAX_MESSAGE_CHARS: '300', STREAM_PACE_MS: '2' }, { dataDir });
});

afterAll(async () => {
  await t?.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

async function chat(body: unknown) {
  const res = await postJson(`${t.url}/api/chat`, body);
  if (res.status === 200) turnsMade += 1;
  return res;
}

describe('health', () => {
  it('answers /healthz and /readyz with the loaded index', async () => {
    expect(await (await fetch(`${t.url}/healthz`)).json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${t.url}/readyz`);
    expect(ready.status).toBe(200);
    const body = await ready.json();
    expect(body.status).toBe('ready');
    expect(body.index.chunks).toBeGreaterThan(10);
  });
});

describe('POST /api/chat', () => {
  it('answers a Chinese policy question with numbered citations', async () => {
    const res = await chat({ message: '上海申报职称需要什么条件？' });
    expect(res.status).toBe(200);
    const reply = await res.json();
    expect(reply.lang).toBe('zh');
    expect(reply.sessionId).toMatch(/^[A-Za-z0-9_-]{1,64}$/);
    expect(reply.citations.length).toBeGreaterThan(0);
    expect(reply.reply).toContain('[1]');
    expect(reply.citations[0]).toMatchObject({ n: 1, docId: expect.any(String), title: expect.any(String), quote: expect.any(String) });
    expect(reply.turnId).toBeGreaterThan(0);
  });

  it.each([
    ['a malformed body', '{"message": "hi"', 400, /invalid JSON/],
    ['a wrong type', { message: 42 }, 400, /message/],
    ['an unknown field', { message: 'hi', admin: true }, 400, /admin/],
    ['a bad lang', { message: 'hi', lang: 'fr' }, 400, /lang/],
    ['a bad session id', { message: 'hi', sessionId: '../../etc' }, 400, /sessionId/],
    ['an empty message', { message: '   ' }, 400, /empty/],
    ['a message over MAX_MESSAGE_CHARS', { message: '职'.repeat(301) }, 413, /longer than 300/],
  ])('refuses %s with a JSON error', async (_what, body, status, pattern) => {
    const res = await chat(body);
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toMatch(/application\/json/);
    expect((await res.json()).error).toMatch(pattern);
  });

  it('refuses a body that is not JSON (415) and one over the body limit (413)', async () => {
    const text = await fetch(`${t.url}/api/chat`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'hello' });
    expect(text.status).toBe(415);
    expect((await text.json()).error).toMatch(/JSON/);
    const huge = await postJson(`${t.url}/api/chat`, { message: 'x'.repeat(70_000) });
    expect(huge.status).toBe(413);
    expect((await huge.json()).error).toMatch(/too large/);
  });

  it('keeps the server up after bad input', async () => {
    expect((await fetch(`${t.url}/healthz`)).status).toBe(200);
  });
});

describe('POST /api/chat/stream (SSE)', () => {
  it('streams meta, the reply in deltas, then the whole reply', async () => {
    const res = await postJson(`${t.url}/api/chat/stream`, { message: 'What is the green channel?', lang: 'en' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const events = parseSse(await res.text());
    turnsMade += 1;
    expect(events[0].event).toBe('meta');
    const meta = JSON.parse(events[0].data);
    expect(meta).toMatchObject({ lang: 'en', intent: expect.any(String), sessionId: expect.any(String), turnId: expect.any(Number) });
    const deltas = events.filter((e) => e.event === 'delta').map((e) => JSON.parse(e.data).text as string);
    expect(deltas.length).toBeGreaterThan(3);
    expect(deltas.every((d) => [...d].length <= 40)).toBe(true);
    const done = events.at(-1)!;
    expect(done.event).toBe('done');
    const reply = JSON.parse(done.data);
    expect(deltas.join('')).toBe(reply.reply);
    expect(reply.sessionId).toBe(meta.sessionId);
    expect(reply.citations.length).toBeGreaterThan(0);
  });

  it('continues a session across the stream and /api/chat', async () => {
    const first = parseSse(await (await postJson(`${t.url}/api/chat/stream`, { message: '我能评工程师吗？' })).text());
    turnsMade += 1;
    const { sessionId, intent } = JSON.parse(first[0].data);
    expect(intent).toBe('eligibility_check');
    expect(JSON.parse(first.at(-1)!.data).eligibility.overall.status).toBe('needs_info');
    const second = await (await chat({ message: '硕士，工作3年，有上海居住证', sessionId })).json();
    expect(second.sessionId).toBe(sessionId);
    expect(second.intent).toBe('eligibility_check');
    expect(second.eligibility.overall.status).toBe('eligible');
    expect(second.eligibility.facts).toMatchObject({ series: 'engineering', education: { degree: 'master' }, yearsInSpecialty: 3 });
  });

  it('refuses bad input with a 4xx JSON error before any stream starts', async () => {
    const long = await postJson(`${t.url}/api/chat/stream`, { message: 'a'.repeat(301) });
    expect(long.status).toBe(413);
    expect(await long.json()).toMatchObject({ code: 'message_too_long' });
    const bad = await postJson(`${t.url}/api/chat/stream`, { text: 'hi' });
    expect(bad.status).toBe(400);
    expect((await bad.json()).error).toMatch(/message/);
  });
});

describe('votes', () => {
  it('stores a thumbs-down with its turn', async () => {
    const reply = await (await chat({ message: '职称分几级？' })).json();
    const res = await postJson(`${t.url}/api/chat/vote`, { sessionId: reply.sessionId, turnId: reply.turnId, vote: 'down' });
    expect(res.status).toBe(200);
    const row = t.service.store.transcript(reply.sessionId).find((r) => r.id === reply.turnId);
    expect(row?.vote).toBe('down');
    const other = await postJson(`${t.url}/api/chat/vote`, { sessionId: 'someone-else', turnId: reply.turnId, vote: 'up' });
    expect(other.status).toBe(404);
    const bad = await postJson(`${t.url}/api/chat/vote`, { sessionId: reply.sessionId, turnId: reply.turnId, vote: 'meh' });
    expect(bad.status).toBe(400);
  });
});

describe('the web page and its assets', () => {
  it('serves the page with a strict content security policy and no external resources', async () => {
    const res = await fetch(`${t.url}/`);
    expect(res.status).toBe(200);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    const html = await res.text();
    expect(html).toContain('/static/app.js');
    expect(html).not.toMatch(/(?:src|href)="(?:https?:)?\/\//);
    for (const asset of ['app.js', 'markdown.js', 'style.css', 'avatar.svg']) {
      const a = await fetch(`${t.url}/static/${asset}`);
      expect(a.status, asset).toBe(200);
      expect(await a.text()).not.toMatch(/https?:\/\/(?!www\.w3\.org)/);
    }
  });

  it('lets assets be revalidated by ETag, while JSON replies carry none (a chat reply is never fetched twice)', async () => {
    const asset = await fetch(`${t.url}/static/app.js`);
    const etag = asset.headers.get('etag');
    expect(etag).toBeTruthy();
    // node:http, not fetch: fetch adds "Cache-Control: no-cache" to a conditional request, which forbids a 304.
    const again = await new Promise<number | undefined>((resolve, reject) =>
      http.get(`${t.url}/static/app.js`, { headers: { 'if-none-match': etag! } }, (res) => (res.resume(), resolve(res.statusCode))).on('error', reject),
    );
    expect(again).toBe(304);
    // Any JSON reply (not a chat turn here: the metrics test below counts this file's turns).
    const json = await fetch(`${t.url}/api/persona`);
    expect(json.status).toBe(200);
    expect(json.headers.get('etag')).toBeNull();
  });

  it('gives the page its persona, welcome and card labels', async () => {
    const p = await (await fetch(`${t.url}/api/persona`)).json();
    expect(p.name.zh).toBeTruthy();
    expect(p.avatar).toBe('/static/avatar.svg');
    expect(p.greeting.zh).toContain(p.name.zh);
    expect(p.greeting.en).not.toContain('{name}');
    expect(p.suggestions.en.length).toBeGreaterThan(0);
    expect(p.labels.statuses.eligible.zh).toBeTruthy();
    expect(p.labels.routes.regular.en).toBeTruthy();
    expect(p.limits.maxMessageChars).toBe(300);
  });

  it('answers unknown paths with a JSON 404', async () => {
    const res = await fetch(`${t.url}/nope`);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: 'not found' });
  });
});

describe('the staff API mount', () => {
  it('is off (404) without ADMIN_TOKEN, and behind the bearer token with it', async () => {
    expect((await fetch(`${t.url}/api/admin/documents`)).status).toBe(404);
    const admin = await startTestServer({ ADMIN_TOKEN: 'staff-token-for-tests' }, { dataDir, service: t.service, metrics: t.metrics });
    try {
      expect((await fetch(`${admin.url}/api/admin/documents`)).status).toBe(401);
      const ok = await fetch(`${admin.url}/api/admin/documents`, { headers: { authorization: 'Bearer staff-token-for-tests' } });
      expect(ok.status).toBe(200);
    } finally {
      await admin.close();
    }
  });
});

describe('while the mentor is starting', () => {
  it('is healthy at once, and ready (and chatting) only when the service is open', async () => {
    const config = loadConfig({ DATA_DIR: dataDir, PORT: '0', STREAM_PACE_MS: '0' });
    let open!: (s: MentorService) => void;
    const starting = new Promise<MentorService>((resolve) => (open = resolve));
    const server = await createServer(starting, { config, log: () => {} });
    try {
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
      const notReady = await fetch(`${server.url}/readyz`);
      expect(notReady.status).toBe(503);
      const chat = await postJson(`${server.url}/api/chat`, { message: '你好' });
      expect(chat.status).toBe(503);
      expect(chat.headers.get('retry-after')).toBe('5');
      expect((await chat.json()).error).toMatch(/starting/);
      const service = await openMentorService(config);
      open(service);
      await starting;
      expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
      expect((await postJson(`${server.url}/api/chat`, { message: '你好' })).status).toBe(200);
      service.close();
    } finally {
      await server.close();
    }
  });
});

describe('when the mentor fails inside a turn', () => {
  it('answers 500 / an SSE error event / an OpenAI error, logs it, and keeps serving', async () => {
    const broken = await startTestServer({}, { dataDir });
    try {
      broken.service.store.close(); // the SQLite file is gone from under the mentor
      const chat = await postJson(`${broken.url}/api/chat`, { message: '职称分几级？' });
      expect(chat.status).toBe(500);
      expect(await chat.json()).toEqual({ error: 'internal error' });
      const stream = await postJson(`${broken.url}/api/chat/stream`, { message: '职称分几级？' });
      expect(stream.status).toBe(200);
      const events = parseSse(await stream.text());
      expect(events).toEqual([{ event: 'error', data: JSON.stringify({ error: 'internal error', code: 'internal' }) }]);
      const v1 = await postJson(`${broken.url}/v1/chat/completions`, { model: 'title-mentor', messages: [{ role: 'user', content: 'hi' }] });
      expect(v1.status).toBe(500);
      expect((await v1.json()).error).toMatchObject({ type: 'server_error', code: 'internal' });
      expect(broken.logs.join('\n')).toMatch(/database connection is not open/);
      expect((await fetch(`${broken.url}/healthz`)).status).toBe(200);
      const metrics = await (await fetch(`${broken.url}/metrics`)).text();
      expect(metricSum(metrics, 'mentor_errors_total', { channel: 'api', code: 'internal' })).toBe(2);
      expect(metricSum(metrics, 'mentor_errors_total', { channel: 'openai', code: 'internal' })).toBe(1);
    } finally {
      await broken.server.close();
    }
  });
});

describe('GET /metrics', () => {
  it('shows the turns, latencies, intents and errors this file made', async () => {
    const res = await fetch(`${t.url}/metrics`);
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(metricSum(text, 'mentor_turns_total', { channel: 'api' })).toBe(turnsMade);
    expect(metricSum(text, 'mentor_turn_latency_seconds_count', { channel: 'api' })).toBe(turnsMade);
    expect(metricSum(text, 'mentor_intents_total', { intent: 'eligibility_check' })).toBeGreaterThanOrEqual(1);
    expect(metricSum(text, 'mentor_errors_total', { channel: 'api', code: 'message_too_long' })).toBe(2);
    expect(metricSum(text, 'mentor_errors_total', { channel: 'api', code: 'bad_request' })).toBeGreaterThanOrEqual(5);
  });

  it('counts retrievals answered from the recent results: the same question from another user is not searched again', async () => {
    const read = async () => {
      const text = await (await fetch(`${t.url}/metrics`)).text();
      return { hit: metricSum(text, 'mentor_retrieval_cache_total', { result: 'hit' }), miss: metricSum(text, 'mentor_retrieval_cache_total', { result: 'miss' }) };
    };
    const question = '上海的绿色通道是什么意思？';
    const first = await (await chat({ message: question })).json();
    const before = await read();
    const second = await (await chat({ message: question })).json();
    const after = await read();
    expect(second.sessionId).not.toBe(first.sessionId);
    expect(second.reply).toBe(first.reply);
    expect(after.hit - before.hit).toBeGreaterThanOrEqual(1);
    expect(after.miss - before.miss).toBe(0);
  });
});
