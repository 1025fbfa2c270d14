import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import path from 'node:path';
import type express from 'express';
// Not '../channels/index.js': that door loads every platform's SDK; create.js loads only the channels that are on.
import { createChannels } from '../channels/create.js';
import type { ChannelDeps } from '../channels/shared.js';
import { REPO_ROOT, type Config } from '../config.js';
import { maskPii } from '../guard/index.js';
import { loadPrompts } from '../llm/prompts.js';
import { createLogger, REQUEST_ID_HEADER, withRequestId, type Logger } from '../log/index.js';
import { openMentorService, type MentorDeps, type MentorService } from '../mentor/index.js';
import { redisFailureCode } from '../store/errors.js';
import { createApp, turnRunner, type ServiceRef } from './app.js';
import { refuseOversizedBodies } from './body_guard.js';
import type { WorkerHooks } from './cluster.js';
import { createMetrics, type MentorMetrics } from './metrics.js';

export interface ServerOptions {
  /** Required when the service is still opening; otherwise the service's own. */
  config?: Config;
  /** The metrics whose `onTurn` the service reports to (see `startMentorServer`). */
  metrics?: MentorMetrics;
  /** Defaults: the configuration's HOST and PORT (0 = any free port). */
  host?: string;
  port?: number;
  /** Also receives each error line the server logs (PII-masked). */
  log?: (line: string) => void;
  /** The structured logger (default: pino at LOG_LEVEL on stdout). */
  logger?: Logger;
  /** A worker of `serve` with WORKERS > 1 (see cluster.ts). */
  worker?: WorkerHooks;
}

export interface MentorServer {
  app: express.Express;
  server: http.Server;
  /** e.g. http://127.0.0.1:3000 */
  url: string;
  port: number;
  metrics: MentorMetrics;
  /** Which messaging channels are on (web, wechat, slack). */
  channels: string[];
  /** Stop listening and drop open connections (websockets, streams). The service stays open. */
  close(): Promise<void>;
}

/**
 * One HTTP server for everything: the chat API, the OpenAI-compatible API, the web page and its
 * websocket, WeChat and Slack. It listens at once; until the service is open, /readyz and the chat
 * routes answer 503.
 */
export async function createServer(service: MentorService | Promise<MentorService>, options: ServerOptions = {}): Promise<MentorServer> {
  let current: MentorService | undefined = service instanceof Promise ? undefined : service;
  if (service instanceof Promise) {
    service.then(
      (s) => {
        current = s;
      },
      () => {},
    );
  }
  const config = options.config ?? current?.config;
  if (!config) throw new Error('createServer: pass options.config when the service is still opening');
  const ref: ServiceRef = { current: () => current };
  const metrics = options.metrics ?? createMetrics();
  const logger = options.logger ?? createLogger({ level: config.LOG_LEVEL });
  const log = (line: string) => {
    logger.error(line);
    options.log?.(maskPii(line).text);
  };
  const prompts = loadPrompts(path.join(REPO_ROOT, 'prompts'));
  const runTurn = turnRunner(ref, metrics);

  const deps: ChannelDeps = {
    runTurn,
    welcome: (lang) => ({ text: prompts.templates.greeting[lang].replace('{name}', prompts.persona.name[lang]), suggestions: prompts.templates.suggestions.default[lang] }),
    error: metrics.error,
    log,
    redis: () => current?.redis,
    messageClaims: options.worker?.messageClaims,
    storeFailure: (operation, err) => {
      const code = redisFailureCode(err);
      metrics.storeFailure(operation, code);
      logger.warn({ operation, code, error: (err as Error).message }, 'the shared store failed; the message was answered here');
    },
  };
  const channels = await createChannels(deps, config);
  const app = createApp(ref, { config, metrics, runTurn, channels: channels.router, prompts, log, logger, worker: options.worker });
  // Slow clients: the head within HTTP_HEADERS_TIMEOUT_MS, the whole request within HTTP_REQUEST_TIMEOUT_MS
  // (checked every second or sooner, not node's default 30 s), else 408 and closed; a body announced
  // over its route's limit is refused (413) before it is read.
  const headersTimeout = Math.min(config.HTTP_HEADERS_TIMEOUT_MS, config.HTTP_REQUEST_TIMEOUT_MS);
  const server = http.createServer(
    { headersTimeout, requestTimeout: config.HTTP_REQUEST_TIMEOUT_MS, connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(headersTimeout / 4))) },
    refuseOversizedBodies(app, ({ reqId, path, length, limit }, req) => {
      metrics.error(path.startsWith('/wechat') ? 'wechat' : path.startsWith('/slack') ? 'slack' : 'api', 'too_large');
      // The request line every request gets (see requestLogging), with what was announced.
      withRequestId(reqId, () => logger.warn({ method: req.method, path, status: 413, durationMs: 0, announcedBytes: length, limitBytes: limit }, 'request'));
    }),
  );
  server.on('clientError', answerClientError(logger));
  channels.attach(server);

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? config.PORT, options.host ?? config.HOST, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  return {
    app,
    server,
    url: `http://${host}:${port}`,
    port,
    metrics,
    channels: channels.enabled,
    close: () =>
      new Promise<void>((resolve) => {
        channels.close();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

const CLIENT_ERRORS: Record<string, [number, string]> = {
  HPE_HEADER_OVERFLOW: [431, 'request headers too large'],
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'request timed out'],
  HPE_CHUNK_EXTENSIONS_OVERFLOW: [413, 'chunk extensions too large'],
};

/**
 * A request node:http could not parse (bad request line, header or framing) never reaches express:
 * answer it in JSON like every other 4xx, log one line, and close the connection.
 */
/** How long a request followed by unparsable bytes may take to be answered before its connection is closed. */
const CLIENT_ERROR_GRACE_MS = 5000;

function answerClientError(logger: Logger): (err: NodeJS.ErrnoException, socket: Duplex) => void {
  return (err, socket) => {
    const [status, message] = CLIENT_ERRORS[err.code ?? ''] ?? [400, 'malformed HTTP request'];
    const reqId = crypto.randomUUID();
    withRequestId(reqId, () => logger.warn({ status, code: err.code }, 'bad HTTP request'));
    // Mid-request (a body cut short) a response is already under way: there is nothing left to answer.
    // A body too slow to arrive (the request timeout) is still answered 408 while nothing has been sent.
    const pending = (socket as Duplex & { _httpMessage?: http.ServerResponse })._httpMessage;
    if (pending && !pending.headersSent && err.code !== 'ERR_HTTP_REQUEST_TIMEOUT' && err.code !== 'ECONNRESET' && socket.writable) {
      // Bytes after a complete request (a body longer than its Content-Length): the request before
      // them is still being answered. Let that answer go out, then close; never keep the socket long.
      pending.shouldKeepAlive = false;
      pending.once('finish', () => socket.end());
      setTimeout(() => socket.destroy(), CLIENT_ERROR_GRACE_MS).unref();
      return;
    }
    if (err.code === 'ECONNRESET' || !socket.writable || (pending && (err.code !== 'ERR_HTTP_REQUEST_TIMEOUT' || pending.headersSent))) {
      socket.destroy();
      return;
    }
    const body = JSON.stringify({ error: message });
    socket.end(
      `HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${REQUEST_ID_HEADER}: ${reqId}\r\nConnection: close\r\n\r\n${body}`,
    );
  };
}

/** The service and its server, wired for metrics: what `mentor serve` runs, and what tests start. */
export async function startMentorServer(
  config: Config,
  options: Omit<ServerOptions, 'config' | 'metrics'> & { onProgress?: (message: string) => void; metrics?: MentorMetrics } = {},
): Promise<{ server: MentorServer; service: Promise<MentorService> }> {
  const metrics = options.metrics ?? createMetrics();
  const logger = options.logger ?? createLogger({ level: config.LOG_LEVEL });
  // Listen first, so /healthz answers (and the port is taken) while the index is built.
  let open!: (s: Promise<MentorService>) => void;
  const service = new Promise<MentorService>((resolve) => {
    open = resolve;
  });
  let server: MentorServer;
  try {
    server = await createServer(service, { ...options, config, metrics, logger });
  } catch (err) {
    open(Promise.reject(err));
    service.catch(() => {});
    throw err;
  }
  open(openMentorService(config, { onProgress: options.onProgress, onTurn: turnReporter(metrics, logger) }));
  return { server, service };
}

type TurnEvent = Parameters<NonNullable<MentorDeps['onTurn']>>[0];

/** Counts each finished turn and logs what staff should hear about: model fallbacks and store failures. */
export function turnReporter(metrics: MentorMetrics, logger: Logger): (event: TurnEvent) => void {
  return (e) => {
    metrics.onTurn(e);
    const about = { channel: e.channel, intent: e.intent, lang: e.lang, latencyMs: Math.round(e.latencyMs * 10) / 10 };
    logger.debug({ ...about, citations: e.citations, ...(e.fallback ? { fallback: e.fallback } : {}) }, 'turn');
    if (e.fallback) logger.warn({ ...about, reason: e.fallback }, 'the language model failed; the offline composer answered');
    for (const f of e.storeFailures ?? []) logger.warn({ ...about, operation: f.operation, code: f.code, error: f.message }, 'the transcript store failed; the turn was answered');
  };
}
