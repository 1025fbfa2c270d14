import fs from 'node:fs';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metricSum, postJson, startTestServer, tempDataDir, type TestServer } from '../fixtures/channels/harness.js';

// Slow and oversized clients on a real server over loopback, with raw sockets: a body announced over
// its route's limit is answered 413 before it is read and the connection closed at once (the body
// parsers would read off the whole announced body first, as slowly as the client sends it); a client
// that trickles its head or its body is answered 408 and cut off after HTTP_HEADERS_TIMEOUT_MS /
// HTTP_REQUEST_TIMEOUT_MS. A normal question is answered meanwhile and afterwards.
const HEADERS_TIMEOUT_MS = 1000;
const REQUEST_TIMEOUT_MS = 2000;
// Node checks the timeouts every quarter of the headers timeout here (250 ms).
const SLACK_MS = 1000;

let dataDir: string;
let t: TestServer;

beforeAll(async () => {
  dataDir = tempDataDir();
  t = await startTestServer(
    { WECHAT_TOKEN: 'slow-wechat-token', ADMIN_TOKEN: 'slow-admin-token-0123456789', HTTP_HEADERS_TIMEOUT_MS: String(HEADERS_TIMEOUT_MS), HTTP_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS), RATE_LIMIT_PER_MINUTE_IP: '0' },
    { dataDir },
  );
});

afterAll(async () => {
  await t?.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

interface Trickled {
  /** The status line of the answer, if one came. */
  status?: number;
  answer: string;
  /** Milliseconds from connecting to the first byte of the answer, and to the connection's close. */
  answeredMs?: number;
  closedMs: number;
  /** Bytes of the body the client managed to send. */
  sent: number;
  /** When the socket failed (ECONNRESET, EPIPE: the server reset the connection), if it did. */
  errorMs?: number;
}

/**
 * A client that sends `head`, then `piece` every `everyMs` until the server answers or closes, or the
 * give-up time passes (then it is still open: closedMs is Infinity).
 */
function trickle(head: string, piece: string, everyMs = 100, giveUpMs = 10_000, options: { halfOpen?: boolean } = {}): Promise<Trickled> {
  return new Promise((resolve) => {
    const started = Date.now();
    // halfOpen: go on sending after the server has ended its side, as an uploading client may.
    const socket = net.connect({ port: Number(new URL(t.url).port), host: '127.0.0.1', allowHalfOpen: options.halfOpen ?? false });
    const result: Trickled = { answer: '', closedMs: Infinity, sent: 0 };
    socket.on('data', (d) => {
      if (result.answeredMs === undefined) result.answeredMs = Date.now() - started;
      result.answer += d.toString('utf8');
    });
    socket.on('error', () => (result.errorMs ??= Date.now() - started));
    const timer = setInterval(() => {
      if (socket.destroyed || !socket.writable) return;
      socket.write(piece);
      result.sent += piece.length;
    }, everyMs);
    const giveUp = setTimeout(() => socket.destroy(), giveUpMs);
    socket.on('close', () => {
      clearInterval(timer);
      clearTimeout(giveUp);
      if (Date.now() - started < giveUpMs) result.closedMs = Date.now() - started;
      const status = /^HTTP\/1\.1 (\d{3})/.exec(result.answer)?.[1];
      if (status) result.status = Number(status);
      resolve(result);
    });
    socket.write(head);
  });
}

const chatHead = (length: number | 'chunked', path = '/api/chat', type = 'application/json', extra = '') =>
  `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: ${type}\r\n${length === 'chunked' ? 'Transfer-Encoding: chunked' : `Content-Length: ${length}`}\r\n${extra}\r\n`;

const ask = async () => {
  const started = Date.now();
  const res = await postJson(`${t.url}/api/chat`, { message: '上海申报职称需要什么条件？' });
  return { status: res.status, ms: Date.now() - started, body: (await res.json()) as { citations: unknown[] } };
};

describe('a body announced over the limit', () => {
  it('is refused 413 before it is read, and the connection closed at once (2 MB to /api/chat, trickled)', async () => {
    const r = await trickle(chatHead(2 * 1024 * 1024), '{"message":"' + 'a'.repeat(50));
    expect(r.status).toBe(413);
    expect(r.answeredMs).toBeLessThan(500);
    // Closed after a short grace (1 s) in which what the client still sends is thrown away.
    expect(r.closedMs).toBeLessThan(2500);
    expect(r.answer).toMatch(/request body too large: 2097152 bytes announced, at most 65536 accepted here/);
    expect(r.answer).toMatch(/x-request-id: [0-9a-f-]{36}/i);
    expect(r.sent).toBeLessThan(20_000);
  });

  it('reads and throws away what the client still uploads during the grace, instead of resetting the connection under it', async () => {
    // A reset while the client is still sending can wipe the answer from its buffer before it is read.
    const r = await trickle(chatHead(2 * 1024 * 1024), 'a'.repeat(1000), 100, 10_000, { halfOpen: true });
    expect(r.status).toBe(413);
    expect(r.errorMs ?? Infinity).toBeGreaterThanOrEqual(900);
    expect(r.sent).toBeGreaterThanOrEqual(5000);
    expect(r.closedMs).toBeLessThan(2500);
  });

  it('is refused the same way on every route by its own limit: WeChat 64 KB, the staff API 2 MB', async () => {
    const wechat = await trickle(chatHead(100_000, '/wechat?signature=x&timestamp=1&nonce=1', 'text/xml'), '<xml>');
    expect(wechat.status).toBe(413);
    expect(wechat.closedMs).toBeLessThan(1500);
    const admin = await trickle(chatHead(3 * 1024 * 1024, '/api/admin/documents/x', 'application/json', 'Authorization: Bearer slow-admin-token-0123456789\r\n'), '{');
    expect(admin.status).toBe(413);
    expect(admin.closedMs).toBeLessThan(1500);
    const text = await t.server.metrics.registry.metrics();
    expect(metricSum(text, 'mentor_errors_total', { code: 'too_large' })).toBeGreaterThanOrEqual(3);
    expect(metricSum(text, 'mentor_errors_total', { channel: 'wechat', code: 'too_large' })).toBe(1);
  });
});

describe('a slow client within the limit', () => {
  it('trickling its body (chunked) is answered 408 and closed after the request timeout', async () => {
    const r = await trickle(chatHead('chunked'), '1\r\na\r\n', 200);
    expect(r.status).toBe(408);
    expect(r.closedMs).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_MS - 100);
    expect(r.closedMs).toBeLessThan(REQUEST_TIMEOUT_MS + SLACK_MS);
  });

  it('trickling a body it announced (under the limit) is cut off after the request timeout', async () => {
    const r = await trickle(chatHead(60_000), 'a'.repeat(100), 100);
    expect(r.closedMs).toBeLessThan(REQUEST_TIMEOUT_MS + SLACK_MS);
    expect(r.status).toBe(408);
  });

  it('trickling its headers (slow-loris) is answered 408 and closed after the headers timeout', async () => {
    const r = await trickle('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n', 'X-Slow: 1\r\n', 100);
    expect(r.status).toBe(408);
    expect(r.closedMs).toBeLessThan(HEADERS_TIMEOUT_MS + SLACK_MS);
  });
});

describe('everyone else', () => {
  it('is answered while slow clients hold connections, and afterwards', async () => {
    const slow = [
      trickle('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n', 'X-Slow: 1\r\n', 100),
      trickle(chatHead('chunked'), '1\r\na\r\n', 200),
      trickle(chatHead(2 * 1024 * 1024), 'a'.repeat(100), 50),
    ];
    const during = await ask();
    expect(during.status).toBe(200);
    expect(during.body.citations.length).toBeGreaterThan(0);
    expect(during.ms).toBeLessThan(HEADERS_TIMEOUT_MS);
    await Promise.all(slow);
    const after = await ask();
    expect(after.status).toBe(200);
    expect(after.body.citations.length).toBeGreaterThan(0);
  });
});

describe('a body longer than its Content-Length', () => {
  it('is answered for the request it ends (400 for the cut JSON), then the connection is closed', async () => {
    // The bytes after the announced 3 are not a request: the request before them is answered anyway.
    const answer = await new Promise<string>((resolve) => {
      const socket = net.connect(Number(new URL(t.url).port), '127.0.0.1');
      let text = '';
      socket.on('data', (d) => (text += d.toString('utf8')));
      socket.on('error', () => {});
      socket.on('close', () => resolve(text));
      socket.write('POST /api/chat HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 3 \r\nConnection: close\r\n\r\n{"message":"hi"}');
    });
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    expect(answer).toContain('"error"');
  });
});
