import { beforeAll, describe, expect, it } from 'vitest';
import { buildKnowledgeIndex, checkGlossary, Glossary, HashedEmbedder, retrieve, type KnowledgeIndex } from '../../src/knowledge/index.js';
import { hashed, loadFixtureCorpus } from '../fixtures/knowledge/fixtures.js';

const corpus = loadFixtureCorpus();
const glossary = new Glossary(corpus.glossary);
const concepts = (text: string) => glossary.match(text).map((m) => m.conceptId);

describe('Glossary.match', () => {
  it.each([
    ['高工', 'abbreviation'],
    ['高级工程师', 'zh'],
    ['senior engineer', 'en'],
    ['Senior  Engineer', 'en'],
    ['senoir engineer', 'typo'],
    ['高级工成师', 'typo'],
    ['副高工', 'colloquial'],
  ])('%s resolves to senior-engineer (%s)', (text, kind) => {
    expect(glossary.match(text)).toEqual([{ conceptId: 'senior-engineer', surface: expect.any(String), kind }]);
  });

  it('the longest form wins over a shorter one inside it', () => {
    expect(concepts('正高级工程师')).toEqual(['full-senior-engineer']);
    expect(concepts('正高工')).toEqual(['full-senior-engineer']);
    expect(concepts('高级工程师')).toEqual(['senior-engineer']);
    expect(concepts('professor-level senior engineer')).toEqual(['full-senior-engineer']);
    expect(concepts('工程师')).toEqual(['engineer']);
  });

  it('finds several concepts left to right, each span once', () => {
    expect(concepts('我是工程师，想评高级工程师，需要继续教育吗？')).toEqual(['engineer', 'senior-engineer', 'continuing-education']);
    expect(concepts('From engineer to senior engineer: continuing education')).toEqual(['engineer', 'senior-engineer', 'continuing-education']);
  });

  it('matches English forms on word boundaries only', () => {
    expect(concepts('engineering')).toEqual([]);
    expect(concepts('reengineer')).toEqual([]);
    expect(concepts('engineer.')).toEqual(['engineer']);
  });

  it('takes an English plural as the term ("senior engineers"), and no longer endings', () => {
    expect(glossary.match('Two senior engineers.')).toEqual([{ conceptId: 'senior-engineer', surface: 'senior engineers', kind: 'en' }]);
    expect(concepts('senior engineeres')).toEqual(['senior-engineer']);
    expect(concepts('senior engineership')).toEqual([]);
    expect(concepts('senior engineerss')).toEqual([]);
  });

  it('gives canonical terms in both languages for query expansion', () => {
    expect(glossary.canonical('senior-engineer')).toEqual({ zh: '高级工程师', en: 'senior engineer' });
    expect(glossary.canonical('nope')).toBeUndefined();
  });

  it('puts 高级工程师 and "senior engineer" close together in the hashed embedding space', () => {
    const e = new HashedEmbedder(glossary);
    const cos = (a: number[], b: number[]) => a.reduce((s, x, i) => s + x * b[i], 0);
    const zh = e.embedOne('高级工程师'), en = e.embedOne('senior engineer'), other = e.embedOne('continuing education');
    expect(cos(zh, en)).toBeGreaterThan(0.5);
    expect(cos(zh, en)).toBeGreaterThan(cos(zh, other) + 0.4);
  });
});

describe('cross-lingual retrieval through glossary concepts', () => {
  let index: KnowledgeIndex;
  beforeAll(async () => {
    index = await buildKnowledgeIndex(corpus.docs, corpus.glossary, hashed);
  });

  it('an English question finds the Chinese-only document', async () => {
    const r = await retrieve(index, 'What are the requirements for a senior engineer?', { lang: 'en', asOf: '2024-01-01' });
    expect(r.concepts).toEqual(['senior-engineer']);
    expect(r.chunks[0].chunk.docId).toBe('senior-engineer-review.zh');
    expect(r.chunks[0].why.concepts).toEqual(['senior-engineer']);
    expect(r.chunks[0].why.otherLanguage).toBe(true);
    expect(r.inScopeMatch).toBe(true);
  });

  it('a Chinese question finds the English-only document', async () => {
    const r = await retrieve(index, '居住证积分怎么加分？', { lang: 'zh', asOf: '2024-01-01' });
    expect(r.concepts).toEqual(['residence-permit']);
    expect(r.chunks[0].chunk.docId).toBe('residence-permit-points.en');
    expect(r.chunks[0].why.lexical?.matched).toContain('§residence-permit');
  });

  it.each(['高工', '高级工程师', 'senior engineer', 'senior enginer', '高级工成师'])('"%s" retrieves the senior-engineer document first', async (q) => {
    const r = await retrieve(index, q, { asOf: '2024-01-01' });
    expect(r.concepts).toEqual(['senior-engineer']);
    expect(r.chunks[0].chunk.docId).toBe('senior-engineer-review.zh');
  });

  it('without the glossary, the English question does not reach the Chinese document', async () => {
    const bare = await buildKnowledgeIndex(corpus.docs, [], hashed);
    const r = await retrieve(bare, 'What are the requirements for a senior engineer?', { lang: 'en', asOf: '2024-01-01' });
    const hit = r.chunks.find((c) => c.chunk.docId === 'senior-engineer-review.zh');
    expect(hit?.why.lexical).toBeUndefined();
    expect(r.chunks[0]?.chunk.docId).not.toBe('senior-engineer-review.zh');
  });
});

describe('Glossary.narrowerThan', () => {
  it('lists the titles whose Chinese names contain a concept name of three or more characters', () => {
    const own = new Glossary([
      { id: 'engineer', zh: ['工程师'], en: ['engineer'], abbreviations: [], colloquial: [], typos: [], includes: [] },
      { id: 'senior-engineer', zh: ['高级工程师'], en: ['senior engineer'], abbreviations: ['高工'], colloquial: [], typos: [], includes: [] },
      { id: 'full-senior-engineer', zh: ['正高级工程师'], en: ['professor-level senior engineer'], abbreviations: [], colloquial: [], typos: [], includes: [] },
      { id: 'level-senior', zh: ['高级'], en: ['senior'], abbreviations: [], colloquial: [], typos: [], includes: [] },
    ]);
    expect(own.narrowerThan('engineer').sort()).toEqual(['full-senior-engineer', 'senior-engineer']);
    expect(own.narrowerThan('senior-engineer')).toEqual(['full-senior-engineer']);
    expect(own.narrowerThan('full-senior-engineer')).toEqual([]);
    // Two-character names (高级) are too short to stand for a title.
    expect(own.narrowerThan('level-senior')).toEqual([]);
  });
});

describe('Glossary.specificFormsOf', () => {
  it('gives the more specific forms of a title, not every concept sharing a name', () => {
    const own = new Glossary([
      { id: 'engineer', zh: ['工程师'], en: ['engineer'], abbreviations: [], colloquial: [], typos: [], includes: [] },
      { id: 'senior-engineer', zh: ['高级工程师'], en: ['senior engineer'], abbreviations: [], colloquial: [], typos: [], includes: [] },
      { id: 'level-full-senior', zh: ['正高级'], en: ['full senior'], abbreviations: [], colloquial: [], typos: [], includes: [] },
      { id: 'full-senior-expansion', zh: ['增设正高级'], en: ['full-senior level added'], abbreviations: [], colloquial: [], typos: [], includes: [] },
      { id: 'full-senior-engineer', zh: ['正高级工程师'], en: ['professor-level senior engineer'], abbreviations: [], colloquial: [], typos: [], includes: [] },
    ]);
    expect(own.specificFormsOf('engineer').sort()).toEqual(['full-senior-engineer', 'senior-engineer']);
    expect(own.narrowerThan('level-full-senior').sort()).toEqual(['full-senior-engineer', 'full-senior-expansion']);
    expect(own.specificFormsOf('level-full-senior')).toEqual([]);
    expect(own.specificFormsOf('nope')).toEqual([]);
  });
});

describe('glossary includes', () => {
  const entry = (id: string, includes: string[] = []) => ({ id, zh: [`${id}中`], en: [id], abbreviations: [], colloquial: [], typos: [], includes });

  it('gives the concepts a concept is made of', () => {
    const own = new Glossary([entry('title-levels', ['level-a', 'level-b']), entry('level-a'), entry('level-b')]);
    expect(own.parts('title-levels')).toEqual(['level-a', 'level-b']);
    expect(own.parts('level-a')).toEqual([]);
    expect(own.parts('nope')).toEqual([]);
  });

  it('checkGlossary reports an included id that is not in the glossary', () => {
    const problems = checkGlossary([entry('title-levels', ['level-a', 'level-x']), entry('level-a')], 'terms.yaml');
    expect(problems).toEqual([{ file: 'terms.yaml', field: 'title-levels.includes', message: '"level-x" is not a glossary id' }]);
  });
});
