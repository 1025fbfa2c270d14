import crypto from 'node:crypto';
import type { Redis } from 'ioredis';

/**
 * Which instance answers a WeChat message when several serve one account behind a load balancer.
 * WeChat re-sends a message it got no answer for within 5 seconds, and the re-send may reach another
 * instance: without a shared claim it would run a second turn (and, past the 5 seconds, send a second
 * answer through the customer-service API).
 */
export interface MessageClaims {
  /** True when this instance is the first to take the message, and so answers it. */
  claim(key: string): Promise<boolean>;
  /** The answer given to a claimed message, for re-sends that reach other instances. */
  publish(key: string, reply: string): Promise<void>;
  /** The answer another instance published, or undefined when none came within `waitMs`. */
  awaitReply(key: string, waitMs: number): Promise<string | undefined>;
}

/** WeChat re-sends three times over about 15 seconds; a minute covers them with room to spare. */
export const CLAIM_TTL_MS = 60_000;
const POLL_MS = 100;

/** Ask `read` for the answer every POLL_MS until one comes or `waitMs` has passed. */
export async function pollForReply(read: () => Promise<string | undefined>, waitMs: number): Promise<string | undefined> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const reply = await read();
    if (reply !== undefined) return reply;
    const left = deadline - Date.now();
    if (left <= 0) return undefined;
    await new Promise((resolve) => setTimeout(resolve, Math.min(POLL_MS, left)));
  }
}

/**
 * Claims in Redis (SET NX with a TTL), keyed by a hash of the message's key (sender and MsgId), so
 * no WeChat id is stored in clear. `redis()` is undefined until the service has connected.
 */
export function redisMessageClaims(redis: () => Redis | undefined): MessageClaims {
  const id = (key: string) => crypto.createHash('sha256').update(key).digest('hex').slice(0, 32);
  const client = () => {
    const r = redis();
    if (!r) throw new Error('Redis is not connected yet');
    return r;
  };
  return {
    async claim(key) {
      return (await client().set(`tm:wechat:claim:${id(key)}`, '1', 'PX', CLAIM_TTL_MS, 'NX')) === 'OK';
    },
    async publish(key, reply) {
      await client().set(`tm:wechat:reply:${id(key)}`, reply, 'PX', CLAIM_TTL_MS);
    },
    awaitReply(key, waitMs) {
      return pollForReply(async () => (await client().get(`tm:wechat:reply:${id(key)}`)) ?? undefined, waitMs);
    },
  };
}
