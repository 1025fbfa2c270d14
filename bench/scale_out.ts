/**
 * Scale-out benchmark: `npm run bench:scale [-- --size 10000 --seconds 10 --connections 16]`.
 *
 * Two instances of the real server on loopback share a redis-server (sessions, rate limits) and one
 * corpus store, each with its own index and transcripts: the layout of README "Scaling out". The load
 * generator gives each instance half of its users, one kept-alive connection each, as a load balancer
 * would (none runs here). Measured over the same mix as `npm run bench`: one instance alone (with Redis),
 * then both together, with the server CPU each spent a turn. Results: bench/results/scale_out.json and .md.
 * Needs Debian's redis-server.
 */
import fs from 'node:fs';
import path from 'node:path';
import { benchArgs, type BenchSpec } from './cli_args.js';
import { benchRoot, generateKnowledge } from './e2e_corpus.js';
import { benchServerEnv, conversationMix, loadTest, round, runHeader, sequentialTurns, ServerProcess, setupLine, turnsOf, type Conversation, type LoadResult } from './e2e_load.js';
import { REDIS_SERVER, startRedis } from '../test/fixtures/redis_server.js';

const RESULTS_DIR = path.resolve('bench/results');
/** The throughput target, at 10k chunks. */
const TARGET = { turnsPerSecond: 500, p99Ms: 100 };

const SPEC = {
  command: 'npm run bench:scale --',
  summary:
    'Two instances of the real server sharing a redis-server and one corpus store, each given half of the users by the load generator (as a load balancer would), against one instance alone: throughput, latency under load and server CPU per turn. Writes bench/results/scale_out.json and scale_out.md. Needs redis-server.',
  options: {
    size: { kind: 'integer', default: 10_000, help: 'corpus size in chunks' },
    seconds: { kind: 'integer', default: 10, help: 'length of each throughput run' },
    connections: { kind: 'integer', default: 16, min: 2, help: 'concurrent users in each run (split between the instances in the second)' },
  },
} satisfies BenchSpec;

interface RunResult {
  instances: number;
  turnsPerSecond: number;
  /** The worst of the instances' percentiles (ms). */
  p50Ms: number;
  p99Ms: number;
  requests: number;
  errors: number;
  /** Server CPU per turn, each instance's own (ms). */
  cpuPerTurnMs: number[];
}

const say = (m: string) => process.stderr.write(`[scale-out] ${m}\n`);

/** Runs one load test per instance at once, with the users split between them, and adds up what they served. */
async function measure(servers: ServerProcess[], mix: Conversation[], connections: number, seconds: number, label: string): Promise<RunResult> {
  const before = await Promise.all(servers.map((s) => s.stats()));
  const shares = servers.map((_, i) => Math.floor(connections / servers.length) + (i < connections % servers.length ? 1 : 0));
  // Each instance's users play other conversations of the mix (the load generator numbers its users from 0).
  const results: LoadResult[] = await Promise.all(servers.map((s, i) => loadTest(s.url, [...mix.slice(i * 37), ...mix.slice(0, i * 37)], { connections: shares[i], seconds, label: `${label}-${i}` })));
  const after = await Promise.all(servers.map((s) => s.stats()));
  return {
    instances: servers.length,
    turnsPerSecond: round(results.reduce((n, r) => n + r.requestsPerSecond, 0), 1),
    p50Ms: Math.max(...results.map((r) => r.latencyMs.p50)),
    p99Ms: Math.max(...results.map((r) => r.latencyMs.p99)),
    requests: results.reduce((n, r) => n + r.requests, 0),
    errors: results.reduce((n, r) => n + r.errors + r.timeouts + r.non2xx, 0),
    cpuPerTurnMs: servers.map((_, i) => round((after[i].cpuMs - before[i].cpuMs) / Math.max(1, results[i].requests), 3)),
  };
}

function describe(r: RunResult): string {
  return `${r.instances} instance${r.instances > 1 ? 's' : ''}: ${r.turnsPerSecond} turns/s, p50 ${r.p50Ms} / p99 ${r.p99Ms} ms, ${r.errors} errors, server CPU ${r.cpuPerTurnMs.join(' / ')} ms a turn`;
}

async function main(): Promise<void> {
  const args = benchArgs(SPEC);
  if (!REDIS_SERVER) {
    console.error('bench:scale needs redis-server (apt-get install redis-server)');
    process.exit(1);
  }
  const knowledge = generateKnowledge(args.size, say);
  say(`${knowledge.chunks.toLocaleString('en-US')} chunks in ${knowledge.docs.toLocaleString('en-US')} documents`);
  const root = fs.mkdtempSync(path.join(benchRoot(), `scale-${args.size}-`));
  const redis = await startRedis();
  const env = (name: string) => ({ ...benchServerEnv(knowledge.knowledgeDir, path.join(root, name)), REDIS_URL: redis.url, CORPUS_DB: path.join(root, 'shared', 'corpus.sqlite') });
  const servers: ServerProcess[] = [];
  try {
    // One after the other, as a rolling deployment starts them: the second finds the corpus imported.
    for (const name of ['a', 'b']) {
      say(`starting instance ${name}…`);
      const server = new ServerProcess(env(name));
      servers.push(server);
      await server.ready();
      say(`instance ${name} ready at ${server.url} (${((server.readyAt - server.spawnedAt) / 1000).toFixed(1)} s)`);
    }
    const mix = conversationMix(knowledge.queries, 600, args.size);
    for (const [i, s] of servers.entries()) await sequentialTurns(s.url, turnsOf(mix.slice(0, 100), `warm-${i}`));

    const one = await measure(servers.slice(0, 1), mix, args.connections, args.seconds, 'one');
    say(describe(one));
    const two = await measure(servers, mix, args.connections, args.seconds, 'two');
    say(describe(two));

    const met = args.size === 10_000 && two.turnsPerSecond >= TARGET.turnsPerSecond && two.p99Ms <= TARGET.p99Ms && two.errors === 0;
    const result = {
      ...runHeader(args, knowledge.chunks),
      one,
      two,
      speedUp: round(two.turnsPerSecond / Math.max(1, one.turnsPerSecond), 2),
    };
    fs.mkdirSync(RESULTS_DIR, { recursive: true });
    fs.writeFileSync(path.join(RESULTS_DIR, 'scale_out.json'), `${JSON.stringify(result, null, 2)}\n`);
    const row = (r: RunResult) => `| ${r.instances} | ${r.turnsPerSecond} | ${r.p50Ms} / ${r.p99Ms} | ${r.errors} | ${r.cpuPerTurnMs.join(' / ')} |`;
    const md = [
      `# Scale-out benchmark (${result.at})`,
      '',
      `${setupLine(result)} Autocannon, ${args.connections} users × ${args.seconds} s, split between the instances by connection; sessions and rate limits in one redis-server.`,
      '',
      '| instances | turns/s | load p50 / p99 (ms) | errors | server CPU per turn (ms) |',
      '| ---: | ---: | ---: | ---: | ---: |',
      row(one),
      row(two),
      '',
      `Two instances serve ${result.speedUp}× what one does.`,
      '',
    ].join('\n');
    fs.writeFileSync(path.join(RESULTS_DIR, 'scale_out.md'), md);
    console.log(md);
    if (args.size === 10_000) console.log(`${met ? 'met   ' : 'MISSED'} throughput ≥ ${TARGET.turnsPerSecond} turns/s with p99 ≤ ${TARGET.p99Ms} ms and 0 errors at 10,000 chunks, two instances: ${two.turnsPerSecond} turns/s, p99 ${two.p99Ms} ms, ${two.errors} errors`);
    console.log('written bench/results/scale_out.json and bench/results/scale_out.md');
  } finally {
    for (const s of servers) await s.stop();
    await redis.stop();
    fs.rmSync(root, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
