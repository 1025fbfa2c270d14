import type { Response } from 'express';

export interface EventStream {
  /** One event: `event: name` (when given) and `data:` one JSON line, or a raw data string. */
  send(event: string | undefined, data: unknown): void;
  /** The client went away (or the stream was ended). */
  readonly closed: boolean;
  end(): void;
}

/** Start a text/event-stream response; comments every 15 s keep proxies from closing a quiet stream. */
export function openEventStream(res: Response): EventStream {
  res.status(200).set({
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  res.flushHeaders();
  let closed = false;
  const keepalive = setInterval(() => {
    if (!closed) res.write(': keepalive\n\n');
  }, 15_000);
  keepalive.unref();
  res.on('close', () => {
    closed = true;
    clearInterval(keepalive);
  });
  return {
    send(event, data) {
      if (closed) return;
      const payload = typeof data === 'string' ? data : JSON.stringify(data);
      res.write(`${event ? `event: ${event}\n` : ''}data: ${payload}\n\n`);
    },
    get closed() {
      return closed;
    },
    end() {
      clearInterval(keepalive);
      if (!closed) res.end();
      closed = true;
    },
  };
}
