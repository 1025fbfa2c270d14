import crypto from 'node:crypto';
import express, { type NextFunction, type Request, type RequestHandler, type Response, type Router } from 'express';
import { z } from 'zod';
import { markdownReply, replyPieces } from '../channels/render.js';
import type { ChannelTurn } from '../channels/shared.js';
import { TurnError, type MentorReply } from '../mentor/index.js';
import { cors } from './cors.js';
import { openEventStream } from './sse.js';

export const MODEL_ID = 'title-mentor';
const CREATED = 1_735_689_600; // 2025-01-01, when the model id was first served

const ContentPart = z.looseObject({ type: z.string(), text: z.string().optional() });
const Message = z.looseObject({
  role: z.enum(['system', 'developer', 'user', 'assistant', 'tool', 'function']),
  content: z.union([z.string(), z.array(ContentPart), z.null()]).optional(),
});
const ChatCompletionRequest = z.looseObject({
  model: z.string().min(1),
  messages: z.array(Message).min(1, 'must hold at least one message'),
  stream: z.boolean().nullish(),
  user: z.string().max(256).nullish(),
  n: z.number().int().nullish(),
});

const SESSION_ID = /^[A-Za-z0-9_-]{1,64}$/;

class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code: string | null = null,
    readonly param: string | null = null,
    readonly type = status >= 500 ? 'server_error' : 'invalid_request_error',
  ) {
    super(message);
  }
  /** Already counted in the metrics (by the turn runner). */
  counted = false;
}

/** An error of a turn (already counted by the turn runner) in OpenAI's shape. */
function turnFailure(err: unknown, log: (line: string) => void): ApiError {
  let e: ApiError;
  if (err instanceof TurnError) e = new ApiError(err.code === 'message_too_long' ? 413 : 400, err.message, err.code, 'messages');
  else if ((err as { status?: number }).status === 503) e = new ApiError(503, (err as Error).message, 'unavailable');
  else {
    log(`internal error in /v1: ${(err as Error).stack ?? err}`);
    e = new ApiError(500, 'internal error', 'internal');
  }
  e.counted = true;
  return e;
}

export interface OpenAiOptions {
  runTurn: (turn: ChannelTurn) => Promise<MentorReply>;
  paceMs: number;
  bodyLimit: string;
  onError: (code: string) => void;
  log: (line: string) => void;
  /** CORS_ORIGINS: browser chat UIs on these origins may call the API (unset = none). */
  corsOrigins?: string;
  /** Rate limits for chat completions (run after the body is parsed). */
  limits?: RequestHandler[];
}

/**
 * An OpenAI-compatible face (`/v1/models`, `/v1/chat/completions`), so any OpenAI client or chat UI
 * can talk to the mentor. The last user message is the turn; the session is the `x-session-id`
 * header, or one derived from the `user` field, or else the conversation the earlier user messages make up;
 * system prompts from the client are ignored.
 */
export function openAiRouter(options: OpenAiOptions): Router {
  const router = express.Router();
  // Browser chat UIs on other origins may call this API once CORS_ORIGINS lists them ('*' for any).
  router.use(cors({ origins: options.corsOrigins, methods: 'GET, POST, OPTIONS', allowHeaders: 'authorization, content-type, x-session-id, x-request-id', exposeHeaders: 'x-session-id, x-request-id, retry-after' }));
  router.use(express.json({ limit: options.bodyLimit }));

  const model = { id: MODEL_ID, object: 'model', created: CREATED, owned_by: 'title-mentor' };
  router.get('/models', (_req, res) => {
    res.json({ object: 'list', data: [model] });
  });
  router.get('/models/:id', (req, res) => {
    if (req.params.id !== MODEL_ID) throw new ApiError(404, `The model '${req.params.id}' does not exist`, 'model_not_found', 'model');
    res.json(model);
  });

  router.post('/chat/completions', ...(options.limits ?? []), async (req, res) => {
    if (!req.is('application/json')) throw new ApiError(415, 'the body must be JSON (Content-Type: application/json)');
    const parsed = ChatCompletionRequest.safeParse(req.body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new ApiError(400, `invalid request: ${issue.path.join('.') || 'body'}: ${issue.message}`, 'invalid_value', issue.path.join('.') || null);
    }
    const body = parsed.data;
    if (body.model !== MODEL_ID) throw new ApiError(404, `The model '${body.model}' does not exist; use '${MODEL_ID}'`, 'model_not_found', 'model');
    if (body.n != null && body.n !== 1) throw new ApiError(400, 'only n = 1 is supported', 'invalid_value', 'n');
    const users = body.messages.filter((m) => m.role === 'user');
    const last = users.at(-1);
    if (!last) throw new ApiError(400, 'messages must include a user message', 'invalid_value', 'messages');
    const message = textOf(last.content);
    const explicit = sessionOf(req.get('x-session-id'), body.user ?? undefined);
    // A client that names no session sends the whole conversation each time: its earlier user messages say
    // which conversation this is (and a regenerated answer goes on from the same point).
    const fromHistory = explicit === undefined ? conversationKeys(users.slice(0, -1).map((m) => looseTextOf(m.content)), message) : undefined;

    let reply: MentorReply;
    try {
      reply = await options.runTurn({ channel: 'openai', message, sessionId: explicit ?? fromHistory?.sessionId, ...(fromHistory?.continueFrom ? { continueFrom: fromHistory.continueFrom } : {}) });
    } catch (err) {
      throw turnFailure(err, options.log);
    }
    res.set('x-session-id', reply.sessionId);
    const id = `chatcmpl-${crypto.randomUUID()}`;
    const created = Math.floor(Date.now() / 1000);
    const content = markdownReply(reply);
    const mentor = { sessionId: reply.sessionId, turnId: reply.turnId, intent: reply.intent, lang: reply.lang, citations: reply.citations, suggestions: reply.suggestions, ...(reply.eligibility ? { eligibility: reply.eligibility } : {}) };

    if (!body.stream) {
      res.json({
        id,
        object: 'chat.completion',
        created,
        model: MODEL_ID,
        choices: [{ index: 0, message: { role: 'assistant', content, refusal: null }, finish_reason: 'stop', logprobs: null }],
        mentor,
      });
      return;
    }
    const stream = openEventStream(res);
    const chunk = (delta: Record<string, unknown>, finish: string | null, extra: Record<string, unknown> = {}) => ({
      id,
      object: 'chat.completion.chunk',
      created,
      model: MODEL_ID,
      choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }],
      ...extra,
    });
    stream.send(undefined, chunk({ role: 'assistant', content: '' }, null));
    for (const piece of [...replyPieces(reply.reply), ...(content.length > reply.reply.length ? [content.slice(reply.reply.length)] : [])]) {
      if (stream.closed) return;
      stream.send(undefined, chunk({ content: piece }, null));
      if (options.paceMs) await new Promise((r) => setTimeout(r, options.paceMs));
    }
    stream.send(undefined, chunk({}, 'stop', { mentor }));
    stream.send(undefined, '[DONE]');
    stream.end();
  });

  router.use((_req, _res) => {
    throw new ApiError(404, 'Unknown endpoint: only /v1/models and /v1/chat/completions are served', 'unknown_url');
  });

  // Errors in OpenAI's shape, so clients raise their usual exceptions.
  router.use((err: Error & { status?: number; type?: string }, _req: Request, res: Response, _next: NextFunction) => {
    let e: ApiError;
    if (err instanceof ApiError) e = err;
    else if (err.type === 'entity.parse.failed') e = new ApiError(400, 'invalid JSON body', 'invalid_json');
    else if (err.type === 'entity.too.large') e = new ApiError(413, 'request body too large', 'too_large');
    else if (err.status && err.status >= 400 && err.status < 500) e = new ApiError(err.status, err.message);
    else {
      options.log(`internal error in /v1: ${err.stack ?? err.message}`);
      e = new ApiError(500, 'internal error', 'internal');
    }
    if (!e.counted) options.onError(e.code ?? 'bad_request');
    if (res.headersSent) {
      res.end();
      return;
    }
    if (e.status === 503) res.set('retry-after', '5');
    res.status(e.status).json({ error: { message: e.message, type: e.type, param: e.param, code: e.code } });
  });
  return router;
}

/** The text of a message: a string, or the text parts of a content array. */
function textOf(content: z.infer<typeof Message>['content']): string {
  if (typeof content === 'string') return content;
  if (!content) throw new ApiError(400, 'the last user message has no content', 'invalid_value', 'messages');
  if (content.some((p) => p.type !== 'text')) throw new ApiError(400, 'only text content is supported', 'invalid_value', 'messages');
  return content.map((p) => p.text ?? '').join('\n');
}

/**
 * Sessions of a client that sends the history instead of a session id: the state after a run of user messages
 * is kept under a hash of them. The turn goes on from the state of the earlier messages (none for the first)
 * and is saved under the key that includes this message, which the next request will look up. Two people who
 * typed exactly the same messages share a key, and so a state that is the same for both.
 */
function conversationKeys(earlier: string[], message: string): { sessionId: string; continueFrom?: string } {
  const key = (texts: string[]) => `oh-${crypto.createHash('sha256').update(JSON.stringify(texts)).digest('hex').slice(0, 40)}`;
  return { sessionId: key([...earlier, message]), ...(earlier.length ? { continueFrom: key(earlier) } : {}) };
}

/** An earlier message's text; one without text (an image, an empty part) counts as empty. */
function looseTextOf(content: z.infer<typeof Message>['content']): string {
  if (typeof content === 'string') return content;
  return (content ?? []).map((p) => p.text ?? '').join('\n');
}

/** The session: an explicit id, or one derived from the caller's `user` (so it never collides with other channels' ids). */
function sessionOf(header: string | undefined, user: string | undefined): string | undefined {
  if (header !== undefined) {
    if (!SESSION_ID.test(header)) throw new ApiError(400, 'x-session-id must be 1-64 letters, digits, _ or -', 'invalid_value', 'x-session-id');
    return header;
  }
  if (user) return `oa-${crypto.createHash('sha256').update(user).digest('hex').slice(0, 40)}`;
  return undefined;
}
