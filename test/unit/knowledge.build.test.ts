import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadVocabulary, syntheticCorpus } from '../../bench/synthetic_corpus.js';
import { TextAnalyzer } from '../../src/knowledge/analyzer.js';
import { addSegmenterWords, Bm25Index, buildKnowledgeIndex, chunkDocument, Glossary, HashedEmbedder, loadCorpus, tokenize, type KnowledgeIndex } from '../../src/knowledge/index.js';
import { lexicalTerms, searchableText } from '../../src/knowledge/knowledge_index.js';
import { cutBothModes, isChineseStopword, isCjk, isEnglishStopword, normalizeText, segmentWords, stemWord } from '../../src/knowledge/text.js';
import { hashed } from '../fixtures/knowledge/fixtures.js';

/** wordBoundaries without text.ts's memo of the last analysed text. */
function freshBoundaries(normalized: string): number[] {
  const out = new Set([0, normalized.length]);
  let at = 0;
  for (const w of cutBothModes(normalized).accurate) out.add((at += w.length));
  return [...out].sort((a, b) => a - b);
}

const EDGE_TEXTS = [
  "a&b x-y 2024-06-01 o'brien c++ c# ①② 한국 𠀀𠀁中文 😀emoji😀 e.g. ３．５％ ｘ＿ｙ",
  '  lead   trail  ',
  '',
  ' ',
  '申报中级职称需要什么条件？高级工程师（senior engineer）和高工，提高工作效率。',
  'Applying for the Senior Engineer title: requirements and 3 years of experience',
];

describe('TextAnalyzer (one jieba pass per distinct block)', () => {
  const corpus = loadCorpus(path.resolve('knowledge'));
  const glossary = new Glossary(corpus.glossary);
  addSegmenterWords(glossary.chineseTerms());
  const texts = [...corpus.docs.flatMap((d) => chunkDocument(d)).map(searchableText), ...EDGE_TEXTS];

  it('gives exactly what tokenize, segmentWords and wordBoundaries give, text by text', () => {
    const analyzer = new TextAnalyzer();
    // Twice: the second pass is served from the block cache.
    for (const pass of [1, 2]) {
      for (const text of texts) {
        const a = analyzer.analyze(text);
        expect(a.terms, `pass ${pass}: ${text.slice(0, 40)}`).toEqual(tokenize(text));
        expect(a.words).toEqual(segmentWords(text));
        expect([...a.boundaries].sort((x, y) => x - y)).toEqual(freshBoundaries(a.normalized));
      }
    }
    expect(analyzer.cachedPieces).toBeGreaterThan(0);
  });

  it('notices words the segmenter learns after it cached a block', () => {
    const analyzer = new TextAnalyzer();
    const text = '职称咨询热线电话簿记员';
    expect(analyzer.analyze(text).terms).toEqual(tokenize(text));
    addSegmenterWords(['电话簿记员']);
    expect(tokenize(text)).toContain('电话簿记员');
    expect(analyzer.analyze(text).terms).toEqual(tokenize(text));
  });
});

describe('HashedEmbedder', () => {
  const corpus = loadCorpus(path.resolve('knowledge'));
  const glossary = new Glossary(corpus.glossary);

  it('embeds an analysed text exactly as it embeds the raw text, and deterministically', () => {
    const embedder = new HashedEmbedder(glossary);
    const analyzer = new TextAnalyzer();
    for (const text of [...EDGE_TEXTS, ...corpus.docs.slice(0, 20).map((d) => d.body)]) {
      const direct = embedder.embedOne(text);
      expect(embedder.embedAnalyzed(analyzer.analyze(text), glossary.match(text))).toEqual(direct);
      expect(new HashedEmbedder(glossary).embedOne(text)).toEqual(direct);
    }
  });

  it('puts a zh question and its en glossary equivalent closer than unrelated questions', () => {
    const embedder = new HashedEmbedder(glossary);
    const cos = (a: number[], b: number[]) => a.reduce((s, x, i) => s + x * b[i], 0);
    const zh = embedder.embedOne('高级工程师怎么申报？');
    const en = embedder.embedOne('How do I apply for the senior engineer title?');
    const other = embedder.embedOne('居住证积分怎么办理？');
    expect(cos(zh, en)).toBeGreaterThan(cos(zh, other));
  });
});

describe('index build on a worker thread', () => {
  const serialised = (index: KnowledgeIndex) => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tm-build-')), 'v.hnsw');
    index.vectors.writeIndexSync(file);
    const bytes = fs.readFileSync(file);
    fs.rmSync(path.dirname(file), { recursive: true, force: true });
    return bytes;
  };

  it('yields the same BM25 postings and the same HNSW graph as an in-process build', async () => {
    const vocab = loadVocabulary();
    const { docs } = syntheticCorpus(vocab, 1500);
    const options = { buildId: 'b', now: () => new Date('2024-01-01T00:00:00Z') };
    const inProcess = await buildKnowledgeIndex(docs, vocab.glossary, hashed, { ...options, hnswWorker: false });
    const inWorker = await buildKnowledgeIndex(docs, vocab.glossary, hashed, { ...options, hnswWorker: true });
    expect(inWorker.manifest).toEqual(inProcess.manifest);
    expect(inWorker.chunks.length).toBe(1500);
    expect(inWorker.bm25.toData()).toEqual(inProcess.bm25.toData());
    // BM25 built from the analyser's term numbers equals BM25 built from lexicalTerms() strings.
    const glossary = new Glossary(vocab.glossary);
    expect(inProcess.bm25.toData()).toEqual(Bm25Index.build(inProcess.chunks.map((c) => lexicalTerms(searchableText(c), glossary))).toData());
    expect(inWorker.vectors.getCurrentCount()).toBe(1500);
    expect(serialised(inWorker).equals(serialised(inProcess))).toBe(true);
    const q = (inProcess.embedder as HashedEmbedder).embedOne('高级工程师怎么申报？');
    expect(inWorker.vectors.searchKnn(q, 10)).toEqual(inProcess.vectors.searchKnn(q, 10));
  }, 60_000);
});

/** The hashed embedder as it was written before feature ids and analysed texts (git b1e02c1), to check its vectors are unchanged. */
function referenceEmbed(glossary: Glossary, dim: number, text: string): number[] {
  const W = { concept: 2.5, zhWord: 1, zhBigram: 0.4, enWord: 1, enTrigram: 0.25 };
  const fnv = (s: string) => {
    let h = 0x811c9dc5;
    for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
    return h >>> 0;
  };
  const counts = new Map<string, number>();
  const add = (f: string, w: number) => counts.set(f, (counts.get(f) ?? 0) + w);
  for (const m of glossary.match(text)) add(`c:${m.conceptId}`, W.concept);
  for (const word of segmentWords(text)) {
    if (isCjk(word)) {
      if (!isChineseStopword(word)) add(`w:${word}`, W.zhWord);
    } else if (!isEnglishStopword(word)) {
      const stem = stemWord(word);
      add(`w:${stem}`, W.enWord);
      const padded = `<${stem}>`;
      if (stem.length > 3) for (let i = 0; i + 3 <= padded.length; i++) add(`t:${padded.slice(i, i + 3)}`, W.enTrigram);
    }
  }
  const s = normalizeText(text);
  const cjk = (c: number) => (c >= 0x3400 && c <= 0x9fff) || (c >= 0xf900 && c <= 0xfaff);
  const bigrams = new Map<string, number>();
  for (let i = 0; i + 1 < s.length; i++) if (cjk(s.charCodeAt(i)) && cjk(s.charCodeAt(i + 1))) bigrams.set(`b:${s[i]}${s[i + 1]}`, (bigrams.get(`b:${s[i]}${s[i + 1]}`) ?? 0) + W.zhBigram);
  const v = new Float64Array(dim);
  for (const [f, w] of [...counts, ...bigrams]) {
    const h = fnv(f);
    v[h % dim] += (h & 0x80000000 ? -1 : 1) * (1 + Math.log(w));
  }
  const norm = Math.sqrt(v.reduce((a, x) => a + x * x, 0)) || 1;
  return Array.from(v, (x) => x / norm);
}

describe('HashedEmbedder vectors', () => {
  it('are those of the original feature-hashing code, bit for bit, at 128 and 256 dimensions', () => {
    const corpus = loadCorpus(path.resolve('knowledge'));
    const glossary = new Glossary(corpus.glossary);
    addSegmenterWords(glossary.chineseTerms());
    const texts = [...EDGE_TEXTS, ...corpus.docs.flatMap((d) => chunkDocument(d)).map(searchableText).slice(0, 300), '高级工程师怎么申报？', 'senior engineer review'];
    for (const dim of [128, 256]) {
      const embedder = new HashedEmbedder(glossary, dim);
      for (const text of texts) expect(embedder.embedOne(text)).toEqual(referenceEmbed(glossary, dim, text));
    }
    expect(new HashedEmbedder(glossary).id).toBe('hashed-v1-d256');
  });
});
