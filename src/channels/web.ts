import type http from 'node:http';
import type { TurnContext } from 'botbuilder';
import { WebAdapter } from 'botbuilder-adapter-web';
import type { BotkitMessage, BotWorker } from 'botkit';
import express, { type Router } from 'express';
import { z } from 'zod';
import { replyPieces } from './render.js';
import { createController, failureCode, failureText, guessLang, sleep, type ChannelDeps } from './shared.js';

export interface WebSettings {
  /** Websocket path on the server, e.g. /ws */
  socketPath: string;
  /** Milliseconds between streamed pieces. */
  paceMs: number;
  /** Largest websocket frame accepted. */
  maxPayloadBytes: number;
}

/** A message from the web page (websocket or webhook): botkit's web protocol plus our optional fields. */
export const WebMessageSchema = z.object({
  type: z.literal('message'),
  user: z.string().regex(/^[A-Za-z0-9-]{8,64}$/, 'must be 8-64 letters, digits or -'),
  text: z.string(),
  lang: z.enum(['zh', 'en']).optional(),
  sessionId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1-64 letters, digits, _ or -').optional(),
});
type WebMessage = z.infer<typeof WebMessageSchema>;

/** botkit's web adapter on a server we own: the socket is attached by us, and its heartbeat can be stopped. */
class MentorWebAdapter extends WebAdapter {
  private heartbeat?: NodeJS.Timeout;

  // botkit calls init() from its constructor to attach to a server of its own, which we don't have yet.
  init(): void {}

  attach(server: http.Server, options: { path: string; maxPayload: number }, logic: (context: TurnContext) => Promise<void>): void {
    // The adapter starts a 30 s heartbeat interval and keeps no handle: catch it, so close() can stop it.
    const realSetInterval = globalThis.setInterval;
    globalThis.setInterval = ((handler: () => void, ms?: number) => (this.heartbeat = realSetInterval(handler, ms))) as typeof setInterval;
    try {
      this.createSocketServer(server, options, logic);
    } finally {
      globalThis.setInterval = realSetInterval;
    }
    this.heartbeat?.unref();
  }

  close(): void {
    clearInterval(this.heartbeat);
    if (!this.wss) return;
    for (const client of this.wss.clients as Set<{ terminate(): void }>) client.terminate();
    this.wss.close();
  }
}

/**
 * The web page's channel: botkit's web adapter over a websocket (streamed replies), and its webhook
 * (`POST /api/messages`, one JSON array of replies) for clients without websockets.
 * Replies: `typing`, `meta` {sessionId, intent, lang, turnId}, `delta` {text} pieces, then `message`
 * {text, mentor: MentorReply}; or `error` {code, error}.
 */
export function createWebChannel(deps: ChannelDeps, settings: WebSettings): { router: Router; attach(server: http.Server): void; close(): void } {
  const adapter = new MentorWebAdapter();
  adapter.use(async (context, next) => {
    const activity = context.activity;
    // Only messages reach the mentor; page events (hello, welcome_back) and anything else need no answer.
    if (activity.type !== 'message') return;
    const parsed = WebMessageSchema.safeParse(activity.channelData);
    if (!parsed.success) {
      deps.error('web', 'bad_request');
      const detail = parsed.error.issues.map((i) => `${i.path.join('.') || '-'}: ${i.message}`).join('; ');
      await context.sendActivity({ type: 'error', channelData: { code: 'bad_request', error: `invalid message: ${detail}` } });
      return;
    }
    await next();
  });
  const controller = createController(adapter);

  controller.on('message', async (bot: BotWorker, message: BotkitMessage) => {
    const data = message.incoming_message.channelData as WebMessage;
    const streaming = message.incoming_message.channelId === 'websocket';
    if (streaming) await bot.reply(message, { type: 'typing' });
    let reply;
    try {
      reply = await deps.runTurn({ channel: 'web', message: data.text, sessionId: data.sessionId, lang: data.lang });
    } catch (err) {
      await bot.reply(message, { type: 'error', channelData: { code: failureCode(err), error: failureText(err, data.lang ?? guessLang(data.text)) } });
      return;
    }
    if (streaming) {
      await bot.reply(message, { type: 'meta', channelData: { sessionId: reply.sessionId, intent: reply.intent, lang: reply.lang, turnId: reply.turnId } });
      for (const piece of replyPieces(reply.reply)) {
        await bot.reply(message, { type: 'delta', channelData: { text: piece } });
        if (settings.paceMs) await sleep(settings.paceMs);
      }
    }
    await bot.reply(message, { type: 'message', text: reply.reply, channelData: { mentor: reply } });
  });

  const router = express.Router();
  router.post('/api/messages', async (req, res) => {
    const parsed = WebMessageSchema.safeParse(req.body);
    if (!parsed.success) {
      deps.error('web', 'bad_request');
      res.status(400).json({ error: `invalid message: ${parsed.error.issues.map((i) => `${i.path.join('.') || '-'}: ${i.message}`).join('; ')}` });
      return;
    }
    try {
      await adapter.processActivity(req, res, controller.handleTurn.bind(controller));
    } catch (err) {
      deps.error('web', 'internal');
      deps.log(`web: ${(err as Error).stack ?? err}`);
      if (!res.headersSent) res.status(500).json({ error: 'internal error' });
    }
  });

  return {
    router,
    attach: (server) => adapter.attach(server, { path: settings.socketPath, maxPayload: settings.maxPayloadBytes }, controller.handleTurn.bind(controller)),
    close: () => adapter.close(),
  };
}
