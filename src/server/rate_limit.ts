import crypto from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import { rateLimit, type ClientRateLimitInfo, type Options, type Store } from 'express-rate-limit';
import type { Redis } from 'ioredis';
import type { Config } from '../config.js';
import type { Logger } from '../log/index.js';
import { redisFailureCode, StoreError } from '../store/index.js';
import type { MentorMetrics } from './metrics.js';

const WINDOW_MS = 60_000;
const SESSION_ID = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * Hits per key in Redis, one key per client and window: INCR, and PEXPIRE on the first hit, in one
 * script so the count and its expiry are never apart. Every instance counts into the same keys, so a
 * limit holds however the load balancer spreads the requests.
 */
const INCREMENT = `
local hits = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if hits == 1 or ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return { hits, ttl }`;

export class RedisRateLimitStore implements Store {
  readonly localKeys = false;
  private windowMs = WINDOW_MS;

  constructor(
    private readonly client: () => Redis | undefined,
    readonly prefix: string,
    /** Told of each command Redis failed (down, timed out, refused) before the error goes on. */
    private readonly onFailure?: (err: StoreError) => void,
  ) {}

  init(options: Options): void {
    this.windowMs = options.windowMs;
  }

  private redis(): Redis {
    const redis = this.client();
    if (!redis) throw new Error('Redis is not connected yet');
    return redis;
  }

  /** Run a command; a failure becomes a StoreError, reported, then thrown (express-rate-limit lets the request through). */
  private async guarded<T>(what: string, command: (redis: Redis) => Promise<T>): Promise<T> {
    try {
      return await command(this.redis());
    } catch (err) {
      const failure = new StoreError(redisFailureCode(err), `Redis: rate-limit ${what} failed: ${(err as Error).message}`, undefined, { cause: err });
      this.onFailure?.(failure);
      throw failure;
    }
  }

  async get(key: string): Promise<ClientRateLimitInfo | undefined> {
    const [hits, ttl] = await this.guarded('read', (redis) => Promise.all([redis.get(this.prefix + key), redis.pttl(this.prefix + key)]));
    if (hits === null) return undefined;
    return { totalHits: Number(hits), resetTime: new Date(Date.now() + Math.max(0, ttl)) };
  }

  async increment(key: string): Promise<ClientRateLimitInfo> {
    const [hits, ttl] = (await this.guarded('count', (redis) => redis.eval(INCREMENT, 1, this.prefix + key, String(this.windowMs)))) as [number, number];
    return { totalHits: Number(hits), resetTime: new Date(Date.now() + Number(ttl)) };
  }

  async decrement(key: string): Promise<void> {
    await this.guarded('decrement', (redis) => redis.decr(this.prefix + key));
  }

  async resetKey(key: string): Promise<void> {
    await this.guarded('reset', (redis) => redis.del(this.prefix + key));
  }
}

/** The session a chat request belongs to: the body's sessionId (/api), or x-session-id / `user` (/v1). */
export function sessionKey(req: Request): string | undefined {
  const body = (req.body ?? {}) as { sessionId?: unknown; user?: unknown };
  if (req.originalUrl.startsWith('/v1/')) {
    const header = req.get('x-session-id');
    if (header !== undefined) return SESSION_ID.test(header) ? header : undefined;
    // The same session the OpenAI-compatible API derives from `user` (see openai_api.ts).
    if (typeof body.user === 'string' && body.user) return `oa-${crypto.createHash('sha256').update(body.user).digest('hex').slice(0, 40)}`;
    return undefined;
  }
  return typeof body.sessionId === 'string' && SESSION_ID.test(body.sessionId) ? body.sessionId : undefined;
}

/** 429 in the shape of the API asked: OpenAI's error object on /v1, the chat API's { error, code } on /api. */
function tooMany(what: 'address' | 'session') {
  return (req: Request, res: Response, _next: unknown, options: Options) => {
    const info = (req as Request & { rateLimit?: { resetTime?: Date } }).rateLimit;
    const seconds = Math.max(1, Math.ceil(((info?.resetTime?.getTime() ?? Date.now() + options.windowMs) - Date.now()) / 1000));
    const message = `too many messages from this ${what}: at most ${options.limit} a minute; try again in ${seconds} s`;
    res.status(429).set('retry-after', String(seconds));
    if (req.originalUrl.startsWith('/v1/')) res.json({ error: { message, type: 'requests', param: null, code: 'rate_limit_exceeded' } });
    else res.json({ error: message, code: 'rate_limited', retryAfterSeconds: seconds });
  };
}

export interface ChatRateLimitOptions {
  config: Pick<Config, 'RATE_LIMIT_PER_MINUTE_IP' | 'RATE_LIMIT_PER_MINUTE_SESSION' | 'REDIS_URL'>;
  /** The service's Redis connection (undefined until the service is open). */
  redis?: () => Redis | undefined;
  log?: (line: string) => void;
  /** Redis failures are counted here (mentor_store_failures_total, operation rate_limit_ip / rate_limit_session). */
  metrics?: Pick<MentorMetrics, 'storeFailure'>;
  /** ... and logged here as a warning, with the request's id. */
  logger?: Logger;
  /** A worker of `serve` with WORKERS > 1 and no Redis: the counts kept in the primary, shared by every worker. */
  clusterStore?: (prefix: string) => Store;
}

/**
 * Per-address and per-session limits for the chat routes, as middleware to run after the body is
 * parsed. In memory by default (per instance; in the cluster primary for the workers of one `serve`);
 * in Redis when REDIS_URL is set (shared by every instance). A limit of 0
 * is off. When Redis fails (down, or slower than REDIS_COMMAND_TIMEOUT_MS), requests pass unlimited:
 * the chat stays up, and each failure is counted in mentor_store_failures_total and logged.
 */
export function chatRateLimits(options: ChatRateLimitOptions): RequestHandler[] {
  const { config } = options;
  const shared = Boolean(config.REDIS_URL && options.redis);
  const failed = (operation: string) => (err: StoreError) => {
    options.metrics?.storeFailure(operation, err.code);
    options.logger?.warn({ operation, code: err.code, err }, 'the rate-limit store failed; the request was let through');
  };
  const logger = {
    // A store failure is already counted and logged (above); anything else (a misconfiguration) goes to the log.
    error: (err: unknown, message?: string) => {
      if (!(err instanceof StoreError) || !options.metrics) options.log?.(`${message ?? 'rate limit error'}: ${(err as Error)?.message ?? err}`);
    },
    warn: () => {},
    info: () => {},
    debug: () => {},
  };
  const common = {
    windowMs: WINDOW_MS,
    standardHeaders: 'draft-7' as const,
    legacyHeaders: false,
    passOnStoreError: true,
    logger,
    // Until the service (and its Redis connection) is open the chat routes answer 503 anyway.
    ...(shared ? { skip: () => !options.redis!() } : {}),
  };
  const handlers: RequestHandler[] = [];
  if (config.RATE_LIMIT_PER_MINUTE_IP > 0) {
    handlers.push(
      rateLimit({
        ...common,
        limit: config.RATE_LIMIT_PER_MINUTE_IP,
        ...(shared ? { store: new RedisRateLimitStore(options.redis!, 'tm:rl:ip:', failed('rate_limit_ip')) } : options.clusterStore ? { store: options.clusterStore('ip') } : {}),
        handler: tooMany('address'),
      }),
    );
  }
  if (config.RATE_LIMIT_PER_MINUTE_SESSION > 0) {
    const skipShared = common.skip;
    handlers.push(
      rateLimit({
        ...common,
        limit: config.RATE_LIMIT_PER_MINUTE_SESSION,
        // A first message has no session yet: only the address limit applies to it.
        skip: (req) => sessionKey(req) === undefined || Boolean(skipShared?.()),
        keyGenerator: (req) => sessionKey(req)!,
        ...(shared ? { store: new RedisRateLimitStore(options.redis!, 'tm:rl:session:', failed('rate_limit_session')) } : options.clusterStore ? { store: options.clusterStore('session') } : {}),
        handler: tooMany('session'),
      }),
    );
  }
  return handlers;
}

/** TRUST_PROXY as express reads it: unset = trust nobody, a number = that many hops, else addresses/subnets. */
export function trustProxy(value: string | undefined): boolean | number | string[] {
  if (!value || value === 'false') return false;
  if (value === 'true') return true;
  if (/^\d+$/.test(value)) return Number(value);
  return value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}
