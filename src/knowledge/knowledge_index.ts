import crypto from 'node:crypto';
import hnswlib from 'hnswlib-node';
import { Bm25Index } from './bm25.js';
import { chunkDocument, type Chunk } from './chunker.js';
import { HashedEmbedder, type Embedder } from './embedder.js';
import { Glossary } from './glossary.js';
import { TextAnalyzer } from './analyzer.js';
import { inProcessHnswBuilder, workerHnswBuilder, type HnswBuilder, type HnswBuildParams } from './hnsw_builder.js';
import type { CorpusDoc, GlossaryEntry } from './schema.js';
import { addSegmenterWords, tokenize } from './text.js';

const { HierarchicalNSW } = hnswlib;
type Hnsw = InstanceType<typeof HierarchicalNSW>;

/** Bumped whenever chunking or tokenisation changes, so old indexes are seen as stale. */
export const INDEX_FORMAT = 'tm-index-v12';

// efConstruction 160 and efSearch 28: recall@10 ≥ 0.98 at ≥ 20× over exact search at 100k chunks with the
// feedback query vectors of retriever.ts (bench/results/retrieval.md). Retrieval itself asks for ~80
// neighbours, so it searches wider than efSearch.
export const HNSW_PARAMS = { m: 16, efConstruction: 160, efSearch: 28 } as const;

/**
 * A small graph needs a far shallower construction search for about the same recall (0.998 at 1k chunks
 * with 64 against 1.000 with 160, bench/results/retrieval.md); the real corpus is that small.
 */
export function efConstructionFor(chunks: number): number {
  return chunks < SMALL_INDEX_CHUNKS ? SMALL_INDEX_EF_CONSTRUCTION : HNSW_PARAMS.efConstruction;
}
export const SMALL_INDEX_CHUNKS = 5000;
const SMALL_INDEX_EF_CONSTRUCTION = 64;

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
  // Ids compared by code unit: the same order in every process, and far cheaper than localeCompare.
  for (const d of [...docs].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))) h.update(`${docDigest(d)}\n`);
  h.update(JSON.stringify(glossary));
  return h.digest('hex');
}

/**
 * A document's own hash, remembered per document object: the live corpus keeps the parsed documents of
 * unchanged items, so an edit hashes one document instead of the whole corpus (about 220 ms a change
 * at 100k chunks, all on the event loop).
 */
const docDigests = new WeakMap<CorpusDoc, string>();
export function docDigest(doc: CorpusDoc): string {
  let digest = docDigests.get(doc);
  if (digest === undefined) {
    const { file: _file, ...rest } = doc;
    digest = crypto.createHash('sha256').update(JSON.stringify(rest)).digest('hex');
    docDigests.set(doc, digest);
  }
  return digest;
}

export interface BuildProgress {
  phase: 'chunk' | 'lexical' | 'embed' | 'vectors';
  done: number;
  total: number;
  /** On the last `vectors` report: seconds spent on HNSW inserts (on a worker thread they overlap the other phases). */
  insertSeconds?: number;
}

export interface BuildOptions {
  onProgress?: (p: BuildProgress) => void;
  buildId?: string;
  now?: () => Date;
  /** Batch size for embedding calls (a remote embedder is called once per batch). */
  embedBatch?: number;
  /** Insert into HNSW on a worker thread; by default for builds of WORKER_MIN_CHUNKS chunks or more. */
  hnswWorker?: boolean;
}

/** From this many chunks a build inserts into HNSW on a worker thread, in parallel with tokenisation. */
export const WORKER_MIN_CHUNKS = 2000;

/** hnswlib's random seed: a fixed seed makes a build reproducible. */
const HNSW_SEED = 100;

/** A worker-thread builder, or the in-process one when worker threads are unavailable. */
function tryWorkerBuilder(params: HnswBuildParams): HnswBuilder {
  try {
    return workerHnswBuilder(params);
  } catch {
    return inProcessHnswBuilder(params);
  }
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

  // Each chunk is analysed once (analyzer.ts: jieba runs once per distinct block of text) for BM25,
  // the glossary and the hashed embedder alike.
  const texts = chunks.map(searchableText);
  const hashed = embedder instanceof HashedEmbedder ? embedder : undefined;
  // Vectors go to the HNSW builder as they are made: for a large build, a worker thread inserts them
  // while this thread goes on with jieba (see hnsw_builder.ts).
  const useWorker = options.hnswWorker ?? chunks.length >= WORKER_MIN_CHUNKS;
  let builder: HnswBuilder | undefined;
  let dim = embedder.dim;
  const addVector = (v: number[]) => {
    if (!builder) {
      dim = v.length;
      const params = { dim, maxElements: chunks.length, m: HNSW_PARAMS.m, efConstruction: efConstructionFor(chunks.length), seed: HNSW_SEED };
      builder = useWorker ? tryWorkerBuilder(params) : inProcessHnswBuilder(params);
    }
    builder.add(v);
  };
  let hnsw: Hnsw;
  let bm25: Bm25Index;
  try {
    const analyzer = new TextAnalyzer();
    // Every chunk's lexical terms, as the analyser's term numbers, end to end (BM25 builds from these).
    let tokenIds = new Int32Array(1 << 16);
    let tokenCount = 0;
    const docStarts = new Int32Array(texts.length + 1);
    const pushToken = (id: number) => {
      if (tokenCount === tokenIds.length) {
        const grown = new Int32Array(tokenIds.length * 2);
        grown.set(tokenIds);
        tokenIds = grown;
      }
      tokenIds[tokenCount++] = id;
    };
    for (let i = 0; i < texts.length; i++) {
      if (i > 0 && i % PROGRESS_EVERY === 0) report({ phase: 'lexical', done: i, total: chunks.length });
      const analysis = analyzer.analyze(texts[i]);
      // The glossary reuses the analysis's word boundaries (text.ts remembers the last ones).
      const found = glossary.matchNormalized(analysis.normalized);
      // The terms of lexicalTerms(): words, then a `§concept` token per glossary match.
      for (const id of analysis.termIds) pushToken(id);
      for (const m of found) pushToken(analyzer.termId(`§${m.conceptId}`));
      docStarts[i + 1] = tokenCount;
      if (hashed) addVector(hashed.embedAnalyzed(analysis, found));
    }
    bm25 = Bm25Index.buildFromIds(analyzer.termNames, tokenIds.subarray(0, tokenCount), docStarts);
    report({ phase: 'lexical', done: chunks.length, total: chunks.length });

    const batch = options.embedBatch ?? 256;
    if (hashed) report({ phase: 'embed', done: chunks.length, total: chunks.length });
    else {
      for (let i = 0; i < chunks.length; i += batch) {
        const end = Math.min(i + batch, chunks.length);
        for (const v of await embedder.embed(texts.slice(i, end))) addVector(v);
        report({ phase: 'embed', done: end, total: chunks.length });
      }
    }
    if (builder) {
      hnsw = await builder.finish((done) => {
        if (done % PROGRESS_EVERY === 0 && done < chunks.length) report({ phase: 'vectors', done, total: chunks.length });
      });
      report({ phase: 'vectors', done: chunks.length, total: chunks.length, insertSeconds: builder.insertSeconds });
    } else {
      hnsw = await inProcessHnswBuilder({ dim, maxElements: 1, m: HNSW_PARAMS.m, efConstruction: HNSW_PARAMS.efConstruction, seed: HNSW_SEED }).finish();
      report({ phase: 'vectors', done: 0, total: 0, insertSeconds: 0 });
    }
  } catch (err) {
    builder?.abort();
    throw err;
  }

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

/**
 * Room for `needed` points and some more: 5% (at least 256), not half again. A full build sizes the
 * graph exactly, so the first update of a 100k-chunk index resized it to 150k points (~60 MB of vectors
 * and links for room that a few edits never use); each resize copies the graph, so not one at a time either.
 */
export function grownCapacity(current: number, needed: number): number {
  return Math.max(needed, current + Math.max(256, Math.ceil(current * 0.05)));
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
  if (hnsw.getMaxElements() < chunks.length) hnsw.resizeIndex(grownCapacity(hnsw.getMaxElements(), chunks.length));
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
