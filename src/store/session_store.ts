import type { Redis } from 'ioredis';

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
 */
export class RedisSessionStore implements SessionStore {
  private readonly ttlMs: number;

  constructor(
    private readonly redis: Redis,
    ttlHours: number,
    private readonly prefix = 'tm:session:',
  ) {
    this.ttlMs = Math.max(1, Math.round(ttlHours * 3600_000));
  }

  async getSession<T>(id: string): Promise<T | undefined> {
    const value = await this.redis.get(this.prefix + id);
    return value === null ? undefined : (JSON.parse(value) as T);
  }

  async saveSession(id: string, state: unknown): Promise<void> {
    await this.redis.set(this.prefix + id, JSON.stringify(state), 'PX', this.ttlMs);
  }

  /** Keys expire by their TTL; nothing to sweep. */
  expire(): number {
    return 0;
  }
}
