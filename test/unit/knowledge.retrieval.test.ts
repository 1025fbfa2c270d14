import { beforeAll, describe, expect, it } from 'vitest';
import { buildKnowledgeIndex, HashedEmbedder, parseDoc, retrievalCacheCounts, retrieve, setRetrievalCacheSize, updateKnowledgeIndex, type KnowledgeIndex, type RetrieveOptions } from '../../src/knowledge/index.js';
import { hashed, loadFixtureCorpus } from '../fixtures/knowledge/fixtures.js';

let index: KnowledgeIndex;
beforeAll(async () => {
  const corpus = loadFixtureCorpus();
  index = await buildKnowledgeIndex(corpus.docs, corpus.glossary, hashed);
});

const docsFor = async (query: string, options: RetrieveOptions) => (await retrieve(index, query, options)).chunks.map((c) => c.chunk.docId);

describe('effective dates', () => {
  // review-fee-2018: 2018-01-01 .. 2022-12-31; review-fee-2021: from 2021-01-01, open-ended.
  const FEE_QUERY = '评审费标准';

  it('before the newer version starts, only the older one is returned', async () => {
    const docs = await docsFor(FEE_QUERY, { asOf: '2020-06-01', k: 10 });
    expect(docs[0]).toBe('review-fee-2018.zh');
    expect(docs).not.toContain('review-fee-2021.zh');
  });

  it('inside both windows, both are returned', async () => {
    const docs = await docsFor(FEE_QUERY, { asOf: '2022-06-01', k: 10 });
    expect(docs.slice(0, 2).sort()).toEqual(['review-fee-2018.zh', 'review-fee-2021.zh']);
  });

  it('after the older one ends, it is never returned', async () => {
    const docs = await docsFor(FEE_QUERY, { asOf: '2023-06-01', k: 10 });
    expect(docs[0]).toBe('review-fee-2021.zh');
    expect(docs).not.toContain('review-fee-2018.zh');
  });

  it('the window bounds are inclusive', async () => {
    expect(await docsFor(FEE_QUERY, { asOf: '2022-12-31', k: 10 })).toContain('review-fee-2018.zh');
    expect(await docsFor(FEE_QUERY, { asOf: '2023-01-01', k: 10 })).not.toContain('review-fee-2018.zh');
    expect(await docsFor(FEE_QUERY, { asOf: '2021-01-01', k: 10 })).toContain('review-fee-2021.zh');
    expect(await docsFor(FEE_QUERY, { asOf: '2020-12-31', k: 10 })).not.toContain('review-fee-2021.zh');
  });

  it('a document outside its window is excluded even when it is the best lexical match', async () => {
    expect(await docsFor('每人300元', { asOf: '2022-06-01', k: 10 })).toContain('review-fee-2018.zh');
    expect(await docsFor('每人300元', { asOf: '2030-01-01', k: 10 })).not.toContain('review-fee-2018.zh');
    const early = await docsFor('每人300元', { asOf: '2017-06-01', k: 10 });
    expect(early).not.toContain('review-fee-2018.zh');
    expect(early).not.toContain('review-fee-2021.zh');
  });
});

describe('scope', () => {
  it('an out-of-scope document is not returned when an in-scope one matches as well', async () => {
    // metro-commute.en (scope other) mentions "professional title" too: it is a candidate, and filtered out.
    const onlyOther = await retrieve(index, 'professional title', { asOf: '2024-01-01', scopes: ['other'] });
    expect(onlyOther.chunks.map((c) => c.chunk.docId)).toEqual(['metro-commute.en']);

    const r = await retrieve(index, 'professional title', { lang: 'en', asOf: '2024-01-01', k: 10 });
    expect(r.inScopeMatch).toBe(true);
    expect(r.chunks.length).toBeGreaterThan(2);
    expect(r.chunks.map((c) => c.chunk.scope)).not.toContain('other');
  });

  it('an out-of-scope document is returned when nothing in scope matches', async () => {
    const r = await retrieve(index, 'metro rush hour commuting', { lang: 'en', asOf: '2024-01-01' });
    expect(r.inScopeMatch).toBe(false);
    expect(r.chunks[0].chunk.docId).toBe('metro-commute.en');
    expect(r.chunks[0].chunk.scope).toBe('other');
  });

  it('an out-of-scope document that answers far more of the question than anything in scope is returned (otherScopeMargin)', async () => {
    const r = await retrieve(index, 'professional title evaluation centre', { lang: 'en', asOf: '2024-01-01' });
    expect(r.inScopeMatch).toBe(false);
    expect(r.chunks[0].chunk.docId).toBe('metro-commute.en');
  });

  it('a question only partly held by the corpus is no match for the vector alone: the offline query vector is moved next to the best lexical hit', async () => {
    // 评审费 is in the corpus, 多久过期 ("how long until it expires") is not.
    const r = await retrieve(index, '评审费多久过期', { lang: 'zh', asOf: '2024-01-01' });
    expect(r.chunks[0].why.vector?.similarity).toBeGreaterThan(0.9);
    expect(r.bestCoverage).toBeLessThan(0.34);
    expect(r.inScopeMatch).toBe(false);
  });

  it('explicit scopes restrict the results', async () => {
    const r = await retrieve(index, 'professional title evaluation centre', { asOf: '2024-01-01', scopes: ['titles'] });
    expect(r.chunks.length).toBeGreaterThan(0);
    expect(r.chunks.map((c) => c.chunk.scope)).not.toContain('other');
  });
});

describe('language preference', () => {
  const rankOf = (chunks: { chunk: { docId: string } }[], docId: string) => chunks.findIndex((c) => c.chunk.docId === docId);
  // A bilingual question both versions answer about equally well: the user's language decides.
  const BILINGUAL = '每年继续教育 90 学时 continuing education every year 90 hours';

  it('with lang en, the English translation ranks above its Chinese original', async () => {
    const r = await retrieve(index, BILINGUAL, { lang: 'en', asOf: '2024-01-01' });
    expect(rankOf(r.chunks, 'continuing-education.en')).toBe(0);
    expect(rankOf(r.chunks, 'continuing-education.zh')).toBe(1);
    expect(r.chunks[0].why.otherLanguage).toBe(false);
    expect(r.chunks[1].why.otherLanguage).toBe(true);
  });

  it('for the same question, lang zh puts the Chinese original first', async () => {
    const r = await retrieve(index, BILINGUAL, { lang: 'zh', asOf: '2024-01-01' });
    expect(rankOf(r.chunks, 'continuing-education.zh')).toBe(0);
    expect(rankOf(r.chunks, 'continuing-education.en')).toBe(1);
  });

  it('an English question with lang en gets the English translation first', async () => {
    const r = await retrieve(index, 'How many hours of continuing education each year?', { lang: 'en', asOf: '2024-01-01' });
    expect(rankOf(r.chunks, 'continuing-education.en')).toBe(0);
    expect(rankOf(r.chunks, 'continuing-education.zh')).toBeGreaterThan(0);
  });

  it('the other language is still a fallback when the user language has nothing', async () => {
    const r = await retrieve(index, '高级工程师', { lang: 'en', asOf: '2024-01-01' });
    expect(r.chunks[0].chunk.docId).toBe('senior-engineer-review.zh');
  });
});

describe('result shape', () => {
  it('returns at most k chunks, at most two per document, best first', async () => {
    const r = await retrieve(index, '高级工程师 职称 评审', { asOf: '2024-01-01', k: 3 });
    expect(r.chunks.length).toBe(3);
    const perDoc = new Map<string, number>();
    for (const c of r.chunks) perDoc.set(c.chunk.docId, (perDoc.get(c.chunk.docId) ?? 0) + 1);
    expect(Math.max(...perDoc.values())).toBeLessThanOrEqual(2);
    const scores = r.chunks.map((c) => c.score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
  });
});

describe('recent results', () => {
  const counts = () => retrievalCacheCounts();

  it('answers a question asked again in the same words from the same index snapshot, without searching', async () => {
    const before = counts();
    const first = await retrieve(index, '绿色通道 破格 申报', { asOf: '2024-01-01', k: 4, lang: 'zh' });
    const again = await retrieve(index, '绿色通道 破格 申报', { asOf: '2024-01-01', k: 4, lang: 'zh' });
    expect(again).toBe(first);
    expect(counts().misses - before.misses).toBe(1);
    expect(counts().hits - before.hits).toBe(1);
  });

  it('searches again when anything asked differs: the words, the day, k, the language, the scopes', async () => {
    const base = { asOf: '2024-01-01', k: 4, lang: 'zh' as const };
    const first = await retrieve(index, '评审费标准', base);
    const before = counts();
    const variants: Array<[string, RetrieveOptions]> = [
      ['评审费标准 ', base],
      ['评审费标准', { ...base, asOf: '2020-06-01' }],
      ['评审费标准', { ...base, k: 5 }],
      ['评审费标准', { ...base, lang: 'en' }],
      ['评审费标准', { ...base, scopes: ['titles'] }],
    ];
    for (const [query, options] of variants) {
      expect(await retrieve(index, query, options)).not.toBe(first);
    }
    expect(counts().misses - before.misses).toBe(5);
    expect(counts().hits - before.hits).toBe(0);
    // The window of the older fee document closed between the two days: a result is never carried across days.
    expect((await retrieve(index, '评审费标准', { ...base, asOf: '2020-06-01', k: 10 })).chunks.map((c) => c.chunk.docId)).not.toContain('review-fee-2021.zh');
  });

  it('gives results no caller can change', async () => {
    const r = await retrieve(index, '高级工程师 职称 评审', { asOf: '2024-01-01', k: 3 });
    expect(() => (r.chunks as unknown[]).push(r.chunks[0])).toThrow(TypeError);
    expect(() => ((r as { inScopeMatch: boolean }).inScopeMatch = false)).toThrow(TypeError);
    expect(() => ((r.chunks[0] as { score: number }).score = 0)).toThrow(TypeError);
  });

  it('starts afresh with a new snapshot of the index: an updated document is found at once', async () => {
    const query = '蓝鲸计划 试点 申报';
    const beforeUpdate = await retrieve(index, query, { asOf: '2024-01-01', k: 5, lang: 'zh' });
    expect(beforeUpdate.chunks.map((c) => c.chunk.docId)).not.toContain('whale-pilot.zh');
    const corpus = loadFixtureCorpus();
    const added = parseDoc('---\nid: whale-pilot.zh\ntitle: 蓝鲸计划试点\nlang: zh\ntopics: [pilot]\n---\n\n# 蓝鲸计划试点\n\n蓝鲸计划试点的申报对象是海洋工程领域的专业技术人员。\n', 'docs/whale-pilot.zh.md').doc!;
    const next = await updateKnowledgeIndex(index, { upsert: [added], remove: [], allDocs: [...corpus.docs, added] });
    const afterUpdate = await retrieve(next, query, { asOf: '2024-01-01', k: 5, lang: 'zh' });
    expect(afterUpdate.chunks[0].chunk.docId).toBe('whale-pilot.zh');
  });

  it('does not remember a failed search: the same question is searched again', async () => {
    const corpus = loadFixtureCorpus();
    let failing = false;
    const flaky = (glossary: Parameters<typeof hashed>[0]) => {
      const inner = new HashedEmbedder(glossary);
      return { id: inner.id, dim: inner.dim, embed: async (texts: string[]) => (failing ? Promise.reject(new Error('embeddings service went away')) : inner.embed(texts)) };
    };
    const remote = await buildKnowledgeIndex(corpus.docs, corpus.glossary, flaky);
    failing = true;
    await expect(retrieve(remote, '高级工程师 评审', { asOf: '2024-01-01' })).rejects.toThrow('embeddings service went away');
    failing = false;
    expect((await retrieve(remote, '高级工程师 评审', { asOf: '2024-01-01' })).chunks.length).toBeGreaterThan(0);
  });

  it('keeps nothing when its size is 0 (RETRIEVAL_CACHE_SIZE=0)', async () => {
    setRetrievalCacheSize(0);
    try {
      const before = counts();
      const a = await retrieve(index, '助理工程师 条件', { asOf: '2024-01-01' });
      const b = await retrieve(index, '助理工程师 条件', { asOf: '2024-01-01' });
      expect(b).not.toBe(a);
      expect(b.chunks.map((c) => c.index)).toEqual(a.chunks.map((c) => c.index));
      expect(counts()).toEqual(before);
    } finally {
      setRetrievalCacheSize(1024);
    }
  });
});
