import fs from 'node:fs';
import { loadCorpus, type LoadedCorpus } from './corpus.js';
import { HashedEmbedder, OpenAIEmbedder, type Embedder } from './embedder.js';
import { Glossary } from './glossary.js';
import { currentBuildId, loadCurrentIndex, readManifest, saveAndActivate, type EmbedderFactory } from './index_store.js';
import { buildKnowledgeIndex, corpusHash, type BuildProgress, type KnowledgeIndex } from './knowledge_index.js';
import { validateCorpus } from './validate.js';

export { loadCorpus, parseDoc, parseGlossary, type ParsedDoc } from './corpus.js';
export type { LoadedCorpus } from './corpus.js';
export { chunkDocument, splitSections, splitSentences, type Chunk } from './chunker.js';
export { HashedEmbedder, OpenAIEmbedder, type Embedder } from './embedder.js';
export { Glossary, checkGlossary } from './glossary.js';
export { Bm25Index } from './bm25.js';
export { buildKnowledgeIndex, updateKnowledgeIndex, KnowledgeIndex, type DocChanges, corpusHash, type BuildProgress, type DocInfo, type IndexManifest } from './knowledge_index.js';
export { loadCurrentIndex, readManifest, saveAndActivate, currentBuildId, indexRoot, type EmbedderFactory } from './index_store.js';
export { hasShanghaiCounterpart, isNationalStandardOnly, namesNoPlace, retrieve, retrievalCacheCounts, setRetrievalCacheSize, todayIso, RETRIEVAL_TUNING, type RetrievalResult, type RetrievedChunk, type RetrieveOptions } from './retriever.js';
export { validateCorpus } from './validate.js';
export { tokenize, normalizeText, isCjk, wordBoundaries, addSegmenterWords } from './text.js';
export * from './schema.js';

export interface EmbeddingSettings {
  OPENAI_API_KEY?: string;
  OPENAI_BASE_URL?: string;
  OPENAI_EMBEDDING_MODEL?: string;
  OPENAI_TIMEOUT_MS?: number;
  /** The offline embedder's dimensions (256 unless set): fewer keep a smaller vector index. */
  OFFLINE_EMBEDDING_DIM?: number;
}

/**
 * The embedder in force: the OpenAI-compatible endpoint when an embedding model is configured with a
 * key or base URL, otherwise the deterministic offline one.
 */
export function embedderFactory(settings: EmbeddingSettings): EmbedderFactory {
  if (settings.OPENAI_EMBEDDING_MODEL && (settings.OPENAI_API_KEY || settings.OPENAI_BASE_URL)) {
    const remote = new OpenAIEmbedder({
      apiKey: settings.OPENAI_API_KEY,
      baseURL: settings.OPENAI_BASE_URL,
      model: settings.OPENAI_EMBEDDING_MODEL,
      timeoutMs: settings.OPENAI_TIMEOUT_MS,
    });
    return () => remote;
  }
  return (glossary: Glossary): Embedder => new HashedEmbedder(glossary, settings.OFFLINE_EMBEDDING_DIM);
}

export class CorpusInvalidError extends Error {
  constructor(readonly problems: { file: string; field: string; message: string }[]) {
    super(`the corpus has ${problems.length} problem(s); run \`mentor kb validate\``);
  }
}

export interface BuildResult {
  index: KnowledgeIndex;
  folder: string;
  seconds: number;
}

/**
 * Validate the corpus, build a complete index in memory, write it to a fresh folder and swap it in.
 * Any failure throws before the swap, so the serving index is untouched.
 */
export async function buildAndActivateIndex(
  knowledgeDir: string,
  dataDir: string,
  makeEmbedder: EmbedderFactory,
  options: { onProgress?: (p: BuildProgress) => void; today?: string; corpus?: LoadedCorpus } = {},
): Promise<BuildResult> {
  const started = performance.now();
  const corpus = options.corpus ?? loadCorpus(knowledgeDir);
  const problems = validateCorpus(corpus, options.today ?? new Date().toISOString().slice(0, 10));
  if (problems.length) throw new CorpusInvalidError(problems);
  const index = await buildKnowledgeIndex(corpus.docs, corpus.glossary, makeEmbedder, { onProgress: options.onProgress });
  const folder = saveAndActivate(index, dataDir);
  return { index, folder, seconds: (performance.now() - started) / 1000 };
}

export type IndexState = 'missing' | 'stale' | 'fresh';

/** Whether the serving index was built from the corpus and embedder in force now. */
export function indexState(knowledgeDir: string, dataDir: string, makeEmbedder: EmbedderFactory, corpus = loadCorpus(knowledgeDir)): IndexState {
  const manifest = readManifest(dataDir);
  if (!manifest || !currentBuildId(dataDir)) return 'missing';
  const embedder = makeEmbedder(new Glossary(corpus.glossary));
  return manifest.corpusHash === corpusHash(corpus.docs, corpus.glossary, embedder.id) ? 'fresh' : 'stale';
}

/** Load the serving index, building it first when it is missing or stale. */
export async function openKnowledgeIndex(
  knowledgeDir: string,
  dataDir: string,
  makeEmbedder: EmbedderFactory,
  onProgress?: (message: string) => void,
): Promise<KnowledgeIndex> {
  const state = fs.existsSync(knowledgeDir) ? indexState(knowledgeDir, dataDir, makeEmbedder) : 'fresh';
  if (state !== 'fresh') {
    onProgress?.(`index ${state}: building from ${knowledgeDir}`);
    const { index } = await buildAndActivateIndex(knowledgeDir, dataDir, makeEmbedder);
    return index;
  }
  const index = loadCurrentIndex(dataDir, makeEmbedder);
  if (!index) throw new Error(`no index under ${dataDir}; run \`mentor kb build\``);
  return index;
}
