import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { inspectRuleTexts, type Rule } from '../eligibility/index.js';
import {
  buildKnowledgeIndex,
  embedderFactory,
  corpusHash,
  Glossary,
  loadCurrentIndex,
  parseDoc,
  parseGlossary,
  readManifest,
  saveAndActivate,
  updateKnowledgeIndex,
  validateCorpus,
  type CorpusDoc,
  type EmbedderFactory,
  type GlossaryEntry,
  type KnowledgeIndex,
  type LoadedCorpus,
  type BuildProgress,
  type Problem,
} from '../knowledge/index.js';
import { CorpusStore, type ChangeInput, type ItemKind, type ItemVersion } from '../store/index.js';

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
}

export interface ChangeResult {
  written: ItemVersion[];
  revision: number;
  index: KnowledgeIndex;
}

interface Snapshot {
  revision: number;
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

  private constructor(private readonly options: LiveCorpusOptions) {}

  static async open(options: LiveCorpusOptions): Promise<LiveCorpus> {
    const live = new LiveCorpus(options);
    const imported = live.importSeed('seed');
    if (imported.length) options.log?.(`imported ${imported.length} changed item(s) from ${options.knowledgeDir}`);
    await live.loadFromStore();
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
      const index = await buildKnowledgeIndex(this.snapshot.docs, this.snapshot.glossary, this.options.makeEmbedder, { now: () => this.now(), onProgress });
      saveAndActivate(index, this.options.dataDir);
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
    this.persistTimer = setTimeout(() => this.flush(), 1500);
    this.persistTimer.unref();
  }

  /** Persist a pending index now (on shutdown). */
  flush(): void {
    if (this.persistTimer) clearTimeout(this.persistTimer);
    this.persistTimer = undefined;
    const index = this.snapshot?.index;
    if (index && index.manifest.corpusHash !== readManifest(this.options.dataDir)?.corpusHash) saveAndActivate(index, this.options.dataDir);
  }

  close(): void {
    this.flush();
    this.options.store.close();
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
    const items = new Map(this.options.store.current().map((v) => [`${v.kind}:${v.id}`, v.content!]));
    const before = assemble(items, this.options.seriesIds);
    for (const c of changes) {
      if (c.content === null) items.delete(`${c.kind}:${c.id}`);
      else items.set(`${c.kind}:${c.id}`, c.content);
      if (c.kind === 'doc' && c.content !== null) {
        const { doc } = parseDoc(c.content, `docs/${c.id}.md`);
        if (doc && doc.id !== c.id) return { problems: [{ file: `docs/${c.id}.md`, field: 'id', message: `"${doc.id}" does not match the document id "${c.id}"` }] };
      }
      if (c.kind !== 'doc' && !/\.(ya?ml|json)$/i.test(c.id)) return { problems: [{ file: c.id, field: '(file)', message: 'rule and glossary files must end in .yaml, .yml or .json' }] };
    }
    const after = assemble(items, this.options.seriesIds);
    const known = (list: Problem[]) => new Set(list.map(problemKey));
    const existing = options.fromStoreOnly ? new Set<string>() : known(before.problems);
    return { problems: after.problems.filter((p) => !existing.has(problemKey(p))) };
  }

  private async loadFromStore(previous?: Snapshot): Promise<void> {
    const store = this.options.store;
    const revision = store.revision();
    const items = new Map(store.current().map((v) => [`${v.kind}:${v.id}`, v.content!]));
    const corpus = assemble(items, this.options.seriesIds);
    const hash = corpusHash(corpus.docs, corpus.glossary, this.options.makeEmbedder(new Glossary(corpus.glossary)).id);

    let index: KnowledgeIndex | undefined;
    const sameGlossary = previous && JSON.stringify(previous.glossary) === JSON.stringify(corpus.glossary);
    if (previous && sameGlossary && previous.index.manifest.embedder === this.options.makeEmbedder(previous.index.glossary).id) {
      const oldById = new Map(previous.docs.map((d) => [d.id, JSON.stringify(d)]));
      const upsert = corpus.docs.filter((d) => oldById.get(d.id) !== JSON.stringify(d));
      const ids = new Set(corpus.docs.map((d) => d.id));
      const remove = previous.docs.filter((d) => !ids.has(d.id)).map((d) => d.id);
      index = upsert.length || remove.length ? await updateKnowledgeIndex(previous.index, { upsert, remove, allDocs: corpus.docs }, this.now()) : previous.index;
    }
    if (!index) {
      const manifest = readManifest(this.options.dataDir);
      if (manifest?.corpusHash === hash) {
        try {
          index = loadCurrentIndex(this.options.dataDir, this.options.makeEmbedder);
        } catch (err) {
          this.options.log?.(`index on disk unreadable (${(err as Error).message}); rebuilding`);
        }
      }
    }
    if (!index) {
      this.options.log?.(`building the index for revision ${revision} (${corpus.docs.length} documents)`);
      index = await buildKnowledgeIndex(corpus.docs, corpus.glossary, this.options.makeEmbedder, { now: () => this.now() });
    }
    if (previous) this.schedulePersist();
    else if (index.manifest.corpusHash !== readManifest(this.options.dataDir)?.corpusHash) saveAndActivate(index, this.options.dataDir);

    this.snapshot = { revision, docs: corpus.docs, glossary: corpus.glossary, rules: corpus.rules, ruleTexts: corpus.ruleTexts, glossaryTexts: corpus.glossaryTexts, index };
    for (const listener of this.listeners) listener(index, corpus.rules);
  }
}

const problemKey = (p: Problem) => `${p.file}|${p.field}|${p.message}`;
const sha = (s: string) => crypto.createHash('sha256').update(s).digest('hex');

interface Assembled extends LoadedCorpus {
  rules: Rule[];
  ruleTexts: { file: string; text: string }[];
  glossaryTexts: { file: string; text: string }[];
}

/** Parsing YAML dominates a change, so each item's parse is kept by content (bounded). */
const parseCache = new Map<string, unknown>();
function cached<T>(key: string, make: () => T): T {
  const hit = parseCache.get(key) as T | undefined;
  if (hit !== undefined) return hit;
  const value = make();
  if (parseCache.size > 5000) parseCache.clear();
  parseCache.set(key, value);
  return value;
}

/** Turn stored items into a corpus and validate it with the same checks as `kb validate`. */
function assemble(items: Map<string, string>, seriesIds: Set<string>): Assembled {
  const problems: Problem[] = [];
  const docs: CorpusDoc[] = [];
  const glossary: GlossaryEntry[] = [];
  const ruleTexts: { file: string; text: string }[] = [];
  const glossaryTexts: { file: string; text: string }[] = [];
  for (const [key, content] of [...items.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    const [kind, ...rest] = key.split(':');
    const id = rest.join(':');
    const hash = `${key}|${sha(content)}`;
    if (kind === 'doc') {
      const parsed = cached(hash, () => parseDoc(content, `docs/${id}.md`));
      problems.push(...parsed.problems);
      if (parsed.doc) docs.push(parsed.doc);
    } else if (kind === 'glossary') {
      glossaryTexts.push({ file: id, text: content });
      const parsed = cached(hash, () => parseGlossary(content, `glossary/${id}`));
      glossary.push(...parsed.entries);
      problems.push(...parsed.problems);
    } else ruleTexts.push({ file: id, text: content });
  }
  const corpus: LoadedCorpus = { docs, glossary, seriesIds, problems };
  // Expired documents may stay in the store (retrieval filters them); everything else must hold.
  const all = validateCorpus(corpus, '0000-00-00').filter((p) => p.field !== 'effective_to' || !p.message.includes('in the past'));
  const docIds = docs.map((d) => d.id).sort().join(',');
  const rules = cached(`rules|${sha(docIds)}|${sha(ruleTexts.map((r) => `${r.file}\n${r.text}`).join('\u0000'))}`, () => inspectRuleTexts(ruleTexts, new Set(docs.map((d) => d.id))));
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
  config: { knowledgeDir: string; dataDir: string; OPENAI_API_KEY?: string; OPENAI_BASE_URL?: string; OPENAI_EMBEDDING_MODEL?: string; OPENAI_TIMEOUT_MS?: number },
  log?: (message: string) => void,
): Promise<LiveCorpus> {
  const file = path.join(config.knowledgeDir, 'series.json');
  const seriesIds = fs.existsSync(file) ? new Set((JSON.parse(fs.readFileSync(file, 'utf8')) as Array<{ id: string }>).map((s) => s.id)) : new Set<string>();
  return LiveCorpus.open({ store: new CorpusStore(path.join(config.dataDir, 'corpus.sqlite')), knowledgeDir: config.knowledgeDir, dataDir: config.dataDir, makeEmbedder: embedderFactory(config), seriesIds, log });
}
