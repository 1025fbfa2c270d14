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

/**
 * The stored form. Term t (in sorted order) has postings offsets[t] .. offsets[t + 1], in chunk order
 * (their number is its document frequency), encoded in `slots` from slotOffsets[t] on. A posting is
 * one 16-bit slot in the common case: the gap from the term's previous chunk (the first from −1) in the
 * high 14 bits and its term frequency, 1 to 3, in the low 2. A gap of 16384 or more is written as gap
 * 0, the chunk number following in two slots (high half first); a frequency of 4 or more as 0, the
 * count (up to 65535) following in one more slot. Two bytes a posting instead of six: about 34 MB less
 * at 100k chunks.
 */
export interface Bm25Data {
  k1: number;
  b: number;
  terms: string[];
  offsets: Int32Array;
  slotOffsets: Int32Array;
  slots: Uint16Array;
  docLengths: Uint32Array;
}

/** The largest term frequency a posting records (as the index always has). */
const MAX_TF = 65535;
/** Gaps and term frequencies that fit in a posting's first slot. */
const GAP_LIMIT = 1 << 14;
const TF_LIMIT = 4;

/** The slots a posting takes, given its term's previous chunk. */
function slotsFor(doc: number, previous: number, tf: number): number {
  return (doc - previous < GAP_LIMIT ? 1 : 3) + (tf < TF_LIMIT ? 0 : 1);
}

/**
 * Writes postings in the stored encoding, term after term. `copy` takes whole terms of another index
 * as they are, since gaps start again at each term.
 */
class PostingWriter {
  slots: Uint16Array;
  p = 0;
  s = 0;
  private previous = -1;

  constructor(slotCapacity: number) {
    this.slots = new Uint16Array(slotCapacity);
  }

  startTerm(): void {
    this.previous = -1;
  }

  push(doc: number, tf: number): void {
    const { slots } = this;
    const gap = doc - this.previous;
    const tfCode = tf < TF_LIMIT ? tf : 0;
    if (gap < GAP_LIMIT) slots[this.s++] = (gap << 2) | tfCode;
    else {
      slots[this.s++] = tfCode;
      slots[this.s++] = doc >>> 16;
      slots[this.s++] = doc & 0xffff;
    }
    if (tfCode === 0) slots[this.s++] = tf;
    this.previous = doc;
    this.p++;
  }

  copy(from: Bm25Data, firstTerm: number, endTerm: number): void {
    const s0 = from.slotOffsets[firstTerm];
    const s1 = from.slotOffsets[endTerm];
    this.slots.set(from.slots.subarray(s0, s1), this.s);
    this.p += from.offsets[endTerm] - from.offsets[firstTerm];
    this.s += s1 - s0;
  }

  /** The slots written, without the unused end of the capacity. */
  writtenSlots(): Uint16Array {
    // A typed array drops writes past its end; the capacity is a bound proved in merge, checked here.
    if (this.s > this.slots.length) throw new Error(`BM25 postings overran their ${this.slots.length} slots`);
    return this.s === this.slots.length ? this.slots : this.slots.slice(0, this.s);
  }
}

/** Calls `each` with every posting of term t, in chunk order. */
function forEachPosting(d: Bm25Data, t: number, each: (doc: number, tf: number) => void): void {
  const { slots } = d;
  const end = d.slotOffsets[t + 1];
  let doc = -1;
  for (let s = d.slotOffsets[t]; s < end; ) {
    const first = slots[s++];
    const gap = first >>> 2;
    let tf = first & 3;
    if (gap === 0) {
      doc = slots[s] * 65536 + slots[s + 1];
      s += 2;
    } else doc += gap;
    if (tf === 0) tf = slots[s++];
    each(doc, tf);
  }
}

/**
 * Okapi BM25 over pre-tokenised chunks. Postings sit in flat typed arrays so 100k chunks stay compact
 * and a query only touches the chunks that contain its terms.
 */
export class Bm25Index {
  private readonly avgLength: number;

  private constructor(private readonly data: Bm25Data) {
    let total = 0;
    for (const l of data.docLengths) total += l;
    this.avgLength = data.docLengths.length ? total / data.docLengths.length : 1;
  }

  /**
   * A term's number: its place in the sorted term list, found by binary search. A Map from term to
   * number had to be built again at every start and every edit that adds a word, on the event loop, and
   * grows with the vocabulary (14k terms in the 100k-chunk benchmark corpus, far more in real prose);
   * a question looks up a few dozen terms.
   */
  private termId(term: string): number | undefined {
    const { terms } = this.data;
    let lo = 0;
    let hi = terms.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const t = terms[mid];
      if (t === term) return mid;
      if (t < term) lo = mid + 1;
      else hi = mid - 1;
    }
    return undefined;
  }

  static build(docs: string[][], k1 = 1.2, b = 0.75): Bm25Index {
    // Number the terms in order of first sight, then build from the numbers.
    const ids = new Map<string, number>();
    const names: string[] = [];
    let total = 0;
    for (const tokens of docs) total += tokens.length;
    const tokenIds = new Int32Array(total);
    const docStarts = new Int32Array(docs.length + 1);
    let at = 0;
    docs.forEach((tokens, docIndex) => {
      for (const t of tokens) {
        let id = ids.get(t);
        if (id === undefined) {
          id = names.length;
          ids.set(t, id);
          names.push(t);
        }
        tokenIds[at++] = id;
      }
      docStarts[docIndex + 1] = at;
    });
    return Bm25Index.buildFromIds(names, tokenIds, docStarts, k1, b);
  }

  /**
   * The index of documents given as term numbers: document d's tokens are tokenIds[docStarts[d] ..
   * docStarts[d + 1]), and `names[id]` is a term's text. The result does not depend on the numbering
   * (an index build numbers terms as its analyser meets them, see analyzer.ts).
   */
  static buildFromIds(names: readonly string[], tokenIds: Int32Array, docStarts: Int32Array, k1 = 1.2, b = 0.75): Bm25Index {
    const docCount = docStarts.length - 1;
    const termCount = names.length;
    const docLengths = new Uint32Array(docCount);
    const tf = new Uint32Array(termCount);
    const seen = new Int32Array(termCount);
    // Pass 1: each term's document frequency.
    const df = new Int32Array(termCount);
    for (let d = 0; d < docCount; d++) {
      let distinct = 0;
      docLengths[d] = docStarts[d + 1] - docStarts[d];
      for (let p = docStarts[d]; p < docStarts[d + 1]; p++) {
        const id = tokenIds[p];
        if (tf[id]++ === 0) seen[distinct++] = id;
      }
      for (let j = 0; j < distinct; j++) {
        df[seen[j]]++;
        tf[seen[j]] = 0;
      }
    }
    // Terms in sorted order (as Array.prototype.sort orders strings); unused numbers are dropped.
    const used: number[] = [];
    for (let id = 0; id < termCount; id++) if (df[id] > 0) used.push(id);
    used.sort((x, y) => (names[x] < names[y] ? -1 : names[x] > names[y] ? 1 : 0));
    const terms = used.map((id) => names[id]);
    const rankOf = new Int32Array(termCount);
    const offsets = new Int32Array(terms.length + 1);
    used.forEach((id, rank) => {
      rankOf[id] = rank;
      offsets[rank + 1] = df[id];
    });
    for (let r = 0; r < terms.length; r++) offsets[r + 1] += offsets[r];
    // Pass 2: postings, each term's in document order.
    const total = offsets[terms.length];
    const postingDocs = new Int32Array(total);
    const postingTfs = new Uint16Array(total);
    const next = offsets.slice(0, terms.length);
    for (let d = 0; d < docCount; d++) {
      let distinct = 0;
      for (let p = docStarts[d]; p < docStarts[d + 1]; p++) {
        const id = tokenIds[p];
        if (tf[id]++ === 0) seen[distinct++] = id;
      }
      for (let j = 0; j < distinct; j++) {
        const id = seen[j];
        const at = next[rankOf[id]]++;
        postingDocs[at] = d;
        postingTfs[at] = Math.min(tf[id], MAX_TF);
        tf[id] = 0;
      }
    }
    // Pass 3: the stored encoding, sized exactly.
    const slotOffsets = new Int32Array(terms.length + 1);
    for (let r = 0; r < terms.length; r++) {
      let slots = 0;
      let previous = -1;
      for (let p = offsets[r]; p < offsets[r + 1]; p++) {
        slots += slotsFor(postingDocs[p], previous, postingTfs[p]);
        previous = postingDocs[p];
      }
      slotOffsets[r + 1] = slotOffsets[r] + slots;
    }
    const out = new PostingWriter(slotOffsets[terms.length]);
    for (let r = 0; r < terms.length; r++) {
      out.startTerm();
      for (let p = offsets[r]; p < offsets[r + 1]; p++) out.push(postingDocs[p], postingTfs[p]);
    }
    return new Bm25Index({ k1, b, terms, offsets, slotOffsets, slots: out.slots, docLengths });
  }

  /**
   * The index `build` would make of the same documents after an incremental change: the `removed`
   * documents emptied (tombstones keep their position) and the `added` ones appended. Works on the
   * posting arrays directly, so a one-document change to a 100k-chunk corpus costs tens of
   * milliseconds instead of re-tokenising every chunk (tens of seconds, all on the event loop).
   */
  static merge(previous: Bm25Index, removed: Iterable<number>, added: string[][]): Bm25Index {
    const old = previous.data;
    const oldSize = old.docLengths.length;
    const gone = new Uint8Array(oldSize);
    let anyGone = false;
    for (const i of removed) {
      if (i >= 0 && i < oldSize && old.docLengths[i] > 0) {
        gone[i] = 1;
        anyGone = true;
      }
    }
    const docLengths = new Uint32Array(oldSize + added.length);
    docLengths.set(old.docLengths);
    for (let i = 0; i < oldSize; i++) if (gone[i]) docLengths[i] = 0;

    // The new documents' postings per term, in document order (counted as build counts them).
    const fresh = new Map<string, { docs: number[]; tfs: number[] }>();
    let freshTotal = 0;
    added.forEach((tokens, j) => {
      const doc = oldSize + j;
      docLengths[doc] = tokens.length;
      const tf = new Map<string, number>();
      for (const t of tokens) tf.set(t, (tf.get(t) ?? 0) + 1);
      for (const [t, n] of tf) {
        let p = fresh.get(t);
        if (!p) fresh.set(t, (p = { docs: [], tfs: [] }));
        p.docs.push(doc);
        p.tfs.push(Math.min(n, MAX_TF));
        freshTotal++;
      }
    });
    const freshOld = new Map<number, { docs: number[]; tfs: number[] }>();
    const newTerms: string[] = [];
    for (const [t, p] of fresh) {
      const id = previous.termId(t);
      if (id === undefined) newTerms.push(t);
      else freshOld.set(id, p);
    }
    newTerms.sort();

    // Postings that survive, per old term: one pass over every posting finds the removed ones.
    const T = old.terms.length;
    const kept = new Int32Array(T);
    for (let t = 0; t < T; t++) kept[t] = old.offsets[t + 1] - old.offsets[t];
    const oldTotal = old.offsets[T];
    let keptTotal = oldTotal;
    if (anyGone) {
      for (let t = 0; t < T; t++) {
        forEachPosting(old, t, (doc) => {
          if (gone[doc]) {
            kept[t]--;
            keptTotal--;
          }
        });
      }
    }
    // A removed posting widens at most the next gap into an escape (two more slots) and frees its own
    // one or more; a new posting takes at most four.
    const out = new PostingWriter(old.slots.length + (oldTotal - keptTotal) + 4 * freshTotal);
    const terms: string[] = [];
    const offsets = new Int32Array(T + newTerms.length + 1);
    const slotOffsets = new Int32Array(T + newTerms.length + 1);
    // Untouched old terms are copied in runs, one typed-array copy per run rather than per term.
    let runFrom = -1;
    let runTo = -1;
    const flushRun = () => {
      if (runFrom >= 0) out.copy(old, runFrom, runTo);
      runFrom = -1;
    };
    const pushFresh = (p: { docs: number[]; tfs: number[] }) => {
      for (let i = 0; i < p.docs.length; i++) out.push(p.docs[i], p.tfs[i]);
    };
    const endTerm = (term: string) => {
      terms.push(term);
      offsets[terms.length] = out.p;
      slotOffsets[terms.length] = out.s;
    };
    // Old and new terms merged in sorted order; a term left without postings is dropped, as build would.
    let n = 0;
    for (let t = 0; t <= T; t++) {
      while (n < newTerms.length && (t === T || newTerms[n] < old.terms[t])) {
        flushRun();
        out.startTerm();
        pushFresh(fresh.get(newTerms[n])!);
        endTerm(newTerms[n++]);
      }
      if (t === T) break;
      const p = freshOld.get(t);
      if (kept[t] === 0 && !p) {
        flushRun();
        continue;
      }
      if (kept[t] === old.offsets[t + 1] - old.offsets[t] && !p) {
        if (runFrom < 0) runFrom = t;
        runTo = t + 1;
        // The run's last term is copied by flushRun; record where this one ends once it is.
        terms.push(old.terms[t]);
        offsets[terms.length] = out.p + (old.offsets[t + 1] - old.offsets[runFrom]);
        slotOffsets[terms.length] = out.s + (old.slotOffsets[t + 1] - old.slotOffsets[runFrom]);
        continue;
      }
      flushRun();
      out.startTerm();
      if (kept[t] > 0) forEachPosting(old, t, (doc, tf) => gone[doc] || out.push(doc, tf));
      if (p) pushFresh(p);
      endTerm(old.terms[t]);
    }
    flushRun();
    const unchangedTerms = terms.length === T && newTerms.length === 0;
    return new Bm25Index({
      k1: old.k1,
      b: old.b,
      terms: unchangedTerms ? old.terms : terms,
      offsets: offsets.slice(0, terms.length + 1),
      slotOffsets: slotOffsets.slice(0, terms.length + 1),
      slots: out.writtenSlots(),
      docLengths,
    });
  }

  get size(): number {
    return this.data.docLengths.length;
  }

  idf(term: string): number {
    return this.idfOf(this.termId(term));
  }

  private idfOf(id: number | undefined): number {
    const df = id === undefined ? 0 : this.data.offsets[id + 1] - this.data.offsets[id];
    const n = this.size;
    return Math.log(1 + (n - df + 0.5) / (df + 0.5));
  }

  search(query: WeightedTerm[], k: number, accept?: (index: number) => boolean): LexicalHit[] {
    const { k1, slots, slotOffsets } = this.data;
    const merged = new Map<string, number>();
    for (const q of query) merged.set(q.term, Math.max(merged.get(q.term) ?? 0, q.weight));
    // Accumulate into typed arrays indexed by chunk instead of a Map of objects: a common term touches
    // tens of thousands of chunks in a 100k corpus. Touched chunks are marked, then found by a scan
    // (growing a list of them in the posting loop cost ten times the scoring itself). The mark is a bit
    // per query term, which also tells which terms a hit matched.
    const { scores, marks, lengthNorm } = this.scratch();
    const found: Array<{ term: string; id: number; termWeight: number }> = [];
    let totalWeight = 0;
    for (const [term, weight] of merged) {
      const id = this.termId(term);
      const idf = this.idfOf(id);
      totalWeight += idf * weight;
      if (id === undefined) continue;
      const bit = markBit(found.length);
      found.push({ term, id, termWeight: idf * weight });
      const end = slotOffsets[id + 1];
      const termFactor = weight * idf;
      // forEachPosting's decoding, written out: a callback per posting made a turn at 100k chunks about
      // 6 % slower (`npm run bench:turn -- --size 100000`, 2.35–2.53 against 2.55–2.74 ms, alternating).
      let doc = -1;
      for (let s = slotOffsets[id]; s < end; ) {
        const first = slots[s++];
        const gap = first >>> 2;
        let tf = first & 3;
        if (gap === 0) {
          doc = slots[s] * 65536 + slots[s + 1];
          s += 2;
        } else doc += gap;
        if (tf === 0) tf = slots[s++];
        scores[doc] += termFactor * ((tf * (k1 + 1)) / (tf + lengthNorm[doc]));
        marks[doc] |= bit;
      }
    }
    try {
      return this.best(k, found, totalWeight, accept);
    } finally {
      // Leave the work arrays clean for the next search, even when `accept` throws.
      if (found.length > 0) {
        scores.fill(0);
        marks.fill(0);
      }
    }
  }

  /** The best k accepted chunks of the scores in the work arrays: score desc, then index asc. */
  private best(k: number, found: Array<{ term: string; id: number; termWeight: number }>, totalWeight: number, accept?: (index: number) => boolean): LexicalHit[] {
    const { scores, marks } = this.scratch();
    const better = (x: number, y: number) => scores[x] > scores[y] || (scores[x] === scores[y] && x < y);
    // A small heap whose root is the worst kept; `accept` is only asked about chunks that would enter it.
    // Chunks are visited in ascending order, so a later chunk that ties the root's score ranks below it
    // (ties go to the lower index): a full heap only takes a strictly higher score. The comparison is
    // inlined here because a common term touches most of a 100k-chunk corpus.
    const heap: number[] = [];
    if (found.length > 0 && k > 0) {
      let floor = -Infinity;
      for (let doc = 0; doc < marks.length; doc++) {
        if (marks[doc] === 0) continue;
        if (heap.length === k && scores[doc] <= floor) continue;
        if (accept && !accept(doc)) continue;
        if (heap.length < k) siftUp(heap, doc, better);
        else replaceRoot(heap, doc, better);
        if (heap.length === k) floor = scores[heap[0]];
      }
    }
    heap.sort((x, y) => (better(x, y) ? -1 : better(y, x) ? 1 : 0));
    return heap.map((index) => {
      // The matched terms' weights, summed in query order as they were when scored.
      const matched = found.filter((f, i) => (i < SHARED_MARK ? (marks[index] & markBit(i)) !== 0 : this.contains(f.id, index)));
      let weight = 0;
      for (const f of matched) weight += f.termWeight;
      return { index, score: scores[index], matched: matched.map((f) => f.term), coverage: totalWeight ? weight / totalWeight : 0 };
    });
  }

  private scratchArrays?: { scores: Float64Array; marks: Int32Array; lengthNorm: Float64Array };

  /**
   * Per-index work arrays, made on the first search. `lengthNorm` is each chunk's k1 × (1 − b + b ×
   * length / avgLength), the length part of BM25's term-frequency factor. A factor per posting would
   * spare the loop a division but cost 8 bytes a posting: 66 MB at 100k chunks.
   */
  private scratch(): { scores: Float64Array; marks: Int32Array; lengthNorm: Float64Array } {
    if (!this.scratchArrays) {
      const { k1, b, docLengths } = this.data;
      const n = docLengths.length;
      const lengthNorm = new Float64Array(n);
      for (let doc = 0; doc < n; doc++) lengthNorm[doc] = k1 * (1 - b + (b * docLengths[doc]) / this.avgLength);
      this.scratchArrays = { scores: new Float64Array(n), marks: new Int32Array(n), lengthNorm };
    }
    return this.scratchArrays;
  }

  /** Whether a chunk is in a term's postings: for the rare query with more terms than mark bits. */
  private contains(termId: number, doc: number): boolean {
    let found = false;
    forEachPosting(this.data, termId, (d) => {
      if (d === doc) found = true;
    });
    return found;
  }

  toData(): Bm25Data {
    return { ...this.data };
  }

  static fromData(d: Bm25Data): Bm25Index {
    return new Bm25Index({ ...d });
  }
}

/**
 * A search marks each chunk a query term touches with the term's bit; terms past the 31st share the
 * last bit, so for them a hit's match is looked up in the postings.
 */
const SHARED_MARK = 31;
const markBit = (termIndex: number) => 1 << Math.min(termIndex, SHARED_MARK);

/** Min-heap helpers over chunk indexes, "min" being the worst by `better`. */
function siftUp(heap: number[], item: number, better: (x: number, y: number) => boolean): void {
  let i = heap.push(item) - 1;
  while (i > 0) {
    const parent = (i - 1) >> 1;
    if (!better(heap[parent], heap[i])) break;
    [heap[parent], heap[i]] = [heap[i], heap[parent]];
    i = parent;
  }
}

function replaceRoot(heap: number[], item: number, better: (x: number, y: number) => boolean): void {
  heap[0] = item;
  let i = 0;
  for (;;) {
    const l = 2 * i + 1;
    const r = l + 1;
    let worst = i;
    if (l < heap.length && better(heap[worst], heap[l])) worst = l;
    if (r < heap.length && better(heap[worst], heap[r])) worst = r;
    if (worst === i) return;
    [heap[worst], heap[i]] = [heap[i], heap[worst]];
    i = worst;
  }
}
