import OpenAI from 'openai';
import type { Glossary } from './glossary.js';
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

  embedOne(text: string): number[] {
    const counts = new Map<string, number>();
    const add = (feature: string, weight: number) => counts.set(feature, (counts.get(feature) ?? 0) + weight);
    for (const m of this.glossary.match(text)) add(`c:${m.conceptId}`, WEIGHTS.concept);
    for (const word of segmentWords(text)) {
      if (isCjk(word)) {
        if (!isChineseStopword(word)) add(`w:${word}`, WEIGHTS.zhWord);
      } else if (!isEnglishStopword(word)) {
        const stem = stemWord(word);
        add(`w:${stem}`, WEIGHTS.enWord);
        const padded = `<${stem}>`;
        if (stem.length > 3) for (let i = 0; i + 3 <= padded.length; i++) add(`t:${padded.slice(i, i + 3)}`, WEIGHTS.enTrigram);
      }
    }
    const s = normalizeText(text);
    for (let i = 0; i + 1 < s.length; i++) {
      if (isCjk(s[i]) && isCjk(s[i + 1])) add(`b:${s[i]}${s[i + 1]}`, WEIGHTS.zhBigram);
    }
    const v = new Float64Array(this.dim);
    for (const [feature, weight] of counts) {
      const h = fnv1a(feature);
      // Sub-linear term frequency; the sign bit halves the cost of hash collisions.
      v[h % this.dim] += (h & 0x80000000 ? -1 : 1) * (1 + Math.log(weight));
    }
    return normalize(v);
  }
}

function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

function normalize(v: Float64Array): number[] {
  let norm = 0;
  for (const x of v) norm += x * x;
  norm = Math.sqrt(norm) || 1;
  return Array.from(v, (x) => x / norm);
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
  private client: OpenAI;
  private dimension = 0;

  constructor(private readonly options: OpenAIEmbedderOptions) {
    this.id = `openai:${options.baseURL ?? 'api.openai.com'}:${options.model}`;
    this.client = new OpenAI({
      apiKey: options.apiKey ?? 'sk-local',
      baseURL: options.baseURL,
      maxRetries: 1,
      timeout: options.timeoutMs ?? 20_000,
    });
  }

  get dim(): number {
    return this.dimension;
  }

  async embed(texts: string[]): Promise<number[][]> {
    const out: number[][] = [];
    const batch = this.options.batchSize ?? 64;
    for (let i = 0; i < texts.length; i += batch) {
      const res = await this.client.embeddings.create({ model: this.options.model, input: texts.slice(i, i + batch), encoding_format: 'float' });
      for (const item of [...res.data].sort((a, b) => a.index - b.index)) out.push(item.embedding as number[]);
    }
    if (out.length) this.dimension = out[0].length;
    return out;
  }
}
