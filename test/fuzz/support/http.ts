import http from 'node:http';
import net from 'node:net';

export interface RawRequest {
  method: string;
  /** Path and query, sent as is (may be malformed on purpose). */
  path: string;
  headers?: Record<string, string>;
  body?: Buffer;
  /** Send the body in pieces without a Content-Length (chunked). */
  chunked?: boolean;
  /** Source address on loopback (127.0.0.x), so rate-limited callers do not block the others. */
  from?: string;
  /** Send these bytes as the whole request instead (malformed HTTP). */
  raw?: Buffer;
  /** After the raw bytes, half-close: the client has nothing more to say (node:http then aborts a pending request). */
  halfClose?: boolean;
}

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });

/** One request over node:http (bytes as given, no client-side checks), its response, or the network error. */
export function send(base: URL, req: RawRequest, timeoutMs = 20_000): Promise<RawResponse | { error: string }> {
  if (req.raw) return sendRaw(base, req.raw, req.halfClose);
  return new Promise((resolve) => {
    let settled = false;
    const finish = (v: RawResponse | { error: string }) => {
      if (!settled) {
        settled = true;
        resolve(v);
      }
    };
    const headers: Record<string, string | number> = { ...(req.headers ?? {}) };
    if (req.body && !req.chunked) headers['content-length'] = req.body.length;
    const r = http.request(
      { host: base.hostname, port: base.port, method: req.method, path: req.path, headers, agent: req.from ? false : agent, localAddress: req.from, timeout: timeoutMs },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => finish({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', (err) => finish({ error: `response: ${err.message}` }));
      },
    );
    r.on('timeout', () => {
      r.destroy(new Error(`no answer within ${timeoutMs} ms`));
    });
    // The server may answer (413) before the whole body is sent and close: the answer is what counts.
    r.on('error', (err) => finish({ error: err.message }));
    if (req.body && req.chunked) {
      const step = Math.max(1, Math.ceil(req.body.length / 4));
      for (let i = 0; i < req.body.length; i += step) r.write(req.body.subarray(i, i + step));
      r.end();
    } else r.end(req.body);
  });
}

/**
 * Bytes straight onto a socket (requests node:http would refuse to send: broken request lines, bad
 * headers, smuggling attempts), and the response read back until the server closes or goes quiet.
 */
export function sendRaw(base: URL, bytes: Buffer, halfClose = false, timeoutMs = 5000): Promise<RawResponse | { error: string }> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: base.hostname, port: Number(base.port) });
    const chunks: Buffer[] = [];
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      const all = Buffer.concat(chunks);
      const parsed = parseResponse(all);
      resolve(parsed ?? { error: all.length ? `unreadable response: ${JSON.stringify(all.subarray(0, 80).toString('latin1'))}` : 'the connection closed without an answer' });
    };
    const timer = setTimeout(finish, timeoutMs);
    socket.on('data', (c: Buffer) => {
      chunks.push(c);
      // One whole response is enough (the server may keep the connection open).
      if (parseResponse(Buffer.concat(chunks), true)) finish();
    });
    socket.on('error', finish);
    socket.on('close', finish);
    if (halfClose) socket.end(bytes);
    else socket.write(bytes);
  });
}

/** The first HTTP response in `data`; with `complete`, only when its body is whole. */
function parseResponse(data: Buffer, complete = false): RawResponse | undefined {
  const end = data.indexOf('\r\n\r\n');
  if (end < 0) return undefined;
  const head = data.subarray(0, end).toString('latin1').split('\r\n');
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(head[0]);
  if (!m) return undefined;
  // An interim answer (100 Continue): the real one follows.
  if (m[1].startsWith('1')) return parseResponse(data.subarray(end + 4), complete);
  const headers: http.IncomingHttpHeaders = {};
  for (const line of head.slice(1)) {
    const i = line.indexOf(':');
    if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  let body = data.subarray(end + 4);
  if (String(headers['transfer-encoding']).toLowerCase() === 'chunked') {
    const parts: Buffer[] = [];
    let rest = body;
    for (;;) {
      const eol = rest.indexOf('\r\n');
      if (eol < 0) return complete ? undefined : { status: Number(m[1]), headers, body: Buffer.concat(parts) };
      const size = parseInt(rest.subarray(0, eol).toString('latin1'), 16);
      if (!size) break;
      if (rest.length < eol + 2 + size) return complete ? undefined : { status: Number(m[1]), headers, body: Buffer.concat(parts) };
      parts.push(rest.subarray(eol + 2, eol + 2 + size));
      rest = rest.subarray(eol + 2 + size + 2);
    }
    body = Buffer.concat(parts);
  } else if (headers['content-length'] !== undefined) {
    const length = Number(headers['content-length']);
    if (complete && body.length < length) return undefined;
    body = body.subarray(0, length);
  } else if (complete && Number(m[1]) !== 204 && Number(m[1]) !== 304) return undefined;
  return { status: Number(m[1]), headers, body };
}
