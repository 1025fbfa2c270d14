import type OpenAI from 'openai';
import type { TextAnalysis } from './analyzer.js';
import type { ConceptMatch, Glossary } from './glossary.js';
import { isChineseStopword, isCjk, isEnglishStopword, normalizeText, segmentWords, stemWord } from './text.js';

/** Turns texts into vectors. The index records `id` and is rebuilt when it changes. */
export interface Embedder {
  readonly id: string;
  readonly dim: number;
  embed(texts: string[]): Promise<number[][]>;
}

/** Feature weights of the hashed embedder: whole words and glossary concepts count most. */
const WEIGHTS = { concept: 2.5, zhWord: 1, zhBigram: 0.4, enWord: 1, enTrigram: 0.25 } as const;

/**
 * Offline default: no weights exist on this machine, so vectors are hashed features of jieba words,
 * Chinese character bigrams, English stems and sub-word trigrams, plus glossary concepts shared by
 * both languages (so 高级工程师 and "senior engineer" land near each other).
 */
export class HashedEmbedder implements Embedder {
  readonly id: string;

  constructor(
    private readonly glossary: Glossary,
    readonly dim = 256,
  ) {
    this.id = `hashed-v1-d${dim}`;
  }

  async embed(texts: string[]): Promise<number[][]> {
    return texts.map((t) => this.embedOne(t));
  }

  /** `concepts` may be passed when the caller already matched the glossary on this text. */
  embedOne(text: string, concepts: readonly ConceptMatch[] = this.glossary.match(text)): number[] {
    return this.embedWords(normalizeText(text), segmentWords(text), concepts);
  }

  /** The vector of a text an index build has analysed already (see analyzer.ts): same as embedOne. */
  embedAnalyzed(analysis: Pick<TextAnalysis, 'normalized' | 'words'>, concepts: readonly ConceptMatch[]): number[] {
    return this.embedWords(analysis.normalized, analysis.words, concepts);
  }

  /** `s` is the normalised text and `words` its accurate-mode words (segmentWords). */
  private embedWords(s: string, words: readonly string[], concepts: readonly ConceptMatch[]): number[] {
    // Word and concept features are summed per feature id in a shared work array, in order of first
    // sight (the order, and so the floating-point sums, of the Map of feature strings this replaces).
    if (featureHashes.length > MAX_FEATURES) forgetFeatures();
    const seen: number[] = [];
    const add = (id: number, weight: number) => {
      if (featureSum[id] === 0) seen.push(id);
      featureSum[id] += weight;
    };
    for (const m of concepts) add(featureId(`c:${m.conceptId}`), WEIGHTS.concept);
    for (const word of words) {
      const f = wordFeatures(word);
      for (let j = 0; j < f.ids.length; j++) add(f.ids[j], f.weights[j]);
    }
    // Character bigrams are keyed by their two code units rather than by a `b:xy` string: the hot loop
    // of a long Chinese text then builds no strings. They come after every other feature, as before.
    const bigrams = new Map<number, number>();
    let cjkBefore = s.length > 0 && isCjkUnit(s.charCodeAt(0));
    for (let i = 0; i + 1 < s.length; i++) {
      const cjkHere = isCjkUnit(s.charCodeAt(i + 1));
      if (cjkBefore && cjkHere) {
        const key = s.charCodeAt(i) * 0x10000 + s.charCodeAt(i + 1);
        bigrams.set(key, (bigrams.get(key) ?? 0) + WEIGHTS.zhBigram);
      }
      cjkBefore = cjkHere;
    }
    const v = new Float64Array(this.dim);
    const accumulate = (h: number, weight: number) => {
      // Sub-linear term frequency; the sign bit halves the cost of hash collisions.
      v[h % this.dim] += (h & 0x80000000 ? -1 : 1) * (1 + Math.log(weight));
    };
    for (const id of seen) {
      accumulate(featureHashes[id], featureSum[id]);
      featureSum[id] = 0;
    }
    for (const [key, weight] of bigrams) accumulate(fnv1aBigram(key >>> 16, key & 0xffff), weight);
    return normalize(v);
  }
}

/**
 * Feature strings (`w:word`, `t:tri`, `c:concept`) are numbered once per process, with their hashes:
 * the embedder then adds numbers, not strings, for each word of each chunk.
 */
const featureIds = new Map<string, number>();
const featureHashes: number[] = [];
let featureSum = new Float64Array(1024);

/** A long-lived server meets new words with every question: past this many features, start again. */
const MAX_FEATURES = 2_000_000;
function forgetFeatures(): void {
  featureIds.clear();
  featureHashes.length = 0;
  wordCache.clear();
  featureSum = new Float64Array(1024);
}

function featureId(feature: string): number {
  let id = featureIds.get(feature);
  if (id === undefined) {
    id = featureHashes.length;
    featureIds.set(feature, id);
    featureHashes.push(fnv1a(feature));
    if (id >= featureSum.length) {
      const grown = new Float64Array(featureSum.length * 2);
      grown.set(featureSum);
      featureSum = grown;
    }
  }
  return id;
}

/**
 * A word's features, in the order they are added: the word (or English stem), then for English stems
 * longer than three letters their padded trigrams. Remembered per word, since stemming and building
 * the feature strings again for every occurrence was most of the embedder's own time.
 */
interface WordFeatures {
  ids: number[];
  weights: number[];
}
const wordCache = new Map<string, WordFeatures>();
function wordFeatures(word: string): WordFeatures {
  let out = wordCache.get(word);
  if (out) return out;
  out = { ids: [], weights: [] };
  const push = (feature: string, weight: number) => {
    out!.ids.push(featureId(feature));
    out!.weights.push(weight);
  };
  if (isCjk(word)) {
    if (!isChineseStopword(word)) push(`w:${word}`, WEIGHTS.zhWord);
  } else if (!isEnglishStopword(word)) {
    const stem = stemWord(word);
    push(`w:${stem}`, WEIGHTS.enWord);
    const padded = `<${stem}>`;
    if (stem.length > 3) for (let i = 0; i + 3 <= padded.length; i++) push(`t:${padded.slice(i, i + 3)}`, WEIGHTS.enTrigram);
  }
  if (wordCache.size >= 500_000) wordCache.clear();
  wordCache.set(word, out);
  return out;
}

/** The code-unit ranges of text.ts's CJK class, tested without a regular expression. */
const isCjkUnit = (c: number) => (c >= 0x3400 && c <= 0x9fff) || (c >= 0xf900 && c <= 0xfaff);

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

function fnv1a(s: string): number {
  let h = FNV_OFFSET;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, FNV_PRIME);
  }
  return h >>> 0;
}

/** fnv1a(`b:${a}${b}`) for two code units, without building the string. */
function fnv1aBigram(a: number, b: number): number {
  let h = Math.imul(FNV_OFFSET ^ 0x62, FNV_PRIME);
  h = Math.imul(h ^ 0x3a, FNV_PRIME);
  h = Math.imul(h ^ a, FNV_PRIME);
  h = Math.imul(h ^ b, FNV_PRIME);
  return h >>> 0;
}

function normalize(v: Float64Array): number[] {
  let norm = 0;
  for (let i = 0; i < v.length; i++) norm += v[i] * v[i];
  norm = Math.sqrt(norm) || 1;
  const out: number[] = [];
  for (let i = 0; i < v.length; i++) out.push(v[i] / norm);
  return out;
}

export interface OpenAIEmbedderOptions {
  apiKey?: string;
  baseURL?: string;
  model: string;
  timeoutMs?: number;
  batchSize?: number;
}

/** Embeddings from OpenAI or any compatible server; float format, since openai 6 defaults to base64. */
export class OpenAIEmbedder implements Embedder {
  readonly id: string;
  private client: Promise<OpenAI> | undefined;
  private dimension = 0;

  constructor(private readonly options: OpenAIEmbedderOptions) {
    this.id = `openai:${options.baseURL ?? 'api.openai.com'}:${options.model}`;
  }

  get dim(): number {
    return this.dimension;
  }

  /** The client, with the openai package loaded on first use: an offline start never pays for it. */
  private openai(): Promise<OpenAI> {
    this.client ??= import('openai').then(
      ({ default: OpenAI }) =>
        new OpenAI({
          apiKey: this.options.apiKey ?? 'sk-local',
          baseURL: this.options.baseURL,
          maxRetries: 1,
          timeout: this.options.timeoutMs ?? 20_000,
        }),
    );
    return this.client;
  }

  async embed(texts: string[]): Promise<number[][]> {
    const client = await this.openai();
    const out: number[][] = [];
    const batch = this.options.batchSize ?? 64;
    for (let i = 0; i < texts.length; i += batch) {
      const res = await client.embeddings.create({ model: this.options.model, input: texts.slice(i, i + batch), encoding_format: 'float' });
      for (const item of [...res.data].sort((a, b) => a.index - b.index)) out.push(item.embedding as number[]);
    }
    if (out.length) this.dimension = out[0].length;
    return out;
  }
}
