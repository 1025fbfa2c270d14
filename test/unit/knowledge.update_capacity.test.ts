import { describe, expect, it } from 'vitest';
import { buildKnowledgeIndex, HashedEmbedder, loadCorpus, retrieve, updateKnowledgeIndex } from '../../src/knowledge/index.js';
import { grownCapacity } from '../../src/knowledge/knowledge_index.js';

describe('HNSW capacity on incremental updates', () => {
  it('grows by 5% (at least 256 points), or to what is needed', () => {
    expect(grownCapacity(100_000, 100_010)).toBe(105_000);
    expect(grownCapacity(1_000, 1_003)).toBe(1_256);
    expect(grownCapacity(1_000, 2_000)).toBe(2_000);
  });

  it('an update to a full index makes modest room, and the new document is found', async () => {
    const corpus = loadCorpus('knowledge');
    const index = await buildKnowledgeIndex(corpus.docs, corpus.glossary, (g) => new HashedEmbedder(g));
    const full = index.vectors.getMaxElements();
    expect(full).toBe(index.chunks.length);

    const doc = { ...corpus.docs.find((d) => d.lang === 'zh')!, id: 'test-capacity.zh', translation_of: undefined, title: '紫藤专项容量测试', body: '# 紫藤专项容量测试\n\n紫藤专项容量测试要求提交11份紫藤材料。' };
    const updated = await updateKnowledgeIndex(index, { upsert: [doc], remove: [], allDocs: [...corpus.docs, doc] });
    expect(updated.vectors.getMaxElements()).toBe(grownCapacity(full, updated.chunks.length));
    const found = await retrieve(updated, '紫藤专项容量测试要交几份材料', { lang: 'zh' });
    expect(found.chunks[0].chunk.docId).toBe('test-capacity.zh');
  });
});
