import type { Intent } from '../mentor/index.js';
import { numbersIn } from '../llm/index.js';

/** The parts of a mentor reply the metrics read (the body of POST /api/chat). */
export interface ReplyLike {
  reply: string;
  intent: string;
  citations: Array<{ n: number; chunkId: string; quote: string; docId: string }>;
  eligibility?: { overall?: { status?: string } };
}

const fold = (s: string) => s.normalize('NFKC').toLowerCase();

/** "a|b|c": any one alternative appears, case-insensitive substring. */
export function mentions(text: string, spec: string): boolean {
  const hay = fold(text);
  return spec
    .split('|')
    .map((alt) => fold(alt.trim()))
    .filter(Boolean)
    .some((alt) => hay.includes(alt));
}

/** Key facts the reply covers and misses; coverage is undefined when the case names none. */
export function keyFacts(reply: string, mustMention: string[]): { missed: string[]; coverage?: number } {
  if (mustMention.length === 0) return { missed: [] };
  const missed = mustMention.filter((m) => !mentions(reply, m));
  return { missed, coverage: (mustMention.length - missed.length) / mustMention.length };
}

/** The must_not phrases the reply contains. */
export function mustNotHits(reply: string, mustNot: string[]): string[] {
  return mustNot.filter((m) => mentions(reply, m));
}

/**
 * Citation validity: each [n] in the text resolves to a citation with that n, each citation's chunk
 * exists, and each quote is verbatim in its chunk. Returns the problems; empty means valid.
 */
export function citationProblems(reply: ReplyLike, chunkText: (chunkId: string) => string | undefined): string[] {
  const problems: string[] = [];
  const numbers = new Set(reply.citations.map((c) => c.n));
  for (const n of new Set([...reply.reply.matchAll(/\[(\d+)\]/g)].map((m) => Number(m[1])))) {
    if (!numbers.has(n)) problems.push(`[${n}] has no citation`);
  }
  const seen = new Set<number>();
  for (const c of reply.citations) {
    if (seen.has(c.n)) problems.push(`[${c.n}] is numbered twice`);
    seen.add(c.n);
    const text = chunkText(c.chunkId);
    if (text === undefined) problems.push(`[${c.n}] cites ${c.chunkId}, which is not in the index`);
    else if (!c.quote.trim()) problems.push(`[${c.n}] has an empty quote`);
    else if (!text.includes(c.quote)) problems.push(`[${c.n}] quote is not in ${c.chunkId}: “${clip(c.quote, 80)}”`);
  }
  return problems;
}

/** Whether the reply carries any citation or [n] marker, i.e. whether citation validity applies. */
export function citesAnything(reply: ReplyLike): boolean {
  return reply.citations.length > 0 || /\[\d+\]/.test(reply.reply);
}

/**
 * Numbers in the reply that no evidence supports. A number counts as present only as a whole number
 * (5 is not found inside 2025); a date like 2025-12-31 also matches 2025年12月31日.
 */
export function ungroundedNumbers(reply: string, evidence: string[]): string[] {
  const hay = evidence.join('\n').normalize('NFKC');
  return [...new Set(numbersIn(reply.normalize('NFKC')))].filter((n) => !numberPresent(n, hay));
}

function numberPresent(n: string, hay: string): boolean {
  // Not part of a larger number: no digit (or "digit.") before it, no digit (or ".digit") after it. "No.1" still holds 1.
  if (new RegExp(`(?<!\\d)(?<!\\d\\.)${escapeRegExp(n)}(?!\\d|\\.\\d)`).test(hay)) return true;
  const groups = n.split(/[.\-/:]/);
  if (groups.length < 2 || n.includes('.')) return false;
  // The same digit groups in order, each separated by a short non-digit run (年, 月, -, /).
  const pattern = groups.map((g) => `0*${String(Number(g))}`).join('\\D{1,3}');
  return new RegExp(`(?<!\\d)${pattern}(?!\\d)`).test(hay);
}

/** The evidence a reply may take numbers from: its cited chunks' full text and the eligibility result. */
export function numberEvidence(reply: ReplyLike, chunkText: (chunkId: string) => string | undefined): string[] {
  const texts = reply.citations.map((c) => chunkText(c.chunkId)).filter((t): t is string => t !== undefined);
  if (reply.eligibility) texts.push(JSON.stringify(reply.eligibility));
  return texts;
}

const REFUSALS: ReadonlySet<string> = new Set<Intent>(['unsafe', 'out_of_scope']);

/** A reply refuses when the mentor declined it: unsafe or out of scope. */
export function isRefusal(intent: string): boolean {
  return REFUSALS.has(intent);
}

/** Whether a case expects a refusal: by its intent, else by its kind (adversarial cases without an intent are not counted). */
export function expectsRefusal(c: { intent?: string; kind: string }): boolean | undefined {
  if (c.intent) return isRefusal(c.intent);
  if (c.kind === 'out_of_scope') return true;
  if (c.kind === 'adversarial') return undefined;
  return false;
}

/** The mentor asked back: an eligibility check that needs facts, with a question in the reply. */
export function askedBack(reply: ReplyLike): boolean {
  return reply.eligibility?.overall?.status === 'needs_info' && /[?？]/.test(reply.reply);
}

export interface RetrievalScores {
  /** 1 when a relevant document is among the first k, per k. */
  hit: Record<number, number>;
  /** Reciprocal rank of the first relevant document (0 when none). */
  rr: number;
  ndcg10: number;
  /** 1-based rank of the first relevant document, if any. */
  firstRank?: number;
}

export const HIT_KS = [1, 3, 5] as const;

/**
 * Retrieval scores of a ranked list of distinct documents against the relevant set (binary gains).
 * The caller folds a document and its translation into one key, so a hit in either language counts once.
 */
export function retrievalScores(ranked: string[], relevant: ReadonlySet<string>): RetrievalScores {
  const firstIndex = ranked.findIndex((d) => relevant.has(d));
  const hit: Record<number, number> = {};
  for (const k of HIT_KS) hit[k] = firstIndex >= 0 && firstIndex < k ? 1 : 0;
  const rr = firstIndex >= 0 ? 1 / (firstIndex + 1) : 0;
  return { hit, rr, ndcg10: ndcgAt(ranked, relevant, 10), ...(firstIndex >= 0 ? { firstRank: firstIndex + 1 } : {}) };
}

/** nDCG@k with binary relevance: DCG = Σ rel_i / log2(i + 1), over the ideal DCG of |relevant| hits. */
export function ndcgAt(ranked: string[], relevant: ReadonlySet<string>, k: number): number {
  let dcg = 0;
  ranked.slice(0, k).forEach((d, i) => {
    if (relevant.has(d)) dcg += 1 / Math.log2(i + 2);
  });
  let ideal = 0;
  for (let i = 0; i < Math.min(k, relevant.size); i++) ideal += 1 / Math.log2(i + 2);
  return ideal === 0 ? 0 : dcg / ideal;
}

/** Nearest-rank percentile (p in 0..100) of a list of numbers; undefined for an empty list. */
export function percentile(values: number[], p: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1];
}

export const mean = (values: number[]): number | undefined => (values.length ? values.reduce((a, b) => a + b, 0) / values.length : undefined);

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function clip(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}
