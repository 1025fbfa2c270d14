#!/usr/bin/env node
/**
 * Compiles the server to plain JavaScript in dist/, file for file (dist/src/… mirrors src/…), so
 * `npm start` runs on node alone. Under tsx every process keeps a loader thread with its own V8 heap
 * (about 30 MB of RSS) and transforms each module as it is imported. `npm run mentor` and the tests
 * still run the TypeScript through tsx. Usage: node scripts/build.mjs [--quiet]
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as esbuild from 'esbuild';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const DIST = path.join(ROOT, 'dist');
/** Compiled besides src/: the benchmarks' server harness, so they measure the server as `npm start` runs it. */
const EXTRA = ['bench/e2e_server.ts'];

/** Every file under `dir` (relative to ROOT). */
function filesUnder(dir) {
  return fs.readdirSync(path.join(ROOT, dir), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(ROOT, path.join(e.parentPath, e.name)));
}

/**
 * Brings dist/ up to date; returns how many modules it compiled. Only changed files are written, each
 * through a temporary file and a rename, and files of deleted modules are removed: a server already
 * running from dist/ (another instance, or one that imports a module lazily) never reads a half-written
 * or missing module.
 */
export function buildDist() {
  const sources = filesUnder('src');
  const typescript = [...sources.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts')), ...EXTRA];
  const { outputFiles } = esbuild.buildSync({
    entryPoints: typescript.map((f) => path.join(ROOT, f)),
    outdir: DIST,
    outbase: ROOT,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    tsconfig: path.join(ROOT, 'tsconfig.json'),
    logLevel: 'warning',
    write: false,
  });
  const wanted = new Set();
  const put = (file, contents) => {
    wanted.add(file);
    if (fs.existsSync(file) && Buffer.compare(fs.readFileSync(file), contents) === 0) return;
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const temporary = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(temporary, contents);
    fs.renameSync(temporary, file);
  };
  for (const out of outputFiles) put(out.path, Buffer.from(out.contents));
  // Plain JavaScript the compiled modules load by path (the HNSW worker).
  for (const f of sources.filter((f) => f.endsWith('.mjs') || f.endsWith('.js'))) put(path.join(DIST, f), fs.readFileSync(path.join(ROOT, f)));
  if (fs.existsSync(DIST)) {
    for (const f of fs.readdirSync(DIST, { recursive: true, withFileTypes: true })) {
      const file = path.join(f.parentPath, f.name);
      // Another build's temporary file (two instances started at once) is left to its rename.
      if (f.isFile() && !wanted.has(file) && !file.endsWith('.tmp')) fs.rmSync(file, { force: true });
    }
  }
  return typescript.length;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const args = process.argv.slice(2);
  const unknown = args.filter((a) => !['--quiet', '--help', '-h'].includes(a));
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write('Usage: node scripts/build.mjs [--quiet]\nCompiles src/ (and bench/e2e_server.ts) to plain JavaScript in dist/ for `npm start`.\n');
  } else if (unknown.length) {
    process.stderr.write(`unknown option ${unknown[0]}; usage: node scripts/build.mjs [--quiet]\n`);
    process.exit(2);
  } else {
    const started = performance.now();
    try {
      const n = buildDist();
      if (!process.argv.includes('--quiet')) process.stderr.write(`built ${n} modules into dist/ in ${Math.round(performance.now() - started)} ms\n`);
    } catch (err) {
      // esbuild has printed each error with its file and line.
      process.stderr.write(`build failed: ${err.message.split('\n')[0]}\n`);
      process.exit(1);
    }
  }
}
