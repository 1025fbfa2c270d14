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

/** The fields a chunk reads from its document's source: those a built chunk has before its heading path, and after its text. */
const SOURCE_FIELDS_FIRST = ['docId', 'title', 'lang', 'scope', 'series', 'topics'] as const;
const SOURCE_FIELDS_LAST = ['url', 'sourceTitle', 'sourceDate', 'confidence', 'effectiveFrom', 'effectiveTo', 'translationOf'] as const;

/**
 * A chunk loaded from a table: its document's fields read from the source it shares with the other
 * chunks of that document, its id and heading path made when asked for, its text read from the texts
 * file when asked for. They are own, enumerable accessors, as a built chunk's are own data properties: spreading,
 * serialising and comparing a stored chunk read them. V8 keeps an accessor defined with the same
 * getter on every object in the objects' shared hidden class, so a chunk holds five fields, not
 * sixteen, and no id string: about 15 MB less at 100k chunks.
 */
class StoredChunk implements Chunk {
  declare readonly id: string;
  declare readonly docId: string;
  declare readonly title: string;
  declare readonly lang: Chunk['lang'];
  declare readonly scope: Chunk['scope'];
  declare readonly series: string[];
  declare readonly topics: string[];
  declare readonly headingPath: string[];
  declare readonly url?: string;
  declare readonly sourceTitle?: string;
  declare readonly sourceDate?: string;
  declare readonly confidence?: Chunk['confidence'];
  declare readonly effectiveFrom?: string;
  declare readonly effectiveTo?: string;
  declare readonly translationOf?: string;
  declare readonly text: string;
  readonly #source: ChunkSource;
  /** The heading path packed in one string (packHeadings): no array per chunk. */
  readonly #headings: string;
  readonly #n: number;
  readonly #file: ChunkTextFile;
  readonly #position: number;

  /** Each own key with its accessor, in the order a built chunk has its keys. */
  static readonly #layout: Array<[string, PropertyDescriptor]> = [];

  static {
    const own = (get: (c: StoredChunk) => unknown): PropertyDescriptor => ({
      get(this: StoredChunk) {
        return get(this);
      },
      enumerable: true,
    });
    const fromSource = (field: keyof ChunkSource): [string, PropertyDescriptor] => [field, own((c) => c.#source[field])];
    StoredChunk.#layout.push(
      ['id', own((c) => `${c.#source.docId}#${c.#n}`)],
      ...SOURCE_FIELDS_FIRST.map(fromSource),
      ['headingPath', own((c) => unpackHeadings(c.#headings))],
      ['text', own((c) => c.#file.text(c.#position))],
      ...SOURCE_FIELDS_LAST.map(fromSource),
    );
  }

  constructor(source: ChunkSource, headings: string, n: number, file: ChunkTextFile, position: number) {
    this.#source = source;
    this.#headings = headings;
    this.#n = n;
    this.#file = file;
    this.#position = position;
    for (const [key, accessor] of StoredChunk.#layout) Object.defineProperty(this, key, accessor);
  }
}

/** The chunks of a table, chunk i's text being text i of `texts`; chunks of one source share its values. */
export function fromChunkTable(table: ChunkTable, texts: ChunkTextFile): Chunk[] {
  const { sources, headings, rows } = table;
  if (rows.length % 3 !== 0) throw new Error(`a chunk table's rows come in threes (${rows.length} numbers)`);
  if (texts.size !== rows.length / 3) throw new Error(`the texts file holds ${texts.size} texts for ${rows.length / 3} chunks`);
  const chunks: Chunk[] = new Array(rows.length / 3);
  const packed = headings.map(packHeadings);
  for (let i = 0, r = 0; r < rows.length; i++, r += 3) {
    const source = sources[rows[r]];
    const headingPath = packed[rows[r + 1]];
    if (!source || headingPath === undefined) throw new Error(`chunk ${i} of the table names a source or heading it does not hold`);
    chunks[i] = new StoredChunk(source, headingPath, rows[r + 2], texts, i);
  }
  return chunks;
}

/**
 * A heading path as one string, each heading after a \u0000 (which Markdown headings never hold): an
 * array and its elements per distinct path were about 9 MB at 100k chunks, read only for the few
 * chunks a question ranks.
 */
function packHeadings(path: readonly string[]): string {
  // join makes one flat string; concatenating would keep a rope of pieces.
  return ['', ...path].join('\u0000');
}

function unpackHeadings(packed: string): string[] {
  return packed === '' ? [] : packed.slice(1).split('\u0000');
}
