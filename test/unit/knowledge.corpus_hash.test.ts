import { describe, expect, it } from 'vitest';
import { corpusHash } from '../../src/knowledge/index.js';
import { loadFixtureCorpus } from '../fixtures/knowledge/fixtures.js';

describe('corpusHash', () => {
  const corpus = loadFixtureCorpus();
  const copy = () => corpus.docs.map((d) => structuredClone(d));

  it('is the same for equal documents, whatever the objects or their order', () => {
    const a = corpusHash(corpus.docs, corpus.glossary, 'hashed-x');
    expect(corpusHash(copy().reverse(), corpus.glossary, 'hashed-x')).toBe(a);
    expect(corpusHash(corpus.docs, corpus.glossary, 'hashed-x')).toBe(a);
  });

  it('changes with any document, the glossary or the embedder', () => {
    const a = corpusHash(corpus.docs, corpus.glossary, 'hashed-x');
    const edited = copy();
    edited[1] = { ...edited[1], body: `${edited[1].body}\n新增一句。` };
    expect(corpusHash(edited, corpus.glossary, 'hashed-x')).not.toBe(a);
    // The unchanged documents' remembered digests do not hide a change made as a new object.
    expect(corpusHash(corpus.docs.map((d, i) => (i === 1 ? edited[1] : d)), corpus.glossary, 'hashed-x')).not.toBe(a);
    expect(corpusHash(corpus.docs.slice(1), corpus.glossary, 'hashed-x')).not.toBe(a);
    expect(corpusHash(corpus.docs, corpus.glossary.slice(1), 'hashed-x')).not.toBe(a);
    expect(corpusHash(corpus.docs, corpus.glossary, 'hashed-y')).not.toBe(a);
  });
});
