import cluster, { type Worker } from 'node:cluster';
import fs from 'node:fs';
import path from 'node:path';
import { ClusterMemoryStorePrimary, ClusterMemoryStoreWorker } from '@express-rate-limit/cluster-memory-store';
import type { Store } from 'express-rate-limit';
import { AggregatorRegistry, type Registry } from 'prom-client';
import { CLAIM_TTL_MS, pollForReply, type MessageClaims } from '../channels/wechat_claims.js';
import { currentBuildId, indexRoot } from '../knowledge/index_store.js';
import { serverProcessEnv, withServerNodeFlags } from './memory.js';
import { MemorySignInFailures, type SignInFailures, type Window } from './sign_in_failures.js';

/**
 * `serve` with WORKERS > 1: one primary process forks that many workers, which share the port (node's
 * cluster hands each new connection to the next worker). Node runs a turn on one thread, so this is how
 * one machine's other cores serve too. What the workers share and what each keeps:
 * - shared: the corpus store and the sessions and transcripts (SQLite files in DATA_DIR, or Redis), the
 *   rate limits and the claims on WeChat messages (kept in the primary, or in Redis), the admin API's
 *   failed sign-ins (kept in the primary), and /metrics (summed over the workers);
 * - each its own: the index in memory and on disk (worker 1 in DATA_DIR, worker n in DATA_DIR/workers/n),
 *   brought up to date from the corpus store like any instance (CORPUS_SYNC_MS).
 * The primary serves nothing itself: it starts worker 1 first (the only one that may build the index on
 * a first start), then the rest from worker 1's index, restarts a worker that dies, and stops them all on
 * SIGTERM or SIGINT.
 */

/** The environment variable carrying a worker's number (1, 2, …). */
export const WORKER_ENV = 'TITLE_MENTOR_WORKER';

/** A worker's request on a WeChat message's claim: take it, publish its answer, or read the answer. */
type ClaimOp = { op: 'claim'; key: string } | { op: 'publish'; key: string; reply: string } | { op: 'get'; key: string };
/** A worker's request on an address's failed admin sign-ins: read them, or count one more. */
type FailureOp = { op: 'get'; key: string } | { op: 'add'; key: string; windowMs: number };
/** What a worker tells the primary, and the primary's answers (requests and answers share an id). */
type WorkerMessage =
  | { type: 'tm:ready' }
  | { type: 'tm:failed'; message: string }
  | { type: 'tm:metrics'; id: number }
  | ({ type: 'tm:claim'; id: number } & ClaimOp)
  | ({ type: 'tm:sign-in-failures'; id: number } & FailureOp);
type PrimaryMessage =
  | { type: 'tm:metrics'; id: number; text?: string; error?: string }
  | { type: 'tm:claim'; id: number; result: boolean | string | null }
  | { type: 'tm:sign-in-failures'; id: number; window: Window | null };

/** The primary's claims on WeChat messages: the first worker to claim one answers it, the others wait for its answer. */
export class ClaimTable {
  private readonly entries = new Map<string, { until: number; reply?: string }>();

  handle(request: ClaimOp, now = Date.now()): boolean | string | null {
    for (const [key, e] of this.entries) {
      if (e.until > now) break; // in order of claiming, so the rest are newer
      this.entries.delete(key);
    }
    const entry = this.entries.get(request.key);
    if (request.op === 'claim') {
      if (entry) return false;
      this.entries.set(request.key, { until: now + CLAIM_TTL_MS });
      return true;
    }
    if (request.op === 'publish') {
      if (entry) entry.reply = request.reply;
      return true;
    }
    return entry?.reply ?? null;
  }
}

const isMessage = (m: unknown): m is { type: string } => typeof m === 'object' && m !== null && typeof (m as { type?: unknown }).type === 'string';

export interface PrimaryOptions {
  workers: number;
  /** Set in each worker's environment (the port they share, from `serve --port`). */
  env?: Record<string, string>;
  /** One line for the operator (stderr). */
  say: (line: string) => void;
  /** First wait before a dead worker is started again; doubled while workers die soon after starting (default 1 s, at most 30 s). */
  restartDelayMs?: number;
  /** How long workers may take to close on SIGTERM before they are killed (default 10 s). */
  stopTimeoutMs?: number;
}

/**
 * Runs the primary until it is told to stop: resolves with the exit code (0 after SIGTERM or SIGINT, 1
 * when worker 1 could not start at all: a bad configuration, the port taken).
 */
export function runPrimary(options: PrimaryOptions): Promise<number> {
  const { workers, say } = options;
  const baseDelay = options.restartDelayMs ?? 1000;
  const stopTimeout = options.stopTimeoutMs ?? 10_000;
  // Workers run with the server's memory settings however the primary was started (npm start gives them too).
  cluster.setupPrimary({ execArgv: withServerNodeFlags(process.execArgv) });
  new ClusterMemoryStorePrimary().init();
  const metrics = new AggregatorRegistry();
  const claims = new ClaimTable();
  const signInFailures = new MemorySignInFailures();
  const started = new Map<number, number>();
  const delays = new Map<number, number>();
  let stopping = false;
  let everReady = false;
  let finish!: (code: number) => void;
  const done = new Promise<number>((resolve) => (finish = resolve));

  const start = (n: number): Worker => {
    started.set(n, Date.now());
    const worker = cluster.fork({ ...serverProcessEnv(process.env), ...options.env, [WORKER_ENV]: String(n) });
    worker.on('message', (m: unknown) => {
      if (!isMessage(m)) return;
      const message = m as WorkerMessage;
      if (message.type === 'tm:ready') {
        say(`worker ${n} (pid ${worker.process.pid}) is ready`);
        delays.delete(n);
        if (n === 1 && !everReady) {
          everReady = true;
          // Worker 1 built or loaded the index: the others start from it.
          for (let k = 2; k <= workers; k++) start(k);
        }
      } else if (message.type === 'tm:failed') say(`worker ${n} could not start: ${message.message}`);
      else if (message.type === 'tm:claim') {
        if (worker.isConnected()) worker.send({ type: 'tm:claim', id: message.id, result: claims.handle(message) } satisfies PrimaryMessage);
      } else if (message.type === 'tm:sign-in-failures') {
        if (message.op === 'add') signInFailures.count(message.key, message.windowMs);
        const window = signInFailures.peek(message.key);
        if (worker.isConnected()) worker.send({ type: 'tm:sign-in-failures', id: message.id, window: window ? { ...window } : null } satisfies PrimaryMessage);
      } else if (message.type === 'tm:metrics') {
        const reply = (answer: Omit<PrimaryMessage, 'type' | 'id'>) => {
          if (worker.isConnected()) worker.send({ type: 'tm:metrics', id: message.id, ...answer } satisfies PrimaryMessage);
        };
        metrics.clusterMetrics().then(
          (text: string) => reply({ text }),
          (err: Error) => reply({ error: err.message }),
        );
      }
    });
    worker.on('exit', (code, signal) => {
      if (stopping) return;
      if (n === 1 && !everReady) {
        say(`worker 1 exited before it was ready (${signal ?? `code ${code}`}); stopping`);
        void stop(1);
        return;
      }
      // A worker that dies soon after starting waits longer each time, so a crash loop does not spin.
      const soon = Date.now() - (started.get(n) ?? 0) < 10_000;
      const delay = soon ? Math.min(30_000, (delays.get(n) ?? baseDelay / 2) * 2) : baseDelay;
      delays.set(n, delay);
      say(`worker ${n} (pid ${worker.process.pid}) exited (${signal ?? `code ${code}`}); starting it again in ${delay} ms`);
      setTimeout(() => {
        if (!stopping) start(n);
      }, delay).unref();
    });
    return worker;
  };

  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    const alive = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined && !w.isDead());
    const exited = alive.map((w) => new Promise<void>((resolve) => (w.isDead() ? resolve() : w.once('exit', () => resolve()))));
    for (const w of alive) w.process.kill('SIGTERM');
    const timer = setTimeout(() => {
      for (const w of alive) if (!w.isDead()) w.process.kill('SIGKILL');
    }, stopTimeout);
    await Promise.all(exited);
    clearTimeout(timer);
    finish(code);
  };
  process.once('SIGTERM', () => void stop(0));
  process.once('SIGINT', () => void stop(0));
  start(1);
  return done;
}

/** This process's worker number when it is a worker of `serve` with WORKERS > 1. */
export function workerNumber(): number | undefined {
  if (!cluster.isWorker) return undefined;
  const n = Number(process.env[WORKER_ENV]);
  return Number.isInteger(n) && n > 0 ? n : undefined;
}

/** Where worker n keeps its index (and its parse cache): worker 1 in the data folder itself. */
export function workerDataDir(dataDir: string, n: number): string {
  return n === 1 ? dataDir : path.join(dataDir, 'workers', String(n));
}

/**
 * A worker without an index of its own starts from the one in the data folder (worker 1's): copying it
 * takes a moment where building it takes a while. What changed since is then taken from the store.
 */
export function seedWorkerIndex(dataDir: string, workerDir: string): boolean {
  if (workerDir === dataDir || currentBuildId(workerDir)) return false;
  const id = currentBuildId(dataDir);
  if (!id) return false;
  const from = path.join(indexRoot(dataDir), id);
  const to = indexRoot(workerDir);
  fs.mkdirSync(to, { recursive: true });
  const partial = path.join(to, `${id}.partial`);
  fs.rmSync(partial, { recursive: true, force: true });
  fs.cpSync(from, partial, { recursive: true });
  fs.rmSync(path.join(to, id), { recursive: true, force: true });
  fs.renameSync(partial, path.join(to, id));
  fs.writeFileSync(path.join(to, 'CURRENT.tmp'), id);
  fs.renameSync(path.join(to, 'CURRENT.tmp'), path.join(to, 'CURRENT'));
  return true;
}

/** What a worker's server does differently: rate limits, WeChat claims and failed sign-ins kept in the primary, /metrics summed over all workers. */
export interface WorkerHooks {
  rateLimitStore(prefix: string): Store;
  metricsText(): Promise<string>;
  messageClaims: MessageClaims;
  signInFailures: SignInFailures;
}

/** The hooks of a worker whose own metrics are in `registry`; tell the primary when it is ready with `ready()`. */
export function workerHooks(registry: Registry): WorkerHooks & { ready(): void; failed(message: string): void } {
  // prom-client's worker side answers the primary's requests from these registries.
  new AggregatorRegistry();
  AggregatorRegistry.setRegistries([registry]);
  const pending = new Map<number, { resolve: (answer: PrimaryMessage) => void; timer: NodeJS.Timeout }>();
  let next = 0;
  process.on('message', (m: unknown) => {
    if (!isMessage(m) || (m.type !== 'tm:metrics' && m.type !== 'tm:claim' && m.type !== 'tm:sign-in-failures')) return;
    const answer = m as PrimaryMessage;
    const request = pending.get(answer.id);
    if (!request) return;
    pending.delete(answer.id);
    clearTimeout(request.timer);
    request.resolve(answer);
  });
  const send = (message: WorkerMessage) => process.send?.(message);
  /** A request to the primary, answered within `timeoutMs` or failed. */
  const ask = (message: WorkerMessage & { id: number }, timeoutMs: number, what: string) =>
    new Promise<PrimaryMessage>((resolve, reject) => {
      const timer = setTimeout(() => {
        pending.delete(message.id);
        reject(new Error(`${what}: the primary did not answer within ${timeoutMs} ms`));
      }, timeoutMs);
      pending.set(message.id, { resolve, timer });
      send(message);
    });
  const failures = async (op: FailureOp) => ((await ask({ type: 'tm:sign-in-failures', id: next++, ...op }, 1000, 'failed sign-ins')) as { window: Window | null }).window ?? undefined;
  const claim = async (op: ClaimOp) => ((await ask({ type: 'tm:claim', id: next++, ...op }, 1000, 'WeChat claim')) as { result: boolean | string | null }).result;
  return {
    rateLimitStore: (prefix) => new ClusterMemoryStoreWorker({ prefix }),
    metricsText: async () => {
      const answer = (await ask({ type: 'tm:metrics', id: next++ }, 6000, 'metrics from the other workers')) as { text?: string; error?: string };
      if (answer.error !== undefined || answer.text === undefined) throw new Error(`metrics from the other workers: ${answer.error ?? 'no answer'}`);
      return answer.text;
    },
    messageClaims: {
      claim: async (key) => (await claim({ op: 'claim', key })) === true,
      publish: async (key, reply) => {
        await claim({ op: 'publish', key, reply });
      },
      awaitReply: (key, waitMs) =>
        pollForReply(async () => {
          const reply = await claim({ op: 'get', key });
          return typeof reply === 'string' ? reply : undefined;
        }, waitMs),
    },
    signInFailures: {
      get: (key) => failures({ op: 'get', key }),
      add: async (key, windowMs) => {
        await failures({ op: 'add', key, windowMs });
      },
    },
    ready: () => send({ type: 'tm:ready' }),
    failed: (message) => send({ type: 'tm:failed', message }),
  };
}
