import express, { type NextFunction, type Request, type Response } from 'express';
import { TurnError, type MentorService } from '../mentor/index.js';
import { ChatRequestSchema, VoteRequestSchema, describeZodError } from './schemas.js';

export interface AppOptions {
  /** Largest accepted JSON body. */
  bodyLimit?: string;
}

/** The mentor's HTTP face: chat, votes, health. Channels and admin routes mount on the same app. */
export function createApp(service: MentorService, options: AppOptions = {}): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(express.json({ limit: options.bodyLimit ?? '64kb' }));

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', (_req, res) => {
    const m = service.index().manifest;
    res.json({ status: 'ready', index: { buildId: m.buildId, documents: m.docCount, chunks: m.chunkCount, embedder: m.embedder } });
  });

  app.post('/api/chat', async (req: Request, res: Response, next: NextFunction) => {
    const parsed = ChatRequestSchema.safeParse(req.body);
    if (!parsed.success) {
      res.status(400).json(describeZodError(parsed.error));
      return;
    }
    try {
      const reply = await service.mentor.handleTurn({ ...parsed.data, channel: 'api' });
      res.json(reply);
    } catch (err) {
      next(err);
    }
  });

  app.post('/api/chat/vote', (req, res) => {
    const parsed = VoteRequestSchema.safeParse(req.body);
    if (!parsed.success) {
      res.status(400).json(describeZodError(parsed.error));
      return;
    }
    const ok = service.store.vote(parsed.data.sessionId, parsed.data.turnId, parsed.data.vote);
    if (!ok) res.status(404).json({ error: 'no such turn in this session' });
    else res.json({ ok: true });
  });

  app.use((_req, res) => {
    res.status(404).json({ error: 'not found' });
  });

  // Errors become JSON: a client mistake is a 4xx that says what is wrong; anything else a bare 500.
  app.use((err: Error & { status?: number; type?: string }, _req: Request, res: Response, _next: NextFunction) => {
    if (err instanceof TurnError) {
      res.status(err.code === 'message_too_long' ? 413 : 400).json({ error: err.message, code: err.code });
      return;
    }
    if (err.type === 'entity.parse.failed') {
      res.status(400).json({ error: 'invalid JSON body' });
      return;
    }
    if (err.type === 'entity.too.large') {
      res.status(413).json({ error: 'request body too large' });
      return;
    }
    if (err.status && err.status >= 400 && err.status < 500) {
      res.status(err.status).json({ error: err.message });
      return;
    }
    process.stderr.write(`internal error: ${err.stack ?? err.message}\n`);
    res.status(500).json({ error: 'internal error' });
  });
  return app;
}
