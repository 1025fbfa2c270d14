// HNSW inserts off the building thread (see hnsw_builder.ts). Plain JavaScript, so it runs under tsx,
// vitest or bare node alike. Messages in: {type:'init', dim, maxElements, m, efConstruction, seed},
// {type:'points', first, vectors: Float32Array (n × dim)}, {type:'finish', file}. Out: {type:'progress', done}, {type:'done', insertMs} or
// {type:'error', message}.
import { parentPort } from 'node:worker_threads';
import hnswlib from 'hnswlib-node';

let index;
let dim = 0;
let insertMs = 0;

parentPort.on('message', (msg) => {
  try {
    if (msg.type === 'init') {
      dim = msg.dim;
      index = new hnswlib.HierarchicalNSW('cosine', dim);
      index.initIndex({ maxElements: msg.maxElements, m: msg.m, efConstruction: msg.efConstruction, randomSeed: msg.seed, allowReplaceDeleted: true });
    } else if (msg.type === 'points') {
      const started = performance.now();
      const v = msg.vectors;
      const count = v.length / dim;
      const point = new Array(dim);
      for (let j = 0; j < count; j++) {
        for (let d = 0; d < dim; d++) point[d] = v[j * dim + d];
        index.addPoint(point, msg.first + j);
      }
      insertMs += performance.now() - started;
      parentPort.postMessage({ type: 'progress', done: msg.first + count });
    } else if (msg.type === 'finish') {
      index.writeIndexSync(msg.file);
      parentPort.postMessage({ type: 'done', insertMs });
    }
  } catch (err) {
    parentPort.postMessage({ type: 'error', message: err instanceof Error ? err.message : String(err) });
  }
});
