/**
 * A failure of a store itself (Redis unreachable, timed out, out of memory, a value it cannot read),
 * as opposed to a bug in the caller. The mentor answers the turn all the same and counts it by `code`
 * (REDIS_UNAVAILABLE, REDIS_TIMEOUT, REDIS_OOM, REDIS_BAD_VALUE, ...), as it does SQLITE_BUSY.
 */
export class StoreError extends Error {
  override readonly name = 'StoreError';
  constructor(
    readonly code: string,
    message: string,
    /** What a read can answer instead (the last state this instance knew), if anything. */
    readonly fallback?: unknown,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The code of a Redis failure: a bounded set, so the metric's labels stay few. */
export function redisFailureCode(err: unknown): string {
  const e = err as { name?: string; message?: string; code?: string } | undefined;
  const message = e?.message ?? String(err);
  if (/timed out/i.test(message)) return 'REDIS_TIMEOUT';
  if (e?.name === 'ReplyError') {
    // Redis errors start with their code: OOM, READONLY, WRONGTYPE, NOSCRIPT, LOADING, ...
    const word = /^([A-Z]{2,20})\b/.exec(message)?.[1];
    return word && word !== 'ERR' ? `REDIS_${word}` : 'REDIS_ERROR';
  }
  if (e?.name === 'MaxRetriesPerRequestError' || /enableOfflineQueue|Connection is closed|ECONNREFUSED|ECONNRESET|EPIPE|not connected|Stream isn't writeable/i.test(message) || e?.code === 'ECONNREFUSED') {
    return 'REDIS_UNAVAILABLE';
  }
  return 'REDIS_ERROR';
}
