/**
 * `serve` with one process against `serve` with WORKERS (node's cluster, src/server/cluster.ts) on one
 * port: `npm run bench:workers [-- --size 10000 --workers 2 --rounds 2 --seconds 10 --connections 16]`.
 * Both servers run as `npm start` runs them (compiled, `node dist/src/cli.js serve`), on the benchmark's
 * corpus and conversation mix, with the production log written to a file. They are measured in turn,
 * round after round, since this machine's speed moves between minutes. RSS and CPU are the sums over
 * each server's processes (the primary and its workers). Results: bench/results/workers.json and .md.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
// @ts-expect-error: a plain .mjs build script, without type declarations
import { buildDist, DIST } from '../scripts/build.mjs';
import { benchArgs, type BenchSpec } from './cli_args.js';
import { benchRoot, generateKnowledge } from './e2e_corpus.js';
import { benchServerEnv, conversationMix, loadTest, round, runHeader, setupLine, type Conversation, type LoadResult } from './e2e_load.js';
import { SERVER_NODE_FLAGS, serverProcessEnv } from '../src/server/memory.js';

const RESULTS_DIR = path.resolve('bench/results');
/** The issue's throughput target, at 10k chunks. */
const TARGET = { turnsPerSecond: 500, p99Ms: 100 };
const CLOCK_TICKS = 100;

const SPEC = {
  command: 'npm run bench:workers --',
  summary:
    '`serve` as one process against `serve` with WORKERS processes on one port, measured in turn (throughput with autocannon, latency under load, CPU per turn and RSS summed over each server\'s processes). Writes bench/results/workers.json and workers.md.',
  options: {
    size: { kind: 'integer', default: 10_000, help: 'corpus size in chunks' },
    workers: { kind: 'integer', default: 2, min: 2, help: 'WORKERS of the second server' },
    rounds: { kind: 'integer', default: 2, help: 'measurements of each server, alternating' },
    seconds: { kind: 'integer', default: 10, help: 'length of each throughput run' },
    connections: { kind: 'integer', default: 16, help: 'concurrent users in each run' },
  },
} satisfies BenchSpec;

const say = (m: string) => process.stderr.write(`[workers] ${m}\n`);

/** `node dist/src/cli.js serve`, as `npm start` runs it, in a process group of its own, its log in a file. */
class Serve {
  readonly child: ChildProcess;
  private err = '';
  readonly logFile: string;

  constructor(
    readonly workers: number,
    env: Record<string, string>,
    dir: string,
  ) {
    this.logFile = path.join(dir, `serve-${workers}.log`);
    const log = fs.openSync(this.logFile, 'w');
    // As `npm start` runs it: the server's node flags and environment (src/server/memory.ts).
    this.child = spawn(process.execPath, [...SERVER_NODE_FLAGS, path.join(DIST as string, 'src', 'cli.js'), 'serve'], {
      detached: true,
      env: { ...process.env, ...serverProcessEnv(process.env), LOG_LEVEL: 'info', ...env, WORKERS: String(workers) },
      stdio: ['ignore', log, 'pipe'],
    });
    fs.closeSync(log);
    this.child.stderr!.setEncoding('utf8').on('data', (c: string) => (this.err += c));
  }

  async ready(): Promise<string> {
    const done = this.workers > 1 ? new RegExp(`worker ${this.workers} \\(pid \\d+\\) is ready`) : /ready: index loaded/;
    const until = Date.now() + 600_000;
    for (;;) {
      const out = fs.readFileSync(this.logFile, 'utf8');
      if (done.test(this.workers > 1 ? this.err : out)) {
        const url = /listening on (http:\/\/\S+)/.exec(out)?.[1];
        if (url) return url;
      }
      if (this.child.exitCode !== null || Date.now() > until) throw new Error(`serve with WORKERS=${this.workers} did not get ready:\n${this.err.slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** The pids of the server's processes: the primary (or the only process) and its workers. */
  pids(): number[] {
    const pgid = this.child.pid!;
    return fs
      .readdirSync('/proc')
      .filter((d) => /^\d+$/.test(d))
      .map(Number)
      .filter((pid) => {
        try {
          return Number(fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')[2]) === pgid;
        } catch {
          return false;
        }
      });
  }

  /** CPU seconds (user and system) and resident MB, summed over the server's processes. */
  usage(): { cpuSeconds: number; rssMb: number } {
    let ticks = 0;
    let rssKb = 0;
    for (const pid of this.pids()) {
      try {
        const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
        ticks += Number(fields[11]) + Number(fields[12]);
        rssKb += Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
      } catch {
        // gone meanwhile (a compiling child)
      }
    }
    return { cpuSeconds: ticks / CLOCK_TICKS, rssMb: Math.round(rssKb / 1024) };
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => process.kill(-this.child.pid!, 'SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  }
}

interface Run {
  workers: number;
  turnsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  cpuPerTurnMs: number;
  rssMb: number;
}

async function measure(server: Serve, url: string, mix: Conversation[], seconds: number, connections: number, label: string): Promise<Run> {
  const before = server.usage();
  const r: LoadResult = await loadTest(url, mix, { connections, seconds, label });
  const after = server.usage();
  return {
    workers: server.workers,
    turnsPerSecond: r.requestsPerSecond,
    p50Ms: r.latencyMs.p50,
    p99Ms: r.latencyMs.p99,
    errors: r.errors + r.timeouts + r.non2xx,
    cpuPerTurnMs: round(((after.cpuSeconds - before.cpuSeconds) * 1000) / Math.max(1, r.requests), 3),
    rssMb: after.rssMb,
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];

async function main(): Promise<void> {
  const args = benchArgs(SPEC);
  (buildDist as () => number)();
  const knowledge = generateKnowledge(args.size, say);
  const root = fs.mkdtempSync(path.join(benchRoot(), `workers-${args.size}-`));
  const servers = [1, args.workers].map((n) => new Serve(n, benchServerEnv(knowledge.knowledgeDir, path.join(root, `data-${n}`)), root));
  try {
    const urls: string[] = [];
    for (const s of servers) {
      urls.push(await s.ready());
      say(`WORKERS=${s.workers} ready at ${urls.at(-1)} (${s.pids().length} processes)`);
    }
    const mix = conversationMix(knowledge.queries, 600, args.size);
    // Warm each worker of each server (new connections go to the workers in turn).
    for (const [i, s] of servers.entries()) await loadTest(urls[i], mix, { connections: 4 * s.workers, seconds: 3, label: `warm-${s.workers}` });
    const runs: Run[] = [];
    for (let round_ = 1; round_ <= args.rounds; round_++) {
      for (const [i, s] of servers.entries()) {
        const run = await measure(s, urls[i], mix, args.seconds, args.connections, `r${round_}-${s.workers}`);
        runs.push(run);
        say(`round ${round_}, WORKERS=${run.workers}: ${run.turnsPerSecond} turns/s, p50 ${run.p50Ms} / p99 ${run.p99Ms} ms, ${run.errors} errors, CPU ${run.cpuPerTurnMs} ms a turn, RSS ${run.rssMb} MB`);
      }
    }
    const of = (n: number) => runs.filter((r) => r.workers === n);
    const best = of(args.workers);
    const medianTurns = median(best.map((r) => r.turnsPerSecond));
    const result = { ...runHeader(args, knowledge.chunks), runs };
    fs.mkdirSync(RESULTS_DIR, { recursive: true });
    fs.writeFileSync(path.join(RESULTS_DIR, 'workers.json'), `${JSON.stringify(result, null, 2)}\n`);
    const md = [
      `# Workers benchmark (${result.at})`,
      '',
      `${setupLine(result)} Autocannon, ${args.connections} users × ${args.seconds} s against \`node dist/src/cli.js serve\`, the two servers measured in turn. CPU and RSS are summed over each server's processes.`,
      '',
      '| WORKERS | turns/s | load p50 / p99 (ms) | errors | CPU per turn (ms) | RSS (MB) |',
      '| ---: | ---: | ---: | ---: | ---: | ---: |',
      ...runs.map((r) => `| ${r.workers} | ${r.turnsPerSecond} | ${r.p50Ms} / ${r.p99Ms} | ${r.errors} | ${r.cpuPerTurnMs} | ${r.rssMb} |`),
      '',
      `Median: one process ${median(of(1).map((r) => r.turnsPerSecond))} turns/s, WORKERS=${args.workers} ${medianTurns} turns/s.`,
      '',
    ].join('\n');
    fs.writeFileSync(path.join(RESULTS_DIR, 'workers.md'), md);
    console.log(md);
    if (args.size === 10_000) {
      const met = best.every((r) => r.turnsPerSecond >= TARGET.turnsPerSecond && r.p99Ms <= TARGET.p99Ms && r.errors === 0);
      console.log(`${met ? 'met   ' : 'MISSED'} throughput ≥ ${TARGET.turnsPerSecond} turns/s with p99 ≤ ${TARGET.p99Ms} ms and 0 errors at 10,000 chunks in every WORKERS=${args.workers} run: ${best.map((r) => `${r.turnsPerSecond} (p99 ${r.p99Ms} ms, ${r.errors} errors)`).join(', ')}`);
    }
    console.log('written bench/results/workers.json and bench/results/workers.md');
  } finally {
    for (const s of servers) await s.stop();
    fs.rmSync(root, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
