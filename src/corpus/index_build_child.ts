/**
 * A full index build in a child process, so the serving process's event loop keeps answering while
 * tens of thousands of chunks are tokenised, embedded and inserted into HNSW (seconds to minutes), and
 * the build's garbage never lands in the server's heap. The parent (LiveCorpus) sends one request; the
 * child reads the corpus at that revision from the shared store, builds, writes the index folder and
 * makes it current in the parent's data folder, reports, and exits.
 */
import { buildKnowledgeIndex, embedderFactory, saveAndActivate, type EmbeddingSettings, type IndexManifest } from '../knowledge/index.js';
import { CorpusStore } from '../store/index.js';
import { storedCorpus } from './live_corpus.js';

export interface ChildBuildRequest {
  corpusDb: string;
  revision: number;
  dataDir: string;
  embedding: EmbeddingSettings;
  /** ISO time the manifest records (the parent's clock, so tests with a fixed clock stay fixed). */
  now: string;
}

export type ChildBuildMessage =
  | { type: 'progress'; phase: string; done: number; total: number }
  | { type: 'done'; folder: string; manifest: IndexManifest; seconds: number; rssMb: number }
  | { type: 'error'; message: string };

function send(message: ChildBuildMessage): Promise<void> {
  return new Promise((resolve) => (process.send ? process.send(message, () => resolve()) : resolve()));
}

async function build(request: ChildBuildRequest): Promise<void> {
  const started = performance.now();
  const store = new CorpusStore(request.corpusDb);
  let corpus;
  try {
    corpus = storedCorpus(store, request.revision);
  } finally {
    store.close();
  }
  let last = 0;
  const index = await buildKnowledgeIndex(corpus.docs, corpus.glossary, embedderFactory(request.embedding), {
    now: () => new Date(request.now),
    onProgress: (p) => {
      const t = performance.now();
      if (p.done === p.total || t - last > 1000) {
        last = t;
        void send({ type: 'progress', ...p });
      }
    },
  });
  const folder = saveAndActivate(index, request.dataDir);
  await send({ type: 'done', folder, manifest: index.manifest, seconds: (performance.now() - started) / 1000, rssMb: Math.round(process.memoryUsage().rss / 2 ** 20) });
}

if (process.send) {
  // The server went away (crashed, or closed the corpus): the build is of no use to anyone.
  process.once('disconnect', () => process.exit(0));
  process.once('message', (request: ChildBuildRequest) => {
    build(request)
      .catch((err: Error) => send({ type: 'error', message: err.stack ?? err.message }))
      .finally(() => process.disconnect());
  });
}
