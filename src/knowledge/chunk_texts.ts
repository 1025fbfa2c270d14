import fs from 'node:fs';
import type { Chunk } from './chunker.js';

/**
 * Chunk texts kept on disk beside a stored index instead of on the heap: a question reads a few dozen
 * of them, while a 100k-chunk corpus holds about 60 MB of text. The file is every text in UTF-8, one
 * after the other; `texts.idx` holds the byte offsets (n + 1 float64s).
 */
export const TEXTS_FILE = 'texts.bin';
export const OFFSETS_FILE = 'texts.idx';

/** Recently read texts: a turn reads the same top chunks several times, and a string read again hashes again. */
const RECENT = 4096;

const closeOnCollect = new FinalizationRegistry<number>((fd) => {
  try {
    fs.closeSync(fd);
  } catch {
    // already closed
  }
});

export class ChunkTextFile {
  private readonly recent = new Map<number, string>();

  private constructor(
    private readonly fd: number,
    private readonly offsets: Float64Array,
  ) {}

  /**
   * Opens the folder's texts, or undefined when it has none (an index stored with its texts inline).
   * The descriptor stays open for the life of the index (a newer build may prune the folder meanwhile).
   */
  static open(dir: string): ChunkTextFile | undefined {
    const offsetsFile = `${dir}/${OFFSETS_FILE}`;
    if (!fs.existsSync(offsetsFile)) return undefined;
    const raw = fs.readFileSync(offsetsFile);
    const offsets = new Float64Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
    const fd = fs.openSync(`${dir}/${TEXTS_FILE}`, 'r');
    const file = new ChunkTextFile(fd, offsets);
    closeOnCollect.register(file, fd);
    return file;
  }

  /** Writes the texts of `chunks` (in order) into `dir`, flushed to disk. */
  static write(dir: string, chunks: readonly Pick<Chunk, 'text'>[]): void {
    const offsets = new Float64Array(chunks.length + 1);
    const fd = fs.openSync(`${dir}/${TEXTS_FILE}`, 'w');
    try {
      // Written in slabs of about 1 MB: one write per chunk would be 100k system calls.
      const slab: Buffer[] = [];
      let slabBytes = 0;
      let at = 0;
      const flush = () => {
        if (slab.length) fs.writeSync(fd, Buffer.concat(slab, slabBytes));
        slab.length = 0;
        slabBytes = 0;
      };
      chunks.forEach((c, i) => {
        const bytes = Buffer.from(c.text, 'utf8');
        slab.push(bytes);
        slabBytes += bytes.length;
        at += bytes.length;
        offsets[i + 1] = at;
        if (slabBytes >= 1 << 20) flush();
      });
      flush();
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    const ofd = fs.openSync(`${dir}/${OFFSETS_FILE}`, 'w');
    try {
      fs.writeSync(ofd, Buffer.from(offsets.buffer, offsets.byteOffset, offsets.byteLength));
      fs.fsyncSync(ofd);
    } finally {
      fs.closeSync(ofd);
    }
  }

  get size(): number {
    return this.offsets.length - 1;
  }

  /** The text of chunk `i`. */
  text(i: number): string {
    const known = this.recent.get(i);
    if (known !== undefined) {
      // Most recently used last, so the oldest is the first key.
      this.recent.delete(i);
      this.recent.set(i, known);
      return known;
    }
    if (!(i >= 0 && i < this.size)) throw new RangeError(`no chunk text ${i} (the file holds ${this.size})`);
    const start = this.offsets[i];
    const length = this.offsets[i + 1] - start;
    const buf = Buffer.allocUnsafe(length);
    let read = 0;
    while (read < length) {
      const n = fs.readSync(this.fd, buf, read, length - read, start + read);
      if (n === 0) throw new Error(`chunk text ${i} is cut short in ${TEXTS_FILE}`);
      read += n;
    }
    const text = buf.toString('utf8');
    if (this.recent.size >= RECENT) this.recent.delete(this.recent.keys().next().value!);
    this.recent.set(i, text);
    return text;
  }
}
