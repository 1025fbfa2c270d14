import type { Chunk } from './chunker.js';
import type { HashedEmbedder } from './embedder.js';
import type { LexicalHit, WeightedTerm } from './bm25.js';
import { lexicalTerms, type KnowledgeIndex } from './knowledge_index.js';
import type { Lang, Scope } from './schema.js';
import { tokenize } from './text.js';

export interface RetrieveOptions {
  k?: number;
  /** The user's language: preferred, with the other language as fallback. */
  lang?: Lang;
  /** "Now" for validity dates, YYYY-MM-DD. */
  asOf?: string;
  /** Restrict to these scopes; by default `other` is used only when nothing in scope matches. */
  scopes?: Scope[];
  /** Candidates taken from each list before fusion. */
  candidates?: number;
}

export interface RetrievalReasons {
  lexical?: { rank: number; score: number; matched: string[]; coverage: number };
  vector?: { rank: number; similarity: number };
  /** Glossary concepts the query and the chunk share. */
  concepts: string[];
  /** The chunk is in the other language (the user's had nothing as good). */
  otherLanguage: boolean;
}

export interface RetrievedChunk {
  chunk: Chunk;
  index: number;
  score: number;
  why: RetrievalReasons;
}

export interface RetrievalResult {
  query: string;
  concepts: string[];
  terms: WeightedTerm[];
  chunks: RetrievedChunk[];
  /** False when no in-scope chunk matched well: the composer should say the corpus is silent. */
  inScopeMatch: boolean;
  /** The best lexical coverage among returned chunks (0..1): how much of the question they address. */
  bestCoverage: number;
}

/** Fusion and re-ranking weights, measured on eval/datasets/retrieval.jsonl (see README). */
export const RETRIEVAL_TUNING = {
  rrfK: 60,
  lexicalWeight: 1,
  vectorWeight: 0.5,
  /** score × (coverageBase + coverage^coveragePower): chunks answering more of the question rise. */
  coverageBase: 0.2,
  coveragePower: 2,
  otherLanguageFactor: 0.7,
  matchCoverage: 0.34,
  matchSimilarity: 0.3,
  /** An off-topic (`scope: other`) chunk wins only when it covers this much more of the question. */
  otherScopeMargin: 0.15,
  /** A document whose title covers the question's terms (e.g. "Shanghai", the title asked about) ranks higher. */
  titleWeight: 0.3,
  /** A chunk whose own section heading covers the question's terms ranks higher (the conditions section of a document titled with them all). */
  sectionWeight: 0.2,
  /** A question about Shanghai (or about the national standard) prefers documents titled so. */
  jurisdictionFactor: 1.5,
  /** A question on Engineer ranks a document titled only with a more specific title (Senior Engineer) lower. */
  specificTitleFactor: 1.5,
  maxPerDoc: 2,
  /**
   * Offline (hashed) embedder only: the query vector is moved toward the best lexical hit's vector by
   * this much (pseudo-relevance feedback). A short question hashes to ~17 of 256 dimensions and lies
   * far from every chunk, where HNSW loses its way (recall@10 0.59 at 100k chunks); moved next to a
   * real chunk it finds the same neighbours exact search does (0.98), and the vector list still adds
   * what the words alone miss. See README "Retrieval benchmark".
   */
  feedbackWeight: 4,
};

const T = RETRIEVAL_TUNING;
const SHANGHAI = /上海|沪|shanghai/i;
const NATIONAL = /国家标准|全国|国家规定|national/i;
/** A document on the national standard's conditions (not one that merely surveys the whole country). */
const NATIONAL_STANDARD = /国家标准|国家基本标准|national (basic )?standard/i;

/** Whether a question names no place: this service's askers then apply in Shanghai (as the eligibility tool assumes). */
export const namesNoPlace = (query: string) => !NATIONAL.test(query) && !SHANGHAI.test(query);
/** A document on the national standard alone, which ranks for a question naming no place as one about another place. */
export const isNationalStandardOnly = (title: string) => NATIONAL_STANDARD.test(title) && !SHANGHAI.test(title);

export const todayIso = () => new Date().toISOString().slice(0, 10);

/** Expand a query with glossary concepts: shared `§concept` tokens and the canonical terms in both languages. */
export function queryTerms(index: KnowledgeIndex, query: string): { terms: WeightedTerm[]; concepts: string[]; spelling: Map<string, string[]> } {
  const matches = index.glossary.match(query);
  const concepts = [...new Set(matches.map((m) => m.conceptId))];
  const terms: WeightedTerm[] = lexicalTerms(query, index.glossary).map((term) => ({ term, weight: term.startsWith('§') ? 1.5 : 1 }));
  for (const id of concepts) {
    const canon = index.glossary.canonical(id);
    if (!canon) continue;
    for (const term of [...tokenize(canon.zh), ...tokenize(canon.en)]) terms.push({ term, weight: 0.35 });
  }
  // The question's words that spell a concept it names (中经, 博士毕业, "senior engineer"), by concept token.
  const spelling = new Map<string, string[]>();
  for (const m of matches) {
    for (const term of tokenize(m.surface)) spelling.set(term, [...(spelling.get(term) ?? []), `§${m.conceptId}`]);
  }
  return { terms, concepts, spelling };
}

/**
 * How much of the question a lexical hit covers, where a chunk holding a concept the question names
 * also covers the words that spelled it: the Chinese chunk on 高级工程师 answers "senior engineer", and
 * one on 经济师 answers 中经, though neither holds the question's own words.
 */
function coverageWithConcepts(hit: LexicalHit, spelling: Map<string, string[]>, queryWeight: Map<string, number>, totalWeight: number): number {
  const has = new Set(hit.matched);
  let credit = 0;
  for (const [term, concepts] of spelling) if (!has.has(term) && concepts.some((c) => has.has(c))) credit += queryWeight.get(term) ?? 0;
  return Math.min(1, hit.coverage + credit / totalWeight);
}

/**
 * Recent results per index snapshot. Citizens ask the popular questions in the same words (the web page's
 * suggestion buttons send them verbatim), and a snapshot never changes (an update makes a new one), so a
 * question asked again on the same day is answered from here. Results are frozen: callers derive, never modify.
 */
let recentLimit = 1024;
const recentResults = new WeakMap<KnowledgeIndex, Map<string, Promise<RetrievalResult>>>();
const cacheCounts = { hits: 0, misses: 0 };

/** How many recent results each index snapshot keeps (RETRIEVAL_CACHE_SIZE); 0 turns the cache off. */
export function setRetrievalCacheSize(size: number): void {
  recentLimit = Math.max(0, Math.floor(size));
}

/** Retrievals answered from the recent results, and the rest, in this process so far. */
export function retrievalCacheCounts(): Readonly<typeof cacheCounts> {
  return { ...cacheCounts };
}

const frozen = (r: RetrievalResult): RetrievalResult => Object.freeze({ ...r, chunks: Object.freeze(r.chunks.map((c) => Object.freeze(c))) as RetrievedChunk[] });

/** Hybrid retrieval: BM25 and HNSW lists fused by reciprocal rank, then filtered and re-ranked. */
export function retrieve(index: KnowledgeIndex, query: string, options: RetrieveOptions = {}): Promise<RetrievalResult> {
  const k = options.k ?? 5;
  const asOf = options.asOf ?? todayIso();
  if (recentLimit === 0) return retrieveAfresh(index, query, k, asOf, options);
  const key = JSON.stringify([query, k, asOf, options.lang ?? '', options.scopes ?? null, options.candidates ?? null]);
  let recent = recentResults.get(index);
  if (!recent) recentResults.set(index, (recent = new Map()));
  const known = recent.get(key);
  if (known) {
    cacheCounts.hits++;
    // Most recently used last, so the oldest is the first key.
    recent.delete(key);
    recent.set(key, known);
    return known;
  }
  cacheCounts.misses++;
  const result = retrieveAfresh(index, query, k, asOf, options).then(frozen);
  while (recent.size >= recentLimit) recent.delete(recent.keys().next().value!);
  recent.set(key, result);
  // A failure (the embeddings API, say) is not remembered.
  result.catch(() => {
    if (recent.get(key) === result) recent.delete(key);
  });
  return result;
}

async function retrieveAfresh(index: KnowledgeIndex, query: string, k: number, asOf: string, options: RetrieveOptions): Promise<RetrievalResult> {
  const pool = Math.max(options.candidates ?? 60, k * 4);
  const { terms, concepts, spelling } = queryTerms(index, query);

  const valid = (i: number) => {
    if (!index.isLive(i)) return false;
    const c = index.chunks[i];
    if (c.effectiveFrom && c.effectiveFrom > asOf) return false;
    if (c.effectiveTo && c.effectiveTo < asOf) return false;
    return !options.scopes || options.scopes.includes(c.scope);
  };

  const lexical = index.bm25.search(terms, pool, valid);
  const queryVector = await vectorQuery(index, query, lexical[0]?.index);
  const vector = queryVector && index.chunks.length ? searchVectors(index, queryVector, pool, valid) : [];

  const fused = new Map<number, { score: number; why: RetrievalReasons }>();
  const entry = (i: number) => {
    let e = fused.get(i);
    if (!e) fused.set(i, (e = { score: 0, why: { concepts: [], otherLanguage: false } }));
    return e;
  };
  // What each term weighs in a question's coverage, as the lexical index weighs it (weight × idf).
  const queryWeight = new Map<string, number>();
  for (const t of terms) queryWeight.set(t.term, Math.max(queryWeight.get(t.term) ?? 0, t.weight * index.bm25.idf(t.term)));
  const totalWeight = [...queryWeight.values()].reduce((a, b) => a + b, 0) || 1;
  // Whether the corpus answers the question is judged on coverage with concepts; ranking keeps the words' own.
  const answered = new Map<number, number>();
  lexical.forEach((hit, rank) => {
    const e = entry(hit.index);
    e.score += T.lexicalWeight / (T.rrfK + rank + 1);
    e.why.lexical = { rank: rank + 1, score: round(hit.score), matched: hit.matched, coverage: round(hit.coverage) };
    answered.set(hit.index, coverageWithConcepts(hit, spelling, queryWeight, totalWeight));
  });
  vector.forEach((hit, rank) => {
    const e = entry(hit.index);
    e.score += T.vectorWeight / (T.rrfK + rank + 1);
    e.why.vector = { rank: rank + 1, similarity: round(hit.similarity) };
  });

  const conceptSet = new Set(concepts.map((c) => `§${c}`));
  // "Shanghai" is in almost every document, so BM25 gives it little weight; the asker's place matters more.
  const askedPlace = NATIONAL.test(query) ? NATIONAL : SHANGHAI.test(query) ? SHANGHAI : undefined;
  const otherPlace = askedPlace === NATIONAL ? SHANGHAI : NATIONAL;
  // How much of the question a title or heading covers.
  const weighted = [...queryWeight];
  const coverageOf = (holds: (term: string) => boolean, terms = weighted) => {
    let sum = 0;
    for (const [t, w] of terms) if (holds(t)) sum += w;
    return sum / totalWeight;
  };
  // The section's own heading (under the document's title heading; none for a document's opening lines), read
  // for the question's words as they are: a heading per few chunks is too many to tokenise and keep.
  const words = weighted.filter(([t]) => !t.startsWith('§'));
  const sectionCoverageOf = (chunk: Chunk) => {
    if (chunk.headingPath.length < 2) return 0;
    const heading = chunk.headingPath[chunk.headingPath.length - 1].toLowerCase();
    return coverageOf((t) => heading.includes(t), words);
  };
  const titleCoverage = new Map<string, number>();
  const titleCoverageOf = (chunk: Chunk) => {
    let c = titleCoverage.get(chunk.docId);
    if (c === undefined) {
      const title = titleTerms(index, chunk);
      c = coverageOf((t) => title.has(t));
      titleCoverage.set(chunk.docId, c);
    }
    return c;
  };
  // More specific titles than the one asked about, not asked about themselves (Senior Engineer for Engineer).
  const specific = new Set(concepts.flatMap((c) => index.glossary.specificFormsOf(c)).filter((c) => !concepts.includes(c)).map((c) => `§${c}`));
  const hasAny = (words: Set<string>, terms: Set<string>) => {
    for (const t of terms) if (words.has(t)) return true;
    return false;
  };
  const titledMoreSpecifically = (chunk: Chunk) => {
    if (specific.size === 0) return false;
    const words = titleTerms(index, chunk);
    return hasAny(words, specific) && !hasAny(words, conceptSet);
  };
  // A national-standard document ranks as one about another place only where a Shanghai document on the same
  // title exists: for 助理工程师 there is none, and the national standard is what the corpus has.
  const ranked: RetrievedChunk[] = [];
  for (const [i, e] of fused) {
    const chunk = index.chunks[i];
    const coverage = e.why.lexical?.coverage ?? 0;
    e.why.concepts = (e.why.lexical?.matched ?? []).filter((t) => conceptSet.has(t)).map((t) => t.slice(1));
    e.why.otherLanguage = options.lang !== undefined && chunk.lang !== options.lang;
    // Re-rank: how much of the question the chunk covers matters beyond its rank in either list.
    const titleCovers = titleCoverageOf(chunk);
    // Among the chunks of a document whose title names the question, the section that does too comes first.
    let score = e.score * (T.coverageBase + coverage ** T.coveragePower) * (1 + T.titleWeight * titleCovers) * (titleCovers > 0 ? 1 + T.sectionWeight * sectionCoverageOf(chunk) : 1);
    if (askedPlace?.test(chunk.title) && !otherPlace.test(chunk.title)) score *= T.jurisdictionFactor;
    else if (askedPlace && otherPlace.test(chunk.title) && !askedPlace.test(chunk.title)) score /= T.jurisdictionFactor;
    // No place named: this service's askers apply in Shanghai (as the eligibility tool assumes), so a document
    // on the national standard alone ranks as one about another place.
    else if (!askedPlace && isNationalStandardOnly(chunk.title) && hasShanghaiCounterpart(index, chunk, conceptSet)) score /= T.jurisdictionFactor;
    if (e.why.otherLanguage) score *= T.otherLanguageFactor;
    if (titledMoreSpecifically(chunk)) score /= T.specificTitleFactor;
    ranked.push({ chunk, index: i, score, why: e.why });
  }
  ranked.sort((a, b) => b.score - a.score || a.index - b.index);

  // A query vector moved toward the best lexical hit is near that hit whatever was asked: its similarity is no evidence.
  const moved = lexical.length > 0 && isHashed(index) && T.feedbackWeight > 0;
  const answeredBy = (r: RetrievedChunk) => answered.get(r.index) ?? 0;
  const matches = (r: RetrievedChunk) => answeredBy(r) >= T.matchCoverage || (!moved && (r.why.vector?.similarity ?? 0) >= T.matchSimilarity);
  const bestCoverageOf = (inScope: boolean) => Math.max(0, ...ranked.filter((r) => (r.chunk.scope !== 'other') === inScope).map(answeredBy));
  const inScopeMatch = ranked.some((r) => r.chunk.scope !== 'other' && matches(r)) && bestCoverageOf(false) < bestCoverageOf(true) + T.otherScopeMargin;
  const eligible = options.scopes || !inScopeMatch ? ranked : ranked.filter((r) => r.chunk.scope !== 'other');

  const perDoc = new Map<string, number>();
  const chunks: RetrievedChunk[] = [];
  for (const r of eligible) {
    const n = perDoc.get(r.chunk.docId) ?? 0;
    if (n >= T.maxPerDoc) continue;
    perDoc.set(r.chunk.docId, n + 1);
    chunks.push({ ...r, score: round(r.score * 1000) / 1000 });
    if (chunks.length >= k) break;
  }
  const bestCoverage = Math.max(0, ...chunks.map((c) => c.why.lexical?.coverage ?? 0));
  return { query, concepts, terms, chunks, inScopeMatch, bestCoverage };
}

/**
 * Whether every concept asked about (§ terms) that a chunk's title names is also named in the title of some
 * Shanghai document: then a national-standard chunk is the other place's version of what Shanghai has.
 */
export function hasShanghaiCounterpart(index: KnowledgeIndex, chunk: Chunk, asked: Set<string>): boolean {
  const titledInShanghai = conceptsTitledInShanghai(index);
  for (const t of titleTerms(index, chunk)) if (asked.has(t) && !titledInShanghai.has(t)) return false;
  return true;
}

/** The glossary concepts (§ terms) named in the title of some Shanghai document, kept per index snapshot. */
const shanghaiConcepts = new WeakMap<KnowledgeIndex, Set<string>>();
function conceptsTitledInShanghai(index: KnowledgeIndex): Set<string> {
  let concepts = shanghaiConcepts.get(index);
  if (!concepts) {
    concepts = new Set();
    for (const chunkIds of index.chunksByDoc.values()) {
      const chunk = index.chunks[chunkIds[0]];
      if (!chunk || !SHANGHAI.test(chunk.title) || isNationalStandardOnly(chunk.title)) continue;
      for (const t of titleTerms(index, chunk)) if (t.startsWith('§')) concepts.add(t);
    }
    shanghaiConcepts.set(index, concepts);
  }
  return concepts;
}

/** A title's lexical terms, kept per index snapshot: tokenising ~100 titles per question cost ~1 ms. */
const titleTermCache = new WeakMap<KnowledgeIndex, Map<string, Set<string>>>();
function titleTerms(index: KnowledgeIndex, chunk: Chunk): Set<string> {
  let byDoc = titleTermCache.get(index);
  if (!byDoc) titleTermCache.set(index, (byDoc = new Map()));
  let words = byDoc.get(chunk.docId);
  if (!words) byDoc.set(chunk.docId, (words = new Set(lexicalTerms(chunk.title, index.glossary))));
  return words;
}

// By the embedder's id, not its class: what counts is how the index's vectors were made.
const isHashed = (index: KnowledgeIndex) => index.embedder.id.startsWith('hashed-');

/**
 * The vector the HNSW side searches with: the question's embedding, and for the offline hashed embedder
 * moved toward the chunk `feedbackFrom` (the best lexical hit), as `feedbackWeight` says.
 */
export async function vectorQuery(index: KnowledgeIndex, query: string, feedbackFrom?: number): Promise<number[] | undefined> {
  const hashed = index.embedder as Partial<HashedEmbedder>;
  const v = typeof hashed.embedOne === 'function' ? hashed.embedOne.call(index.embedder, query) : (await index.embedder.embed([query]))[0];
  if (!v || !isHashed(index) || feedbackFrom === undefined || T.feedbackWeight <= 0) return v;
  let hit: number[];
  try {
    hit = index.vectors.getPoint(feedbackFrom);
  } catch {
    return v; // a chunk without a vector (none yet): the plain question
  }
  const length = Math.hypot(...v) || 1;
  const hitLength = Math.hypot(...hit) || 1;
  const moved = v.map((x, d) => x / length + (T.feedbackWeight * hit[d]) / hitLength);
  const movedLength = Math.hypot(...moved) || 1;
  return moved.map((x) => x / movedLength);
}

/**
 * The n nearest accepted chunks. An unfiltered search for a few more than n, filtered here, comes
 * first: hnswlib calls a JS filter for every candidate it weighs (thousands of calls a query at 100k
 * chunks), while few chunks are ever filtered out. When too many of those are, the filtered search runs.
 */
function searchVectors(index: KnowledgeIndex, q: number[], n: number, accept: (i: number) => boolean) {
  const total = index.vectors.getCurrentCount();
  const want = Math.min(total, n + Math.ceil(n / 4) + 8);
  const first = index.vectors.searchKnn(q, want);
  const out: Array<{ index: number; similarity: number }> = [];
  for (let r = 0; r < first.neighbors.length && out.length < n; r++) {
    if (accept(first.neighbors[r])) out.push({ index: first.neighbors[r], similarity: 1 - first.distances[r] });
  }
  if (out.length >= Math.min(n, total) || first.neighbors.length < want) return out;
  const { neighbors, distances } = index.vectors.searchKnn(q, Math.min(n, total), accept);
  return neighbors.map((i, r) => ({ index: i, similarity: 1 - distances[r] }));
}

const round = (x: number) => Math.round(x * 10000) / 10000;
