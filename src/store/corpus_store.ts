import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';

/** What the corpus is made of: documents (Markdown), rule files (YAML) and glossary files (YAML). */
export type ItemKind = 'doc' | 'rules' | 'glossary';

export interface ItemVersion {
  /** Global revision: every change anywhere in the corpus gets the next number. */
  revision: number;
  kind: ItemKind;
  id: string;
  version: number;
  /** Null when this version deleted the item. */
  content: string | null;
  author: string;
  summary: string;
  at: string;
}

export interface AuditEntry {
  id: number;
  at: string;
  actor: string;
  action: 'create' | 'update' | 'delete' | 'rollback' | 'import' | 'corpus_rollback';
  kind: ItemKind | 'corpus';
  itemId: string;
  version: number | null;
  summary: string;
}

export interface ChangeInput {
  kind: ItemKind;
  id: string;
  /** New content, or null to delete. */
  content: string | null;
  author: string;
  summary: string;
  action?: AuditEntry['action'];
}

/**
 * The corpus with its history, in SQLite (WAL): every change is a new version with author, time and
 * summary, nothing is overwritten, and every change lands in the audit log in the same transaction.
 */
export class CorpusStore {
  private readonly db: Database.Database;
  private contentQuery?: Database.Statement;

  constructor(file: string) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    // FULL: an acknowledged change survives a power cut, not just a process kill.
    this.db.pragma('synchronous = FULL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS versions (
        revision INTEGER PRIMARY KEY AUTOINCREMENT,
        kind TEXT NOT NULL CHECK (kind IN ('doc', 'rules', 'glossary')),
        item_id TEXT NOT NULL,
        version INTEGER NOT NULL,
        content TEXT,
        author TEXT NOT NULL,
        summary TEXT NOT NULL,
        at TEXT NOT NULL,
        UNIQUE (kind, item_id, version)
      );
      CREATE TABLE IF NOT EXISTS seed_state (
        kind TEXT NOT NULL,
        item_id TEXT NOT NULL,
        hash TEXT NOT NULL,
        PRIMARY KEY (kind, item_id)
      );
      CREATE TABLE IF NOT EXISTS audit (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at TEXT NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        kind TEXT NOT NULL,
        item_id TEXT NOT NULL,
        version INTEGER,
        summary TEXT NOT NULL
      );
    `);
  }

  isEmpty(): boolean {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM versions').get() as { n: number }).n === 0;
  }

  /** The latest revision number: instances compare it to know they serve the same corpus. */
  revision(): number {
    return (this.db.prepare('SELECT COALESCE(MAX(revision), 0) AS r FROM versions').get() as { r: number }).r;
  }

  /** The live items (latest version not deleted), optionally as of an earlier revision. */
  current(kind?: ItemKind, asOfRevision?: number): ItemVersion[] {
    return (this.liveVersions('v.*', kind, asOfRevision) as Row[]).map(toVersion);
  }

  /** The live items' kinds, ids and revisions without their content (read with contentAt when needed). */
  currentRevisions(): Array<{ kind: ItemKind; id: string; revision: number }> {
    const rows = this.liveVersions('v.kind, v.item_id, v.revision') as Array<{ kind: ItemKind; item_id: string; revision: number }>;
    return rows.map((r) => ({ kind: r.kind, id: r.item_id, revision: r.revision }));
  }

  /** `columns` of each item's latest version as of a revision, deleted items left out. */
  private liveVersions(columns: string, kind?: ItemKind, asOfRevision = Number.MAX_SAFE_INTEGER): unknown[] {
    return this.db
      .prepare(
        `SELECT ${columns} FROM versions v
         JOIN (SELECT kind, item_id, MAX(revision) AS r FROM versions WHERE revision <= ? GROUP BY kind, item_id) latest
           ON latest.r = v.revision
         WHERE v.content IS NOT NULL ${kind ? 'AND v.kind = ?' : ''}
         ORDER BY v.kind, v.item_id`,
      )
      .all(...(kind ? [asOfRevision, kind] : [asOfRevision]));
  }

  /** The content a revision wrote (undefined for a deletion or a revision that does not exist). */
  contentAt(revision: number): string | undefined {
    // Compiled once: a start reads every stored document through here.
    this.contentQuery ??= this.db.prepare('SELECT content FROM versions WHERE revision = ?');
    const row = this.contentQuery.get(revision) as { content: string | null } | undefined;
    return row?.content ?? undefined;
  }

  /** Every version written after a revision, oldest first (what another instance or the CLI changed). */
  changedSince(revision: number): ItemVersion[] {
    return (this.db.prepare('SELECT * FROM versions WHERE revision > ? ORDER BY revision').all(revision) as Row[]).map(toVersion);
  }

  latest(kind: ItemKind, id: string): ItemVersion | undefined {
    const row = this.db.prepare('SELECT * FROM versions WHERE kind = ? AND item_id = ? ORDER BY version DESC LIMIT 1').get(kind, id) as Row | undefined;
    return row && toVersion(row);
  }

  history(kind: ItemKind, id: string): ItemVersion[] {
    return (this.db.prepare('SELECT * FROM versions WHERE kind = ? AND item_id = ? ORDER BY version').all(kind, id) as Row[]).map(toVersion);
  }

  version(kind: ItemKind, id: string, version: number): ItemVersion | undefined {
    const row = this.db.prepare('SELECT * FROM versions WHERE kind = ? AND item_id = ? AND version = ?').get(kind, id, version) as Row | undefined;
    return row && toVersion(row);
  }

  /**
   * Apply changes atomically: all land (each a new version, each audited) or none does. A change
   * that would not alter the item is skipped. Returns the versions written.
   */
  apply(changes: ChangeInput[], now = new Date()): ItemVersion[] {
    const at = now.toISOString();
    const insert = this.db.prepare('INSERT INTO versions (kind, item_id, version, content, author, summary, at) VALUES (?, ?, ?, ?, ?, ?, ?)');
    const audit = this.db.prepare('INSERT INTO audit (at, actor, action, kind, item_id, version, summary) VALUES (?, ?, ?, ?, ?, ?, ?)');
    const tx = this.db.transaction((list: ChangeInput[]) => {
      const written: ItemVersion[] = [];
      for (const c of list) {
        const previous = this.latest(c.kind, c.id);
        const previousContent = previous?.content ?? null;
        if (previousContent === c.content) continue;
        if (c.content === null && !previous) continue;
        const version = (previous?.version ?? 0) + 1;
        const info = insert.run(c.kind, c.id, version, c.content, c.author, c.summary, at);
        const action = c.action ?? (c.content === null ? 'delete' : previousContent === null ? 'create' : 'update');
        audit.run(at, c.author, action, c.kind, c.id, version, c.summary);
        written.push({ revision: Number(info.lastInsertRowid), kind: c.kind, id: c.id, version, content: c.content, author: c.author, summary: c.summary, at });
      }
      return written;
    });
    return tx(changes);
  }

  /** Hash of a seed file as last imported, so only files changed in git are imported again. */
  seedHash(kind: ItemKind, id: string): string | undefined {
    return (this.db.prepare('SELECT hash FROM seed_state WHERE kind = ? AND item_id = ?').get(kind, id) as { hash: string } | undefined)?.hash;
  }

  /** Items that came from the seed, as "kind:id". */
  seededItems(): Set<string> {
    return new Set((this.db.prepare('SELECT kind, item_id FROM seed_state').all() as Array<{ kind: string; item_id: string }>).map((r) => `${r.kind}:${r.item_id}`));
  }

  recordSeed(entries: Array<{ kind: ItemKind; id: string; hash: string }>, removed: string[]): void {
    const upsert = this.db.prepare('INSERT INTO seed_state (kind, item_id, hash) VALUES (?, ?, ?) ON CONFLICT(kind, item_id) DO UPDATE SET hash = excluded.hash');
    const drop = this.db.prepare('DELETE FROM seed_state WHERE kind = ? AND item_id = ?');
    this.db.transaction(() => {
      for (const e of entries) upsert.run(e.kind, e.id, e.hash);
      for (const key of removed) {
        const [kind, ...rest] = key.split(':');
        drop.run(kind, rest.join(':'));
      }
    })();
  }

  /** Record a corpus-wide event (a whole-corpus rollback) in the audit log. */
  auditEvent(entry: Omit<AuditEntry, 'id' | 'at'>, now = new Date()): void {
    this.db.prepare('INSERT INTO audit (at, actor, action, kind, item_id, version, summary) VALUES (?, ?, ?, ?, ?, ?, ?)').run(now.toISOString(), entry.actor, entry.action, entry.kind, entry.itemId, entry.version, entry.summary);
  }

  audit(options: { limit?: number; itemId?: string } = {}): AuditEntry[] {
    const rows = this.db
      .prepare(`SELECT * FROM audit ${options.itemId ? 'WHERE item_id = ?' : ''} ORDER BY id DESC LIMIT ?`)
      .all(...(options.itemId ? [options.itemId, options.limit ?? 1000] : [options.limit ?? 1000])) as Array<Record<string, unknown>>;
    return rows.map((r) => ({
      id: r.id as number,
      at: r.at as string,
      actor: r.actor as string,
      action: r.action as AuditEntry['action'],
      kind: r.kind as AuditEntry['kind'],
      itemId: r.item_id as string,
      version: (r.version as number | null) ?? null,
      summary: r.summary as string,
    }));
  }

  close(): void {
    this.db.close();
  }
}

interface Row {
  revision: number;
  kind: ItemKind;
  item_id: string;
  version: number;
  content: string | null;
  author: string;
  summary: string;
  at: string;
}

function toVersion(r: Row): ItemVersion {
  return { revision: r.revision, kind: r.kind, id: r.item_id, version: r.version, content: r.content, author: r.author, summary: r.summary, at: r.at };
}

/** The audit log as CSV (RFC 4180 quoting), for staff to open in a spreadsheet. */
export function auditToCsv(entries: AuditEntry[]): string {
  const quote = (v: unknown) => {
    const s = v === null || v === undefined ? '' : String(v);
    return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  const header = ['id', 'at', 'actor', 'action', 'kind', 'item_id', 'version', 'summary'];
  return [header.join(','), ...entries.map((e) => [e.id, e.at, e.actor, e.action, e.kind, e.itemId, e.version, e.summary].map(quote).join(','))].join('\r\n') + '\r\n';
}
