/**
 * Soak test: `npm run bench:soak [-- --sessions 200 --seconds 60 --warmup 20 --size 10000 --think-ms 1000]`.
 *
 * The real server (offline mode, a generated corpus of `size` chunks) in a child process; `sessions`
 * users talk at once for `seconds` after a warm-up, each user one kept-alive connection playing
 * conversations of the benchmark mix, each conversation its own session, `think-ms` (default 1 s)
 * between an answer and the user's next message. The server's RSS, heap and
 * event-loop delay are sampled every second. Passes with 0 errors (failed requests, timeouts, non-2xx
 * answers) and RSS growth under 10 % from the end of the warm-up to the end of the run, both measured
 * after a full garbage collection (the server runs with --expose-gc).
 * Results: bench/results/soak.json.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { benchArgs, type BenchSpec } from './cli_args.js';
import { benchRoot, generateKnowledge } from './e2e_corpus.js';
import { benchServerEnv, conversationMix, round, ServerProcess, sessionsLoad, Users } from './e2e_load.js';

const RESULTS = path.resolve('bench/results/soak.json');
const MAX_RSS_GROWTH = 0.1;
/**
 * Quiet time after a full collection before RSS is read: V8 hands back the pages a collection freed on
 * its own threads, a moment later (read at once, the end of a 60 s run showed 257 MB, and 241 MB three
 * seconds later). The same wait at both ends; the reading at once is reported too.
 */
const SETTLE_MS = 3000;

const SPEC = {
  command: 'npm run bench:soak --',
  summary:
    'The real server on a generated corpus; `sessions` users talk at once for `seconds` after a warm-up, RSS, heap and event-loop delay sampled every second. Passes with 0 errors and RSS growth under 10 % (after a full GC) from the end of the warm-up to the end. Writes bench/results/soak.json.',
  options: {
    sessions: { kind: 'integer', default: 200, help: 'users talking at once' },
    seconds: { kind: 'integer', default: 60, help: 'length of the measured run' },
    warmup: { kind: 'integer', default: 20, help: 'seconds of warm-up before it' },
    size: { kind: 'integer', default: 10_000, help: 'corpus size in chunks' },
    'think-ms': { kind: 'integer', min: 0, default: 1000, help: "each user's pause between an answer and the next message" },
  },
} satisfies BenchSpec;

async function main(): Promise<void> {
  const { sessions, seconds, warmup, size, 'think-ms': thinkMs } = benchArgs(SPEC);
  // A second between an answer and the user's next message (the default): a very fast typist (people take 5-30 s).
  const say = (m: string) => process.stderr.write(`[soak] ${m}\n`);

  const knowledge = generateKnowledge(size, say);
  const dataDir = fs.mkdtempSync(path.join(benchRoot(), `soak-${size}-`));
  const server = new ServerProcess(
    benchServerEnv(knowledge.knowledgeDir, dataDir),
    { log: (m) => say(`server: ${m}`), exposeGc: true },
  );
  try {
    await server.ready();
    say(`ready: ${knowledge.chunks} chunks; warm-up ${warmup} s with ${sessions} sessions…`);
    const mix = conversationMix(knowledge.queries, 1000, 31);
    const users = new Users(sessions);
    await users.connect(server.url);
    const warm = await sessionsLoad(server.url, mix, { users, seconds: warmup, thinkMs, label: 'soak-warm' });
    say(`warm-up: ${warm.requestsPerSecond} turns/s, errors ${warm.errors + warm.timeouts + warm.non2xx}`);

    const samples: Array<{ t: number; rssMb: number; heapUsedMb: number }> = [];
    // Memory is compared after a full collection and a quiet moment at both ends: what the server holds,
    // not its garbage, nor pages already freed and about to be returned.
    const settled = async (resetEventLoop: boolean) => {
      const atOnce = await server.stats(false, true);
      await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
      return { atOnce, after: await server.stats(resetEventLoop) };
    };
    // The event-loop figures start here, so they cover the run (and the quiet moment at its end).
    const { atOnce: firstAtOnce, after: first } = await settled(true);
    const started = Date.now();
    samples.push({ t: 0, rssMb: first.rssMb, heapUsedMb: first.heapUsedMb });
    let sampling = Promise.resolve();
    const run = sessionsLoad(server.url, mix, {
      users,
      seconds,
      thinkMs,
      label: 'soak',
      onTick: () => {
        sampling = sampling.then(async () => {
          const s = await server.stats();
          samples.push({ t: round((Date.now() - started) / 1000, 1), rssMb: s.rssMb, heapUsedMb: s.heapUsedMb });
          if (samples.length % 10 === 0) say(`${samples.at(-1)!.t} s: RSS ${s.rssMb} MB, heap ${s.heapUsedMb} MB`);
        });
      },
    });
    const result = await run;
    await sampling;
    users.close();
    const { atOnce: lastAtOnce, after: last } = await settled(false);
    samples.push({ t: round((Date.now() - started) / 1000, 1), rssMb: last.rssMb, heapUsedMb: last.heapUsedMb });

    const errors = result.errors + result.timeouts + result.non2xx;
    const baseline = samples[0].rssMb;
    const end = last.rssMb;
    const maxRss = Math.max(...samples.map((s) => s.rssMb));
    const growth = (end - baseline) / baseline;
    const report = {
      generatedAt: new Date().toISOString(),
      command: `npm run bench:soak -- --sessions ${sessions} --seconds ${seconds} --warmup ${warmup} --size ${size} --think-ms ${thinkMs}`,
      machine: { node: process.version, cpus: os.cpus().length, loadAverage: os.loadavg().map((l) => round(l)) },
      chunks: knowledge.chunks,
      sessions,
      seconds,
      thinkMs,
      turns: result.requests,
      turnsPerSecond: result.requestsPerSecond,
      latencyMs: result.latencyMs,
      errors: { total: errors, failed: result.errors, timeouts: result.timeouts, non2xx: result.non2xx },
      turnsPerSession: result.perUser,
      rssMb: {
        afterWarmup: baseline,
        end,
        max: maxRss,
        growthPercent: round(growth * 100, 1),
        readAtOnce: { afterWarmup: firstAtOnce.rssMb, end: lastAtOnce.rssMb, growthPercent: round(((lastAtOnce.rssMb - firstAtOnce.rssMb) / firstAtOnce.rssMb) * 100, 1) },
      },
      heapUsedMb: { afterWarmup: samples[0].heapUsedMb, end: last.heapUsedMb, max: Math.max(...samples.map((s) => s.heapUsedMb)) },
      // What V8 holds for its heap, used or not: where RSS grows while what is live stays flat.
      heapCommittedMb: { afterWarmup: first.memory.heapTotal, end: last.memory.heapTotal },
      eventLoopMs: last.eventLoop,
      checks: [`${errors === 0 ? 'met   ' : 'MISSED'} 0 errors: ${errors}`, `${growth < MAX_RSS_GROWTH ? 'met   ' : 'MISSED'} RSS growth after warm-up < ${MAX_RSS_GROWTH * 100} %: ${round(growth * 100, 1)} % (${baseline} → ${end} MB, max ${maxRss} MB)`],
      samples,
    };
    fs.mkdirSync(path.dirname(RESULTS), { recursive: true });
    fs.writeFileSync(RESULTS, `${JSON.stringify(report, null, 2)}\n`);
    console.log(
      [
        '',
        `${sessions} concurrent sessions for ${seconds} s on ${knowledge.chunks} chunks (after a ${warmup} s warm-up; ${thinkMs} ms between an answer and the next message):`,
        `  turns ${result.requests} (${result.requestsPerSecond}/s), latency p50 ${result.latencyMs.p50} ms, p99 ${result.latencyMs.p99} ms, max ${result.latencyMs.max} ms`,
        `  errors ${errors} (failed ${result.errors}, timeouts ${result.timeouts}, non-2xx ${result.non2xx}); every session served: ${result.perUser.min}–${result.perUser.max} turns per user`,
        `  RSS ${baseline} → ${end} MB (max ${maxRss} MB, ${report.rssMb.growthPercent} %; read at once after the collection ${firstAtOnce.rssMb} → ${lastAtOnce.rssMb} MB, ${report.rssMb.readAtOnce.growthPercent} %); heap used ${report.heapUsedMb.afterWarmup} → ${report.heapUsedMb.end} MB, committed ${report.heapCommittedMb.afterWarmup} → ${report.heapCommittedMb.end} MB; event-loop delay p99 ${last.eventLoop.p99} ms`,
        '',
        ...report.checks,
        `\nwritten ${path.relative(process.cwd(), RESULTS)}`,
      ].join('\n'),
    );
    if (errors !== 0 || growth >= MAX_RSS_GROWTH) process.exitCode = 1;
  } finally {
    await server.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
