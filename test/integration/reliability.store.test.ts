import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/log/index.js';
import { openMentorService, type MentorService } from '../../src/mentor/index.js';
import { createMetrics, createServer, turnReporter, type MentorServer } from '../../src/server/index.js';
import { metricSum, postJson, tempDataDir } from '../fixtures/channels/harness.js';

// The transcript store failing under a turn: the real service and server on loopback, and a second
// SQLite connection holding the write lock (SQLITE_BUSY once the store's busy timeout runs out), or the
// store's own connection made full or read-only. The turn is answered all the same; the failure is
// counted in /metrics and logged as a warning with the request's id.

let dataDir: string;
let service: MentorService;
let server: MentorServer;
const logs: Array<Record<string, unknown>> = [];
const QUESTION = '上海申报职称需要什么条件？';

beforeAll(async () => {
  dataDir = tempDataDir();
  const config = loadConfig({ DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', STREAM_PACE_MS: '0', LOG_LEVEL: 'debug', SQLITE_BUSY_TIMEOUT_MS: '50', RATE_LIMIT_PER_MINUTE_IP: '0', RATE_LIMIT_PER_MINUTE_SESSION: '0' });
  const metrics = createMetrics();
  const logger = createLogger({ level: 'debug', destination: { write: (line: string) => void logs.push(JSON.parse(line)) } });
  service = await openMentorService(config, { onTurn: turnReporter(metrics, logger) });
  server = await createServer(service, { config, metrics, logger });
});

afterAll(async () => {
  await server?.close();
  service?.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

const storeFailures = async (match: Record<string, string>) => metricSum(await (await fetch(`${server.url}/metrics`)).text(), 'mentor_store_failures_total', match);

/** The store's own connection (a private field): only to make it full or read-only, as a disk would. */
const storeConnection = () => (service.store as unknown as { db: Database.Database }).db;

async function ask(message = QUESTION, sessionId?: string) {
  const res = await postJson(`${server.url}/api/chat`, { message, ...(sessionId ? { sessionId } : {}) });
  expect(res.status).toBe(200);
  return { reply: (await res.json()) as { reply: string; citations: unknown[]; turnId?: number; sessionId: string }, requestId: res.headers.get('x-request-id')! };
}

describe('when the transcript store is locked by another connection (SQLITE_BUSY)', () => {
  it('answers the turn normally, counts the failed writes and logs them with the request id', async () => {
    const normal = await ask();
    expect(normal.reply.turnId).toBeGreaterThan(0);

    const other = new Database(path.join(dataDir, 'mentor.sqlite'));
    other.exec('BEGIN EXCLUSIVE');
    try {
      const started = Date.now();
      const { reply, requestId } = await ask();
      expect(Date.now() - started).toBeLessThan(2000);
      expect(reply.reply).toBe(normal.reply.reply);
      expect(reply.citations.length).toBeGreaterThan(0);
      expect(reply.turnId).toBeUndefined();

      expect(await storeFailures({ operation: 'save_session', code: 'SQLITE_BUSY' })).toBe(1);
      expect(await storeFailures({ operation: 'append_turn', code: 'SQLITE_BUSY' })).toBe(1);
      const warnings = logs.filter((l) => l.msg === 'the transcript store failed; the turn was answered');
      expect(warnings.map((w) => [w.level, w.operation, w.code, w.reqId])).toEqual([
        ['warn', 'save_session', 'SQLITE_BUSY', requestId],
        ['warn', 'append_turn', 'SQLITE_BUSY', requestId],
      ]);
      // The request itself was a success.
      expect(logs.find((l) => l.msg === 'request' && l.reqId === requestId)).toMatchObject({ status: 200, path: '/api/chat' });

      // A vote cannot wait for the lock either: a 503 with a clear message, counted.
      const vote = await postJson(`${server.url}/api/chat/vote`, { sessionId: normal.reply.sessionId, turnId: normal.reply.turnId, vote: 'up' });
      expect(vote.status).toBe(503);
      expect(vote.headers.get('retry-after')).toBe('5');
      expect((await vote.json()).error).toMatch(/try again/);
      expect(await storeFailures({ operation: 'vote', code: 'SQLITE_BUSY' })).toBe(1);
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }

    // The lock gone, turns are stored again.
    const after = await ask();
    expect(after.reply.turnId).toBeGreaterThan(normal.reply.turnId!);
  });

  it('keeps a multi-turn eligibility check going when only one write failed', async () => {
    const first = await ask('我能评工程师吗？');
    const other = new Database(path.join(dataDir, 'mentor.sqlite'));
    other.exec('BEGIN EXCLUSIVE');
    let second;
    try {
      second = await ask('硕士，工作3年，有上海居住证', first.reply.sessionId);
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
    // The session state written before the lock still holds what the first turn learnt.
    expect(second.reply.reply.length).toBeGreaterThan(10);
    const third = await ask('硕士，工作3年，有上海居住证', first.reply.sessionId);
    expect((third.reply as unknown as { eligibility?: { overall: { status: string } } }).eligibility?.overall.status).toBe('eligible');
  });
});

describe('when the disk is full or the database read-only', () => {
  it('answers with SQLITE_FULL (no page left) and counts it', async () => {
    const db = storeConnection();
    const before = await storeFailures({ code: 'SQLITE_FULL' });
    db.pragma(`max_page_count = ${db.pragma('page_count', { simple: true }) as number}`);
    try {
      // Fill the last pages, then every write needs one more.
      for (let i = 0; i < 40; i++) await ask(`${QUESTION} ${'补充说明'.repeat(200)}`);
      const { reply } = await ask();
      expect(reply.citations.length).toBeGreaterThan(0);
      expect(reply.turnId).toBeUndefined();
    } finally {
      db.pragma('max_page_count = 1073741823');
    }
    expect((await storeFailures({ operation: 'append_turn', code: 'SQLITE_FULL' })) - before).toBeGreaterThan(0);
  });

  it('answers with SQLITE_READONLY and counts it', async () => {
    const db = storeConnection();
    db.pragma('query_only = 1');
    try {
      const { reply } = await ask('What is the green channel?');
      expect(reply.citations.length).toBeGreaterThan(0);
      expect(reply.turnId).toBeUndefined();
    } finally {
      db.pragma('query_only = 0');
    }
    expect(await storeFailures({ operation: 'save_session', code: 'SQLITE_READONLY' })).toBe(1);
    expect(await storeFailures({ operation: 'append_turn', code: 'SQLITE_READONLY' })).toBe(1);
    expect(metricSum(await (await fetch(`${server.url}/metrics`)).text(), 'mentor_errors_total')).toBe(0);
  });
});
