/**
 * What a turn costs the mentor alone, without HTTP: `npm run bench:turn [-- --size 10000 --seconds 5]`.
 * The benchmark's corpus and conversation mix (bench/e2e_corpus.ts, bench/e2e_load.ts), the service as
 * `mentor serve` opens it, turns run one after the other in this process. Compare with the server CPU per
 * turn of `npm run bench` to see what HTTP, garbage collection and loopback TCP add.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { benchArgs } from './cli_args.js';
import { generateKnowledge } from './e2e_corpus.js';
import { benchServerEnv, conversationMix, round, turnsOf } from './e2e_load.js';

const { size, seconds } = benchArgs({
  command: 'npm run bench:turn --',
  summary:
    'What a turn costs the mentor alone, without HTTP: the benchmark corpus and conversation mix, the service opened as `mentor serve` opens it, turns one after the other in this process.',
  options: {
    size: { kind: 'integer', default: 10_000, help: 'corpus size in chunks' },
    seconds: { kind: 'integer', default: 5, help: 'length of the measured run' },
  },
});

const knowledge = generateKnowledge(size, (m) => console.log(m));
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tm-turn-cost-'));
try {
  const [{ loadConfig }, { openMentorService }, { retrievalCacheCounts }] = await Promise.all([import('../src/config.js'), import('../src/mentor/index.js'), import('../src/knowledge/index.js')]);
  const config = loadConfig({ ...process.env, ...benchServerEnv(knowledge.knowledgeDir, dataDir), LOG_LEVEL: 'silent' });
  // Opened twice: the first builds and saves the index, the second serves from disk as a restart does.
  (await openMentorService(config)).close();
  const service = await openMentorService(config);
  const turns = turnsOf(conversationMix(knowledge.queries, 600, size), 'cost');
  const run = async (secs: number) => {
    const started = performance.now();
    const cpu = process.cpuUsage();
    let n = 0;
    while (performance.now() - started < secs * 1000) {
      const t = turns[n % turns.length];
      await service.mentor.handleTurn({ message: t.message, sessionId: `${t.sessionId}-${Math.floor(n / turns.length)}`, channel: 'api' });
      n++;
    }
    const used = process.cpuUsage(cpu);
    return { turns: n, wallMs: round((performance.now() - started) / n, 3), cpuMs: round((used.user + used.system) / 1000 / n, 3) };
  };
  await run(Math.min(3, seconds)); // warm-up: the JIT and the caches
  const before = retrievalCacheCounts();
  const r = await run(seconds);
  const after = retrievalCacheCounts();
  const hits = after.hits - before.hits;
  const hitShare = Math.round((100 * hits) / Math.max(1, hits + after.misses - before.misses));
  console.log(`${size.toLocaleString('en')} chunks: ${r.turns} turns in ${seconds} s, ${r.wallMs} ms a turn (CPU ${r.cpuMs} ms, all threads), mentor only, no HTTP; ${hitShare}% of retrievals from the recent results (off unless RETRIEVAL_CACHE_SIZE is set)`);
  service.close();
} finally {
  fs.rmSync(dataDir, { recursive: true, force: true });
}
