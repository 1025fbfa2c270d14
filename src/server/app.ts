import path from 'node:path';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import helmet from 'helmet';
import { replyPieces } from '../channels/render.js';
import type { ChannelTurn } from '../channels/shared.js';
import { REPO_ROOT, type Config } from '../config.js';
import { FACT_NAMES, LEVEL_NAMES, ROUTE_NAMES, STATUS_NAMES } from '../eligibility/labels.js';
import { loadPrompts, type Prompts } from '../llm/prompts.js';
import { createLogger, requestLogging, type Logger } from '../log/index.js';
import { TurnError, type MentorReply, type MentorService } from '../mentor/index.js';
import { isStoreFailure } from '../store/index.js';
import { adminRouter } from './admin.js';
import { cors } from './cors.js';
import type { WorkerHooks } from './cluster.js';
import type { MentorMetrics } from './metrics.js';
import { openAiRouter } from './openai_api.js';
import { chatRateLimits, trustProxy } from './rate_limit.js';
import { ChatRequestSchema, VoteRequestSchema, describeZodError, turnProblem } from './schemas.js';
import { openEventStream } from './sse.js';

/** An error with an HTTP status, answered as JSON. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code?: string,
  ) {
    super(message);
  }
}

/** The mentor, or nothing yet while the index is being built. */
export interface ServiceRef {
  current(): MentorService | undefined;
}

export const PUBLIC_DIR = path.join(REPO_ROOT, 'public');

export interface AppOptions {
  /** Largest accepted JSON body. */
  bodyLimit?: string;
  /** Needed when the service is not open yet; otherwise the service's own. */
  config?: Config;
  metrics?: MentorMetrics;
  /** One mentor turn, as every channel runs it (counts errors in the metrics). */
  runTurn?: (turn: ChannelTurn) => Promise<MentorReply>;
  /** Routes of the messaging channels, mounted before the 404. */
  channels?: Router;
  prompts?: Prompts;
  /** Milliseconds between streamed pieces. */
  paceMs?: number;
  /** A line for the operator (an error the app caught); defaults to the logger. */
  log?: (line: string) => void;
  /** The structured logger: one line per request; defaults to one at LOG_LEVEL on stdout. */
  logger?: Logger;
  /** A worker of `serve` with WORKERS > 1: rate limits, failed admin sign-ins and metrics shared with the other workers (see cluster.ts). */
  worker?: WorkerHooks;
}

export function serviceRef(service: MentorService | ServiceRef): ServiceRef {
  return 'current' in service ? service : { current: () => service };
}

/** The service, or a 503 while it is starting. */
export function need(ref: ServiceRef): MentorService {
  const service = ref.current();
  if (!service) throw new HttpError(503, 'the mentor is starting (building its index); try again in a moment', 'unavailable');
  return service;
}

const COUNTED = Symbol('counted in the metrics');

/** One turn through the mentor, with failures counted by channel. */
export function turnRunner(ref: ServiceRef, metrics?: MentorMetrics): (turn: ChannelTurn) => Promise<MentorReply> {
  return async (turn) => {
    try {
      return await need(ref).mentor.handleTurn(turn);
    } catch (err) {
      metrics?.error(turn.channel, err instanceof TurnError ? err.code : err instanceof HttpError ? (err.code ?? 'http') : 'internal');
      if (err && typeof err === 'object') (err as Record<symbol, boolean>)[COUNTED] = true;
      throw err;
    }
  };
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The mentor's HTTP face: chat (JSON and SSE), the OpenAI-compatible API, votes, health, metrics, the web page. */
export function createApp(service: MentorService | ServiceRef, options: AppOptions = {}): express.Express {
  const ref = serviceRef(service);
  const config = options.config ?? need(ref).config;
  const metrics = options.metrics;
  const runTurn = options.runTurn ?? turnRunner(ref, metrics);
  const prompts = options.prompts ?? loadPrompts(path.join(REPO_ROOT, 'prompts'));
  const paceMs = options.paceMs ?? config.STREAM_PACE_MS;
  const logger = options.logger ?? createLogger({ level: config.LOG_LEVEL });
  const log = options.log ?? ((line: string) => logger.error(line));
  const bodyLimit = options.bodyLimit ?? '64kb';

  const app = express();
  app.disable('x-powered-by');
  // Replies are per-turn JSON, never revalidated: hashing each body for an ETag was 1% of a turn's CPU
  // (bench --profile). Static files keep theirs (serve-static sets its own).
  app.set('etag', false);
  app.set('trust proxy', trustProxy(config.TRUST_PROXY));
  app.use(requestLogging(logger));
  app.use(
    helmet({
      contentSecurityPolicy: {
        directives: {
          defaultSrc: ["'self'"],
          scriptSrc: ["'self'"],
          styleSrc: ["'self'"],
          imgSrc: ["'self'", 'data:'],
          connectSrc: ["'self'"],
          upgradeInsecureRequests: null,
        },
      },
    }),
  );

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', (_req, res) => {
    const s = ref.current();
    if (!s) {
      res.status(503).json({ status: 'starting' });
      return;
    }
    const m = s.index().manifest;
    // The corpus revision served, and the store's: instances behind one balancer converge on the same one.
    const revision = s.corpus.revision();
    const latest = s.corpus.storeRevision();
    const corpus = { revision, latest, inSync: revision === latest };
    res.json({ status: 'ready', corpus, index: { buildId: m.buildId, documents: m.docCount, chunks: m.chunkCount, embedder: m.embedder } });
  });
  app.get('/metrics', async (_req, res) => {
    if (!metrics) {
      res.status(404).json({ error: 'metrics are off' });
      return;
    }
    // A worker answers for all of them: the primary sums what every worker counted.
    const text = options.worker ? await options.worker.metricsText().catch((err: Error) => (log(err.message), undefined)) : await metrics.registry.metrics();
    if (text === undefined) {
      res.status(503).json({ error: 'the metrics of the other workers did not arrive; try again' });
      return;
    }
    res.type(metrics.registry.contentType).send(text);
  });

  // The web page: plain files, no build step, nothing from other origins.
  app.get('/', (_req, res) => {
    res.sendFile(path.join(PUBLIC_DIR, 'index.html'));
  });
  app.get('/admin', (_req, res) => res.sendFile(path.join(PUBLIC_DIR, 'admin', 'index.html')));
  app.use('/static', express.static(PUBLIC_DIR, { index: false, fallthrough: true }));

  const limits = chatRateLimits({ config, redis: () => ref.current()?.redis, log, metrics, logger, clusterStore: options.worker?.rateLimitStore });
  app.use('/v1', openAiRouter({ runTurn, paceMs, bodyLimit, onError: (code) => metrics?.error('openai', code), log, corsOrigins: config.CORS_ORIGINS, limits }));

  // Other sites' pages may call the chat API only when CORS_ORIGINS lists them; the staff API never.
  const apiCors = cors({ origins: config.CORS_ORIGINS, methods: 'GET, POST, OPTIONS', allowHeaders: 'content-type, x-request-id', exposeHeaders: 'x-request-id, retry-after' });
  app.use('/api', (req, res, next) => (req.path === '/admin' || req.path.startsWith('/admin/') ? next() : apiCors(req, res, next)));

  // The staff API parses its own (larger) bodies, and only after the token is checked.
  app.use('/api/admin', adminRouter({ config, service: ref.current, log, failures: options.worker?.signInFailures }));

  app.use('/api', express.json({ limit: bodyLimit }));
  if (limits.length) app.post(['/api/chat', '/api/chat/stream'], ...limits);

  /** What the page needs to greet a citizen: persona, welcome, suggested questions, labels for cards, limits. */
  app.get('/api/persona', (_req, res) => {
    const { persona, templates } = prompts;
    const greeting = { zh: templates.greeting.zh.replace('{name}', persona.name.zh), en: templates.greeting.en.replace('{name}', persona.name.en) };
    const factNames = Object.fromEntries(Object.entries(FACT_NAMES).map(([k, v]) => [k, templates.fact_names[k] ?? v]));
    res.json({
      name: persona.name,
      avatar: persona.avatar,
      disclaimer: persona.disclaimer,
      greeting,
      suggestions: templates.suggestions.default,
      labels: { routes: ROUTE_NAMES, statuses: STATUS_NAMES, levels: LEVEL_NAMES, facts: factNames },
      limits: { maxMessageChars: config.MAX_MESSAGE_CHARS },
    });
  });

  const jsonOnly = (req: Request) => {
    if (!req.is('application/json')) throw new HttpError(415, 'the body must be JSON (Content-Type: application/json)', 'bad_request');
  };

  app.post('/api/chat', async (req, res) => {
    jsonOnly(req);
    const parsed = ChatRequestSchema.safeParse(req.body);
    if (!parsed.success) {
      metrics?.error('api', 'bad_request');
      res.status(400).json(describeZodError(parsed.error));
      return;
    }
    res.json(await runTurn({ ...parsed.data, channel: 'api' }));
  });

  // The same turn as /api/chat, streamed: `meta`, `delta` pieces of the finished (grounding-checked) reply, `done`, or `error`.
  app.post('/api/chat/stream', async (req, res) => {
    jsonOnly(req);
    const parsed = ChatRequestSchema.safeParse(req.body);
    if (!parsed.success) {
      metrics?.error('api', 'bad_request');
      res.status(400).json(describeZodError(parsed.error));
      return;
    }
    const problem = turnProblem(parsed.data.message, config.MAX_MESSAGE_CHARS);
    if (problem) {
      metrics?.error('api', problem.code);
      throw problem;
    }
    need(ref);
    const stream = openEventStream(res);
    let reply: MentorReply;
    try {
      reply = await runTurn({ ...parsed.data, channel: 'api' });
    } catch (err) {
      const known = err instanceof TurnError || err instanceof HttpError;
      if (!known) log(`internal error in /api/chat/stream: ${(err as Error).stack ?? err}`);
      stream.send('error', { error: known ? (err as Error).message : 'internal error', code: known ? (err as TurnError).code : 'internal' });
      stream.end();
      return;
    }
    stream.send('meta', { sessionId: reply.sessionId, intent: reply.intent, lang: reply.lang, turnId: reply.turnId });
    for (const piece of replyPieces(reply.reply)) {
      if (stream.closed) return;
      stream.send('delta', { text: piece });
      if (paceMs) await sleep(paceMs);
    }
    stream.send('done', reply);
    stream.end();
  });

  app.post('/api/chat/vote', (req, res) => {
    jsonOnly(req);
    const parsed = VoteRequestSchema.safeParse(req.body);
    if (!parsed.success) {
      res.status(400).json(describeZodError(parsed.error));
      return;
    }
    let ok: boolean;
    try {
      ok = need(ref).store.vote(parsed.data.sessionId, parsed.data.turnId, parsed.data.vote);
    } catch (err) {
      if (!isStoreFailure(err)) throw err;
      metrics?.storeFailure('vote', err.code);
      logger.warn({ operation: 'vote', code: err.code, err }, 'the store refused a vote');
      throw new HttpError(503, 'votes cannot be saved just now; try again in a moment', 'unavailable');
    }
    if (!ok) res.status(404).json({ error: 'no such turn in this session' });
    else res.json({ ok: true });
  });

  if (options.channels) app.use(options.channels);

  app.use((_req, res) => {
    res.status(404).json({ error: 'not found' });
  });

  // Errors become JSON: a client mistake is a 4xx that says what is wrong; anything else a bare 500.
  app.use((err: Error & { status?: number; type?: string }, req: Request, res: Response, _next: NextFunction) => {
    if (res.headersSent) {
      res.end();
      return;
    }
    if (err instanceof TurnError) {
      res.status(err.code === 'message_too_long' ? 413 : 400).json({ error: err.message, code: err.code });
      return;
    }
    if (err instanceof HttpError) {
      if (err.status === 503) res.set('retry-after', '5');
      res.status(err.status).json({ error: err.message, ...(err.code ? { code: err.code } : {}) });
      return;
    }
    const channel = req.path.startsWith('/wechat') ? 'wechat' : req.path.startsWith('/slack') ? 'slack' : 'api';
    if (err.type === 'entity.parse.failed') {
      metrics?.error(channel, 'bad_request');
      res.status(400).json({ error: 'invalid JSON body' });
      return;
    }
    if (err.type === 'entity.too.large') {
      metrics?.error(channel, 'too_large');
      res.status(413).json({ error: 'request body too large' });
      return;
    }
    if (err.status && err.status >= 400 && err.status < 500) {
      res.status(err.status).json({ error: err.message });
      return;
    }
    if (!(err as unknown as Record<symbol, boolean>)[COUNTED]) metrics?.error(channel, 'internal');
    log(`internal error: ${err.stack ?? err.message}`);
    res.status(500).json({ error: 'internal error' });
  });
  return app;
}
