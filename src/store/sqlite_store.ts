import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { StoreError } from './errors.js';
import type { SessionStore } from './session_store.js';

export interface StoredTurn {
  sessionId: string;
  channel: string;
  /** Already PII-masked by the caller. */
  userText: string;
  replyText: string;
  intent: string;
  lang: string;
  citations: unknown;
  /** What decided an eligibility check (EligibilityRecord), not the whole result. */
  eligibility?: unknown;
  fallback?: string;
  latencyMs: number;
  /** The mentor had no answer in its corpus (a question for staff to cover). */
  unanswered?: boolean;
}

export interface TranscriptRow extends StoredTurn {
  id: number;
  at: string;
  vote: 'up' | 'down' | null;
}

export interface SqliteStoreOptions {
  /** How long a statement waits for another connection's lock before SQLITE_BUSY (milliseconds). */
  busyTimeoutMs?: number;
}

/**
 * A failure of the database itself (SQLite busy, full, read-only, I/O; Redis down, slow or refusing),
 * as opposed to a bug in the caller. `fallback`: what a failed read can answer instead, if anything.
 */
export function isStoreFailure(err: unknown): err is Error & { code: string; fallback?: unknown } {
  return err instanceof Database.SqliteError || err instanceof StoreError;
}

/** Sessions and transcripts in one SQLite file (WAL), so a restart keeps every conversation. */
export class SqliteStore implements SessionStore {
  private readonly db: Database.Database;

  constructor(file: string, options: SqliteStoreOptions = {}) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma(`busy_timeout = ${Math.max(0, Math.floor(options.busyTimeoutMs ?? 2000))}`);
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS sessions (
        id TEXT PRIMARY KEY,
        state TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
      CREATE TABLE IF NOT EXISTS turns (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        session_id TEXT NOT NULL,
        at TEXT NOT NULL,
        channel TEXT NOT NULL,
        user_text TEXT NOT NULL,
        reply_text TEXT NOT NULL,
        intent TEXT NOT NULL,
        lang TEXT NOT NULL,
        citations TEXT NOT NULL,
        eligibility TEXT,
        fallback TEXT,
        latency_ms REAL NOT NULL,
        vote TEXT CHECK (vote IN ('up', 'down')),
        unanswered INTEGER NOT NULL DEFAULT 0
      );
      CREATE INDEX IF NOT EXISTS turns_session ON turns(session_id, id);
    `);
    // Files made before the unanswered column existed get it added.
    const columns = (this.db.prepare('PRAGMA table_info(turns)').all() as Array<{ name: string }>).map((c) => c.name);
    if (!columns.includes('unanswered')) this.db.exec('ALTER TABLE turns ADD COLUMN unanswered INTEGER NOT NULL DEFAULT 0');
  }

  /** Statements are compiled once per connection (preparing one cost more than running it on the chat path). */
  private readonly statements = new Map<string, Database.Statement>();
  private prepared(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (!statement) this.statements.set(sql, (statement = this.db.prepare(sql)));
    return statement;
  }

  getSession<T>(id: string): T | undefined {
    const row = this.prepared('SELECT state FROM sessions WHERE id = ?').get(id) as { state: string } | undefined;
    return row ? (JSON.parse(row.state) as T) : undefined;
  }

  saveSession(id: string, state: unknown, now = new Date()): void {
    this.prepared('INSERT INTO sessions (id, state, updated_at) VALUES (?, ?, ?) ON CONFLICT(id) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at')
      .run(id, JSON.stringify(state), now.toISOString());
  }

  /** Forget sessions idle for longer than the TTL; their transcripts stay for review. */
  expireSessions(ttlHours: number, now = new Date()): number {
    const cutoff = new Date(now.getTime() - ttlHours * 3600_000).toISOString();
    return this.prepared('DELETE FROM sessions WHERE updated_at < ?').run(cutoff).changes;
  }

  /** SessionStore: the same as expireSessions. */
  expire(ttlHours: number, now = new Date()): number {
    return this.expireSessions(ttlHours, now);
  }

  sessionUpdatedAt(id: string): string | undefined {
    return (this.prepared('SELECT updated_at FROM sessions WHERE id = ?').get(id) as { updated_at: string } | undefined)?.updated_at;
  }

  appendTurn(turn: StoredTurn, now = new Date()): number {
    const info = this.prepared(
      `INSERT INTO turns (session_id, at, channel, user_text, reply_text, intent, lang, citations, eligibility, fallback, latency_ms, unanswered)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      turn.sessionId,
      now.toISOString(),
      turn.channel,
      turn.userText,
      turn.replyText,
      turn.intent,
      turn.lang,
      JSON.stringify(turn.citations ?? []),
      turn.eligibility === undefined ? null : JSON.stringify(turn.eligibility),
      turn.fallback ?? null,
      turn.latencyMs,
      turn.unanswered ? 1 : 0,
    );
    return Number(info.lastInsertRowid);
  }

  /** Thumbs up or down on one turn of a session; false when the turn is not in that session. */
  vote(sessionId: string, turnId: number, vote: 'up' | 'down'): boolean {
    return this.prepared('UPDATE turns SET vote = ? WHERE id = ? AND session_id = ?').run(vote, turnId, sessionId).changes === 1;
  }

  transcript(sessionId: string): TranscriptRow[] {
    const rows = this.prepared('SELECT * FROM turns WHERE session_id = ? ORDER BY id').all(sessionId) as Array<Record<string, unknown>>;
    return rows.map(toTranscriptRow);
  }

  /** Questions the mentor could not answer from its corpus, newest first. */
  unansweredTurns(limit = 200): TranscriptRow[] {
    const rows = this.prepared('SELECT * FROM turns WHERE unanswered = 1 ORDER BY id DESC LIMIT ?').all(limit) as Array<Record<string, unknown>>;
    return rows.map(toTranscriptRow);
  }

  /** Turns that got a thumbs up or down, newest first. */
  votedTurns(limit = 200): TranscriptRow[] {
    const rows = this.prepared('SELECT * FROM turns WHERE vote IS NOT NULL ORDER BY id DESC LIMIT ?').all(limit) as Array<Record<string, unknown>>;
    return rows.map(toTranscriptRow);
  }

  recentTurns(limit = 100): TranscriptRow[] {
    const rows = this.prepared('SELECT * FROM turns ORDER BY id DESC LIMIT ?').all(limit) as Array<Record<string, unknown>>;
    return rows.map(toTranscriptRow);
  }

  close(): void {
    this.db.close();
  }
}

function toTranscriptRow(r: Record<string, unknown>): TranscriptRow {
  return {
    id: r.id as number,
    at: r.at as string,
    sessionId: r.session_id as string,
    channel: r.channel as string,
    userText: r.user_text as string,
    replyText: r.reply_text as string,
    intent: r.intent as string,
    lang: r.lang as string,
    citations: JSON.parse(r.citations as string),
    eligibility: r.eligibility ? JSON.parse(r.eligibility as string) : undefined,
    fallback: (r.fallback as string | null) ?? undefined,
    latencyMs: r.latency_ms as number,
    vote: (r.vote as 'up' | 'down' | null) ?? null,
    unanswered: r.unanswered === 1,
  };
}
