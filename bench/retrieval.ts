/**
 * Retrieval benchmark on synthetic corpora: `npm run bench:retrieval [-- --sizes 1000,10000] [--queries 200]`.
 *
 * For each size it builds a knowledge index with the offline hashed embedder, then measures build rate,
 * HNSW insert rate, full `retrieve()` and HNSW-only latency, HNSW recall@10 and speed-up against exact
 * search (hnswlib's native BruteforceSearch over the same vectors), and RSS. Each size runs in its own
 * child process so its RSS is its own. Results go to bench/results/retrieval.json and retrieval.md.
 */
import { fork } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import hnswlib from 'hnswlib-node';
import { buildKnowledgeIndex, HashedEmbedder, retrieve, tokenize, type BuildProgress } from '../src/knowledge/index.js';
// The parameters under test are not part of the module's door; read them from the room.
import { efConstructionFor, HNSW_PARAMS, SMALL_INDEX_CHUNKS } from '../src/knowledge/knowledge_index.js';
import { queryTerms, setRetrievalCacheSize, vectorQuery } from '../src/knowledge/retriever.js';
import { loadVocabulary, syntheticCorpus } from './synthetic_corpus.js';
import { benchArgs } from './cli_args.js';

const SCRIPT = fileURLToPath(import.meta.url);
const DEFAULT_SIZES = [1_000, 10_000, 100_000];
const RESULTS = path.resolve('bench/results/retrieval.json');
const AS_OF = '2024-06-01';
const TARGETS = { recallAt10: 0.98, speedUp: 20, buildRate: 2000, retrieveP95Ms: 5 } as const;

interface SizeResult {
  chunks: number;
  /** The same build as the first thing a fresh process does (no JIT warm-up): sizes below COLD_BUILD_BELOW. */
  coldBuild?: { seconds: number; chunksPerSecond: number };
  docs: number;
  build: { seconds: number; chunksPerSecond: number; cpuSeconds: number; chunksPerCpuSecond: number; phases: Record<BuildProgress['phase'] | 'finish', number> };
  hnswInsert: { seconds: number; chunksPerSecond: number };
  retrieveMs: { p50: number; p95: number; mean: number };
  /** CPU time of this process per query: less sensitive than wall time to other load on a shared machine. */
  retrieveCpuMs: { p50: number; p95: number; mean: number };
  hnswSearchMs: { p50: number; p95: number; mean: number };
  exactSearchMs: { p50: number; p95: number; mean: number };
  recallAt10: number;
  /** Diagnostic: recall@10 when the queries are chunks' own vectors (in-distribution), not user questions. */
  recallAt10ChunkQueries: number;
  speedUp: number;
  efSweep: Array<{ ef: number; recallAt10: number; p50Ms: number; speedUp: number }>;
  rssMb: number;
  /** 1-minute load average before the build and after the queries: this machine is shared. */
  loadAverage: [number, number];
  queries: number;
  queryNonZeroDims: number;
  embedder: string;
}

function parseArgs(argv: string[]): { sizes: number[]; queries: number; child?: number; coldChild?: number } {
  const v = benchArgs(
    {
      command: 'npm run bench:retrieval --',
      summary:
        'Builds a knowledge index of each size with the offline hashed embedder and measures build rate, HNSW insert rate, retrieve() and HNSW-only latency, HNSW recall@10 and speed-up against exact search, and RSS, each size in its own process. Writes bench/results/retrieval.json and retrieval.md.',
      options: {
        sizes: { kind: 'sizes', default: DEFAULT_SIZES, help: 'corpus sizes in chunks' },
        queries: { kind: 'integer', default: 200, help: 'questions timed at each size' },
        child: { kind: 'integer', hidden: true, help: 'measure one size (the parent runs this)' },
        'cold-child': { kind: 'integer', hidden: true, help: 'time one first build (the parent runs this)' },
      },
    },
    argv,
  );
  return { sizes: v.sizes, queries: v.queries, child: v.child, coldChild: v['cold-child'] };
}

const fmt = (n: number) => n.toLocaleString('en-US');

/** Which hnswlib-node addon is installed: npm's portable build, or the one scripts/tune-native.mjs made. */
function hnswlibBuild(): string {
  const marker = path.join(path.dirname(createRequire(import.meta.url).resolve('hnswlib-node/package.json')), 'build', 'Release', 'title-mentor-native.json');
  if (!fs.existsSync(marker)) return 'portable build (baseline x86-64)';
  return `built with ${(JSON.parse(fs.readFileSync(marker, 'utf8')) as { flags: string }).flags} (scripts/tune-native.mjs)`;
}
const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))];
};
const stats = (xs: number[]) => ({ p50: round(percentile(xs, 0.5), 3), p95: round(percentile(xs, 0.95), 3), mean: round(xs.reduce((a, b) => a + b, 0) / xs.length, 3) });
const round = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits;
const isChinese = (s: string) => /[\u3400-\u9fff]/.test(s);
const cpuMs = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1000;

/** Recall with ties counted: an approximate hit as close as the exact 10th neighbour is a correct answer. */
function recallAt10(approx: Array<{ distances: number[] }>, exact: Array<{ distances: number[] }>): number {
  let hits = 0;
  approx.forEach((a, i) => {
    const bound = exact[i].distances[Math.min(9, exact[i].distances.length - 1)] + 1e-6;
    hits += Math.min(10, a.distances.filter((d) => d <= bound).length);
  });
  return hits / (10 * approx.length);
}

async function measure(size: number, queryCount: number): Promise<SizeResult> {
  const label = `[${fmt(size)}]`;
  const log = (message: string) => process.stderr.write(`${label} ${message}\n`);
  const vocabulary = loadVocabulary();
  const corpus = syntheticCorpus(vocabulary, size);
  const queries = corpus.queries.slice(0, queryCount);
  log(`generated ${fmt(corpus.docs.length)} documents, ${queries.length} queries`);

  // Load jieba's dictionary and warm the JIT before the clock starts: both happen once per process, not
  // once per build (the first build in a fresh process is measured on its own, coldBuild).
  tokenize('预热 warm-up');
  await warmUpBuild();
  const loadBefore = os.loadavg()[0];
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const phaseEnd: Partial<Record<BuildProgress['phase'], number>> = {};
  let insertSeconds = 0;
  let lastLog = 0;
  const index = await buildKnowledgeIndex(corpus.docs, vocabulary.glossary, (g) => new HashedEmbedder(g), {
    onProgress: (p) => {
      const now = performance.now();
      if (p.done === p.total) phaseEnd[p.phase] = now;
      if (p.insertSeconds !== undefined) insertSeconds = p.insertSeconds;
      if (p.done === p.total || now - lastLog > 2000) {
        lastLog = now;
        log(`${p.phase.padEnd(8)} ${fmt(p.done).padStart(7)}/${fmt(p.total)}  ${((now - started) / 1000).toFixed(1)} s`);
      }
    },
  });
  const finished = performance.now();
  const buildCpu = process.cpuUsage(cpuBefore);
  const rssMb = process.memoryUsage().rss / 2 ** 20;
  const chunks = index.chunks.length;
  const phases = {
    chunk: phaseEnd.chunk! - started,
    lexical: phaseEnd.lexical! - phaseEnd.chunk!,
    embed: phaseEnd.embed! - phaseEnd.lexical!,
    vectors: phaseEnd.vectors! - phaseEnd.embed!,
    finish: finished - phaseEnd.vectors!,
  };
  const buildSeconds = (finished - started) / 1000;
  log(`built ${fmt(chunks)} chunks in ${buildSeconds.toFixed(1)} s; RSS ${rssMb.toFixed(0)} MB`);

  // Full retrieval, as the mentor calls it, in a steady state: the build's garbage collected, and one
  // untimed pass over the questions to warm the JIT and the per-index title cache.
  (globalThis as { gc?: () => void }).gc?.();
  // The search itself is measured: the timed pass asks the warm-up's questions again, which the recent
  // results (RETRIEVAL_CACHE_SIZE) would answer without searching.
  setRetrievalCacheSize(0);
  const optionsFor = (q: string) => ({ lang: isChinese(q) ? ('zh' as const) : ('en' as const), asOf: AS_OF });
  for (const q of queries) await retrieve(index, q, optionsFor(q));
  const retrieveTimes: number[] = [];
  const retrieveCpuTimes: number[] = [];
  for (const q of queries) {
    const cpu = process.cpuUsage();
    const t = performance.now();
    await retrieve(index, q, optionsFor(q));
    retrieveTimes.push(performance.now() - t);
    retrieveCpuTimes.push(cpuMs(process.cpuUsage(cpu)));
  }

  // HNSW alone, and exact search over the very vectors the index holds.
  const embedder = index.embedder as HashedEmbedder;
  // The vectors retrieve() searches with: the question's, moved toward its best lexical hit (retriever.ts).
  const queryVectors = await Promise.all(queries.map((q) => vectorQuery(index, q, index.bm25.search(queryTerms(index, q).terms, 1)[0]?.index))).then((vs) => vs.map((v) => v!));
  const plainQueryVectors = queries.map((q) => embedder.embedOne(q));
  const dim = index.manifest.dim;
  const exact = new hnswlib.BruteforceSearch('cosine', dim);
  exact.initIndex(chunks);
  for (let i = 0; i < chunks; i++) exact.addPoint(index.vectors.getPoint(i), i);
  const timed = <T>(search: (v: number[]) => T) => {
    for (const v of queryVectors.slice(0, 20)) search(v);
    const times: number[] = [];
    const results = queryVectors.map((v) => {
      const t = performance.now();
      const r = search(v);
      times.push(performance.now() - t);
      return r;
    });
    return { times, results };
  };
  const hnsw = timed((v) => index.vectors.searchKnn(v, 10));
  const brute = timed((v) => exact.searchKnn(v, 10));
  const chunkQueries = Array.from({ length: Math.min(200, chunks) }, (_, i) => index.vectors.getPoint(Math.floor((i * chunks) / Math.min(200, chunks))));
  const chunkRecall = recallAt10(
    chunkQueries.map((v) => index.vectors.searchKnn(v, 10)),
    chunkQueries.map((v) => exact.searchKnn(v, 10)),
  );

  const hnswStats = stats(hnsw.times);
  const exactStats = stats(brute.times);
  // The recall / latency trade-off of efSearch on these vectors, for choosing HNSW_PARAMS.
  const efSweep = [32, 64, 128, 256, 512].map((ef) => {
    index.vectors.setEf(ef);
    const run = timed((v) => index.vectors.searchKnn(v, 10));
    const ms = stats(run.times).p50;
    return { ef, recallAt10: round(recallAt10(run.results, brute.results), 4), p50Ms: ms, speedUp: round(exactStats.p50 / ms, 1) };
  });
  index.vectors.setEf(HNSW_PARAMS.efSearch);
  const result: SizeResult = {
    chunks,
    docs: corpus.docs.length,
    build: {
      seconds: round(buildSeconds, 2),
      chunksPerSecond: Math.round(chunks / buildSeconds),
      cpuSeconds: round(cpuMs(buildCpu) / 1000, 2),
      chunksPerCpuSecond: Math.round(chunks / (cpuMs(buildCpu) / 1000)),
      phases: Object.fromEntries(Object.entries(phases).map(([k, ms]) => [k, round(ms / 1000, 2)])) as SizeResult['build']['phases'],
    },
    // Time inside hnswlib's inserts (on the build's worker thread, overlapping tokenisation).
    hnswInsert: { seconds: round(insertSeconds, 2), chunksPerSecond: Math.round(chunks / insertSeconds) },
    retrieveMs: stats(retrieveTimes),
    retrieveCpuMs: stats(retrieveCpuTimes),
    hnswSearchMs: hnswStats,
    exactSearchMs: exactStats,
    recallAt10: round(recallAt10(hnsw.results, brute.results), 4),
    recallAt10ChunkQueries: round(chunkRecall, 4),
    // Medians: on a shared machine a few preempted queries would swing a ratio of means.
    speedUp: round(exactStats.p50 / hnswStats.p50, 1),
    efSweep,
    rssMb: Math.round(rssMb),
    loadAverage: [round(loadBefore, 2), round(os.loadavg()[0], 2)],
    queries: queries.length,
    embedder: index.manifest.embedder,
    queryNonZeroDims: percentile(
      plainQueryVectors.map((v) => v.filter((x) => x !== 0).length),
      0.5,
    ),
  };
  log(`retrieve p95 ${result.retrieveMs.p95} ms, recall@10 ${result.recallAt10}, speed-up ${result.speedUp}×`);
  return result;
}

/**
 * An index of ~200 chunks of random text (letters and ideographs drawn from a seeded generator, sharing no
 * words with the synthetic corpus), so the code the build runs is compiled before the clock starts
 * without warming any cache of words, features or segmentations the measured build could reuse.
 */
async function warmUpBuild(): Promise<void> {
  let seed = 12345;
  const next = (n: number) => (seed = (seed * 16807) % 2147483647) % n;
  const latin = () => Array.from({ length: 4 + next(6) }, () => String.fromCharCode(0x61 + next(26))).join('');
  const han = () => Array.from({ length: 2 + next(3) }, () => String.fromCharCode(0x5000 + next(0x4000))).join('');
  const words = (n: number) => Array.from({ length: n }, () => (next(2) ? latin() : han())).join(' ');
  const docs = Array.from({ length: 20 }, (_, i) => ({
    id: `warm-up-${i}.en`,
    title: words(3),
    lang: 'en' as const,
    scope: 'titles' as const,
    series: [],
    topics: [],
    file: `warm-up-${i}.md`,
    body: Array.from({ length: 10 }, () => `## ${words(2)}\n\n${words(30)}。`).join('\n\n'),
  }));
  await buildKnowledgeIndex(docs, [], (g) => new HashedEmbedder(g));
}

/** Sizes whose first build in a fresh process is also measured (at 100k the warm-up is lost in the noise). */
const COLD_BUILD_BELOW = 100_000;

/** The first build in a fresh process: dictionary loaded, nothing else. */
async function measureColdBuild(size: number): Promise<{ seconds: number; chunksPerSecond: number }> {
  const vocabulary = loadVocabulary();
  const corpus = syntheticCorpus(vocabulary, size);
  tokenize('预热 warm-up');
  const started = performance.now();
  const index = await buildKnowledgeIndex(corpus.docs, vocabulary.glossary, (g) => new HashedEmbedder(g));
  const seconds = (performance.now() - started) / 1000;
  return { seconds: round(seconds, 3), chunksPerSecond: Math.round(index.chunks.length / seconds) };
}

function runColdChild(size: number): Promise<SizeResult['coldBuild']> {
  return new Promise((resolve, reject) => {
    const child = fork(SCRIPT, ['--cold-child', String(size)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let result: SizeResult['coldBuild'];
    child.on('message', (m) => (result = m as SizeResult['coldBuild']));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 && result ? resolve(result) : reject(new Error(`cold build of ${size} chunks exited with code ${code}`))));
  });
}

function runChild(size: number, queries: number): Promise<SizeResult> {
  return new Promise((resolve, reject) => {
    const execArgv = [...process.execArgv, '--expose-gc'];
    const child = fork(SCRIPT, ['--child', String(size), '--queries', String(queries)], { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let result: SizeResult | undefined;
    child.on('message', (m) => (result = m as SizeResult));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 && result ? resolve(result) : reject(new Error(`benchmark for ${size} chunks exited with code ${code}`))));
  });
}

function markdown(results: SizeResult[]): string {
  const rows = results.map((r) =>
    [
      fmt(r.chunks),
      `${fmt(r.build.chunksPerSecond)} (${fmt(r.build.chunksPerCpuSecond)})`,
      r.coldBuild ? fmt(r.coldBuild.chunksPerSecond) : '–',
      fmt(r.hnswInsert.chunksPerSecond),
      `${r.retrieveMs.p50} / ${r.retrieveMs.p95} (${r.retrieveCpuMs.p50} / ${r.retrieveCpuMs.p95})`,
      `${r.hnswSearchMs.p50} / ${r.hnswSearchMs.p95}`,
      `${r.exactSearchMs.p50} / ${r.exactSearchMs.p95}`,
      r.recallAt10.toFixed(3),
      `${r.speedUp}×`,
      fmt(r.rssMb),
    ].join(' | '),
  );
  const phases = results.map((r) =>
    [fmt(r.chunks), ...(['chunk', 'lexical', 'embed', 'vectors', 'finish'] as const).map((p) => r.build.phases[p].toFixed(2)), r.recallAt10ChunkQueries.toFixed(3), String(r.queryNonZeroDims), r.loadAverage.join(' → ')].join(' | '),
  );
  return [
    `HNSW m=${HNSW_PARAMS.m} efConstruction=${HNSW_PARAMS.efConstruction} (${efConstructionFor(1)} below ${fmt(SMALL_INDEX_CHUNKS)} chunks) efSearch=${HNSW_PARAMS.efSearch}; hnswlib-node ${hnswlibBuild()}; embedder ${results[0]?.embedder}; ${os.cpus().length} CPUs; Node ${process.version}`,
    '',
    'Builds of 2,000 chunks or more insert into HNSW on a worker thread while the main thread tokenises, so "HNSW insert" is the time inside hnswlib\'s inserts and the phases below overlap it.',
    'Each build is timed after a warm-up build of ~200 chunks of unrelated random text (it compiles the code, and shares no words with the corpus); "first build" is the same build as the first thing a fresh process does.',
    '',
    '| chunks | build chunks/s (per CPU-s) | first build chunks/s | HNSW insert (chunks/s) | retrieve p50 / p95 ms (CPU ms) | HNSW k=10 p50 / p95 (ms) | exact k=10 p50 / p95 (ms) | HNSW recall@10 | speed-up vs exact | RSS after build (MB) |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.map((r) => `| ${r} |`),
    '',
    '| chunks | chunk (s) | tokenise+embed+BM25 (s) | remote embed (s) | wait for HNSW worker (s) | finish (s) | recall@10, chunk-like queries | query non-zero dims (median) | load avg |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...phases.map((r) => `| ${r} |`),
    '',
    '| chunks | HNSW efSearch: recall@10 / p50 ms / speed-up vs exact |',
    '|---:|---|',
    ...results.map((r) => `| ${fmt(r.chunks)} | ${r.efSweep.map((e) => `ef ${e.ef}: ${e.recallAt10.toFixed(3)} / ${e.p50Ms} / ${e.speedUp}×`).join('; ')} |`),
  ].join('\n');
}

function targetReport(results: SizeResult[]): string[] {
  const largest = results.reduce((a, b) => (b.chunks > a.chunks ? b : a));
  const at = `at ${fmt(largest.chunks)}`;
  const check = (ok: boolean, text: string) => `${ok ? 'met   ' : 'MISSED'} ${text}`;
  return [
    check(largest.recallAt10 >= TARGETS.recallAt10, `recall@10 ≥ ${TARGETS.recallAt10} ${at}: ${largest.recallAt10}`),
    check(largest.speedUp >= TARGETS.speedUp, `HNSW ≥ ${TARGETS.speedUp}× faster than exact ${at}: ${largest.speedUp}×`),
    check(
      results.every((r) => r.build.chunksPerSecond >= TARGETS.buildRate),
      `build ≥ ${fmt(TARGETS.buildRate)} chunks/s: ${results.map((r) => fmt(r.build.chunksPerSecond)).join(', ')} (first build in a fresh process: ${results.map((r) => (r.coldBuild ? fmt(r.coldBuild.chunksPerSecond) : '–')).join(', ')})`,
    ),
    check(largest.retrieveMs.p95 <= TARGETS.retrieveP95Ms, `retrieve p95 ≤ ${TARGETS.retrieveP95Ms} ms ${at}: ${largest.retrieveMs.p95} ms`),
  ];
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (args.coldChild !== undefined) {
    const result = await measureColdBuild(args.coldChild);
    process.send!(result, () => process.disconnect());
    return;
  }
  if (args.child !== undefined) {
    const result = await measure(args.child, args.queries);
    // The IPC channel would keep this process alive: close it once the result is sent.
    process.send!(result, () => process.disconnect());
    return;
  }
  const results: SizeResult[] = [];
  for (const size of args.sizes) {
    const result = await runChild(size, args.queries);
    if (size < COLD_BUILD_BELOW) result.coldBuild = await runColdChild(size);
    results.push(result);
  }
  const report = {
    generatedAt: new Date().toISOString(),
    command: `npm run bench:retrieval -- --sizes ${args.sizes.join(',')}`,
    machine: { node: process.version, cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, totalMemMb: Math.round(os.totalmem() / 2 ** 20) },
    hnsw: { ...HNSW_PARAMS, smallIndex: { belowChunks: SMALL_INDEX_CHUNKS, efConstruction: efConstructionFor(1) }, addon: hnswlibBuild() },
    embedder: results[0]?.embedder,
    exactBaseline: 'hnswlib-node BruteforceSearch (native, cosine) over the vectors stored in the HNSW index; speed-up = exact p50 / HNSW p50',
    queryVectors: 'the vectors retrieve() searches with: each question embedded, then moved toward its best BM25 hit (RETRIEVAL_TUNING.feedbackWeight)',
    recallDefinition: 'recall@10 over the queries; an HNSW hit at a distance ≤ the exact 10th-nearest distance counts (ties)',
    targets: TARGETS,
    targetCheck: targetReport(results),
    results,
  };
  fs.mkdirSync(path.dirname(RESULTS), { recursive: true });
  fs.writeFileSync(`${RESULTS}.tmp`, `${JSON.stringify(report, null, 2)}\n`);
  fs.renameSync(`${RESULTS}.tmp`, RESULTS);
  const table = `${markdown(results)}\n\n${report.targetCheck.map((line) => `    ${line}`).join('\n')}\n`;
  const mdFile = RESULTS.replace(/\.json$/, '.md');
  fs.writeFileSync(mdFile, `# Retrieval benchmark, ${report.generatedAt}\n\n\`${report.command}\`\n\n${table}`);
  console.log(`\n${table}`);
  console.log(`written ${path.relative(process.cwd(), RESULTS)} and ${path.relative(process.cwd(), mdFile)}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
