import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildAndActivateIndex,
  buildKnowledgeIndex,
  CorpusInvalidError,
  currentBuildId,
  HashedEmbedder,
  indexRoot,
  loadCorpus,
  loadCurrentIndex,
  readManifest,
  retrieve,
  saveAndActivate,
  type BuildProgress,
  type KnowledgeIndex,
  type LoadedCorpus,
  type RetrieveOptions,
} from '../../src/knowledge/index.js';
import { BROKEN_DIR, CORPUS_DIR, FailingEmbedder, FIXTURE_TODAY, fillerDocs, hashed, loadFixtureCorpus, tempDataDir } from '../fixtures/knowledge/fixtures.js';

const QUESTION = 'What are the requirements for a senior engineer?';
const OPTIONS: RetrieveOptions = { lang: 'en', asOf: '2024-01-01' };

const tempDirs: string[] = [];
const newDataDir = () => {
  const d = tempDataDir();
  tempDirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of tempDirs) fs.rmSync(d, { recursive: true, force: true });
});

const answer = async (index: KnowledgeIndex, q = QUESTION) => (await retrieve(index, q, OPTIONS)).chunks.map((c) => [c.chunk.id, c.score]);
const entries = (dataDir: string) => fs.readdirSync(indexRoot(dataDir)).sort();

describe('atomic swap of the serving index', () => {
  const dataDir = newDataDir();
  const corpus = loadFixtureCorpus();
  // Enough documents for two embedding batches of 256, so a failure can come midway.
  const big: LoadedCorpus = { ...corpus, docs: [...corpus.docs, ...fillerDocs(300)] };
  let buildA: string;
  let answerA: Array<Array<string | number>>;

  beforeAll(async () => {
    const a = await buildAndActivateIndex(CORPUS_DIR, dataDir, hashed, { today: FIXTURE_TODAY });
    buildA = a.index.manifest.buildId;
    answerA = await answer(a.index);
    expect(answerA[0][0]).toBe('senior-engineer-review.zh#0');
  });

  const expectStillServingA = async () => {
    expect(currentBuildId(dataDir)).toBe(buildA);
    expect(readManifest(dataDir)?.buildId).toBe(buildA);
    expect(await answer(loadCurrentIndex(dataDir, hashed)!)).toEqual(answerA);
    expect(entries(dataDir).filter((e) => e.includes('.partial') || e.endsWith('.tmp'))).toEqual([]);
  };

  it('activates a build: CURRENT names it and it loads', async () => {
    expect(entries(dataDir)).toEqual([buildA, 'CURRENT']);
    await expectStillServingA();
  });

  it('an embedder failing midway leaves index A serving', async () => {
    let embedder: FailingEmbedder | undefined;
    const progress: BuildProgress[] = [];
    const failing = buildAndActivateIndex(CORPUS_DIR, dataDir, (g) => (embedder = new FailingEmbedder(new HashedEmbedder(g), 2)), {
      corpus: big,
      today: FIXTURE_TODAY,
      onProgress: (p) => progress.push(p),
    });
    await expect(failing).rejects.toThrow('embedding service went away on call 2');
    expect(embedder?.calls).toBe(2);
    // The first batch was embedded before the failure: it really failed midway.
    expect(progress.filter((p) => p.phase === 'embed')).toEqual([{ phase: 'embed', done: 256, total: expect.any(Number) }]);
    expect(progress.find((p) => p.phase === 'chunk')!.total).toBeGreaterThan(256);
    await expectStillServingA();
  });

  it('the same midway failure through buildKnowledgeIndex with small batches changes nothing on disk', async () => {
    let embedder: FailingEmbedder | undefined;
    await expect(
      buildKnowledgeIndex(big.docs, big.glossary, (g) => (embedder = new FailingEmbedder(new HashedEmbedder(g), 3)), { embedBatch: 16 }),
    ).rejects.toThrow('on call 3');
    expect(embedder?.calls).toBe(3);
    await expectStillServingA();
  });

  it('an invalid corpus is refused before anything is built', async () => {
    let made = 0;
    const failing = buildAndActivateIndex(BROKEN_DIR, dataDir, (g) => (made++, new HashedEmbedder(g)), { today: '2024-06-01' });
    await expect(failing).rejects.toBeInstanceOf(CorpusInvalidError);
    await expect(buildAndActivateIndex(BROKEN_DIR, dataDir, hashed, { today: '2024-06-01' })).rejects.toMatchObject({
      problems: expect.arrayContaining([{ file: 'docs/missing-title.zh.md', field: 'title', message: expect.any(String) }]),
    });
    expect(made).toBe(0);
    await expectStillServingA();
  });

  it('a failure while writing the new folder leaves A serving and removes the half-written folder', async () => {
    const b = await buildKnowledgeIndex(big.docs, big.glossary, hashed, { buildId: 'zz-broken-write' });
    // The addon's methods are read-only on its prototype; shadow this one on the instance.
    Object.defineProperty(b.vectors, 'writeIndexSync', {
      value: () => {
        throw new Error('disk full');
      },
    });
    expect(() => saveAndActivate(b, dataDir)).toThrow('disk full');
    await expectStillServingA();
    expect(entries(dataDir)).toEqual([buildA, 'CURRENT']);
  });

  it('a good build then takes over, and the previous one is kept as the fallback', async () => {
    const b = await buildAndActivateIndex(CORPUS_DIR, dataDir, hashed, { corpus: big, today: FIXTURE_TODAY });
    const buildB = b.index.manifest.buildId;
    expect(buildB).not.toBe(buildA);
    expect(currentBuildId(dataDir)).toBe(buildB);
    expect(loadCurrentIndex(dataDir, hashed)!.chunks).toHaveLength(b.index.chunks.length);
    expect(entries(dataDir)).toEqual([buildA, buildB, 'CURRENT'].sort());
  });
});

describe('persistence', () => {
  const queries: Array<[string, RetrieveOptions]> = [
    [QUESTION, { lang: 'en' }],
    ['高工', { lang: 'zh' }],
    ['居住证积分怎么加分？', { lang: 'zh' }],
    ['继续教育 continuing education', { lang: 'en' }],
    ['评审费标准', { asOf: '2022-06-01' }],
    ['metro rush hour commuting', { lang: 'en' }],
    ['关于评审委员会的第12号说明', { lang: 'zh', k: 8 }],
    ['applicants prepare the online portal', { lang: 'en', k: 8, asOf: '2019-01-01' }],
    ['论文 paper 答辩', {}],
  ];

  it('a saved and reloaded index answers exactly as the one built in memory', async () => {
    const corpus = loadCorpus(CORPUS_DIR);
    const docs = [...corpus.docs, ...fillerDocs(400)];
    const built = await buildKnowledgeIndex(docs, corpus.glossary, hashed);
    const dataDir = newDataDir();
    const folder = saveAndActivate(built, dataDir);
    expect(path.basename(folder)).toBe(built.manifest.buildId);

    const loaded = loadCurrentIndex(dataDir, hashed)!;
    expect(loaded.manifest).toEqual(built.manifest);
    expect(loaded.chunks).toEqual(built.chunks);
    // Read as a built chunk reads: the same keys in the same order, the same JSON, spread copies too.
    for (const i of [0, 1, Math.floor(built.chunks.length / 2), built.chunks.length - 1]) {
      expect(JSON.stringify(loaded.chunks[i])).toBe(JSON.stringify(built.chunks[i]));
      expect({ ...loaded.chunks[i] }).toEqual({ ...built.chunks[i] });
    }
    // Equal values read from disk are shared between chunks, not copied once per chunk.
    const docWithTwo = loaded.chunks.find((c, i) => loaded.chunks.findIndex((d) => d.docId === c.docId) !== i)!.docId;
    const [first, second] = loaded.chunks.filter((c) => c.docId === docWithTwo);
    expect(second.series).toBe(first.series);
    expect(second.topics).toBe(first.topics);
    expect(loaded.bm25.toData()).toEqual(built.bm25.toData());
    for (const [q, o] of queries) {
      const options = { asOf: '2024-01-01', ...o };
      expect(await retrieve(loaded, q, options), q).toEqual(await retrieve(built, q, options));
    }
    // Same graph: the raw nearest neighbours agree too.
    const v = (built.embedder as HashedEmbedder).embedOne('高级工程师 评审');
    expect(loaded.vectors.searchKnn(v, 20)).toEqual(built.vectors.searchKnn(v, 20));
  });

  it('the hashed embedder fast path builds exactly what the generic embed() path builds', async () => {
    const corpus = loadFixtureCorpus();
    const docs = [...corpus.docs, ...fillerDocs(40)];
    const fast = await buildKnowledgeIndex(docs, corpus.glossary, hashed, { buildId: 'same' });
    // Any embedder that is not a HashedEmbedder goes through embed(), which matches the glossary itself.
    const generic = await buildKnowledgeIndex(docs, corpus.glossary, (g) => new FailingEmbedder(new HashedEmbedder(g), Number.POSITIVE_INFINITY), { buildId: 'same' });
    for (let i = 0; i < fast.chunks.length; i++) expect(fast.vectors.getPoint(i)).toEqual(generic.vectors.getPoint(i));
    expect(fast.bm25.toData()).toEqual(generic.bm25.toData());
    for (const [q, o] of queries) {
      const options = { asOf: '2024-01-01', ...o };
      expect(await retrieve(fast, q, options), q).toEqual(await retrieve(generic, q, options));
    }
  });

  it('refuses to load with a different embedder than the one that built it', () => {
    const dataDir = newDataDir();
    const corpus = loadFixtureCorpus();
    return buildKnowledgeIndex(corpus.docs, corpus.glossary, hashed).then((built) => {
      saveAndActivate(built, dataDir);
      expect(() => loadCurrentIndex(dataDir, (g) => new HashedEmbedder(g, 128))).toThrow(/was built by hashed-v1-d256/);
    });
  });

  it('there is nothing to load before the first build', () => {
    expect(loadCurrentIndex(newDataDir(), hashed)).toBeUndefined();
  });
});
