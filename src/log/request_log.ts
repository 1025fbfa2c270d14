import crypto from 'node:crypto';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { maskPii } from '../guard/index.js';
import { withRequestId, type Logger } from './logger.js';

export const REQUEST_ID_HEADER = 'x-request-id';

// A caller's id is kept only when it is short and plain (no log injection, nothing personal in it).
const CALLER_ID = /^[A-Za-z0-9._:-]{1,100}$/;

/** The request's id: the caller's `x-request-id` when it is plain, else a new one. */
function requestId(req: Request): string {
  const given = req.get(REQUEST_ID_HEADER);
  return given && CALLER_ID.test(given) && maskPii(given).found.length === 0 ? given : crypto.randomUUID();
}

/**
 * One log line per request (method, path, status, duration, request id), the id echoed in the
 * `x-request-id` response header; everything logged while the request is served carries the id.
 * The query string is left out: WeChat puts user ids and signatures there.
 */
export function requestLogging(logger: Logger): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const reqId = requestId(req);
    const started = performance.now();
    res.setHeader(REQUEST_ID_HEADER, reqId);
    let logged = false;
    const done = () => {
      if (logged) return;
      logged = true;
      const status = res.statusCode;
      const line = {
        method: req.method,
        path: (req.originalUrl.split('?')[0] ?? '').slice(0, 200),
        status,
        durationMs: Math.round((performance.now() - started) * 10) / 10,
        ...(res.writableFinished ? {} : { aborted: true }),
      };
      const level = status >= 500 ? 'error' : status >= 400 ? 'warn' : 'info';
      withRequestId(reqId, () => logger[level](line, 'request'));
    };
    res.once('finish', done);
    res.once('close', done);
    withRequestId(reqId, next);
  };
}
