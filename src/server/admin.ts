import crypto from 'node:crypto';
import express, { type NextFunction, type Request, type Response } from 'express';
import { ipKeyGenerator } from 'express-rate-limit';
import { z } from 'zod';
import type { Config } from '../config.js';
import { CorpusChangeError, NotFoundError } from '../corpus/index.js';
import { parseDoc, retrieve } from '../knowledge/index.js';
import type { MentorService } from '../mentor/index.js';
import { auditToCsv, type ItemKind, type TranscriptRow } from '../store/index.js';
import { MemorySignInFailures, type SignInFailures } from './sign_in_failures.js';

export interface AdminRouterOptions {
  config: Config;
  /** The running service, or undefined while it starts (503). */
  service: () => MentorService | undefined;
  /** Failed sign-ins allowed per IP and window before 429. */
  maxFailures?: number;
  failureWindowMs?: number;
  /** Where failed sign-ins are counted (default: in this process; the workers of one `serve` share the primary's). */
  failures?: SignInFailures;
  /** A line for the operator (an error the API caught); stderr when not given. */
  log?: (line: string) => void;
}

const VersionBody = z.strictObject({ version: z.number().int().positive() });
const DocumentBody = z.strictObject({ markdown: z.string().min(1, 'must not be empty').max(500_000), summary: z.string().max(500).optional() });
const FileBody = z.strictObject({ content: z.string().min(1, 'must not be empty').max(2_000_000), summary: z.string().max(500).optional() });
const ValidateBody = z.union([
  z.strictObject({ markdown: z.string().min(1) }),
  z.strictObject({ kind: z.enum(['doc', 'rules', 'glossary']), id: z.string().min(1), content: z.string().min(1) }),
]);
const RevisionBody = z.strictObject({ revision: z.number().int().positive() });

const KINDS: Record<string, ItemKind> = { documents: 'doc', rules: 'rules', glossary: 'glossary' };

function sha256(s: string): Buffer {
  return crypto.createHash('sha256').update(s).digest();
}

/** Compare in constant time; hashing first makes the lengths equal too. */
export function tokenMatches(given: string, expected: string): boolean {
  return crypto.timingSafeEqual(sha256(given), sha256(expected));
}

class AdminError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

/**
 * The staff API: documents, rules and glossary with versions, rollback and audit; hit testing; and
 * conversation review. Off (404) unless ADMIN_TOKEN is set; a missing or wrong token is a 401, and
 * repeated failures from one address are slowed to 429.
 */
export function adminRouter(options: AdminRouterOptions): express.Router {
  const router = express.Router();
  const token = options.config.ADMIN_TOKEN;
  if (!token) {
    router.use((_req, res) => {
      res.status(404).json({ error: 'not found' });
    });
    return router;
  }

  // Failed sign-ins per address (IPv6 by /56, as express-rate-limit keys them). Only failures count:
  // express-rate-limit's skipSuccessfulRequests counts every request until it has finished, so a burst
  // of staff requests (or one slow upload) with the right token was answered 429. Once an address is
  // over the limit every request from it is 429 until the window ends, the right token too, so a
  // lucky guess cannot be told apart.
  const maxFailures = options.maxFailures ?? 20;
  const windowMs = options.failureWindowMs ?? 15 * 60_000;
  // Counted in this process in any case: when a shared count (the workers') cannot be had, this one still holds.
  const local = new MemorySignInFailures();
  const shared = options.failures;
  router.use(async (req, res, next) => {
    const key = ipKeyGenerator(req.ip ?? req.socket.remoteAddress ?? '');
    const seen = shared ? await shared.get(key).catch(() => local.peek(key)) : local.peek(key);
    if (seen && seen.count >= maxFailures) {
      res.status(429).set('Retry-After', String(Math.max(1, Math.ceil((seen.resetAt - Date.now()) / 1000)))).json({ error: 'too many failed sign-ins; wait and try again' });
      return;
    }
    const header = req.get('authorization') ?? '';
    const given = /^Bearer (.+)$/i.exec(header)?.[1] ?? '';
    if (!given || !tokenMatches(given, token)) {
      local.count(key, windowMs);
      await shared?.add(key, windowMs).catch(() => undefined);
      res.status(401).set('WWW-Authenticate', 'Bearer').json({ error: 'missing or wrong admin token' });
      return;
    }
    next();
  });
  router.use(express.json({ limit: '2mb' }));

  const service = (): MentorService => {
    const s = options.service();
    if (!s) throw new AdminError(503, 'the mentor is starting; try again in a moment');
    return s;
  };
  const author = (req: Request) => {
    let name = req.get('x-admin-user') ?? 'admin';
    // Header values are Latin-1, so a browser sends a name in Chinese percent-encoded (UTF-8).
    if (/%[0-9a-f]{2}/i.test(name)) {
      try {
        name = decodeURIComponent(name);
      } catch {
        // not percent-encoding after all: keep it as sent
      }
    }
    return name.slice(0, 80).replace(/[^\p{L}\p{N} ._@-]/gu, '') || 'admin';
  };
  const body = <T>(schema: z.ZodType<T>, req: Request): T => {
    const parsed = schema.safeParse(req.body);
    if (!parsed.success) throw new AdminError(400, 'invalid request', parsed.error.issues.map((i) => ({ field: i.path.join('.') || '-', message: i.message })));
    return parsed.data;
  };
  const wrap = (handler: (req: Request, res: Response) => unknown) => async (req: Request, res: Response, next: NextFunction) => {
    try {
      await handler(req, res);
    } catch (err) {
      next(err);
    }
  };

  router.get(
    '/documents',
    wrap((req, res) => {
      const s = service();
      const today = new Date().toISOString().slice(0, 10);
      const q = req.query as Record<string, string | undefined>;
      const docs = s.corpus
        .docs()
        .filter((d) => (!q.lang || d.lang === q.lang) && (!q.scope || d.scope === q.scope) && (!q.series || d.series.includes(q.series)))
        .map((d) => ({
          id: d.id,
          title: d.title,
          lang: d.lang,
          scope: d.scope,
          series: d.series,
          confidence: d.confidence ?? null,
          effectiveFrom: d.effective_from ?? null,
          effectiveTo: d.effective_to ?? null,
          expired: d.effective_to !== undefined && d.effective_to < today,
          version: s.corpus.store().latest('doc', d.id)?.version ?? null,
        }))
        .filter((d) => q.expired === undefined || String(d.expired) === q.expired);
      res.json({ revision: s.corpus.revision(), documents: docs });
    }),
  );

  // Documents, rules and glossary files share one shape: current content, history, put, delete, rollback.
  for (const [segment, kind] of Object.entries(KINDS)) {
    if (segment !== 'documents') {
      router.get(
        `/${segment}`,
        wrap((_req, res) => {
          const s = service();
          res.json({ revision: s.corpus.revision(), items: s.corpus.store().current(kind).map((v) => ({ id: v.id, version: v.version, at: v.at, author: v.author })) });
        }),
      );
    }
    router.get(
      `/${segment}/:id`,
      wrap((req, res) => {
        const s = service();
        const id = String(req.params.id);
        const history = s.corpus.store().history(kind, id);
        const current = history.at(-1);
        if (!current || current.content === null) throw new AdminError(404, `no ${kind} "${id}"`);
        const doc = kind === 'doc' ? parseDoc(current.content, `docs/${id}.md`).doc : undefined;
        res.json({
          id,
          kind,
          version: current.version,
          content: current.content,
          ...(doc ? { frontMatter: { ...doc, body: undefined, file: undefined } } : {}),
          history: history.map((v) => ({ version: v.version, revision: v.revision, at: v.at, author: v.author, summary: v.summary, deleted: v.content === null })),
        });
      }),
    );
    router.get(
      `/${segment}/:id/versions/:version`,
      wrap((req, res) => {
        const v = service().corpus.store().version(kind, String(req.params.id), Number(req.params.version));
        if (!v) throw new AdminError(404, 'no such version');
        res.json(v);
      }),
    );
    router.put(
      `/${segment}/:id`,
      wrap(async (req, res) => {
        const s = service();
        const id = String(req.params.id);
        const existed = Boolean(s.corpus.store().latest(kind, id)?.content);
        const result =
          kind === 'doc'
            ? await (() => {
                const b = body(DocumentBody, req);
                return s.corpus.putDocument(b.markdown, author(req), b.summary ?? (existed ? 'updated' : 'created'), id);
              })()
            : await (() => {
                const b = body(FileBody, req);
                return s.corpus.change([{ kind, id, content: b.content, author: author(req), summary: b.summary ?? (existed ? 'updated' : 'created') }]);
              })();
        const written = result.written[0];
        res.status(existed ? 200 : 201).json({ id, kind, version: written?.version ?? s.corpus.store().latest(kind, id)?.version, revision: result.revision, changed: Boolean(written) });
      }),
    );
    router.delete(
      `/${segment}/:id`,
      wrap(async (req, res) => {
        const result = await service().corpus.removeItem(kind, String(req.params.id), author(req), 'deleted through the admin API');
        res.json({ id: req.params.id, kind, version: result.written[0]?.version, revision: result.revision });
      }),
    );
    router.post(
      `/${segment}/:id/rollback`,
      wrap(async (req, res) => {
        const { version } = body(VersionBody, req);
        const result = await service().corpus.rollbackItem(kind, String(req.params.id), version, author(req));
        res.json({ id: req.params.id, kind, restored: version, version: result.written[0]?.version ?? null, revision: result.revision });
      }),
    );
  }

  router.post(
    '/validate',
    wrap((req, res) => {
      const b = body(ValidateBody, req);
      const s = service();
      let change;
      if ('markdown' in b) {
        const parsed = parseDoc(b.markdown, 'docs/(draft).md');
        if (!parsed.doc) {
          res.json({ valid: false, problems: parsed.problems });
          return;
        }
        change = { kind: 'doc' as const, id: parsed.doc.id, content: b.markdown };
      } else change = { kind: b.kind, id: b.id, content: b.content };
      const problems = s.corpus.validate([{ ...change, author: author(req), summary: 'dry run' }]);
      res.json({ valid: problems.length === 0, problems });
    }),
  );

  router.post(
    '/corpus/rollback',
    wrap(async (req, res) => {
      const { revision } = body(RevisionBody, req);
      const result = await service().corpus.rollbackCorpus(revision, author(req));
      res.json({ restored: revision, changed: result.written.length, revision: result.revision });
    }),
  );

  router.get(
    '/search',
    wrap(async (req, res) => {
      const q = String(req.query.q ?? '').trim();
      if (!q) throw new AdminError(400, 'invalid request', [{ field: 'q', message: 'is required' }]);
      const k = countParam(req.query.k, 5, 20);
      const lang = req.query.lang === 'en' || req.query.lang === 'zh' ? req.query.lang : /[\u3400-\u9fff]/.test(q) ? 'zh' : 'en';
      const result = await retrieve(service().index(), q, { k, lang });
      res.json({
        query: q,
        lang,
        concepts: result.concepts,
        inScopeMatch: result.inScopeMatch,
        chunks: result.chunks.map((r) => ({ docId: r.chunk.docId, chunkId: r.chunk.id, title: r.chunk.title, heading: r.chunk.headingPath.slice(1).join(' / '), lang: r.chunk.lang, score: r.score, why: r.why, text: r.chunk.text })),
      });
    }),
  );

  router.get(
    '/audit',
    wrap((req, res) => {
      const entries = service().corpus.store().audit({ limit: countParam(req.query.limit, 500, 10_000), itemId: req.query.item ? String(req.query.item) : undefined });
      if (req.query.format === 'csv') res.type('text/csv; charset=utf-8').set('Content-Disposition', 'attachment; filename="audit.csv"').send(auditToCsv(entries));
      else res.json({ entries });
    }),
  );

  const review = (rows: TranscriptRow[], req: Request, res: Response, name: string) => {
    const out = rows.map((r) => ({ id: r.id, at: r.at, sessionId: r.sessionId, channel: r.channel, lang: r.lang, intent: r.intent, question: r.userText, reply: r.replyText, vote: r.vote, unanswered: r.unanswered ?? false, fallback: r.fallback ?? null }));
    if (req.query.format === 'csv') res.type('text/csv; charset=utf-8').set('Content-Disposition', `attachment; filename="${name}.csv"`).send(rowsToCsv(out));
    else res.json({ turns: out });
  };
  const limit = (req: Request) => countParam(req.query.limit, 200, 5000);
  router.get('/transcripts', wrap((req, res) => review(service().store.recentTurns(limit(req)), req, res, 'transcripts')));
  router.get('/votes', wrap((req, res) => review(service().store.votedTurns(limit(req)), req, res, 'votes')));
  router.get('/unanswered', wrap((req, res) => review(service().store.unansweredTurns(limit(req)), req, res, 'unanswered')));

  router.use((_req, res) => {
    res.status(404).json({ error: 'not found' });
  });
  router.use((err: Error & { type?: string; status?: number }, _req: Request, res: Response, _next: NextFunction) => {
    if (err instanceof AdminError) res.status(err.status).json({ error: err.message, ...(err.details ? { details: err.details } : {}) });
    else if (err instanceof CorpusChangeError) res.status(422).json({ error: 'the change is invalid; nothing was changed', problems: err.problems });
    else if (err instanceof NotFoundError) res.status(404).json({ error: err.message });
    else if (err.type === 'entity.parse.failed') res.status(400).json({ error: 'invalid JSON body' });
    else if (err.type === 'entity.too.large') res.status(413).json({ error: 'request body too large' });
    else if (err.status && err.status >= 400 && err.status < 500) res.status(err.status).json({ error: err.message });
    else {
      (options.log ?? ((line: string) => process.stderr.write(`${line}\n`)))(`admin error: ${err.stack ?? err.message}`);
      res.status(500).json({ error: 'internal error' });
    }
  });
  return router;
}

/** A count from the query string (limit, k): a whole number from 1 to `max`, else the default. */
function countParam(value: unknown, fallback: number, max: number): number {
  const n = Math.floor(Number(value ?? fallback));
  return Number.isFinite(n) && n >= 1 ? Math.min(max, n) : fallback;
}

function rowsToCsv(rows: Array<Record<string, unknown>>): string {
  if (rows.length === 0) return '';
  const header = Object.keys(rows[0]);
  const quote = (v: unknown) => {
    const s = v === null || v === undefined ? '' : String(v);
    return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return [header.join(','), ...rows.map((r) => header.map((h) => quote(r[h])).join(','))].join('\r\n') + '\r\n';
}
