/**
 * The real server (startMentorServer, configured from the environment like `mentor serve`) in a child
 * of the benchmark, reporting over IPC what only the server's process can see: when it listens and is
 * ready, its start-up log, RSS and heap, and its event-loop delay (perf_hooks.monitorEventLoopDelay).
 * It also runs a full index rebuild on request, so the benchmark can load the server during one.
 */
import fs from 'node:fs';
import { Session } from 'node:inspector/promises';
import { monitorEventLoopDelay } from 'node:perf_hooks';

export type ServerMessage =
  | { type: 'listening'; url: string; at: number; importedAt: number }
  | { type: 'progress'; message: string; at: number }
  | { type: 'ready'; at: number; chunks: number; revision: number }
  | { type: 'failed'; message: string }
  | { type: 'stats'; id: number; rssMb: number; heapUsedMb: number; memory: MemoryBreakdown; cpuMs: number; eventLoop: EventLoopStats; retrievalCache: RetrievalCacheCounts }
  | { type: 'rebuilt'; id: number; seconds: number; chunks: number; eventLoop: EventLoopStats; error?: string }
  | { type: 'profiled'; id: number; file?: string };

export type ServerCommand =
  | { type: 'stats'; id: number; resetEventLoop?: boolean; gc?: boolean }
  | { type: 'rebuild'; id: number }
  | { type: 'profile'; id: number; action: 'start' | 'stop'; file?: string }
  | { type: 'stop' };

/** Where the RSS is (MB): V8's heap, memory outside it (typed arrays, native addons), and file-backed pages (code). */
export interface MemoryBreakdown {
  heapTotal: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
  /** Anonymous pages: the heaps of V8, malloc (SQLite, jieba, hnswlib) and thread stacks. */
  anonymous?: number;
  /** Pages of mapped files: the node binary and native addons. */
  fileBacked?: number;
}

/** Retrievals answered from the recent results (hits) and searched (misses), since the server started. */
export interface RetrievalCacheCounts {
  hits: number;
  misses: number;
}

export interface EventLoopStats {
  /** Milliseconds. */
  p50: number;
  p99: number;
  max: number;
  mean: number;
}

const send = (m: ServerMessage) => process.send?.(m);
const ms = (ns: number) => Math.round((ns / 1e6) * 100) / 100;

async function main(): Promise<void> {
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  const eventLoop = (): EventLoopStats => ({ p50: ms(loop.percentile(50)), p99: ms(loop.percentile(99)), max: ms(loop.max), mean: ms(loop.mean) });
  // Imported here, so the time the modules take (a fixed cost of every start) is reported on its own.
  const [{ loadConfig }, { limitHeapGrowth, startMentorServer }, { retrievalCacheCounts }] = await Promise.all([import('../src/config.js'), import('../src/server/index.js'), import('../src/knowledge/index.js')]);
  const importedAt = Date.now();
  const config = loadConfig(process.env);
  limitHeapGrowth(config.HEAP_GROWING_PERCENT);
  const { server, service } = await startMentorServer(config, { onProgress: (message) => send({ type: 'progress', message, at: Date.now() }), log: () => {} });
  send({ type: 'listening', url: server.url, at: Date.now(), importedAt });
  const s = await service.catch((err: Error) => {
    send({ type: 'failed', message: err.stack ?? err.message });
    process.exit(1);
  });
  send({ type: 'ready', at: Date.now(), chunks: s.index().manifest.chunkCount, revision: s.corpus.revision() });

  let profiler: Session | undefined;
  process.on('message', (cmd: ServerCommand) => {
    if (cmd.type === 'stats') {
      // A full collection first (when node runs with --expose-gc): memory that is still held, not garbage.
      if (cmd.gc) (globalThis as { gc?: () => void }).gc?.();
      const m = process.memoryUsage();
      const cpu = process.cpuUsage();
      const mb = (bytes: number) => Math.round(bytes / 2 ** 20);
      const memory: MemoryBreakdown = { heapTotal: mb(m.heapTotal), heapUsed: mb(m.heapUsed), external: mb(m.external), arrayBuffers: mb(m.arrayBuffers), ...residentPages() };
      send({ type: 'stats', id: cmd.id, rssMb: mb(m.rss), heapUsedMb: mb(m.heapUsed), memory, cpuMs: (cpu.user + cpu.system) / 1000, eventLoop: eventLoop(), retrievalCache: retrievalCacheCounts() });
      if (cmd.resetEventLoop) loop.reset();
    } else if (cmd.type === 'rebuild') {
      loop.reset();
      const started = performance.now();
      s.corpus.rebuild().then(
        (index) => send({ type: 'rebuilt', id: cmd.id, seconds: (performance.now() - started) / 1000, chunks: index.manifest.chunkCount, eventLoop: eventLoop() }),
        (err: Error) => send({ type: 'rebuilt', id: cmd.id, seconds: (performance.now() - started) / 1000, chunks: 0, eventLoop: eventLoop(), error: err.message }),
      );
    } else if (cmd.type === 'profile') {
      // The V8 CPU profiler (what --cpu-prof runs), over exactly the window the benchmark asks for.
      void (async () => {
        if (cmd.action === 'start') {
          profiler ??= new Session();
          profiler.connect();
          await profiler.post('Profiler.enable');
          await profiler.post('Profiler.setSamplingInterval', { interval: 500 });
          await profiler.post('Profiler.start');
          send({ type: 'profiled', id: cmd.id });
        } else if (profiler) {
          const { profile } = await profiler.post('Profiler.stop');
          profiler.disconnect();
          profiler = undefined;
          if (cmd.file) fs.writeFileSync(cmd.file, JSON.stringify(profile));
          send({ type: 'profiled', id: cmd.id, file: cmd.file });
        } else send({ type: 'profiled', id: cmd.id });
      })();
    } else if (cmd.type === 'stop') {
      void server.close().then(() => {
        s.close();
        process.exit(0);
      });
    }
  });
}

/** Linux only: resident anonymous and file-backed pages, from /proc/self/smaps_rollup. */
function residentPages(): { anonymous?: number; fileBacked?: number } {
  try {
    const rollup = fs.readFileSync('/proc/self/smaps_rollup', 'utf8');
    const kb = (field: string) => Number(rollup.match(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm'))?.[1] ?? NaN);
    const rss = kb('Rss');
    const anonymous = kb('Anonymous');
    return Number.isFinite(rss) && Number.isFinite(anonymous) ? { anonymous: Math.round(anonymous / 1024), fileBacked: Math.round((rss - anonymous) / 1024) } : {};
  } catch {
    return {};
  }
}

main().catch((err: Error) => {
  send({ type: 'failed', message: err.stack ?? err.message });
  process.exit(1);
});
