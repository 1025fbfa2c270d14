import fs from 'node:fs';
import path from 'node:path';
import hnswlib from 'hnswlib-node';
import { Bm25Index, type Bm25Data } from './bm25.js';
import type { Chunk } from './chunker.js';
import { fromChunkTable, toChunkTable, type ChunkTable } from './chunk_table.js';
import { ChunkTextFile } from './chunk_texts.js';
import type { Embedder } from './embedder.js';
import { Glossary } from './glossary.js';
import { INDEX_FORMAT, KnowledgeIndex, type DocInfo, type IndexManifest } from './knowledge_index.js';
import type { GlossaryEntry } from './schema.js';
import { addSegmenterWords } from './text.js';

const { HierarchicalNSW } = hnswlib;

/**
 * Index folders live under <dataDir>/index/<buildId>/; the file CURRENT names the one serving.
 * A new build is written beside it and CURRENT is replaced by rename, so readers always see a
 * complete index and a failed build leaves the old one in place.
 */
export function indexRoot(dataDir: string): string {
  return path.join(dataDir, 'index');
}

export function currentBuildId(dataDir: string): string | undefined {
  const file = path.join(indexRoot(dataDir), 'CURRENT');
  return fs.existsSync(file) ? fs.readFileSync(file, 'utf8').trim() || undefined : undefined;
}

export function readManifest(dataDir: string): IndexManifest | undefined {
  const id = currentBuildId(dataDir);
  if (!id) return undefined;
  const file = path.join(indexRoot(dataDir), id, 'manifest.json');
  if (!fs.existsSync(file)) return undefined;
  return JSON.parse(fs.readFileSync(file, 'utf8')) as IndexManifest;
}

interface StoredDocs {
  docs: DocInfo[];
  /** The chunks as a table (chunk_table.ts), their texts in the texts file (chunk_texts.ts)... */
  chunkTable?: ChunkTable;
  /** ...or whole, text and all (folders written before the table, or ids the table cannot hold). */
  chunks?: Chunk[];
  glossary: GlossaryEntry[];
  /** Tombstoned chunk positions (documents changed since the last full build). */
  deleted?: number[];
}

/** Write an index into a fresh folder, then point CURRENT at it atomically. */
export function saveAndActivate(index: KnowledgeIndex, dataDir: string, keep = 2): string {
  const root = indexRoot(dataDir);
  fs.mkdirSync(root, { recursive: true });
  const id = index.manifest.buildId;
  const tmp = path.join(root, `${id}.partial`);
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.mkdirSync(tmp);
  try {
    const chunkTable = toChunkTable(index.chunks);
    const chunks = chunkTable ? { chunkTable } : { chunks: index.chunks };
    const stored: StoredDocs = { docs: [...index.docs.values()], ...chunks, glossary: index.glossaryEntries, deleted: [...index.deleted] };
    writeFileSynced(path.join(tmp, 'docs.json'), JSON.stringify(stored));
    if (chunkTable) ChunkTextFile.write(tmp, index.chunks);
    writeBm25(path.join(tmp, 'bm25'), index.bm25.toData());
    index.vectors.writeIndexSync(path.join(tmp, 'vectors.hnsw'));
    // The manifest goes last: a folder without one is never loaded.
    writeFileSynced(path.join(tmp, 'manifest.json'), JSON.stringify(index.manifest, null, 2));
    fs.renameSync(tmp, path.join(root, id));
  } catch (err) {
    // A failed write must not leave a half-written folder behind (e.g. a full disk).
    fs.rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
  writeFileSynced(path.join(root, 'CURRENT.tmp'), id);
  fs.renameSync(path.join(root, 'CURRENT.tmp'), path.join(root, 'CURRENT'));
  pruneOldBuilds(root, id, keep);
  return path.join(root, id);
}

/** Load the serving index, or undefined when none was built yet. */
export type EmbedderFactory = (glossary: Glossary) => Embedder;

export function loadCurrentIndex(dataDir: string, makeEmbedder: EmbedderFactory): KnowledgeIndex | undefined {
  const id = currentBuildId(dataDir);
  if (!id) return undefined;
  return loadIndexFolder(path.join(indexRoot(dataDir), id), makeEmbedder);
}

/** What both loaders do with a parsed docs.json: make the chunks, check the embedder, teach jieba the glossary. */
function takeInStored(dir: string, manifest: IndexManifest, stored: StoredDocs, makeEmbedder: EmbedderFactory): { chunks: Chunk[]; glossary: Glossary; embedder: Embedder } {
  let chunks: Chunk[];
  if (stored.chunkTable) {
    const texts = ChunkTextFile.open(dir);
    if (!texts) throw new Error(`index ${dir} has no chunk texts`);
    chunks = fromChunkTable(stored.chunkTable, texts);
  } else {
    chunks = stored.chunks ?? [];
    if (chunks.some((c) => typeof c.text !== 'string')) throw new Error(`index ${dir} holds chunks without their text: rebuild it`);
    shareRepeatedValues(chunks);
  }
  const glossary = new Glossary(stored.glossary);
  const embedder = makeEmbedder(glossary);
  if (manifest.embedder !== embedder.id) throw new Error(`index ${dir} was built by ${manifest.embedder}, not ${embedder.id}`);
  addSegmenterWords(glossary.chineseTerms());
  return { chunks, glossary, embedder };
}

export function loadIndexFolder(dir: string, makeEmbedder: EmbedderFactory): KnowledgeIndex {
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as IndexManifest;
  if (manifest.format !== INDEX_FORMAT) throw new Error(`index ${dir} has format ${manifest.format}, expected ${INDEX_FORMAT}`);
  const stored = JSON.parse(fs.readFileSync(path.join(dir, 'docs.json'), 'utf8')) as StoredDocs;
  const { chunks, glossary, embedder } = takeInStored(dir, manifest, stored, makeEmbedder);
  const vectors = new HierarchicalNSW('cosine', manifest.dim);
  if (chunks.length > 0) vectors.readIndexSync(path.join(dir, 'vectors.hnsw'), true);
  else vectors.initIndex({ maxElements: 1, m: 16, efConstruction: 100, allowReplaceDeleted: true });
  return new KnowledgeIndex(manifest, chunks, Bm25Index.fromData(readBm25(path.join(dir, 'bm25'))), vectors, glossary, stored.glossary, embedder, stored.docs, new Set(stored.deleted ?? []));
}

/**
 * loadIndexFolder with the file reads and the HNSW load off the event loop (libuv's pool): what a
 * serving process uses to take in an index a child process built. Parsing the chunks' JSON and
 * indexing them still run here.
 */
export async function loadIndexFolderAsync(dir: string, makeEmbedder: EmbedderFactory): Promise<KnowledgeIndex> {
  const manifest = JSON.parse(await fs.promises.readFile(path.join(dir, 'manifest.json'), 'utf8')) as IndexManifest;
  if (manifest.format !== INDEX_FORMAT) throw new Error(`index ${dir} has format ${manifest.format}, expected ${INDEX_FORMAT}`);
  const bm25Dir = path.join(dir, 'bm25');
  const [docsText, meta, offsets, slotOffsets, slots, docLengths] = await Promise.all([
    fs.promises.readFile(path.join(dir, 'docs.json'), 'utf8'),
    fs.promises.readFile(path.join(bm25Dir, 'meta.json'), 'utf8'),
    ...BM25_FILES.map((f) => fs.promises.readFile(path.join(bm25Dir, f))),
  ]);
  const stored = JSON.parse(docsText) as StoredDocs;
  const { chunks, glossary, embedder } = takeInStored(dir, manifest, stored, makeEmbedder);
  const vectors = new HierarchicalNSW('cosine', manifest.dim);
  if (chunks.length > 0) await vectors.readIndex(path.join(dir, 'vectors.hnsw'), true);
  else vectors.initIndex({ maxElements: 1, m: 16, efConstruction: 100, allowReplaceDeleted: true });
  const buffer = (b: Buffer | string) => {
    const buf = b as Buffer;
    return buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
  };
  const bm25 = Bm25Index.fromData({
    ...(JSON.parse(meta as string) as { k1: number; b: number; terms: string[] }),
    offsets: new Int32Array(buffer(offsets)),
    slotOffsets: new Int32Array(buffer(slotOffsets)),
    slots: new Uint16Array(buffer(slots)),
    docLengths: new Uint32Array(buffer(docLengths)),
  });
  return new KnowledgeIndex(manifest, chunks, bm25, vectors, glossary, stored.glossary, embedder, stored.docs, new Set(stored.deleted ?? []));
}

/**
 * Every chunk of a document repeats its title, URL, source, language, series and topics, and every
 * chunk of a section its heading path; JSON.parse makes a copy of each for each chunk (13 MB of heap
 * at 100k chunks). Chunks with equal values are given one shared copy, as a fresh build's chunks have.
 */
export function shareRepeatedValues(chunks: Chunk[]): void {
  const strings = new Map<string, string>();
  const lists = new Map<string, string[]>();
  const str = <T extends string | undefined>(s: T): T => {
    if (s === undefined) return s;
    const known = strings.get(s);
    if (known !== undefined) return known as T;
    strings.set(s, s);
    return s;
  };
  const list = (xs: string[]): string[] => {
    const key = xs.join('\u0000');
    const known = lists.get(key);
    if (known) return known;
    const shared = xs.map(str);
    lists.set(key, shared);
    return shared;
  };
  for (const c of chunks) {
    c.docId = str(c.docId);
    c.title = str(c.title);
    c.lang = str(c.lang);
    c.scope = str(c.scope);
    c.series = list(c.series);
    c.topics = list(c.topics);
    c.headingPath = list(c.headingPath);
    c.url = str(c.url);
    c.sourceTitle = str(c.sourceTitle);
    c.sourceDate = str(c.sourceDate);
    c.confidence = str(c.confidence);
    c.effectiveFrom = str(c.effectiveFrom);
    c.effectiveTo = str(c.effectiveTo);
    c.translationOf = str(c.translationOf);
  }
}

function writeFileSynced(file: string, content: string | Buffer): void {
  const fd = fs.openSync(file, 'w');
  try {
    if (typeof content === 'string') fs.writeSync(fd, content);
    else fs.writeSync(fd, content);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** BM25's typed arrays, one raw file each, in the order of Bm25Data's fields. */
const BM25_FILES = ['offsets.bin', 'slot-offsets.bin', 'slots.bin', 'lengths.bin'] as const;

/** BM25 postings as raw typed-array files: a 100k-chunk corpus loads in milliseconds, not seconds of JSON. */
function writeBm25(dir: string, d: Bm25Data): void {
  fs.mkdirSync(dir);
  writeFileSynced(path.join(dir, 'meta.json'), JSON.stringify({ k1: d.k1, b: d.b, terms: d.terms }));
  const arrays = [d.offsets, d.slotOffsets, d.slots, d.docLengths];
  BM25_FILES.forEach((file, i) => writeFileSynced(path.join(dir, file), Buffer.from(arrays[i].buffer, arrays[i].byteOffset, arrays[i].byteLength)));
}

function readBm25(dir: string): Bm25Data {
  const meta = JSON.parse(fs.readFileSync(path.join(dir, 'meta.json'), 'utf8')) as { k1: number; b: number; terms: string[] };
  const typed = <T>(file: string, make: (b: ArrayBuffer) => T) => {
    const buf = fs.readFileSync(path.join(dir, file));
    return make(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
  };
  return {
    ...meta,
    offsets: typed('offsets.bin', (b) => new Int32Array(b)),
    slotOffsets: typed('slot-offsets.bin', (b) => new Int32Array(b)),
    slots: typed('slots.bin', (b) => new Uint16Array(b)),
    docLengths: typed('lengths.bin', (b) => new Uint32Array(b)),
  };
}

function pruneOldBuilds(root: string, currentId: string, keep: number): void {
  const builds = fs
    .readdirSync(root, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
  for (const name of builds) {
    if (name.endsWith('.partial') && name !== `${currentId}.partial`) fs.rmSync(path.join(root, name), { recursive: true, force: true });
  }
  const complete = builds.filter((n) => !n.endsWith('.partial') && n !== currentId);
  for (const name of complete.slice(0, Math.max(0, complete.length - (keep - 1)))) fs.rmSync(path.join(root, name), { recursive: true, force: true });
}
