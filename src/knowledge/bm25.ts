/** A query term with the weight it carries (glossary expansions weigh less than typed words). */
export interface WeightedTerm {
  term: string;
  weight: number;
}

export interface LexicalHit {
  index: number;
  score: number;
  /** Query terms found in the chunk, and their share of the query's total idf weight. */
  matched: string[];
  coverage: number;
}

export interface Bm25Data {
  k1: number;
  b: number;
  terms: string[];
  offsets: Int32Array;
  postingDocs: Int32Array;
  postingTfs: Uint16Array;
  docLengths: Uint32Array;
}

/**
 * Okapi BM25 over pre-tokenised chunks. Postings sit in flat typed arrays so 100k chunks stay compact
 * and a query only touches the chunks that contain its terms.
 */
export class Bm25Index {
  private readonly termIds: Map<string, number>;
  private readonly avgLength: number;

  private constructor(
    private readonly data: Bm25Data,
  ) {
    this.termIds = new Map(data.terms.map((t, i) => [t, i]));
    let total = 0;
    for (const l of data.docLengths) total += l;
    this.avgLength = data.docLengths.length ? total / data.docLengths.length : 1;
  }

  static build(docs: string[][], k1 = 1.2, b = 0.75): Bm25Index {
    const postings = new Map<string, Array<[number, number]>>();
    const docLengths = new Uint32Array(docs.length);
    docs.forEach((tokens, docIndex) => {
      docLengths[docIndex] = tokens.length;
      const tf = new Map<string, number>();
      for (const t of tokens) tf.set(t, (tf.get(t) ?? 0) + 1);
      for (const [t, n] of tf) {
        let list = postings.get(t);
        if (!list) postings.set(t, (list = []));
        list.push([docIndex, Math.min(n, 65535)]);
      }
    });
    const terms = [...postings.keys()].sort();
    const offsets = new Int32Array(terms.length + 1);
    let total = 0;
    terms.forEach((t, i) => {
      offsets[i] = total;
      total += postings.get(t)!.length;
    });
    offsets[terms.length] = total;
    const postingDocs = new Int32Array(total);
    const postingTfs = new Uint16Array(total);
    terms.forEach((t, i) => {
      let at = offsets[i];
      for (const [d, n] of postings.get(t)!) {
        postingDocs[at] = d;
        postingTfs[at++] = n;
      }
    });
    return new Bm25Index({ k1, b, terms, offsets, postingDocs, postingTfs, docLengths });
  }

  get size(): number {
    return this.data.docLengths.length;
  }

  idf(term: string): number {
    const id = this.termIds.get(term);
    const df = id === undefined ? 0 : this.data.offsets[id + 1] - this.data.offsets[id];
    const n = this.size;
    return Math.log(1 + (n - df + 0.5) / (df + 0.5));
  }

  search(query: WeightedTerm[], k: number, accept?: (index: number) => boolean): LexicalHit[] {
    const { k1, b, offsets, postingDocs, postingTfs, docLengths } = this.data;
    const merged = new Map<string, number>();
    for (const q of query) merged.set(q.term, Math.max(merged.get(q.term) ?? 0, q.weight));
    const scores = new Map<number, { score: number; matched: string[]; weight: number }>();
    let totalWeight = 0;
    for (const [term, weight] of merged) {
      const idf = this.idf(term);
      totalWeight += idf * weight;
      const id = this.termIds.get(term);
      if (id === undefined) continue;
      for (let p = offsets[id]; p < offsets[id + 1]; p++) {
        const doc = postingDocs[p];
        const tf = postingTfs[p];
        const norm = tf + k1 * (1 - b + (b * docLengths[doc]) / this.avgLength);
        const s = weight * idf * ((tf * (k1 + 1)) / norm);
        const entry = scores.get(doc);
        if (entry) {
          entry.score += s;
          entry.matched.push(term);
          entry.weight += idf * weight;
        } else scores.set(doc, { score: s, matched: [term], weight: idf * weight });
      }
    }
    const hits: LexicalHit[] = [];
    for (const [index, e] of scores) {
      if (accept && !accept(index)) continue;
      hits.push({ index, score: e.score, matched: e.matched, coverage: totalWeight ? e.weight / totalWeight : 0 });
    }
    hits.sort((x, y) => y.score - x.score || x.index - y.index);
    return hits.slice(0, k);
  }

  toData(): Bm25Data {
    return { ...this.data };
  }

  static fromData(d: Bm25Data): Bm25Index {
    return new Bm25Index({ ...d });
  }
}
