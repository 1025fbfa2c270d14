/**
 * A knowledge folder the real server can serve: the repository's corpus (documents, rules, glossary,
 * series, slot lexicon) plus synthetic documents from bench/synthetic_corpus.ts, written as Markdown
 * with YAML front matter, so the total is about `chunks` chunks. Used by `npm run bench` and
 * `npm run bench:soak`; the folder is cached under the system temp folder by size and seed.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { chunkDocument, loadCorpus, type CorpusDoc } from '../src/knowledge/index.js';
import { loadVocabulary, syntheticCorpus } from './synthetic_corpus.js';

/** Bump when the generator or the file layout changes, so cached folders are rebuilt. */
const LAYOUT = 'e2e-v1';
const SEED = 20240415;

export interface GeneratedKnowledge {
  knowledgeDir: string;
  /** Chunks the chunker makes of all documents (real + synthetic). */
  chunks: number;
  docs: number;
  /** Real user questions and synthetic ones, for the load generator. */
  queries: string[];
}

/** Markdown with front matter, as an author would write it. */
export function toMarkdown(doc: CorpusDoc): string {
  const front: Record<string, unknown> = { id: doc.id, title: doc.title, lang: doc.lang, series: doc.series, topics: doc.topics, scope: doc.scope };
  if (doc.effective_from) front.effective_from = doc.effective_from;
  if (doc.effective_to) front.effective_to = doc.effective_to;
  return `---\n${YAML.stringify(front).trim()}\n---\n\n${doc.body}\n`;
}

export function benchRoot(): string {
  const root = path.join(os.tmpdir(), 'title-mentor-bench');
  fs.mkdirSync(root, { recursive: true });
  return root;
}

/** The knowledge folder for about `chunks` chunks (the real corpus counts towards them). */
export function generateKnowledge(chunks: number, log: (m: string) => void = () => {}, realDir = path.resolve('knowledge')): GeneratedKnowledge {
  const real = loadCorpus(realDir);
  const realChunks = real.docs.reduce((n, d) => n + chunkDocument(d).length, 0);
  const synthetic = Math.max(0, chunks - realChunks);
  const vocabulary = loadVocabulary(realDir);
  const corpus = syntheticCorpus(vocabulary, synthetic, SEED);
  const dir = path.join(benchRoot(), `knowledge-${LAYOUT}-${chunks}`);
  const stamp = path.join(dir, 'GENERATED.json');
  const expected = { layout: LAYOUT, seed: SEED, chunks, synthetic: corpus.docs.length, real: fs.readdirSync(path.join(realDir, 'docs')).sort() };
  const cached = fs.existsSync(stamp) && JSON.stringify(JSON.parse(fs.readFileSync(stamp, 'utf8')).expected) === JSON.stringify(expected);
  if (!cached) {
    log(`writing ${corpus.docs.length} synthetic documents to ${dir}`);
    fs.rmSync(dir, { recursive: true, force: true });
    fs.cpSync(realDir, dir, { recursive: true });
    for (const d of corpus.docs) fs.writeFileSync(path.join(dir, 'docs', `${d.id}.md`), toMarkdown(d));
  }
  const syntheticChunks = corpus.docs.reduce((n, d) => n + chunkDocument(d).length, 0);
  const result = { knowledgeDir: dir, chunks: realChunks + syntheticChunks, docs: real.docs.length + corpus.docs.length, queries: corpus.queries };
  if (!cached) fs.writeFileSync(stamp, JSON.stringify({ expected, chunks: result.chunks, docs: result.docs }, null, 2));
  return result;
}
