import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { metricSum, postJson, startTestServer, tempDataDir, type TestServer } from '../fixtures/channels/harness.js';

// The web page's channel: botkit's web adapter over a real websocket on the server's port, and its webhook.
let t: TestServer;
let dataDir: string;

beforeAll(async () => {
  dataDir = tempDataDir();
  t = await startTestServer({ STREAM_PACE_MS: '1' }, { dataDir });
});

afterAll(async () => {
  await t?.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

type Frame = Record<string, unknown> & { type: string };

function connect(): Promise<{ ws: WebSocket; frames: Frame[]; next(type: string, timeoutMs?: number): Promise<Frame> }> {
  const ws = new WebSocket(`${t.url.replace('http', 'ws')}/ws`);
  const frames: Frame[] = [];
  const waiters: Array<{ type: string; resolve: (f: Frame) => void }> = [];
  let seen = 0;
  ws.on('message', (data) => {
    const frame = JSON.parse(String(data)) as Frame;
    frames.push(frame);
    const i = waiters.findIndex((w) => w.type === frame.type);
    if (i >= 0) waiters.splice(i, 1)[0].resolve(frame);
  });
  const next = (type: string, timeoutMs = 15_000) =>
    new Promise<Frame>((resolve, reject) => {
      const already = frames.slice(seen).find((f) => f.type === type);
      if (already) {
        seen = frames.indexOf(already) + 1;
        resolve(already);
        return;
      }
      const timer = setTimeout(() => reject(new Error(`no ${type} frame within ${timeoutMs} ms; got ${JSON.stringify(frames.map((f) => f.type))}`)), timeoutMs);
      waiters.push({
        type,
        resolve: (f) => {
          clearTimeout(timer);
          seen = frames.indexOf(f) + 1;
          resolve(f);
        },
      });
    });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve({ ws, frames, next }));
    ws.once('error', reject);
  });
}

describe('websocket (botkit web adapter)', () => {
  it('streams a reply: typing, meta, deltas, then the message with the whole MentorReply', async () => {
    const { ws, frames, next } = await connect();
    const user = 'web-test-user-0001';
    ws.send(JSON.stringify({ type: 'hello', user }));
    ws.send(JSON.stringify({ type: 'message', user, text: '绿色通道是什么？', lang: 'zh' }));
    const message = await next('message');
    const types = frames.map((f) => f.type);
    expect(types[0]).toBe('typing');
    expect(types[1]).toBe('meta');
    expect(types.at(-1)).toBe('message');
    const deltas = frames.filter((f) => f.type === 'delta').map((f) => f.text as string);
    expect(deltas.length).toBeGreaterThan(2);
    const mentor = message.mentor as { reply: string; citations: unknown[]; sessionId: string; lang: string; turnId: number };
    expect(deltas.join('')).toBe(mentor.reply);
    expect(message.text).toBe(mentor.reply);
    expect(mentor.lang).toBe('zh');
    expect(mentor.citations.length).toBeGreaterThan(0);
    expect((frames[1] as { sessionId?: string }).sessionId).toBe(mentor.sessionId);
    expect(t.service.store.transcript(mentor.sessionId)[0]).toMatchObject({ channel: 'web', id: mentor.turnId });
    ws.close();
  });

  it('continues the session and honours the language switch', async () => {
    const { ws, next } = await connect();
    const user = 'web-test-user-0002';
    ws.send(JSON.stringify({ type: 'message', user, text: '我能评工程师吗？', lang: 'zh' }));
    const first = (await next('message')).mentor as { sessionId: string; intent: string };
    expect(first.intent).toBe('eligibility_check');
    ws.send(JSON.stringify({ type: 'message', user, text: "master's degree, 3 years of work, Shanghai Residence Permit", lang: 'en', sessionId: first.sessionId }));
    const second = (await next('message')).mentor as { sessionId: string; lang: string; eligibility: { overall: { status: string } } };
    expect(second.sessionId).toBe(first.sessionId);
    expect(second.lang).toBe('en');
    expect(second.eligibility.overall.status).toBe('eligible');
    ws.close();
  });

  it('answers a malformed frame or an invalid message with an error frame, and keeps serving', async () => {
    const { ws, next } = await connect();
    ws.send('this is not json');
    ws.send(JSON.stringify({ type: 'message', user: 'web-test-user-0003', text: 42 }));
    const error = await next('error');
    expect(error.code).toBe('bad_request');
    expect(error.error).toMatch(/text/);
    ws.send(JSON.stringify({ type: 'message', user: 'web-test-user-0003', text: 'x'.repeat(2001) }));
    const tooLong = await next('error');
    expect(tooLong.code).toBe('message_too_long');
    ws.send(JSON.stringify({ type: 'message', user: 'web-test-user-0003', text: 'hello' }));
    expect(((await next('message')).mentor as { intent: string }).intent).toBe('greeting');
    ws.close();
  });

  it('closes a frame over the size limit without harm to the server', async () => {
    const { ws } = await connect();
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    ws.send(JSON.stringify({ type: 'message', user: 'web-test-user-0004', text: 'x'.repeat(70_000) }));
    expect(await closed).toBe(1009);
    expect((await fetch(`${t.url}/healthz`)).status).toBe(200);
  });
});

describe('webhook (POST /api/messages)', () => {
  it('answers with the JSON array of replies', async () => {
    const res = await postJson(`${t.url}/api/messages`, { type: 'message', user: 'web-hook-user-01', text: 'What is the green channel?' });
    expect(res.status).toBe(200);
    const replies = (await res.json()) as Frame[];
    expect(replies).toHaveLength(1);
    expect(replies[0].type).toBe('message');
    expect((replies[0].mentor as { lang: string }).lang).toBe('en');
  });

  it('refuses an invalid body with a 400 saying what is wrong', async () => {
    const res = await postJson(`${t.url}/api/messages`, { type: 'message', text: 'no user' });
    expect(res.status).toBe(400);
    expect((await res.json()).error).toMatch(/user/);
  });
});

describe('metrics', () => {
  it('counts the web turns and refusals', async () => {
    const text = await (await fetch(`${t.url}/metrics`)).text();
    expect(metricSum(text, 'mentor_turns_total', { channel: 'web' })).toBe(5);
    expect(metricSum(text, 'mentor_errors_total', { channel: 'web', code: 'bad_request' })).toBe(2);
    expect(metricSum(text, 'mentor_errors_total', { channel: 'web', code: 'message_too_long' })).toBe(1);
  });
});
