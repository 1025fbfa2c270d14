import crypto from 'node:crypto';
import type http from 'node:http';
import type { RequestListener } from 'node:http';
import { REQUEST_ID_HEADER } from '../log/index.js';

/**
 * How long a refused client may go on sending (thrown away) before its connection is closed. Closing
 * while it still sends resets the connection, and a client busy uploading may lose the answer with it:
 * 500 ms was too short for the fuzz suite's 1 MB uploads on a loaded CI machine.
 */
const CLOSE_GRACE_MS = 1000;

/**
 * The largest body each route reads, in bytes: the staff API's corpus edits (2 MB), Slack's events
 * (1 MB), everything else (chat, the OpenAI-compatible API, the web channel, WeChat) 64 KB. The routes'
 * own parsers enforce the same limits on what they actually read (app.ts, admin.ts, slack.ts, wechat.ts).
 */
export function bodyLimitFor(path: string): number {
  if (path === '/api/admin' || path.startsWith('/api/admin/')) return 2 * 1024 * 1024;
  if (path.startsWith('/slack/')) return 1024 * 1024;
  return 64 * 1024;
}

/**
 * A request that announces a body over its route's limit (Content-Length) is answered 413 at once,
 * before a byte of it is read, and its connection closed: the body parsers would otherwise read off
 * (and throw away) the whole announced body before answering, which a slow client can stretch to
 * HTTP_REQUEST_TIMEOUT_MS. Bodies without a length (chunked) are cut by the parsers' limits and the
 * server's request timeout.
 */
export function refuseOversizedBodies(next: RequestListener, onRefused?: (about: { reqId: string; path: string; length: number; limit: number }, req: http.IncomingMessage) => void): RequestListener {
  return (req, res) => {
    const announced = req.headers['content-length'];
    if (announced !== undefined) {
      const length = Number(announced);
      const path = (req.url ?? '/').split('?')[0];
      const limit = bodyLimitFor(path);
      if (Number.isFinite(length) && length > limit) {
        const reqId = crypto.randomUUID();
        onRefused?.({ reqId, path: path.slice(0, 200), length, limit }, req);
        const body = JSON.stringify({ error: `request body too large: ${length} bytes announced, at most ${limit} accepted here`, code: 'too_large' });
        res.shouldKeepAlive = false;
        res.writeHead(413, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body), connection: 'close', [REQUEST_ID_HEADER]: reqId });
        // The body is never parsed: what arrives is thrown away for a short grace, so a client still
        // uploading can read the answer, then the connection goes, however much it still meant to send.
        // Node's server would destroy a "close" connection as soon as the answer is flushed: with unread
        // upload that is a reset, which can wipe the answer from the client's buffer (the fuzz suite lost
        // 18 of 10,000 answers so). So only our side is ended until the grace is over.
        const socket = req.socket;
        socket.destroySoon = () => socket.end();
        res.end(body);
        req.resume();
        setTimeout(() => socket.destroy(), CLOSE_GRACE_MS).unref();
        return;
      }
    }
    next(req, res);
  };
}
