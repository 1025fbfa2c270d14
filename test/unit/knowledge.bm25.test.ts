import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Bm25Index } from '../../src/knowledge/index.js';

interface WeightedTerm {
  term: string;
  weight: number;
}

/**
 * The straightforward Okapi BM25 the index started from (a Map per query): the typed-array index must
 * return exactly what it returns, scores and coverage to the last bit.
 */
function referenceSearch(docs: string[][], query: WeightedTerm[], k: number, accept?: (i: number) => boolean, k1 = 1.2, b = 0.75) {
  const df = new Map<string, number>();
  for (const d of docs) for (const t of new Set(d)) df.set(t, (df.get(t) ?? 0) + 1);
  const avg = docs.length ? docs.reduce((s, d) => s + d.length, 0) / docs.length : 1;
  const idf = (t: string) => Math.log(1 + (docs.length - (df.get(t) ?? 0) + 0.5) / ((df.get(t) ?? 0) + 0.5));
  const merged = new Map<string, number>();
  for (const q of query) merged.set(q.term, Math.max(merged.get(q.term) ?? 0, q.weight));
  const scores = new Map<number, { score: number; matched: string[]; weight: number }>();
  let totalWeight = 0;
  for (const [term, weight] of merged) {
    const i = idf(term);
    totalWeight += i * weight;
    docs.forEach((d, doc) => {
      const tf = Math.min(d.filter((t) => t === term).length, 65535);
      if (tf === 0) return;
      const norm = tf + k1 * (1 - b + (b * d.length) / avg);
      const s = weight * i * ((tf * (k1 + 1)) / norm);
      const e = scores.get(doc);
      if (e) {
        e.score += s;
        e.matched.push(term);
        e.weight += i * weight;
      } else scores.set(doc, { score: s, matched: [term], weight: i * weight });
    });
  }
  const hits = [...scores]
    .filter(([doc]) => !accept || accept(doc))
    .map(([index, e]) => ({ index, score: e.score, matched: e.matched, coverage: totalWeight ? e.weight / totalWeight : 0 }));
  hits.sort((x, y) => y.score - x.score || x.index - y.index);
  return hits.slice(0, k);
}

const VOCAB = ['职称', '申报', '高级', '工程师', 'senior', 'engin', 'titl', '§senior-engineer', '12333', 'year', '继续教育', 'rare'];
const term = fc.constantFrom(...VOCAB);
const docsArb = fc.array(fc.array(term, { maxLength: 30 }), { minLength: 1, maxLength: 60 });
const queryArb = fc.array(fc.record({ term: fc.oneof(term, fc.constant('absent')), weight: fc.constantFrom(1, 1.5, 0.35, 0) }), { maxLength: 8 });

describe('Bm25Index', () => {
  it('returns exactly what the reference BM25 returns (random corpora, queries, k and filters)', () => {
    fc.assert(
      fc.property(docsArb, queryArb, queryArb, fc.integer({ min: 0, max: 70 }), fc.integer({ min: 1, max: 4 }), (docs, query, next, k, modulo) => {
        const index = Bm25Index.build(docs);
        const accept = modulo === 1 ? undefined : (i: number) => i % modulo !== 0;
        expect(index.search(query, k, accept)).toEqual(referenceSearch(docs, query, k, accept));
        // A second question on the same index: the work arrays were left clean.
        expect(index.search(next, k)).toEqual(referenceSearch(docs, next, k));
      }),
      { numRuns: 300 },
    );
  });

  it('answers the same after a round trip through its stored form', () => {
    fc.assert(
      fc.property(docsArb, queryArb, (docs, query) => {
        const index = Bm25Index.build(docs);
        expect(Bm25Index.fromData(index.toData()).search(query, 10)).toEqual(index.search(query, 10));
      }),
      { numRuns: 100 },
    );
  });

  it('merging removals and additions gives the index a rebuild gives (stored form and answers)', () => {
    const removedArb = fc.array(fc.integer({ min: -2, max: 70 }), { maxLength: 20 });
    fc.assert(
      fc.property(docsArb, removedArb, fc.array(fc.array(fc.oneof(term, fc.constantFrom('new-a', 'new-b', '!first')), { maxLength: 30 }), { maxLength: 6 }), queryArb, (docs, removed, added, query) => {
        const previous = Bm25Index.build(docs);
        const gone = new Set(removed.filter((i) => i >= 0 && i < docs.length));
        const merged = Bm25Index.merge(previous, removed, added);
        const rebuilt = Bm25Index.build([...docs.map((d, i) => (gone.has(i) ? [] : d)), ...added]);
        expect(merged.toData()).toEqual(rebuilt.toData());
        expect(merged.search(query, 10)).toEqual(rebuilt.search(query, 10));
      }),
      { numRuns: 300 },
    );
  });

  it('a second merge over a tombstoned index still matches a rebuild', () => {
    const docs = [['职称', '申报'], ['职称', 'year'], ['rare']];
    const once = Bm25Index.merge(Bm25Index.build(docs), [2], [['rare', 'new-a']]);
    const twice = Bm25Index.merge(once, [0, 2], [['申报']]);
    expect(twice.toData()).toEqual(Bm25Index.build([[], ['职称', 'year'], [], ['rare', 'new-a'], ['申报']]).toData());
  });

  it('stores far-apart chunks, large term counts and long queries exactly (the escapes of the encoding)', () => {
    // Chunks 70k apart (a gap past a slot), a term 3, 4, 300 and 70,000 times in one chunk (counts in the
    // slot, past it, and past the 65535 cap), and a query of 40 matched terms (more than the mark bits).
    const size = 80_001;
    const docs: string[][] = Array.from({ length: size }, (_, i) => (i % 1000 === 0 ? ['common'] : []));
    docs[3] = ['far', 'common'];
    docs[70_000] = ['far', ...Array<string>(300).fill('often'), 'common'];
    docs[40_000] = ['mid', 'common', ...Array<string>(70_000).fill('often')];
    docs[80_000] = ['mid'];
    for (const at of [10_000, 20_000, 30_000]) docs[at] = ['near', 'common'];
    docs[5] = ['often', 'often', 'often'];
    docs[6] = ['often', 'often', 'often', 'often', 'near'];
    docs[0] = Array.from({ length: 40 }, (_, i) => `t${i}`);
    docs[1] = Array.from({ length: 40 }, (_, i) => `t${39 - i}`).filter((_, i) => i % 3 !== 0);
    const index = Bm25Index.build(docs);
    const queries = [
      [{ term: 'far', weight: 1 }],
      [{ term: 'often', weight: 1 }, { term: 'mid', weight: 0.5 }],
      [{ term: 'near', weight: 1 }, { term: 'far', weight: 1 }],
      Array.from({ length: 40 }, (_, i) => ({ term: `t${i}`, weight: 1 + (i % 3) })),
    ];
    for (const query of queries) expect(index.search(query, 5)).toEqual(referenceSearch(docs, query, 5));
    expect(index.search(queries[3], 2).find((h) => h.index === 1)?.matched).toHaveLength(26);
    // Removing chunk 20,000 widens near's gap from 10,000 to 20,000, past a slot: merge writes the escape.
    const gone = new Set([40_000, 20_000]);
    const merged = Bm25Index.merge(index, [...gone], [['far', 'near', ...Array<string>(256).fill('often')]]);
    const rebuiltDocs = [...docs.map((d, i) => (gone.has(i) ? [] : d)), ['far', 'near', ...Array<string>(256).fill('often')]];
    expect(merged.toData()).toEqual(Bm25Index.build(rebuiltDocs).toData());
    for (const query of queries) expect(merged.search(query, 5)).toEqual(referenceSearch(rebuiltDocs, query, 5));
    expect(Bm25Index.fromData(merged.toData()).search(queries[0], 5)).toEqual(referenceSearch(rebuiltDocs, queries[0], 5));
    // A removal that frees one slot and widens the next gap into a three-slot escape: the merged
    // postings take more slots than before.
    const sparse = Array.from({ length: 20_001 }, (_, i) => (i % 10_000 === 0 ? ['x'] : []));
    const thinned = Bm25Index.merge(Bm25Index.build(sparse), [10_000], []);
    expect(thinned.toData()).toEqual(Bm25Index.build(sparse.map((d, i) => (i === 10_000 ? [] : d))).toData());
  });

  it('a filter that throws leaves the index answering correctly afterwards', () => {
    const docs = [['职称', '申报'], ['职称'], ['申报', 'year']];
    const index = Bm25Index.build(docs);
    const query = [{ term: '职称', weight: 1 }, { term: '申报', weight: 1 }];
    expect(() =>
      index.search(query, 5, () => {
        throw new Error('filter failed');
      }),
    ).toThrow('filter failed');
    const next = [{ term: 'year', weight: 1 }];
    expect(index.search(next, 5)).toEqual(referenceSearch(docs, next, 5));
    expect(index.search(query, 5)).toEqual(referenceSearch(docs, query, 5));
  });

  it('ranks ties by chunk order and reports matched terms and coverage', () => {
    const index = Bm25Index.build([['a', 'b'], ['a', 'b'], ['c']]);
    const hits = index.search([{ term: 'a', weight: 1 }, { term: 'c', weight: 1 }], 3);
    expect(hits.map((h) => h.index)).toEqual([2, 0, 1]);
    expect(hits[1].matched).toEqual(['a']);
    expect(hits[0].coverage + hits[1].coverage).toBeCloseTo(1, 10);
  });
});
