import type { Redis } from 'ioredis';
import { redisFailureCode, StoreError } from './errors.js';

/**
 * Where conversation state (language, facts, topic) lives between turns. SqliteStore keeps it in the
 * instance's own SQLite file; RedisSessionStore shares it between instances behind a load balancer.
 * Methods may answer synchronously (SQLite) or with a promise (Redis): callers await either.
 */
export interface SessionStore {
  getSession<T>(id: string): T | undefined | Promise<T | undefined>;
  saveSession(id: string, state: unknown, now?: Date): void | Promise<void>;
  /** Forget sessions idle for longer than the TTL; returns how many were removed (where known). */
  expire(ttlHours: number, now?: Date): number | Promise<number>;
}

/** Redaction of a connection URL for messages: the password never appears in logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable URL)';
  }
}

/**
 * Sessions as JSON values in Redis, one key per session, each with the TTL of SESSION_TTL_HOURS and
 * renewed by every turn; Redis drops idle sessions by itself. Transcripts are not here: they stay in
 * each instance's SQLite file.
 *
 * Redis failing never costs a turn its answer: a read or write that fails (Redis down, not answering
 * within the client's command timeout, out of memory, a value that is not JSON) throws a StoreError,
 * which the mentor counts and logs. A failed read carries as its fallback the last state this instance
 * saved for the session (a bounded, in-memory copy), so a conversation goes on through an outage; a
 * state saved here while Redis was failing is preferred to Redis's older copy once Redis is back.
 */
export class RedisSessionStore implements SessionStore {
  private readonly ttlMs: number;
  /** The last state this instance saved per session, least recently used first. */
  private readonly known = new Map<string, { state: string; at: number; unsaved: boolean }>();

  constructor(
    private readonly redis: Redis,
    ttlHours: number,
    private readonly prefix = 'tm:session:',
    private readonly maxKnown = 10_000,
  ) {
    this.ttlMs = Math.max(1, Math.round(ttlHours * 3600_000));
  }

  async getSession<T>(id: string): Promise<T | undefined> {
    const local = this.lastKnown(id);
    let value: string | null;
    try {
      value = await this.redis.get(this.prefix + id);
    } catch (err) {
      throw new StoreError(redisFailureCode(err), `Redis: reading session failed: ${(err as Error).message}`, local && parse(local.state), { cause: err });
    }
    // Saved here while Redis was failing (or Redis lost it, restarted empty): this instance's copy is the newer.
    if (local && (local.unsaved || value === null)) return parse(local.state) as T;
    if (value === null) return undefined;
    try {
      return JSON.parse(value) as T;
    } catch (err) {
      throw new StoreError('REDIS_BAD_VALUE', `Redis: session value is not JSON: ${(err as Error).message}`, local && parse(local.state), { cause: err });
    }
  }

  async saveSession(id: string, state: unknown): Promise<void> {
    const json = JSON.stringify(state);
    this.remember(id, json, true);
    try {
      await this.redis.set(this.prefix + id, json, 'PX', this.ttlMs);
    } catch (err) {
      throw new StoreError(redisFailureCode(err), `Redis: saving session failed: ${(err as Error).message}`, undefined, { cause: err });
    }
    const entry = this.known.get(id);
    if (entry?.state === json) entry.unsaved = false;
  }

  /** Keys expire by their TTL; nothing to sweep. */
  expire(): number {
    return 0;
  }

  private lastKnown(id: string): { state: string; unsaved: boolean } | undefined {
    const entry = this.known.get(id);
    if (!entry) return undefined;
    if (Date.now() - entry.at > this.ttlMs) {
      this.known.delete(id);
      return undefined;
    }
    return entry;
  }

  private remember(id: string, state: string, unsaved: boolean): void {
    this.known.delete(id);
    this.known.set(id, { state, at: Date.now(), unsaved });
    if (this.known.size > this.maxKnown) this.known.delete(this.known.keys().next().value!);
  }
}

const parse = (json: string): unknown => JSON.parse(json) as unknown;
