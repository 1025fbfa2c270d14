import { AsyncLocalStorage } from 'node:async_hooks';
import { pino, stdTimeFunctions, type DestinationStream, type Logger as PinoLogger } from 'pino';
import { maskPii } from '../guard/index.js';

export type Logger = PinoLogger;
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

export interface LoggerOptions {
  level?: LogLevel;
  /** Where the JSON lines go; stdout when not given. */
  destination?: DestinationStream;
}

const requests = new AsyncLocalStorage<{ reqId: string }>();

/** Run `fn` (and everything it starts) as part of one request: every log line inside carries its id. */
export function withRequestId<T>(reqId: string, fn: () => T): T {
  return requests.run({ reqId }, fn);
}

/** The id of the request being served, if any. */
export function currentRequestId(): string | undefined {
  return requests.getStore()?.reqId;
}

const MAX_DEPTH = 6;
const MAX_STRING = 4000;

/** A value safe to log: strings PII-masked (and cut), errors reduced to type, code, message and stack. */
export function maskForLog(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return maskPii(value.length > MAX_STRING ? `${value.slice(0, MAX_STRING)}…` : value).text;
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_DEPTH) return '[nested too deep]';
  if (value instanceof Error) {
    const code = (value as { code?: unknown }).code;
    return {
      type: value.name,
      ...(code !== undefined ? { code: maskForLog(code, depth + 1) } : {}),
      message: maskForLog(value.message, depth + 1),
      ...(value.stack ? { stack: maskForLog(value.stack, depth + 1) } : {}),
    };
  }
  if (Array.isArray(value)) return value.slice(0, 100).map((v) => maskForLog(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = maskForLog(v, depth + 1);
  return out;
}

/**
 * The service's structured logger (pino, one JSON line per event). Everything passed to it is
 * PII-masked before it is written, and a line logged while a request is served carries its `reqId`.
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      base: { pid: process.pid },
      timestamp: stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      mixin: () => {
        const reqId = currentRequestId();
        return reqId ? { reqId } : {};
      },
      hooks: {
        // Masks the merging object, the message and any interpolated values; an error first becomes { err }.
        logMethod(args, method) {
          const masked = (args as unknown[]).map((a, i) => (i === 0 && a instanceof Error ? { err: maskForLog(a) } : maskForLog(a)));
          return method.apply(this, masked as Parameters<typeof method>);
        },
      },
    },
    options.destination ?? pino.destination({ dest: 1, sync: true }),
  );
}
