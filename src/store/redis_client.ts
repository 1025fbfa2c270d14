import type { Redis } from 'ioredis';
import { redactUrl } from './session_store.js';

export interface RedisClientOptions {
  /** A command not answered within this many milliseconds fails (the turn goes on without it). */
  commandTimeoutMs?: number;
  /** Told when the connection is lost and when it is back (never with the password). */
  onState?: (state: 'lost' | 'ready', detail?: string) => void;
}

/**
 * Connect to Redis before serving: a wrong REDIS_URL is a start-up error, not a failure on every turn.
 * Once serving, a dead or stuck Redis must never hold a turn: commands fail at once while the
 * connection is down (no offline queue), time out after `commandTimeoutMs` when Redis does not answer,
 * and are not retried; the client reconnects in the background (every 50 ms … 1 s) by itself.
 */
export async function connectRedis(url: string, options: RedisClientOptions = {}): Promise<Redis> {
  // Loaded only when Redis is configured: ioredis is ~0.2 s of a start that does not use it.
  const { Redis } = await import('ioredis');
  const redis = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 5000,
    commandTimeout: options.commandTimeoutMs ?? 500,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: (times) => Math.min(times * 50, 1000),
  });
  let serving = false;
  let lost = false;
  redis.on('error', (err: Error) => {
    // ioredis reconnects by itself; failed commands are counted where they fail. Say it once per outage.
    if (serving && !lost) {
      lost = true;
      options.onState?.('lost', `${redactUrl(url)}: ${err.message}`);
    }
  });
  redis.on('close', () => {
    if (serving && !lost && redis.status !== 'end') {
      lost = true;
      options.onState?.('lost', `${redactUrl(url)}: connection closed`);
    }
  });
  redis.on('ready', () => {
    if (lost) options.onState?.('ready', redactUrl(url));
    lost = false;
  });
  try {
    await redis.connect();
    await redis.ping();
    serving = true;
    return redis;
  } catch (err) {
    redis.disconnect();
    throw new Error(`cannot reach Redis at ${redactUrl(url)}: ${(err as Error).message}`);
  }
}
