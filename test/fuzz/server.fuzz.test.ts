import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { send, type RawResponse } from './support/http.js';
import { allCases, type FuzzCase, type Secrets } from './support/inputs.js';
import { judge } from './support/judge.js';
import { LeakScanner, plant, planted } from './support/pii.js';
import { startServerProcess, type ServerProcess } from './support/server_process.js';

// Bad input against the real `mentor serve` (a child process on loopback, every channel on): generated
// requests to the chat API and its stream, the OpenAI-compatible API, WeChat, Slack, the web webhook and
// the staff API. Every answer must be a 4xx with a clear message or a well-formed 2xx, never a 5xx; the
// process must live on and answer a normal question; and no planted personal identifier may reach a log
// line or a row of the SQLite files.
//
//   npx vitest run test/fuzz                        # FUZZ_RUNS=300 (part of npm test)
//   npm run fuzz                                    # FUZZ_RUNS=10000, a new seed, with a summary
//   FUZZ_SEED=123 FUZZ_RUNS=2000 npx vitest run test/fuzz   # replay a run (the summary prints its seed)
//   FUZZ_VERBOSE=1 FUZZ_LOG_FILE=/tmp/fuzz.log ...  # 4xx reasons in the summary; the server's log kept

const RUNS = Math.max(1, Number(process.env.FUZZ_RUNS ?? 300) || 300);
// A fixed seed in `npm test` (the same inputs every run); FUZZ_SEED=random (npm run fuzz) for new ones.
const SEED = process.env.FUZZ_SEED === 'random' ? Math.floor(Math.random() * 2 ** 31) : Number(process.env.FUZZ_SEED ?? 20261125) || 20261125;
const CONCURRENCY = 8;
const BATCH = 100;

const secrets: Secrets = { wechatToken: 'fuzz-wechat-token', slackSigningSecret: 'fuzz-slack-signing-secret', adminToken: 'fuzz-admin-token-0123456789' };

interface Outcome {
  c: FuzzCase;
  status: number | 'no answer';
  problem?: string;
  /** The start of a 4xx's error message (for FUZZ_VERBOSE). */
  error?: string;
  ms: number;
}

let server: ServerProcess;
let dataDir: string;
const outcomes: Outcome[] = [];

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tm-fuzz-'));
  server = await startServerProcess({
    DATA_DIR: dataDir,
    LOG_LEVEL: 'debug',
    ADMIN_TOKEN: secrets.adminToken,
    WECHAT_TOKEN: secrets.wechatToken,
    SLACK_SIGNING_SECRET: secrets.slackSigningSecret,
    SLACK_CLIENT_ID: 'fuzz.client',
    SLACK_CLIENT_SECRET: 'fuzz-client-secret',
    SLACK_REDIRECT_URI: 'https://mentor.example.org/slack/oauth',
    // Nothing may leave the machine: both APIs point at a closed loopback port.
    SLACK_API_BASE_URL: 'http://127.0.0.1:9/api/',
    WECHAT_API_BASE_URL: 'http://127.0.0.1:9',
    // This suite is about input handling: the chat rate limits (a 429 is a fine answer too) would only
    // make most requests bounce before they reach the code under test.
    RATE_LIMIT_PER_MINUTE_IP: '0',
    RATE_LIMIT_PER_MINUTE_SESSION: '0',
  });
}, 120_000);

afterAll(async () => {
  await server?.stop();
  if (process.env.FUZZ_LOG_FILE && server) fs.writeFileSync(process.env.FUZZ_LOG_FILE, `${server.lines.join('\n')}\n`);
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
});

/** Send the cases, CONCURRENCY at a time. */
async function run(cases: FuzzCase[]): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < cases.length) {
      const c = cases[next++];
      if (c.pii) plant(c.pii);
      const started = performance.now();
      const res = await send(server.url, c.req);
      const status = 'error' in res ? 'no answer' : res.status;
      const error = typeof status === 'number' && status >= 400 ? (res as RawResponse).body.toString('utf8').slice(0, 90) : undefined;
      outcomes.push({ c, status, problem: judge(c, res), error, ms: performance.now() - started });
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
}

function summary(seconds: number): string {
  const classOf = (s: Outcome['status']) => (typeof s === 'number' ? `${Math.floor(s / 100)}xx` : s);
  const table = (key: (o: Outcome) => string) => {
    const rows = new Map<string, Map<string, number>>();
    for (const o of outcomes) {
      const row = rows.get(key(o)) ?? new Map<string, number>();
      row.set(classOf(o.status), (row.get(classOf(o.status)) ?? 0) + 1);
      rows.set(key(o), row);
    }
    const classes = ['2xx', '3xx', '4xx', '5xx', 'no answer'];
    const width = Math.max(...[...rows.keys()].map((k) => k.length), 10);
    const lines = [`${''.padEnd(width)}  ${classes.map((c) => c.padStart(11)).join('')}`];
    for (const [k, row] of [...rows].sort()) lines.push(`${k.padEnd(width)}  ${classes.map((c) => String(row.get(c) ?? 0).padStart(11)).join('')}`);
    return lines.join('\n');
  };
  const ms = outcomes.map((o) => o.ms).sort((a, b) => a - b);
  const pct = (p: number) => ms[Math.min(ms.length - 1, Math.floor(p * ms.length))]?.toFixed(1);
  const statuses = new Map<number | string, number>();
  for (const o of outcomes) statuses.set(o.status, (statuses.get(o.status) ?? 0) + 1);
  return [
    `fuzz: ${outcomes.length} requests in ${seconds.toFixed(1)} s (seed ${SEED}, concurrency ${CONCURRENCY}); latency p50 ${pct(0.5)} ms, p99 ${pct(0.99)} ms`,
    `problems: ${outcomes.filter((o) => o.problem).length}; identifiers planted: ${planted.size}; connections closed without an answer (broken HTTP framing, accepted): ${outcomes.filter((o) => o.status === 'no answer' && !o.problem).length}`,
    `statuses: ${[...statuses].sort((a, b) => String(a[0]).localeCompare(String(b[0]))).map(([s, n]) => `${s}×${n}`).join(' ')}`,
    '',
    'by endpoint:',
    table((o) => o.c.endpoint),
    '',
    'by input family:',
    table((o) => o.c.family),
  ].join('\n');
}

describe(`${RUNS} generated bad inputs against the real server`, () => {
  it(
    'answers each with a clear 4xx or a well-formed 2xx, never a 5xx, and stays up',
    async () => {
      const started = performance.now();
      const arbitrary = allCases(secrets);
      for (let done = 0, batch = 0; done < RUNS; done += BATCH, batch++) {
        await run(fc.sample(arbitrary, { numRuns: Math.min(BATCH, RUNS - done), seed: SEED + batch }));
        expect(server.alive(), 'the server process died').toBe(true);
      }
      let text = summary((performance.now() - started) / 1000);
      if (process.env.FUZZ_VERBOSE) {
        const reasons = new Map<string, number>();
        for (const o of outcomes) {
          if (!o.error) continue;
          const key = `${o.c.endpoint} ${o.status} ${o.error.slice(0, 60)}`;
          reasons.set(key, (reasons.get(key) ?? 0) + 1);
        }
        text += `\n\n4xx reasons:\n${[...reasons].sort((a, b) => b[1] - a[1]).map(([r, n]) => `${String(n).padStart(5)}  ${r}`).join('\n')}`;
      }
      console.log(text);
      if (process.env.FUZZ_SUMMARY_FILE) fs.writeFileSync(process.env.FUZZ_SUMMARY_FILE, `${text}\n`);

      const problems = outcomes.filter((o) => o.problem);
      const shown = problems.slice(0, 15).map((o) => `${o.c.endpoint} [${o.c.family}] ${o.c.req.method} ${o.c.req.path.slice(0, 120)} -> ${o.problem}\n    body: ${JSON.stringify((o.c.req.raw ?? o.c.req.body)?.subarray(0, 200).toString('utf8') ?? '')}`);
      expect(shown, `${problems.length} of ${outcomes.length} answers were wrong (seed ${SEED})`).toEqual([]);
      expect(outcomes).toHaveLength(RUNS);
      expect(server.alive()).toBe(true);
    },
    120_000 + RUNS * 60,
  );

  it('answers a normal question afterwards', async () => {
    const res = await fetch(new URL('/api/chat', server.url), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ message: '上海申报职称需要什么条件？' }) });
    expect(res.status).toBe(200);
    const reply = (await res.json()) as { reply: string; citations: unknown[]; lang: string };
    expect(reply.lang).toBe('zh');
    expect(reply.citations.length).toBeGreaterThan(0);
    expect(reply.reply).toContain('[1]');
    expect((await fetch(new URL('/readyz', server.url))).status).toBe(200);
  });

  it('logged one JSON line per request, each with its request id', async () => {
    await new Promise((r) => setTimeout(r, 200));
    const json = server.lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
    const requests = json.filter((l) => l.msg === 'request');
    // Requests node:http could not parse never reach express; they get a line of their own.
    const unparsed = json.filter((l) => l.msg === 'bad HTTP request');
    expect(requests.length + unparsed.length).toBeGreaterThanOrEqual(outcomes.length);
    for (const line of requests) expect(line).toMatchObject({ reqId: expect.any(String), method: expect.any(String), path: expect.any(String), status: expect.any(Number), durationMs: expect.any(Number) });
    // Every line written while a request was served carries its id (start-up lines have none).
    const firstRequest = requests[0]?.time as string;
    const during = json.filter((l) => l.msg !== 'request' && l.level !== 'info' && (l.time as string) >= firstRequest);
    for (const line of during) expect(line.reqId, JSON.stringify(line)).toEqual(expect.any(String));
    // 5xx would be logged as errors: there are none.
    expect(requests.filter((l) => (l.status as number) >= 500)).toEqual([]);
  });

  it('wrote none of the planted identifiers to a log line or a database row', () => {
    expect(planted.size).toBeGreaterThan(RUNS >= 300 ? 20 : 0);
    const scanner = new LeakScanner();
    server.lines.forEach((line, i) => scanner.scan(line, `log line ${i + 1}`));

    let rows = 0;
    let maskedTurns = 0;
    for (const name of ['mentor.sqlite', 'corpus.sqlite']) {
      const db = new Database(path.join(dataDir, name), { readonly: true, fileMustExist: true });
      try {
        const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as Array<{ name: string }>;
        for (const { name: table } of tables) {
          for (const row of db.prepare(`SELECT * FROM "${table}"`).iterate() as Iterable<Record<string, unknown>>) {
            rows++;
            const text = Object.values(row)
              .map((v) => (Buffer.isBuffer(v) ? v.toString('utf8') : String(v)))
              .join('\u0001');
            if (table === 'turns' && /\[(身份证号\/ID|手机号\/phone|邮箱\/email|银行卡\/card)\]/.test(text)) maskedTurns++;
            scanner.scan(text, `${name} ${table}`);
          }
        }
      } finally {
        db.close();
      }
    }
    // The files themselves (WAL included), in case anything was written and then overwritten.
    for (const file of fs.readdirSync(dataDir).filter((f) => f.startsWith('mentor.sqlite'))) scanner.scan(fs.readFileSync(path.join(dataDir, file)).toString('latin1'), file);

    expect(rows).toBeGreaterThan(0);
    // The run did store turns whose identifiers were masked: the scan looked where they would be.
    if (RUNS >= 300) expect(maskedTurns).toBeGreaterThan(0);
    const leaks = scanner.leaks().map((l) => `${l.id.kind} ${l.id.written} in ${l.where}`);
    expect(leaks).toEqual([]);
  });
});
