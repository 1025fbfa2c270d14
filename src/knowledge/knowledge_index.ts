import crypto from 'node:crypto';
import hnswlib from 'hnswlib-node';
import { Bm25Index } from './bm25.js';
import { chunkDocument, type Chunk } from './chunker.js';
import { HashedEmbedder, type Embedder } from './embedder.js';
import { Glossary } from './glossary.js';
import type { CorpusDoc, GlossaryEntry } from './schema.js';
import { addSegmenterWords, tokenize } from './text.js';

const { HierarchicalNSW } = hnswlib;
type Hnsw = InstanceType<typeof HierarchicalNSW>;

/** Bumped whenever chunking or tokenisation changes, so old indexes are seen as stale. */
export const INDEX_FORMAT = 'tm-index-v2';

export const HNSW_PARAMS = { m: 16, efConstruction: 100, efSearch: 64 } as const;

/** Progress is reported every this many chunks within a phase. */
const PROGRESS_EVERY = 5000;

export interface IndexManifest {
  format: string;
  buildId: string;
  builtAt: string;
  corpusHash: string;
  embedder: string;
  dim: number;
  docCount: number;
  chunkCount: number;
}

/** What the mentor needs to know of a document without reading it. */
export interface DocInfo {
  id: string;
  title: string;
  lang: CorpusDoc['lang'];
  scope: CorpusDoc['scope'];
  translationOf?: string;
  url?: string;
  confidence?: CorpusDoc['confidence'];
}

/** One searchable snapshot of the corpus: chunks, their BM25 postings and their HNSW vectors. */
export class KnowledgeIndex {
  /** doc id → its translation's doc id, both directions. */
  readonly translations = new Map<string, string>();
  readonly docs = new Map<string, DocInfo>();
  readonly chunksByDoc = new Map<string, number[]>();

  constructor(
    readonly manifest: IndexManifest,
    /** Append-only between full builds: a changed document's old chunks stay as tombstones in `deleted`. */
    readonly chunks: Chunk[],
    readonly bm25: Bm25Index,
    readonly vectors: Hnsw,
    readonly glossary: Glossary,
    readonly glossaryEntries: GlossaryEntry[],
    readonly embedder: Embedder,
    docInfos: DocInfo[],
    readonly deleted: ReadonlySet<number> = new Set(),
    /** Lexical terms per chunk, kept so an incremental update re-tokenises only what changed. */
    private lexicalCache?: string[][],
  ) {
    for (const d of docInfos) {
      this.docs.set(d.id, d);
      if (d.translationOf) {
        this.translations.set(d.id, d.translationOf);
        if (!this.translations.has(d.translationOf)) this.translations.set(d.translationOf, d.id);
      }
    }
    chunks.forEach((c, i) => {
      if (deleted.has(i)) return;
      const list = this.chunksByDoc.get(c.docId) ?? [];
      list.push(i);
      this.chunksByDoc.set(c.docId, list);
    });
    vectors.setEf(Math.max(HNSW_PARAMS.efSearch, 10));
  }

  /** A chunk that retrieval may return: present in this snapshot and not replaced since. */
  isLive(i: number): boolean {
    return i >= 0 && i < this.chunks.length && !this.deleted.has(i);
  }

  lexicalTerms(): string[][] {
    this.lexicalCache ??= this.chunks.map((c, i) => (this.deleted.has(i) ? [] : lexicalTerms(searchableText(c), this.glossary)));
    return this.lexicalCache;
  }
}

export function docInfoOf(doc: CorpusDoc): DocInfo {
  return { id: doc.id, title: doc.title, lang: doc.lang, scope: doc.scope, translationOf: doc.translation_of, url: doc.source_url, confidence: doc.confidence };
}

/** Text a chunk is searched by: its title and heading path carry the topic its sentences assume. */
export function searchableText(c: Pick<Chunk, 'title' | 'headingPath' | 'text'>): string {
  return `${c.title}\n${c.headingPath.join(' / ')}\n${c.text}`;
}

/** Lexical terms of a text: words plus a `§concept` token per glossary concept, shared by zh and en. */
// buildKnowledgeIndex inlines this to reuse the glossary matches; keep the two in step.
export function lexicalTerms(text: string, glossary: Glossary): string[] {
  return [...tokenize(text), ...glossary.match(text).map((m) => `§${m.conceptId}`)];
}

export function corpusHash(docs: CorpusDoc[], glossary: GlossaryEntry[], embedderId: string): string {
  const h = crypto.createHash('sha256');
  h.update(`${INDEX_FORMAT}\n${embedderId}\n`);
  for (const d of [...docs].sort((a, b) => a.id.localeCompare(b.id))) {
    const { file: _file, ...rest } = d;
    h.update(JSON.stringify(rest));
    h.update('\n');
  }
  h.update(JSON.stringify(glossary));
  return h.digest('hex');
}

export interface BuildProgress {
  phase: 'chunk' | 'lexical' | 'embed' | 'vectors';
  done: number;
  total: number;
}

export interface BuildOptions {
  onProgress?: (p: BuildProgress) => void;
  buildId?: string;
  now?: () => Date;
  /** Batch size for embedding calls (a remote embedder is called once per batch). */
  embedBatch?: number;
}

/** Build an index in memory. Throws on any failure; callers swap it in only when it returns. */
export async function buildKnowledgeIndex(
  docs: CorpusDoc[],
  glossaryEntries: GlossaryEntry[],
  makeEmbedder: (glossary: Glossary) => Embedder,
  options: BuildOptions = {},
): Promise<KnowledgeIndex> {
  const report = options.onProgress ?? (() => {});
  const glossary = new Glossary(glossaryEntries);
  const embedder = makeEmbedder(glossary);
  addSegmenterWords(glossary.chineseTerms());
  const chunks = docs.flatMap((d) => chunkDocument(d));
  report({ phase: 'chunk', done: chunks.length, total: chunks.length });

  // Each chunk's text and glossary concepts are worked out once, for BM25 and for the hashed embedder.
  const texts = chunks.map(searchableText);
  const concepts = texts.map((t) => glossary.match(t));
  const lexical = texts.map((t, i) => {
    if (i > 0 && i % PROGRESS_EVERY === 0) report({ phase: 'lexical', done: i, total: chunks.length });
    return [...tokenize(t), ...concepts[i].map((m) => `§${m.conceptId}`)];
  });
  const bm25 = Bm25Index.build(lexical);
  report({ phase: 'lexical', done: chunks.length, total: chunks.length });

  const batch = options.embedBatch ?? 256;
  const hashed = embedder instanceof HashedEmbedder ? embedder : undefined;
  const vectors: number[][] = [];
  for (let i = 0; i < chunks.length; i += batch) {
    const end = Math.min(i + batch, chunks.length);
    if (hashed) for (let j = i; j < end; j++) vectors.push(hashed.embedOne(texts[j], concepts[j]));
    else vectors.push(...(await embedder.embed(texts.slice(i, end))));
    report({ phase: 'embed', done: end, total: chunks.length });
  }
  const dim = vectors[0]?.length ?? embedder.dim;
  const hnsw = new HierarchicalNSW('cosine', dim);
  hnsw.initIndex({ maxElements: Math.max(chunks.length, 1), m: HNSW_PARAMS.m, efConstruction: HNSW_PARAMS.efConstruction, randomSeed: 100, allowReplaceDeleted: true });
  vectors.forEach((v, i) => {
    hnsw.addPoint(v, i);
    if ((i + 1) % PROGRESS_EVERY === 0 || i + 1 === vectors.length) report({ phase: 'vectors', done: i + 1, total: vectors.length });
  });

  const now = options.now?.() ?? new Date();
  const manifest: IndexManifest = {
    format: INDEX_FORMAT,
    buildId: options.buildId ?? `${now.toISOString().replace(/[-:.TZ]/g, '')}-${crypto.randomBytes(3).toString('hex')}`,
    builtAt: now.toISOString(),
    corpusHash: corpusHash(docs, glossaryEntries, embedder.id),
    embedder: embedder.id,
    dim,
    docCount: docs.length,
    chunkCount: chunks.length,
  };
  // The per-chunk terms are not kept: updates merge BM25 postings instead (they would be ~100 MB at 100k chunks).
  return new KnowledgeIndex(manifest, chunks, bm25, hnsw, glossary, glossaryEntries, embedder, docs.map(docInfoOf), new Set());
}

export interface DocChanges {
  /** New or changed documents. */
  upsert: CorpusDoc[];
  /** Ids of deleted documents. */
  remove: string[];
  /** The whole corpus after the change, for the manifest's hash. */
  allDocs: CorpusDoc[];
}

/**
 * Re-index only what changed: the changed documents' chunks are appended (new HNSW labels), their old
 * chunks become tombstones, and BM25 is rebuilt from the cached terms. Returns a new snapshot; the
 * caller swaps it in, so a question sees either the old corpus or the new one, never half of each.
 */
export async function updateKnowledgeIndex(previous: KnowledgeIndex, changes: DocChanges, now = new Date()): Promise<KnowledgeIndex> {
  const replaced = new Set([...changes.remove, ...changes.upsert.map((d) => d.id)]);
  const newChunks = changes.upsert.flatMap((d) => chunkDocument(d));
  const vectors = newChunks.length ? await previous.embedder.embed(newChunks.map(searchableText)) : [];

  const chunks = [...previous.chunks, ...newChunks];
  const deleted = new Set(previous.deleted);
  previous.chunks.forEach((c, i) => {
    if (replaced.has(c.docId)) deleted.add(i);
  });
  // BM25 is merged, not rebuilt: only the new chunks are tokenised (see Bm25Index.merge).
  const added = newChunks.map((c) => lexicalTerms(searchableText(c), previous.glossary));
  const bm25 = Bm25Index.merge(previous.bm25, [...deleted].filter((i) => !previous.deleted.has(i)), added);

  // The HNSW graph is shared with the previous snapshot, which filters labels it does not know.
  const hnsw = previous.vectors;
  for (const i of deleted) if (!previous.deleted.has(i)) hnsw.markDelete(i);
  if (hnsw.getMaxElements() < chunks.length) hnsw.resizeIndex(Math.max(chunks.length, Math.ceil(hnsw.getMaxElements() * 1.5)));
  vectors.forEach((v, j) => hnsw.addPoint(v, previous.chunks.length + j));

  const docs = new Map(previous.docs);
  for (const id of replaced) docs.delete(id);
  for (const d of changes.upsert) docs.set(d.id, docInfoOf(d));
  const manifest: IndexManifest = {
    ...previous.manifest,
    buildId: `${now.toISOString().replace(/[-:.TZ]/g, '')}-${crypto.randomBytes(3).toString('hex')}`,
    builtAt: now.toISOString(),
    corpusHash: corpusHash(changes.allDocs, previous.glossaryEntries, previous.embedder.id),
    docCount: docs.size,
    chunkCount: chunks.length - deleted.size,
  };
  return new KnowledgeIndex(manifest, chunks, bm25, hnsw, previous.glossary, previous.glossaryEntries, previous.embedder, [...docs.values()], deleted);
}
