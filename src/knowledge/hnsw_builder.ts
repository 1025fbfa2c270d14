import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import hnswlib from 'hnswlib-node';

const { HierarchicalNSW } = hnswlib;
export type Hnsw = InstanceType<typeof HierarchicalNSW>;

export interface HnswBuildParams {
  dim: number;
  maxElements: number;
  m: number;
  efConstruction: number;
  seed: number;
}

/** Takes vectors in label order (0, 1, 2, …) and returns the finished HNSW index. */
export interface HnswBuilder {
  add(vector: ArrayLike<number>): void;
  finish(onProgress?: (done: number) => void): Promise<Hnsw>;
  readonly mode: 'in-process' | 'worker';
  /** Time spent inserting (on whichever thread did it), known once finish resolves. */
  readonly insertSeconds: number;
  /** Gives up (the build failed elsewhere): stops the worker thread, if any. */
  abort(): void;
}

/** Builds on the calling thread. */
export function inProcessHnswBuilder(p: HnswBuildParams): HnswBuilder {
  const index = new HierarchicalNSW('cosine', p.dim);
  index.initIndex({ maxElements: Math.max(p.maxElements, 1), m: p.m, efConstruction: p.efConstruction, randomSeed: p.seed, allowReplaceDeleted: true });
  let next = 0;
  const pending: number[][] = [];
  let insertMs = 0;
  return {
    mode: 'in-process',
    get insertSeconds() {
      return insertMs / 1000;
    },
    abort() {
      pending.length = 0;
    },
    add(vector) {
      pending.push(Array.from(vector));
    },
    async finish(onProgress) {
      const started = performance.now();
      for (const v of pending) {
        index.addPoint(v, next++);
        if (next % 5000 === 0) onProgress?.(next);
      }
      pending.length = 0;
      insertMs = performance.now() - started;
      onProgress?.(next);
      return index;
    },
  };
}

/** Points per message to the worker. */
const BATCH = 512;

/**
 * Builds in a worker thread while the caller goes on analysing chunks (two cores: jieba on one, HNSW
 * inserts on the other). The same parameters, seed and insertion order as inProcessHnswBuilder, and
 * the same float32 values (hnswlib stores float32), so the graph is the same; the worker writes it to
 * a temporary file that this thread reads back.
 */
export function workerHnswBuilder(p: HnswBuildParams): HnswBuilder {
  // No execArgv: the worker is plain JavaScript and needs no loader hooks (tsx's would cost ~100 ms to start).
  const worker = new Worker(new URL('./hnsw_worker.mjs', import.meta.url), { execArgv: [] });
  worker.unref();
  let failure: Error | undefined;
  let progress: ((done: number) => void) | undefined;
  let settle: { resolve: () => void; reject: (e: Error) => void } | undefined;
  let insertMs = 0;
  const fail = (e: Error) => {
    failure ??= e;
    settle?.reject(failure);
  };
  worker.on('message', (m: { type: string; done?: number; message?: string; insertMs?: number }) => {
    if (m.type === 'progress') progress?.(m.done!);
    else if (m.type === 'done') {
      insertMs = m.insertMs ?? 0;
      settle?.resolve();
    }
    else if (m.type === 'error') fail(new Error(`HNSW worker: ${m.message}`));
  });
  worker.on('error', (e) => fail(e));
  worker.on('exit', (code) => fail(new Error(`HNSW worker exited with code ${code}`)));
  worker.postMessage({ type: 'init', dim: p.dim, maxElements: Math.max(p.maxElements, 1), m: p.m, efConstruction: p.efConstruction, seed: p.seed });

  let batch = new Float32Array(BATCH * p.dim);
  let inBatch = 0;
  let sent = 0;
  const flush = () => {
    if (inBatch === 0) return;
    const vectors = inBatch === BATCH ? batch : batch.slice(0, inBatch * p.dim);
    worker.postMessage({ type: 'points', first: sent, vectors }, [vectors.buffer]);
    sent += inBatch;
    inBatch = 0;
    batch = new Float32Array(BATCH * p.dim);
  };
  return {
    mode: 'worker',
    get insertSeconds() {
      return insertMs / 1000;
    },
    abort() {
      failure ??= new Error('HNSW build aborted');
      worker.removeAllListeners('exit');
      void worker.terminate();
    },
    add(vector) {
      if (failure) throw failure;
      if (vector.length !== p.dim) throw new Error(`vector of ${vector.length} dimensions, index has ${p.dim}`);
      batch.set(vector, inBatch * p.dim);
      if (++inBatch === BATCH) flush();
    },
    async finish(onProgress) {
      progress = onProgress;
      flush();
      const file = path.join(os.tmpdir(), `tm-hnsw-${process.pid}-${crypto.randomBytes(4).toString('hex')}.bin`);
      try {
        await new Promise<void>((resolve, reject) => {
          settle = { resolve, reject };
          if (failure) reject(failure);
          else worker.postMessage({ type: 'finish', file });
        });
        const index = new HierarchicalNSW('cosine', p.dim);
        await index.readIndex(file, true);
        return index;
      } finally {
        settle = undefined;
        worker.removeAllListeners('exit');
        void worker.terminate();
        fs.rmSync(file, { force: true });
      }
    },
  };
}
