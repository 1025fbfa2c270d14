import type { Chunk } from './chunker.js';
import type { ChunkTextFile } from './chunk_texts.js';

/** What every chunk of one document version repeats: all of a chunk but its number, heading path and text. */
export type ChunkSource = Omit<Chunk, 'id' | 'headingPath' | 'text'>;

/**
 * Chunks as an index folder stores them (docs.json), without their text (chunk_texts.ts): each
 * document's fields and each heading path once, and per chunk three numbers. Stored as a list of whole
 * chunks, 100k chunks were 22 MB of JSON whose repeated titles, series and headings then had to be
 * found and shared again: about 0.9 s of a start, and of the event loop when a new index is taken in.
 */
export interface ChunkTable {
  sources: ChunkSource[];
  headings: string[][];
  /** Per chunk: its source, its heading path, and n of its id `<docId>#<n>`. */
  rows: number[];
}

const ID = /^(.*)#(\d+)$/;

/** The table of `chunks`, or undefined when a chunk's id is not `<docId>#<n>` (then they are stored whole). */
export function toChunkTable(chunks: readonly Chunk[]): ChunkTable | undefined {
  const sources: ChunkSource[] = [];
  const headings: string[][] = [];
  const sourceIds = new Map<string, number>();
  const headingIds = new Map<string, number>();
  const rows: number[] = [];
  for (const c of chunks) {
    const id = ID.exec(c.id);
    if (!id || id[1] !== c.docId) return undefined;
    const source: ChunkSource = {
      docId: c.docId,
      title: c.title,
      lang: c.lang,
      scope: c.scope,
      series: c.series,
      topics: c.topics,
      url: c.url,
      sourceTitle: c.sourceTitle,
      sourceDate: c.sourceDate,
      confidence: c.confidence,
      effectiveFrom: c.effectiveFrom,
      effectiveTo: c.effectiveTo,
      translationOf: c.translationOf,
    };
    // By value: an edited document's old chunks (tombstones) and new ones differ in what changed.
    const sourceKey = JSON.stringify(source);
    let s = sourceIds.get(sourceKey);
    if (s === undefined) {
      sourceIds.set(sourceKey, (s = sources.length));
      sources.push(source);
    }
    const headingKey = c.headingPath.join('\u0000');
    let h = headingIds.get(headingKey);
    if (h === undefined) {
      headingIds.set(headingKey, (h = headings.length));
      headings.push(c.headingPath);
    }
    rows.push(s, h, Number(id[2]));
  }
  return { sources, headings, rows };
}

/**
 * A chunk loaded from a table: its fields shared with the other chunks of its document, its text read
 * from the texts file when asked for.
 */
class StoredChunk implements Chunk {
  readonly id: string;
  readonly docId: string;
  readonly title: string;
  readonly lang: Chunk['lang'];
  readonly scope: Chunk['scope'];
  readonly series: string[];
  readonly topics: string[];
  readonly headingPath: string[];
  readonly url?: string;
  readonly sourceTitle?: string;
  readonly sourceDate?: string;
  readonly confidence?: Chunk['confidence'];
  readonly effectiveFrom?: string;
  readonly effectiveTo?: string;
  readonly translationOf?: string;
  readonly #file: ChunkTextFile;
  readonly #position: number;

  constructor(s: ChunkSource, headingPath: string[], n: number, file: ChunkTextFile, position: number) {
    this.id = `${s.docId}#${n}`;
    this.docId = s.docId;
    this.title = s.title;
    this.lang = s.lang;
    this.scope = s.scope;
    this.series = s.series;
    this.topics = s.topics;
    this.headingPath = headingPath;
    this.url = s.url;
    this.sourceTitle = s.sourceTitle;
    this.sourceDate = s.sourceDate;
    this.confidence = s.confidence;
    this.effectiveFrom = s.effectiveFrom;
    this.effectiveTo = s.effectiveTo;
    this.translationOf = s.translationOf;
    this.#file = file;
    this.#position = position;
    Object.defineProperty(this, 'text', TEXT);
  }

  declare readonly text: string;

  readText(): string {
    return this.#file.text(this.#position);
  }
}

// An own, enumerable accessor (as a built chunk's own text is): spreading, serialising and comparing a
// stored chunk read it. Added by the constructor, so every stored chunk keeps one hidden class.
const TEXT: PropertyDescriptor = {
  get(this: StoredChunk) {
    return this.readText();
  },
  enumerable: true,
};

/** The chunks of a table, chunk i's text being text i of `texts`; chunks of one source share its values. */
export function fromChunkTable(table: ChunkTable, texts: ChunkTextFile): Chunk[] {
  const { sources, headings, rows } = table;
  if (rows.length % 3 !== 0) throw new Error(`a chunk table's rows come in threes (${rows.length} numbers)`);
  if (texts.size !== rows.length / 3) throw new Error(`the texts file holds ${texts.size} texts for ${rows.length / 3} chunks`);
  const chunks: Chunk[] = new Array(rows.length / 3);
  for (let i = 0, r = 0; r < rows.length; i++, r += 3) {
    const source = sources[rows[r]];
    const headingPath = headings[rows[r + 1]];
    if (!source || !headingPath) throw new Error(`chunk ${i} of the table names a source or heading it does not hold`);
    chunks[i] = new StoredChunk(source, headingPath, rows[r + 2], texts, i);
  }
  return chunks;
}
