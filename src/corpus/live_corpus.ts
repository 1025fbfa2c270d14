import { fork, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { corpusDbPath } from '../config.js';
import { inspectRuleTexts } from '../eligibility/load.js';
import type { Rule } from '../eligibility/schema.js';
import {
  buildKnowledgeIndex,
  embedderFactory,
  corpusHash,
  Glossary,
  loadCurrentIndex,
  parseDoc,
  parseGlossary,
  readManifest,
  type ParsedDoc,
  saveAndActivate,
  updateKnowledgeIndex,
  validateCorpus,
  type CorpusDoc,
  type EmbedderFactory,
  type GlossaryEntry,
  type KnowledgeIndex,
  type LoadedCorpus,
  type BuildProgress,
  type EmbeddingSettings,
  type Problem,
} from '../knowledge/index.js';
import { loadIndexFolderAsync } from '../knowledge/index_store.js';
import { docDigest } from '../knowledge/knowledge_index.js';
import { CorpusStore, type ChangeInput, type ItemKind, type ItemVersion } from '../store/index.js';
import type { ChildBuildMessage, ChildBuildRequest } from './index_build_child.js';
import { ParseCache } from './parse_cache.js';

export class CorpusChangeError extends Error {
  constructor(readonly problems: Problem[]) {
    super(`the change is invalid and was not applied: ${problems.map((p) => `${p.file} ${p.field}: ${p.message}`).join('; ')}`);
  }
}

export class NotFoundError extends Error {}

export interface LiveCorpusOptions {
  store: CorpusStore;
  /** The seed in git: imported on first start and whenever its files change. */
  knowledgeDir: string;
  dataDir: string;
  makeEmbedder: EmbedderFactory;
  seriesIds: Set<string>;
  log?: (message: string) => void;
  now?: () => Date;
  /**
   * Full builds in a child process (src/corpus/index_build_child.ts): always while serving, and at
   * start-up once the corpus has `minDocs` documents. The child reads the corpus from `corpusDb` (the
   * store's file) and rebuilds the embedder from `embedding`. Unset = every build in process.
   */
  background?: { corpusDb: string; embedding: EmbeddingSettings; minDocs: number };
}

export interface ChangeResult {
  written: ItemVersion[];
  revision: number;
  index: KnowledgeIndex;
}

/** A stored item's content and a tag that changes whenever it does (its version's revision, or a hash). */
interface StoredItem {
  readonly content: string;
  tag: string;
  /** A document read from the store when its content is asked for, not kept (see storedItem). */
  fromStore?: true;
}

/**
 * An item as the store holds it at a revision. A document's Markdown is read from the store each time it
 * is asked for: the live corpus keeps only what parsing it gave (a 100k-chunk corpus's documents are
 * about 80 MB of text, asked for again only to re-index a changed one or rebuild). Rules and glossary
 * files are small and kept.
 */
function storedItem(store: CorpusStore, kind: ItemKind, revision: number, content?: string): StoredItem {
  const tag = `r${revision}`;
  if (kind !== 'doc') return { content: content ?? readContent(store, revision), tag };
  return new StoredDocItem(store, revision, tag);
}

/** A stored document: a class, so its getter is shared rather than a closure per document. */
class StoredDocItem implements StoredItem {
  readonly fromStore = true as const;

  constructor(
    private readonly store: CorpusStore,
    private readonly revision: number,
    readonly tag: string,
  ) {}

  get content(): string {
    return readContent(this.store, this.revision);
  }
}

function readContent(store: CorpusStore, revision: number): string {
  const content = store.contentAt(revision);
  if (content === undefined) throw new Error(`the corpus store has no content at revision ${revision}`);
  return content;
}
type Items = Map<string, StoredItem>;

interface Snapshot {
  revision: number;
  /** The store's live items at `revision`, by "kind:id". */
  items: Items;
  docs: CorpusDoc[];
  glossary: GlossaryEntry[];
  rules: Rule[];
  ruleTexts: { file: string; text: string }[];
  glossaryTexts: { file: string; text: string }[];
  index: KnowledgeIndex;
}

/**
 * The corpus as it lives: versions in the store, validated with the same schemas as `kb validate`,
 * re-indexed incrementally and swapped in atomically. Changes run one at a time, so concurrent
 * edits are serialised and none is lost; a failed change changes nothing.
 */
export class LiveCorpus {
  private snapshot!: Snapshot;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly listeners = new Set<(index: KnowledgeIndex, rules: Rule[]) => void>();
  private readonly children = new Set<ChildProcess>();
  private closed = false;
  /** Parses kept on disk from the last start; used while opening, then let go. */
  private startupParses?: ParseCache;

  private constructor(private readonly options: LiveCorpusOptions) {}

  static async open(options: LiveCorpusOptions): Promise<LiveCorpus> {
    const live = new LiveCorpus(options);
    live.startupParses = new ParseCache(path.join(options.dataDir, 'cache', 'parsed-items.json'));
    let imported: ItemVersion[];
    try {
      imported = live.importSeed('seed');
    } catch (err) {
      // Instances sharing one store may import the same seed at once: the second sees the first's writes.
      const code = (err as { code?: unknown }).code;
      if (typeof code !== 'string' || !/^SQLITE_(BUSY|CONSTRAINT)/.test(code)) throw err;
      imported = live.importSeed('seed');
    }
    if (imported.length) options.log?.(`imported ${imported.length} changed item(s) from ${options.knowledgeDir}`);
    await live.loadFromStore();
    try {
      live.startupParses.save();
    } catch (err) {
      options.log?.(`could not save the parse cache (${(err as Error).message}); the next start parses the corpus again`);
    }
    live.startupParses = undefined;
    return live;
  }

  index(): KnowledgeIndex {
    return this.snapshot.index;
  }

  rules(): Rule[] {
    return this.snapshot.rules;
  }

  revision(): number {
    return this.snapshot.revision;
  }

  /** The store's latest revision: ahead of revision() while a change made elsewhere is being indexed. */
  storeRevision(): number {
    return this.options.store.revision();
  }

  docs(): CorpusDoc[] {
    return this.snapshot.docs;
  }

  store(): CorpusStore {
    return this.options.store;
  }

  onSwap(listener: (index: KnowledgeIndex, rules: Rule[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Check changes without applying them (the admin API's dry run). */
  validate(changes: ChangeInput[]): Problem[] {
    return this.prepare(changes).problems;
  }

  /** Validate, store, re-index and swap; serialised with every other change. */
  change(changes: ChangeInput[]): Promise<ChangeResult> {
    const run = this.queue.then(() => this.applyNow(changes));
    this.queue = run.catch(() => undefined);
    return run;
  }

  putDocument(markdown: string, author: string, summary: string, expectedId?: string): Promise<ChangeResult> {
    const { doc, problems } = parseDoc(markdown, expectedId ? `docs/${expectedId}.md` : 'docs/(new)');
    if (!doc) return Promise.reject(new CorpusChangeError(problems));
    if (expectedId && doc.id !== expectedId) {
      return Promise.reject(new CorpusChangeError([{ file: `docs/${expectedId}.md`, field: 'id', message: `is "${doc.id}" but the document being saved is "${expectedId}"` }]));
    }
    return this.change([{ kind: 'doc', id: doc.id, content: markdown, author, summary }]);
  }

  removeItem(kind: ItemKind, id: string, author: string, summary: string): Promise<ChangeResult> {
    const latest = this.options.store.latest(kind, id);
    if (!latest || latest.content === null) return Promise.reject(new NotFoundError(`no ${kind} "${id}"`));
    return this.change([{ kind, id, content: null, author, summary }]);
  }

  rollbackItem(kind: ItemKind, id: string, version: number, author: string): Promise<ChangeResult> {
    const target = this.options.store.version(kind, id, version);
    if (!target) return Promise.reject(new NotFoundError(`${kind} "${id}" has no version ${version}`));
    return this.change([{ kind, id, content: target.content, author, summary: `rollback to version ${version}`, action: 'rollback' }]);
  }

  /** Restore every item to its state at an earlier revision (each restored item gets a new version). */
  rollbackCorpus(revision: number, author: string): Promise<ChangeResult> {
    const store = this.options.store;
    if (revision < 1 || revision > store.revision()) return Promise.reject(new NotFoundError(`no revision ${revision}`));
    const then = new Map(store.current(undefined, revision).map((v) => [`${v.kind}:${v.id}`, v]));
    const now = store.current();
    const changes: ChangeInput[] = [];
    for (const v of now) {
      const old = then.get(`${v.kind}:${v.id}`);
      if (!old) changes.push({ kind: v.kind, id: v.id, content: null, author, summary: `corpus rollback to revision ${revision}`, action: 'rollback' });
      else if (old.content !== v.content) changes.push({ kind: v.kind, id: v.id, content: old.content, author, summary: `corpus rollback to revision ${revision}`, action: 'rollback' });
      then.delete(`${v.kind}:${v.id}`);
    }
    for (const old of then.values()) changes.push({ kind: old.kind, id: old.id, content: old.content, author, summary: `corpus rollback to revision ${revision}`, action: 'rollback' });
    return this.change(changes).then((result) => {
      store.auditEvent({ actor: author, action: 'corpus_rollback', kind: 'corpus', itemId: '*', version: revision, summary: `whole corpus rolled back to revision ${revision}` });
      return result;
    });
  }

  /** Import the seed files that changed since the last import (`mentor kb import`, and every start). */
  importSeed(author: string): ItemVersion[] {
    const store = this.options.store;
    const seed = readSeed(this.options.knowledgeDir);
    const changes: ChangeInput[] = [];
    for (const item of seed) {
      const hash = sha(item.content);
      if (store.seedHash(item.kind, item.id) === hash) continue;
      changes.push({ kind: item.kind, id: item.id, content: item.content, author, summary: `imported from ${this.options.knowledgeDir}`, action: 'import' });
    }
    const seedKeys = new Set(seed.map((s) => `${s.kind}:${s.id}`));
    for (const key of store.seededItems()) {
      if (!seedKeys.has(key)) {
        const [kind, ...rest] = key.split(':');
        changes.push({ kind: kind as ItemKind, id: rest.join(':'), content: null, author, summary: `removed from ${this.options.knowledgeDir}`, action: 'import' });
      }
    }
    if (changes.length === 0) return [];
    const { problems } = this.prepare(changes, { fromStoreOnly: true });
    if (problems.length) throw new CorpusChangeError(problems);
    const written = store.apply(changes, this.now());
    store.recordSeed(seed.map((s) => ({ kind: s.kind, id: s.id, hash: sha(s.content) })), [...store.seededItems()].filter((k) => !seedKeys.has(k)));
    return written;
  }

  /** Write the current corpus as files a reviewer can diff (`mentor kb export DIR`). */
  exportTo(dir: string): number {
    const items = this.options.store.current();
    for (const item of items) {
      const sub = item.kind === 'doc' ? 'docs' : item.kind === 'rules' ? 'rules' : 'glossary';
      const file = path.join(dir, sub, item.kind === 'doc' ? `${item.id}.md` : item.id);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, item.content!.endsWith('\n') ? item.content! : `${item.content}\n`);
    }
    return items.length;
  }

  /** A full rebuild from the store (compacts the tombstones of incremental updates); swapped in only when complete. */
  rebuild(onProgress?: (p: BuildProgress) => void): Promise<KnowledgeIndex> {
    const run = this.queue.then(async () => {
      const { docs, glossary, revision } = this.snapshot;
      const hash = corpusHash(docs, glossary, this.options.makeEmbedder(new Glossary(glossary)).id);
      const index = await this.fullBuild(docs, glossary, revision, hash, { serving: true, onProgress });
      // A child's build is already current on disk.
      if (index.manifest.buildId !== readManifest(this.options.dataDir)?.buildId) saveAndActivate(index, this.options.dataDir);
      this.snapshot = { ...this.snapshot, index };
      for (const listener of this.listeners) listener(index, this.snapshot.rules);
      return index;
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Pick up changes another process made to the store (the CLI, another instance). */
  sync(): Promise<boolean> {
    const run = this.queue.then(async () => {
      if (this.options.store.revision() === this.snapshot.revision) return false;
      const before = this.snapshot;
      await this.loadFromStore(before);
      return true;
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  private now(): Date {
    return this.options.now?.() ?? new Date();
  }

  private persistTimer?: NodeJS.Timeout;

  /**
   * Write the serving index to disk a moment after the last change. The store is the truth: an index
   * on disk that lags it (a crash before this runs) is seen as stale at start and rebuilt.
   */
  private schedulePersist(): void {
    if (this.persistTimer) clearTimeout(this.persistTimer);
    // A large corpus is saved by a child process (a fresh, compacted build from the store) once changes
    // settle: writing 100k chunks here would hold the event loop for seconds.
    const background = this.options.background;
    const large = background !== undefined && this.snapshot.docs.length >= background.minDocs;
    this.persistTimer = setTimeout(() => (large ? this.persistInBackground() : this.flush()), large ? BACKGROUND_SAVE_DELAY_MS : 1500);
    this.persistTimer.unref();
  }

  private persistInBackground(): void {
    this.persistTimer = undefined;
    if (this.closed) return;
    if (readManifest(this.options.dataDir)?.corpusHash === this.snapshot.index.manifest.corpusHash) return; // already on disk
    if (this.children.size) return this.schedulePersist(); // a build is running: later
    const revision = this.snapshot.revision;
    this.buildInChild(revision, undefined, { load: false }).then(
      () => this.options.log?.(`index for revision ${revision} saved by a child process`),
      (err: Error) => {
        if (!this.closed) this.options.log?.(`saving the index in the background failed (${err.message.split('\n')[0]}); it is saved at shutdown`);
      },
    );
  }

  /** Persist a pending index now (on shutdown). */
  flush(): void {
    if (this.persistTimer) clearTimeout(this.persistTimer);
    this.persistTimer = undefined;
    const index = this.snapshot?.index;
    if (index && index.manifest.corpusHash !== readManifest(this.options.dataDir)?.corpusHash) saveAndActivate(index, this.options.dataDir);
  }

  close(): void {
    this.closed = true;
    for (const child of this.children) child.kill();
    this.flush();
    this.options.store.close();
  }

  /**
   * A complete index of these documents: in a child process when configured (always while serving, at
   * start-up for a large corpus), otherwise here. A child that fails, or builds something other than
   * asked (its corpus hash differs), is logged and the build is done here instead.
   */
  private async fullBuild(
    docs: CorpusDoc[],
    glossary: GlossaryEntry[],
    revision: number,
    hash: string,
    options: { serving: boolean; onProgress?: (p: BuildProgress) => void },
  ): Promise<KnowledgeIndex> {
    const background = this.options.background;
    if (background && (options.serving || docs.length >= background.minDocs)) {
      try {
        const index = await this.buildInChild(revision, options.onProgress);
        if (index.manifest.corpusHash === hash) return index;
        this.options.log?.(`the index built in the background is for another corpus (${index.manifest.corpusHash.slice(0, 12)}, expected ${hash.slice(0, 12)}); building in process`);
      } catch (err) {
        if (this.closed) throw err;
        this.options.log?.(`background index build failed (${(err as Error).message.split('\n')[0]}); building in process`);
      }
    }
    return buildKnowledgeIndex(docs, glossary, this.options.makeEmbedder, { now: () => this.now(), onProgress: options.onProgress });
  }

  private buildInChild(revision: number, onProgress?: (p: BuildProgress) => void): Promise<KnowledgeIndex>;
  private buildInChild(revision: number, onProgress: ((p: BuildProgress) => void) | undefined, options: { load: false }): Promise<void>;
  private buildInChild(revision: number, onProgress?: (p: BuildProgress) => void, options: { load?: boolean } = {}): Promise<KnowledgeIndex | void> {
    const background = this.options.background!;
    // The child makes its build current on disk: a pending write of an older snapshot must not follow it.
    if (this.persistTimer) clearTimeout(this.persistTimer);
    this.persistTimer = undefined;
    const started = performance.now();
    return new Promise<KnowledgeIndex | void>((resolve, reject) => {
      const child = fork(CHILD_ENTRY, [], { execArgv: childExecArgv(), stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'json' });
      this.children.add(child);
      let result: ChildBuildMessage | undefined;
      child.on('message', (m: ChildBuildMessage) => {
        if (m.type === 'progress') onProgress?.({ phase: m.phase as BuildProgress['phase'], done: m.done, total: m.total });
        else result = m;
      });
      child.once('error', reject);
      child.once('exit', (code, signal) => {
        this.children.delete(child);
        if (result?.type === 'done' && options.load === false) resolve();
        else if (result?.type === 'done') {
          const done = result;
          loadIndexFolderAsync(done.folder, this.options.makeEmbedder).then((index) => {
            const seconds = ((performance.now() - started) / 1000).toFixed(1);
            this.options.log?.(`index for revision ${revision} built in a child process: ${index.manifest.chunkCount} chunks in ${seconds} s (child RSS ${done.rssMb} MB)`);
            resolve(index);
          }, reject);
        } else reject(new Error(result?.type === 'error' ? result.message : `the build process exited (${signal ?? `code ${code}`})`));
      });
      const request: ChildBuildRequest = { corpusDb: background.corpusDb, revision, dataDir: this.options.dataDir, embedding: background.embedding, now: this.now().toISOString() };
      child.send(request);
    });
  }

  private async applyNow(changes: ChangeInput[]): Promise<ChangeResult> {
    // Another process may have changed the store since this snapshot: catch up first.
    if (this.options.store.revision() !== this.snapshot.revision) await this.loadFromStore(this.snapshot);
    const { problems } = this.prepare(changes);
    if (problems.length) throw new CorpusChangeError(problems);
    const written = this.options.store.apply(changes, this.now());
    if (written.length) await this.loadFromStore(this.snapshot);
    return { written, revision: this.snapshot.revision, index: this.snapshot.index };
  }

  /** The candidate corpus after the changes, and the problems the changes introduce. */
  private prepare(changes: ChangeInput[], options: { fromStoreOnly?: boolean } = {}): { problems: Problem[] } {
    const current = this.currentItems().items;
    const before = assemble(current, this.options.seriesIds, this.startupParses);
    const items = new Map(current);
    for (const c of changes) {
      if (c.content === null) items.delete(`${c.kind}:${c.id}`);
      else items.set(`${c.kind}:${c.id}`, { content: c.content, tag: `s${sha(c.content)}` });
      if (c.kind === 'doc' && c.content !== null) {
        const { doc } = parseDoc(c.content, `docs/${c.id}.md`);
        if (doc && doc.id !== c.id) return { problems: [{ file: `docs/${c.id}.md`, field: 'id', message: `"${doc.id}" does not match the document id "${c.id}"` }] };
      }
      if (c.kind !== 'doc' && !/\.(ya?ml|json)$/i.test(c.id)) return { problems: [{ file: c.id, field: '(file)', message: 'rule and glossary files must end in .yaml, .yml or .json' }] };
    }
    const after = assemble(items, this.options.seriesIds, this.startupParses);
    const known = (list: Problem[]) => new Set(list.map(problemKey));
    const existing = options.fromStoreOnly ? new Set<string>() : known(before.problems);
    return { problems: after.problems.filter((p) => !existing.has(problemKey(p))) };
  }

  private async loadFromStore(previous?: Snapshot): Promise<void> {
    const { items, revision } = this.currentItems();
    const corpus = assemble(items, this.options.seriesIds, this.startupParses);
    let hashed: string | undefined;
    const hashOf = () => (hashed ??= corpusHash(corpus.docs, corpus.glossary, this.options.makeEmbedder(new Glossary(corpus.glossary)).id));

    let index: KnowledgeIndex | undefined;
    const sameGlossary = previous && JSON.stringify(previous.glossary) === JSON.stringify(corpus.glossary);
    if (previous && sameGlossary && previous.index.manifest.embedder === this.options.makeEmbedder(previous.index.glossary).id) {
      // What changed is known from the items' versions: no need to compare every document.
      const changed = new Set<string>();
      for (const [key, item] of items) if (key.startsWith('doc:') && previous.items.get(key)?.tag !== item.tag) changed.add(key.slice(4));
      const upsert = corpus.docs.filter((d) => changed.has(d.id));
      const ids = new Set(corpus.docs.map((d) => d.id));
      const remove = previous.docs.filter((d) => !ids.has(d.id)).map((d) => d.id);
      index = upsert.length || remove.length ? await updateKnowledgeIndex(previous.index, { upsert, remove, allDocs: corpus.docs }, this.now()) : previous.index;
    }
    if (!index) {
      const manifest = readManifest(this.options.dataDir);
      if (manifest?.corpusHash === hashOf()) {
        try {
          index = loadCurrentIndex(this.options.dataDir, this.options.makeEmbedder);
        } catch (err) {
          this.options.log?.(`index on disk unreadable (${(err as Error).message}); rebuilding`);
        }
      }
    }
    if (!index) {
      this.options.log?.(`building the index for revision ${revision} (${corpus.docs.length} documents)`);
      index = await this.fullBuild(corpus.docs, corpus.glossary, revision, hashOf(), { serving: Boolean(previous) });
    }
    if (!previous && index.manifest.corpusHash !== readManifest(this.options.dataDir)?.corpusHash) saveAndActivate(index, this.options.dataDir);

    this.snapshot = { revision, items, docs: corpus.docs, glossary: corpus.glossary, rules: corpus.rules, ruleTexts: corpus.ruleTexts, glossaryTexts: corpus.glossaryTexts, index };
    if (previous && index !== previous.index) this.schedulePersist();
    for (const listener of this.listeners) listener(index, corpus.rules);
  }

  /**
   * The store's live items: the snapshot's plus whatever was written since (one query for the
   * versions after the snapshot's revision), so a change to a 10k-document corpus does not read,
   * hash and parse all of it again. The snapshot's map is never modified.
   */
  private currentItems(): { items: Items; revision: number } {
    const store = this.options.store;
    const snap = this.snapshot as Snapshot | undefined;
    if (!snap) {
      // The revision first: items newer than it are simply applied again by the next catch-up.
      const revision = store.revision();
      return { items: new Map(store.currentRevisions().map((v) => [`${v.kind}:${v.id}`, storedItem(store, v.kind, v.revision)])), revision };
    }
    const delta = store.changedSince(snap.revision);
    if (delta.length === 0) return { items: snap.items, revision: snap.revision };
    const items = new Map(snap.items);
    for (const v of delta) {
      if (v.content === null) items.delete(`${v.kind}:${v.id}`);
      else items.set(`${v.kind}:${v.id}`, storedItem(store, v.kind, v.revision, v.content));
    }
    return { items, revision: delta[delta.length - 1].revision };
  }
}

/** Quiet time after the last change before a large corpus's index is saved by a child process. */
const BACKGROUND_SAVE_DELAY_MS = 20_000;

/** The child's module: run through tsx when this is the TypeScript source (tsx is a dependency). */
const CHILD_ENTRY = fileURLToPath(new URL(`./index_build_child${path.extname(fileURLToPath(import.meta.url)) || '.js'}`, import.meta.url));
const childExecArgv = (): string[] => (CHILD_ENTRY.endsWith('.ts') ? ['--import', pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href] : []);

/** The documents and glossary stored at a revision (for a build in another process). */
export function storedCorpus(store: CorpusStore, revision: number): { docs: CorpusDoc[]; glossary: GlossaryEntry[] } {
  const items: Items = new Map(store.current(undefined, revision).map((v) => [`${v.kind}:${v.id}`, { content: v.content!, tag: `r${v.revision}` }]));
  const { docs, glossary } = assemble(items, new Set());
  return { docs, glossary };
}

const problemKey = (p: Problem) => `${p.file}|${p.field}|${p.message}`;
const sha = (s: string) => crypto.createHash('sha256').update(s).digest('hex');

interface Assembled extends LoadedCorpus {
  rules: Rule[];
  ruleTexts: { file: string; text: string }[];
  glossaryTexts: { file: string; text: string }[];
}

/** Parsing YAML dominates a change, so each item's parse is kept by version (bounded well above a large corpus). */
const parseCache = new Map<string, unknown>();
function cached<T>(key: string, make: () => T): T {
  const hit = parseCache.get(key) as T | undefined;
  if (hit !== undefined) return hit;
  const value = make();
  if (parseCache.size > 50_000) parseCache.clear();
  parseCache.set(key, value);
  return value;
}

/**
 * parseDoc through the parse cache, which keeps the front matter and where the body starts rather than
 * the body itself: the body is in the stored content already, and the cache file stays small.
 */
function parseDocCached(item: StoredItem, file: string, parse: <T>(kind: string, input: string, make: () => T) => T): ParsedDoc {
  let inHand: string | undefined = item.content;
  const kept = parse(`doc:${file}`, inHand, () => {
    const { doc, problems, bodyStart } = parseDoc(inHand!, file);
    if (!doc) return { problems };
    const { body: _body, ...meta } = doc;
    return { meta, bodyStart: bodyStart!, problems };
  });
  if (!kept.meta) return { problems: kept.problems };
  if (!item.fromStore) return { doc: { ...kept.meta, body: inHand.slice(kept.bodyStart).trim() }, problems: kept.problems };
  // The body is read from the store when asked for; its digest for the corpus hash is taken now, while
  // the text is in hand, so hashing the corpus never reads it again.
  const doc = { ...kept.meta } as CorpusDoc;
  const source: BodySource = { item, bodyStart: kept.bodyStart, inHand };
  Object.defineProperty(doc, BODY_SOURCE, { value: source });
  Object.defineProperty(doc, 'body', STORED_BODY);
  docDigest(doc);
  source.inHand = inHand = undefined;
  return { doc, problems: kept.problems };
}

/** Where a stored document's body is: its item, where the body starts, and the text while in hand. */
interface BodySource {
  item: StoredItem;
  bodyStart: number;
  inHand?: string;
}
const BODY_SOURCE = Symbol('body source');

/**
 * A stored document's body as an own, enumerable accessor (spreading and serialising read it), its getter
 * one function for every document: a closure per document, and the distinct hidden class each gave,
 * took about 7 MB at 10k documents.
 */
const STORED_BODY: PropertyDescriptor = {
  get(this: { [BODY_SOURCE]: BodySource }) {
    const { item, bodyStart, inHand } = this[BODY_SOURCE];
    return (inHand ?? item.content).slice(bodyStart).trim();
  },
  enumerable: true,
};

/** Parses of stored documents, by item: the same version opened by another corpus (another store connection) is parsed again. */
const parsedItems = new WeakMap<StoredItem, ParsedDoc>();

/** The same order as localeCompare (default locale), at a fraction of the cost per comparison. */
const collator = new Intl.Collator();
/** The last assembly of each items map (a snapshot's map is assembled again by the next change's check). */
const assembled = new WeakMap<Items, Assembled>();

/** Turn stored items into a corpus and validate it with the same checks as `kb validate`. */
function assemble(items: Items, seriesIds: Set<string>, disk?: ParseCache): Assembled {
  const hit = assembled.get(items);
  if (hit && hit.seriesIds === seriesIds) return hit;
  const result = assembleNow(items, seriesIds, disk);
  assembled.set(items, result);
  return result;
}

function assembleNow(items: Items, seriesIds: Set<string>, disk?: ParseCache): Assembled {
  // The in-process cache first (by version tag, no hashing), then the one on disk from the last start.
  const parse = <T>(kind: string, input: string, make: () => T) => (disk ? disk.get(kind, input, make) : make());
  const problems: Problem[] = [];
  const docs: CorpusDoc[] = [];
  const glossary: GlossaryEntry[] = [];
  const ruleTexts: { file: string; text: string }[] = [];
  const glossaryTexts: { file: string; text: string }[] = [];
  for (const [key, item] of [...items.entries()].sort(([a], [b]) => collator.compare(a, b))) {
    const [kind, ...rest] = key.split(':');
    const id = rest.join(':');
    const hash = `${key}|${item.tag}`;
    if (kind === 'doc') {
      const make = () => parseDocCached(item, `docs/${id}.md`, parse);
      // A stored document's parse reads its body through this corpus's store: kept with the item itself.
      let parsed = item.fromStore ? parsedItems.get(item) : cached(hash, make);
      if (!parsed) parsedItems.set(item, (parsed = make()));
      problems.push(...parsed.problems);
      if (parsed.doc) docs.push(parsed.doc);
      continue;
    }
    const content = item.content;
    if (kind === 'glossary') {
      glossaryTexts.push({ file: id, text: content });
      const parsed = cached(hash, () => parse(`glossary:${id}`, content, () => parseGlossary(content, `glossary/${id}`)));
      glossary.push(...parsed.entries);
      problems.push(...parsed.problems);
    } else ruleTexts.push({ file: id, text: content });
  }
  const corpus: LoadedCorpus = { docs, glossary, seriesIds, problems };
  // Expired documents may stay in the store (retrieval filters them); everything else must hold.
  const all = validateCorpus(corpus, '0000-00-00').filter((p) => p.field !== 'effective_to' || !p.message.includes('in the past'));
  const docIds = docs.map((d) => d.id).sort().join(',');
  const ruleInput = ruleTexts.map((r) => `${r.file}\n${r.text}`).join('\u0000');
  const rules = cached(`rules|${sha(docIds)}|${sha(ruleInput)}`, () => parse('rules', `${docIds}\u0001${ruleInput}`, () => inspectRuleTexts(ruleTexts, new Set(docs.map((d) => d.id)))));
  all.push(...rules.problems.map((p) => ({ ...p, file: `rules/${p.file}` })));
  return { docs, glossary, seriesIds, problems: all, ruleTexts, glossaryTexts, rules: rules.rules };
}

/** The seed folder as store items: docs by id, rule and glossary files by file name. */
function readSeed(knowledgeDir: string): Array<{ kind: ItemKind; id: string; content: string }> {
  const out: Array<{ kind: ItemKind; id: string; content: string }> = [];
  const list = (dir: string, ext: RegExp) => (fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => ext.test(f)).sort() : []);
  for (const f of list(path.join(knowledgeDir, 'docs'), /\.md$/)) out.push({ kind: 'doc', id: f.replace(/\.md$/, ''), content: fs.readFileSync(path.join(knowledgeDir, 'docs', f), 'utf8') });
  for (const f of list(path.join(knowledgeDir, 'rules'), /\.(ya?ml|json)$/i)) out.push({ kind: 'rules', id: f, content: fs.readFileSync(path.join(knowledgeDir, 'rules', f), 'utf8') });
  for (const f of list(path.join(knowledgeDir, 'glossary'), /\.(ya?ml)$/i)) out.push({ kind: 'glossary', id: f, content: fs.readFileSync(path.join(knowledgeDir, 'glossary', f), 'utf8') });
  return out;
}

/** Open the live corpus from the configuration alone (for the CLI). */
export async function openLiveCorpus(
  config: { knowledgeDir: string; dataDir: string; CORPUS_DB?: string; OPENAI_API_KEY?: string; OPENAI_BASE_URL?: string; OPENAI_EMBEDDING_MODEL?: string; OPENAI_TIMEOUT_MS?: number },
  log?: (message: string) => void,
): Promise<LiveCorpus> {
  const file = path.join(config.knowledgeDir, 'series.json');
  const seriesIds = fs.existsSync(file) ? new Set((JSON.parse(fs.readFileSync(file, 'utf8')) as Array<{ id: string }>).map((s) => s.id)) : new Set<string>();
  return LiveCorpus.open({ store: new CorpusStore(corpusDbPath(config)), knowledgeDir: config.knowledgeDir, dataDir: config.dataDir, makeEmbedder: embedderFactory(config), seriesIds, log });
}
