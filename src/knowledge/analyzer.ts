import { cutBothModes, embeddingWord, lexicalToken, normalizeText, rememberWordBoundaries, segmenterVersion } from './text.js';

/** One text as index builds need it: what tokenize, segmentWords and wordBoundaries would each give. */
export interface TextAnalysis {
  normalized: string;
  /** === tokenize(text): lexical (BM25) terms (worked out from termIds when first read). */
  readonly terms: string[];
  /** The lexical terms as numbers of this analyser's term table (TextAnalyzer.termNames). */
  termIds: number[];
  /** === segmentWords(text): accurate-mode words, for embedding features. */
  words: string[];
  /** === wordBoundaries(normalized); worked out when first read (an index build rarely needs them). */
  readonly boundaries: Set<number>;
}

interface Piece {
  termIds: number[];
  words: string[];
  /** Lengths of jieba's accurate-mode words, which partition the piece. */
  lengths: number[];
}

/**
 * Jieba cuts a text in blocks: maximal runs of CJK ideographs, ASCII letters and digits and `+#&._%-`;
 * every other character is a block (and a word) of its own. A text's segmentation is therefore the
 * segmentations of its blocks put end to end. This is the set of characters we split at: all outside
 * jieba's block class (the test suite checks the equivalence on the corpus). Surrogates are never
 * split at (an astral character stays with its neighbours, which is always safe: jieba splits further).
 */
const isBlockChar = (c: number) =>
  (c >= 0x61 && c <= 0x7a) || // a-z
  (c >= 0x30 && c <= 0x39) || // 0-9
  (c >= 0x41 && c <= 0x5a) || // A-Z
  c === 0x2b || c === 0x23 || c === 0x26 || c === 0x2e || c === 0x5f || c === 0x25 || c === 0x2d || // + # & . _ % -
  (c >= 0x3400 && c <= 0x9fff) ||
  (c >= 0xf900 && c <= 0xfaff) ||
  (c >= 0xd800 && c <= 0xdfff);

/**
 * Segments texts with one pair of jieba calls per batch of unseen blocks and remembers each block's
 * result, so the words of a repeated title, heading, boilerplate clause or English word are worked
 * out once per build instead of three times per chunk (tokenize, segmentWords and the glossary's
 * word boundaries each used to cut the whole text). Results are exactly those of the three functions.
 */
export class TextAnalyzer {
  private pieces = new Map<string, Piece>();
  private version = segmenterVersion();
  /** Lexical terms numbered in order of first sight; never renumbered, even when the piece cache is dropped. */
  readonly termNames: string[] = [];
  private readonly termNumbers = new Map<string, number>();
  private readonly separators = new Map<string, { termId?: number; word?: string }>();

  constructor(private readonly maxPieces = 500_000) {}

  /** The number of a lexical term in termNames (numbered now if new). */
  termId(term: string): number {
    let id = this.termNumbers.get(term);
    if (id === undefined) {
      id = this.termNames.length;
      this.termNumbers.set(term, id);
      this.termNames.push(term);
    }
    return id;
  }

  get cachedPieces(): number {
    return this.pieces.size;
  }

  analyze(text: string): TextAnalysis {
    if (this.version !== segmenterVersion() || this.pieces.size > this.maxPieces) {
      this.pieces = new Map();
      this.version = segmenterVersion();
    }
    const normalized = normalizeText(text);
    // Split into blocks (kept) and single separator characters (null).
    const parts: Array<string | null> = [];
    const missing: string[] = [];
    let start = -1;
    const n = normalized.length;
    for (let i = 0; i <= n; i++) {
      const block = i < n && isBlockChar(normalized.charCodeAt(i));
      if (block) {
        if (start < 0) start = i;
        continue;
      }
      if (start >= 0) {
        const piece = normalized.slice(start, i);
        parts.push(piece);
        if (!this.pieces.has(piece)) missing.push(piece);
        start = -1;
      }
      if (i < n) parts.push(null);
    }
    if (missing.length) this.segment([...new Set(missing)]);

    const termIds: number[] = [];
    const words: string[] = [];
    const pieces: Array<Piece | null> = [];
    let at = 0;
    for (const part of parts) {
      if (part === null) {
        // A separator is its own (dropped) word: a space, punctuation, a symbol.
        const sep = this.separator(normalized[at]);
        if (sep.termId !== undefined) termIds.push(sep.termId);
        if (sep.word !== undefined) words.push(sep.word);
        pieces.push(null);
        at += 1;
        continue;
      }
      const piece = this.pieces.get(part)!;
      for (const t of piece.termIds) termIds.push(t);
      for (const w of piece.words) words.push(w);
      pieces.push(piece);
      at += part.length;
    }
    let boundaries: Set<number> | undefined;
    const boundariesOf = () => (boundaries ??= wordEnds(pieces, n));
    rememberWordBoundaries(normalized, boundariesOf);
    const names = this.termNames;
    let terms: string[] | undefined;
    return {
      normalized,
      termIds,
      get terms() {
        return (terms ??= termIds.map((id) => names[id]));
      },
      words,
      get boundaries() {
        return boundariesOf();
      },
    };
  }

  /** What a separator character contributes (most are dropped), worked out once per character. */
  private separator(raw: string): { termId?: number; word?: string } {
    let sep = this.separators.get(raw);
    if (!sep) {
      const t = lexicalToken(raw);
      sep = { termId: t === undefined ? undefined : this.termId(t), word: embeddingWord(raw) };
      this.separators.set(raw, sep);
    }
    return sep;
  }

  /** Cut unseen blocks, many per jieba call: joined by spaces, which jieba returns as words of their own. */
  private segment(blocks: string[]): void {
    const { accurate, search } = cutBothModes(blocks.join(' '));
    let b = 0;
    let piece: Piece = { termIds: [], words: [], lengths: [] };
    for (const raw of accurate) {
      if (raw === ' ') {
        this.pieces.set(blocks[b++], piece);
        piece = { termIds: [], words: [], lengths: [] };
        continue;
      }
      piece.lengths.push(raw.length);
      const w = embeddingWord(raw);
      if (w !== undefined) piece.words.push(w);
    }
    this.pieces.set(blocks[b++], piece);
    if (b !== blocks.length) throw new Error(`analyzer: ${blocks.length} blocks but ${b} segmentations`);
    b = 0;
    for (const raw of search) {
      if (raw === ' ') {
        b++;
        continue;
      }
      const t = lexicalToken(raw);
      if (t !== undefined) this.pieces.get(blocks[b])!.termIds.push(this.termId(t));
    }
  }
}

/** Offsets where words start or end: 0, the text's length, and the end of every word (a separator is one). */
function wordEnds(pieces: Array<Piece | null>, length: number): Set<number> {
  const out = new Set<number>([0, length]);
  let at = 0;
  for (const piece of pieces) {
    if (piece === null) out.add((at += 1));
    else for (const len of piece.lengths) out.add((at += len));
  }
  return out;
}
