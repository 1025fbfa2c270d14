/**
 * What `npm run bench` and `npm run bench:soak` share: the mix of conversations a load generator
 * plays, the server child (bench/e2e_server.ts) and its IPC, an HTTP client, autocannon, statistics.
 */
import { fork, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { prng } from './synthetic_corpus.js';
import type { EventLoopStats, MemoryBreakdown, RetrievalCacheCounts, ServerCommand, ServerMessage } from './e2e_server.js';
// @ts-expect-error: a plain .mjs build script, without type declarations
import { buildDist, DIST } from '../scripts/build.mjs';
import { SERVER_NODE_FLAGS, serverProcessEnv } from '../src/server/memory.js';

export const ADMIN_TOKEN = 'bench-admin-token';

/** The server's environment in every benchmark: offline, no Redis, limits on but out of one client's reach. */
export function benchServerEnv(knowledgeDir: string, dataDir: string): Record<string, string> {
  return {
    KNOWLEDGE_DIR: knowledgeDir,
    DATA_DIR: dataDir,
    PORT: '0',
    HOST: '127.0.0.1',
    ADMIN_TOKEN,
    // The limits stay on (their cost is part of a turn) but out of reach of one load generator.
    RATE_LIMIT_PER_MINUTE_IP: '100000000',
    RATE_LIMIT_PER_MINUTE_SESSION: '100000000',
    STREAM_PACE_MS: '0',
    // Off unless asked for (RETRIEVAL_CACHE_SIZE in the environment, or `npm run bench -- --retrieval-cache N`):
    // the mix is a fixed set of conversations played over and over, which the recent results would answer
    // almost entirely (98% at 10k), far more than real questions repeat.
    RETRIEVAL_CACHE_SIZE: process.env.RETRIEVAL_CACHE_SIZE ?? '0',
    OPENAI_API_KEY: '',
    OPENAI_BASE_URL: '',
    REDIS_URL: '',
  };
}

/** One conversation: its turns are sent in order with one session id. */
export type Conversation = string[];

/**
 * A realistic mix: questions from the evaluation sets (policy, eligibility, follow-ups, out of scope,
 * attacks) in both languages, questions about the synthetic documents, a scripted eligibility dialogue
 * (facts, then a verdict) and small talk.
 */
export function conversationMix(syntheticQueries: string[], count = 400, seed = 7): Conversation[] {
  const rand = prng(seed);
  const pick = <T>(list: T[]): T => list[Math.floor(rand() * list.length)];
  const evalDir = path.resolve('eval', 'datasets');
  const fromEval: Conversation[] = [];
  for (const file of fs.readdirSync(evalDir).filter((f) => f.endsWith('.jsonl'))) {
    for (const line of fs.readFileSync(path.join(evalDir, file), 'utf8').split('\n')) {
      if (!line.trim()) continue;
      const c = JSON.parse(line) as { turns?: string[]; question?: string; query?: string };
      const turns = c.turns ?? [c.question ?? c.query].filter((t): t is string => Boolean(t));
      if (turns.length) fromEval.push(turns);
    }
  }
  const dialogues: Conversation[] = [
    ['我硕士毕业，在上海做工程技术工作两年半了，有居住证。', '能评工程师吗？', '谢谢'],
    ['I have a bachelor degree and 6 years as an engineer in Shanghai.', 'Can I apply for the senior engineer title?'],
    ['我本科毕业，做会计工作5年了', '能报中级会计师吗？', '需要什么材料？'],
  ];
  const smalltalk: Conversation[] = [['你好'], ['hello'], ['你能做什么？', '谢谢']];
  const out: Conversation[] = [];
  while (out.length < count) {
    const r = rand();
    out.push(r < 0.5 ? pick(fromEval) : r < 0.8 ? [pick(syntheticQueries)] : r < 0.92 ? pick(dialogues) : pick(smalltalk));
  }
  return out;
}

/** Turns in the order one client plays them, each with its conversation's session id. */
export function turnsOf(conversations: Conversation[], prefix: string): Array<{ message: string; sessionId: string }> {
  return conversations.flatMap((turns, i) => turns.map((message) => ({ message, sessionId: `${prefix}-${i}` })));
}

export const percentile = (xs: number[], p: number) => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))];
};
export const round = (x: number, digits = 2) => Math.round(x * 10 ** digits) / 10 ** digits;
/** The machine a benchmark ran on, as the scale-out and workers results record it. */
export const machineInfo = () => ({ cpus: os.cpus().length, model: os.cpus()[0]?.model ?? '', node: process.version, load: os.loadavg().map((x) => round(x, 2)) });

/** What a load benchmark's result starts with: when, where, on how many chunks, with what load. */
export function runHeader(args: { size: number; seconds: number; connections: number }, chunks: number) {
  return { at: new Date().toISOString(), machine: machineInfo(), size: args.size, chunks, seconds: args.seconds, connections: args.connections };
}

/** The first words of a result's Markdown: the corpus, the mode and the machine. */
export function setupLine(h: ReturnType<typeof runHeader>): string {
  return `${h.chunks.toLocaleString('en-US')} chunks, offline mode, loopback, ${h.machine.cpus} CPUs (${h.machine.model}), Node ${h.machine.node}; load ${h.machine.load.join(' ')}.`;
}
export const summary = (xs: number[]) => ({ p50: round(percentile(xs, 0.5)), p95: round(percentile(xs, 0.95)), p99: round(percentile(xs, 0.99)), max: round(Math.max(...xs)), n: xs.length });

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

/** POST JSON over a kept-alive connection; resolves with status, body and milliseconds. */
export function postJson(url: string, body: unknown, headers: Record<string, string> = {}, method = 'POST'): Promise<{ status: number; body: string; ms: number }> {
  const data = Buffer.from(JSON.stringify(body));
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, agent, headers: { 'content-type': 'application/json', 'content-length': data.length, ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), ms: performance.now() - started }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(data);
  });
}

export function getJson(url: string): Promise<{ status: number; body: string; ms: number }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), ms: performance.now() - started }));
      })
      .on('error', reject);
  });
}

/** Send turns one after another; latency per turn as the client sees it. */
export async function sequentialTurns(url: string, turns: Array<{ message: string; sessionId: string }>): Promise<{ latencies: number[]; errors: number }> {
  const latencies: number[] = [];
  let errors = 0;
  for (const t of turns) {
    const r = await postJson(`${url}/api/chat`, t).catch(() => ({ status: 0, body: '', ms: 0 }));
    if (r.status !== 200) errors++;
    else latencies.push(r.ms);
  }
  return { latencies, errors };
}

let compiled: string | undefined;
/**
 * The server harness compiled as `npm start` runs the server (scripts/build.mjs, once per benchmark):
 * under tsx the server's RSS would hold tsx's loader thread too, and its modules would load slower.
 */
function compiledServerHarness(): string {
  if (!compiled) {
    (buildDist as () => number)();
    compiled = path.join(DIST as string, 'bench', 'e2e_server.js');
  }
  return compiled;
}

/** The server in a child process, with its messages. */
export class ServerProcess {
  readonly spawnedAt = Date.now();
  url = '';
  listeningAt = 0;
  importedAt = 0;
  readyAt = 0;
  chunks = 0;
  readonly progress: Array<{ message: string; at: number }> = [];
  private readonly child: ChildProcess;
  private readonly waiting = new Map<number, (m: ServerMessage) => void>();
  private nextId = 1;
  private readyWaiters: Array<{ resolve: () => void; reject: (e: Error) => void }> = [];
  private failure?: string;

  constructor(env: Record<string, string>, options: { cpuProfDir?: string; exposeGc?: boolean; log?: (m: string) => void; stdoutFile?: string } = {}) {
    const entry = compiledServerHarness();
    // The node flags and environment `npm start` gives the server (src/server/memory.ts).
    const execArgv = [...SERVER_NODE_FLAGS, ...(options.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfDir}`] : []), ...(options.exposeGc ? ['--expose-gc'] : [])];
    // Logging as in production (a JSON line per request at info), to a sink: its cost is part of a turn.
    const stdout = options.stdoutFile ? fs.openSync(options.stdoutFile, 'w') : 'ignore';
    this.child = fork(entry, [], { execArgv, env: { ...process.env, ...serverProcessEnv(process.env), LOG_LEVEL: 'info', ...env }, stdio: ['ignore', stdout, 'inherit', 'ipc'] });
    if (typeof stdout === 'number') fs.closeSync(stdout);
    this.child.on('message', (m: ServerMessage) => {
      if (m.type === 'listening') {
        this.url = m.url;
        this.listeningAt = m.at;
        this.importedAt = m.importedAt;
      } else if (m.type === 'progress') {
        this.progress.push({ message: m.message, at: m.at });
        options.log?.(m.message);
      } else if (m.type === 'ready') {
        this.readyAt = m.at;
        this.chunks = m.chunks;
        for (const w of this.readyWaiters) w.resolve();
      } else if (m.type === 'failed') {
        this.failure = m.message;
        for (const w of this.readyWaiters) w.reject(new Error(m.message));
      } else if ('id' in m) this.waiting.get(m.id)?.(m);
    });
    this.child.on('exit', (code) => {
      if (!this.readyAt) for (const w of this.readyWaiters) w.reject(new Error(this.failure ?? `server exited with code ${code}`));
    });
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Wait for the listening port (reported over IPC). */
  async listening(timeoutMs = 60_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (!this.url) {
      if (this.failure || this.child.exitCode !== null) throw new Error(this.failure ?? 'server exited');
      if (Date.now() > deadline) throw new Error('server did not listen');
      await new Promise((r) => setTimeout(r, 10));
    }
    return this.url;
  }

  ready(): Promise<void> {
    if (this.readyAt) return Promise.resolve();
    if (this.failure) return Promise.reject(new Error(this.failure));
    return new Promise((resolve, reject) => this.readyWaiters.push({ resolve, reject }));
  }

  private ask<T>(cmd: { type: 'stats'; resetEventLoop?: boolean; gc?: boolean } | { type: 'rebuild' } | { type: 'profile'; action: 'start' | 'stop'; file?: string }): Promise<T> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.waiting.set(id, (m) => {
        this.waiting.delete(id);
        resolve(m as unknown as T);
      });
      this.child.send({ ...cmd, id });
    });
  }

  /** RSS, heap, CPU time used so far (ms), event-loop delay since the last reset. */
  stats(resetEventLoop = false, gc = false): Promise<{ rssMb: number; heapUsedMb: number; memory: MemoryBreakdown; cpuMs: number; eventLoop: EventLoopStats; retrievalCache: RetrievalCacheCounts }> {
    return this.ask({ type: 'stats', resetEventLoop, gc });
  }

  rebuild(): Promise<{ seconds: number; chunks: number; eventLoop: EventLoopStats; error?: string }> {
    return this.ask({ type: 'rebuild' });
  }

  /** Start, or stop and write, a CPU profile of the server (V8's profiler, as --cpu-prof). */
  profile(action: 'start' | 'stop', file?: string): Promise<{ file?: string }> {
    return this.ask({ type: 'profile', action, file });
  }

  stop(): Promise<void> {
    return new Promise((resolve) => {
      if (this.child.exitCode !== null) return resolve();
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 30_000);
      this.child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      this.child.send({ type: 'stop' } satisfies ServerCommand);
    });
  }
}

/**
 * Users with one kept-alive connection each, as a browser tab keeps one. The connections are opened
 * before the load starts, a few at a time: a saturated Node server accepts new connections only
 * slowly (they wait in the listen queue), which is not what a soak is about.
 */
export class Users {
  readonly agents: http.Agent[];

  constructor(count: number) {
    this.agents = Array.from({ length: count }, () => new http.Agent({ keepAlive: true, maxSockets: 1, keepAliveMsecs: 1000 }));
  }

  async connect(url: string): Promise<void> {
    for (let i = 0; i < this.agents.length; i += 20) {
      await Promise.all(
        this.agents.slice(i, i + 20).map(
          (agent) =>
            new Promise<void>((resolve, reject) =>
              http
                .get(`${url}/healthz`, { agent }, (res) => {
                  res.resume();
                  res.on('end', () => resolve());
                })
                .on('error', reject),
            ),
        ),
      );
    }
  }

  close(): void {
    for (const agent of this.agents) agent.destroy();
  }
}

/**
 * Each user plays conversations one after the other, each its own session, waiting `thinkMs` after
 * each answer before the next message. Used for the soak.
 */
export async function sessionsLoad(
  url: string,
  conversations: Conversation[],
  options: { users: Users; seconds: number; label: string; thinkMs?: number; timeoutMs?: number; onTick?: () => void },
): Promise<LoadResult & { perUser: { min: number; max: number } }> {
  const { agents } = options.users;
  const sessions = agents.length;
  const latencies: number[] = [];
  const perUser = new Array<number>(sessions).fill(0);
  let errors = 0;
  let timeouts = 0;
  let non2xx = 0;
  const endAt = Date.now() + options.seconds * 1000;
  const tick = options.onTick ? setInterval(options.onTick, 1000) : undefined;
  const one = (user: number, body: string) =>
    new Promise<void>((resolve) => {
      const started = performance.now();
      const req = http.request(`${url}/api/chat`, { method: 'POST', agent: agents[user], timeout: options.timeoutMs ?? 10_000, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
        res.resume();
        res.on('end', () => {
          if (res.statusCode === 200) latencies.push(performance.now() - started);
          else non2xx++;
          resolve();
        });
      });
      let timedOut = false;
      req.on('timeout', () => {
        timedOut = true;
        timeouts++;
        req.destroy();
      });
      req.on('error', () => {
        if (!timedOut) errors++;
        resolve();
      });
      req.end(body);
    });
  await Promise.all(
    perUser.map(async (_, user) => {
      for (let n = 0, conv = user % conversations.length; Date.now() < endAt; n++, conv = (conv + sessions) % conversations.length) {
        for (const message of conversations[conv]) {
          if (Date.now() >= endAt) break;
          await one(user, JSON.stringify({ message, sessionId: `${options.label}-${user}-${n}` }));
          perUser[user]++;
          if (options.thinkMs) await new Promise((r) => setTimeout(r, options.thinkMs));
        }
      }
    }),
  );
  if (tick) clearInterval(tick);
  const s = [...latencies].sort((a, b) => a - b);
  const at = (p: number) => round(s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))] ?? NaN);
  return {
    requestsPerSecond: round(latencies.length / options.seconds, 1),
    latencyMs: { p50: at(0.5), p90: at(0.9), p99: at(0.99), max: round(s[s.length - 1] ?? NaN), mean: round(s.reduce((a, b) => a + b, 0) / Math.max(1, s.length)) },
    requests: latencies.length + non2xx,
    errors,
    timeouts,
    non2xx,
    seconds: options.seconds,
    connections: sessions,
    perUser: { min: Math.min(...perUser), max: Math.max(...perUser) },
  };
}

export interface LoadResult {
  requestsPerSecond: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number; mean: number };
  requests: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  seconds: number;
  connections: number;
}

/**
 * autocannon against POST /api/chat: each connection is one user playing conversations one after the
 * other, each conversation with its own session id; `perConnection` picks that user's conversations.
 */
export async function loadTest(url: string, conversations: Conversation[], options: { connections: number; seconds: number; label: string; onTick?: () => void }): Promise<LoadResult> {
  type Ctx = { conn: number; conv: number; turn: number; sessions: number };
  let connections = 0;
  const instance = autocannon({
    url: `${url}/api/chat`,
    connections: options.connections,
    duration: options.seconds,
    timeout: 10,
    headers: { 'content-type': 'application/json' },
    requests: [
      {
        method: 'POST',
        setupRequest: (req: Record<string, unknown>, context: Ctx) => {
          if (context.conn === undefined) {
            context.conn = connections++;
            context.conv = context.conn % conversations.length;
            context.turn = 0;
            context.sessions = 0;
          }
          let turns = conversations[context.conv];
          if (context.turn >= turns.length) {
            context.conv = (context.conv + options.connections) % conversations.length;
            context.turn = 0;
            context.sessions++;
            turns = conversations[context.conv];
          }
          const body = JSON.stringify({ message: turns[context.turn++], sessionId: `${options.label}-${context.conn}-${context.sessions}` });
          return { ...req, body };
        },
      },
    ],
  });
  const tick = options.onTick ? setInterval(options.onTick, 1000) : undefined;
  const result = await instance;
  if (tick) clearInterval(tick);
  return {
    requestsPerSecond: round(result.requests.average, 1),
    latencyMs: { p50: result.latency.p50, p90: result.latency.p90, p99: result.latency.p99, max: result.latency.max, mean: round(result.latency.mean) },
    requests: result.requests.total,
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
    seconds: options.seconds,
    connections: options.connections,
  };
}
