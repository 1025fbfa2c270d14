#!/usr/bin/env node
// Rebuilds hnswlib-node's addon with AVX2 and FMA when this CPU has them (npm's postinstall).
//
// hnswlib picks its SIMD distance code at compile time, and npm compiles it for baseline x86-64 (SSE):
// with AVX2 the same graph is built ~1.4× faster and searched ~1.2× faster (README, "Vector search
// build"). The addon is then tied to CPUs with AVX2 (every x86 server since about 2015): set
// TM_PORTABLE_NATIVE=1 when node_modules is built for other machines. The tuned addon is built in a
// scratch copy, checked, and only then put in place: any failure keeps npm's portable build.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const TUNED_FLAGS = '-mavx2 -mfma';
export const MARKER = 'title-mentor-native.json';

/** Why the tuned build is skipped on this machine, or undefined when it should be built. */
export function skipReason({ env, arch, platform, cpuinfo }) {
  if (env.TM_PORTABLE_NATIVE === '1') return 'TM_PORTABLE_NATIVE=1';
  if (arch !== 'x64' || platform !== 'linux') return `not x86-64 Linux (${platform}/${arch})`;
  const flags = new Set((/^flags\s*:\s*(.*)$/m.exec(cpuinfo ?? '')?.[1] ?? '').split(/\s+/));
  const missing = ['avx2', 'fma'].filter((f) => !flags.has(f));
  return missing.length ? `the CPU lacks ${missing.join(' and ')}` : undefined;
}

function findNodeGyp() {
  const candidates = [process.env.npm_config_node_gyp, path.join(path.dirname(process.execPath), '../lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js')];
  return candidates.find((c) => c && fs.existsSync(c));
}

/** Load an addon in a fresh process and check it finds each point's own vector first. */
function addonWorks(addonFile) {
  const probe = `
    const { HierarchicalNSW } = require(${JSON.stringify(addonFile)});
    const dim = 64, n = 500, index = new HierarchicalNSW('cosine', dim);
    index.initIndex({ maxElements: n, m: 16, efConstruction: 100, randomSeed: 1 });
    let s = 1; const rnd = () => (s = (s * 16807) % 2147483647) / 2147483647 - 0.5;
    const points = Array.from({ length: n }, () => Array.from({ length: dim }, rnd));
    points.forEach((p, i) => index.addPoint(p, i));
    index.setEf(50);
    const misses = points.filter((p, i) => index.searchKnn(p, 1).neighbors[0] !== i).length;
    process.exit(misses === 0 ? 0 : 1);`;
  return spawnSync(process.execPath, ['-e', probe], { stdio: 'ignore', timeout: 60_000 }).status === 0;
}

function main() {
  const say = (m) => console.log(`tune-native: ${m}`);
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  const require = createRequire(path.join(root, 'package.json'));
  let pkgDir;
  try {
    pkgDir = path.dirname(require.resolve('hnswlib-node/package.json'));
  } catch {
    return say('hnswlib-node is not installed; nothing to do');
  }
  const addon = path.join(pkgDir, 'build', 'Release', 'addon.node');
  const cpuinfo = fs.existsSync('/proc/cpuinfo') ? fs.readFileSync('/proc/cpuinfo', 'utf8') : '';
  const reason = skipReason({ env: process.env, arch: process.arch, platform: process.platform, cpuinfo });
  if (reason) {
    if (fs.existsSync(path.join(pkgDir, 'build', 'Release', MARKER))) return say(`${reason}, but an earlier install's tuned addon is in place: \`npm rebuild hnswlib-node\` makes it portable`);
    return say(`kept the portable hnswlib-node build: ${reason}`);
  }
  const nodeGyp = findNodeGyp();
  if (!nodeGyp) return say('kept the portable hnswlib-node build: node-gyp not found');

  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'tm-hnswlib-'));
  try {
    const copy = path.join(scratch, 'hnswlib-node');
    fs.cpSync(pkgDir, copy, { recursive: true, filter: (src) => !src.startsWith(path.join(pkgDir, 'build')) });
    say(`building hnswlib-node with ${TUNED_FLAGS} (about 15 s)…`);
    const nodedir = process.env.npm_config_nodedir || (fs.existsSync('/usr/include/node/node.h') ? '/usr' : undefined);
    const build = spawnSync(process.execPath, [nodeGyp, 'rebuild', '--release', ...(nodedir ? [`--nodedir=${nodedir}`] : [])], {
      cwd: copy,
      // binding.gyp asks node for node-addon-api's headers: found through the project's node_modules.
      env: { ...process.env, CXXFLAGS: `${process.env.CXXFLAGS ?? ''} ${TUNED_FLAGS}`.trim(), NODE_PATH: path.join(root, 'node_modules') },
      encoding: 'utf8',
      timeout: 600_000,
    });
    const built = path.join(copy, 'build', 'Release', 'addon.node');
    if (build.status !== 0 || !fs.existsSync(built)) {
      return say(`kept the portable hnswlib-node build: the tuned build failed (${(build.stderr || build.stdout || '').trim().split('\n').pop()})`);
    }
    if (!addonWorks(built)) return say('kept the portable hnswlib-node build: the tuned addon failed its check');
    fs.copyFileSync(built, `${addon}.tuned`);
    fs.renameSync(`${addon}.tuned`, addon);
    fs.writeFileSync(path.join(pkgDir, 'build', 'Release', MARKER), JSON.stringify({ flags: TUNED_FLAGS, builtAt: new Date().toISOString() }) + '\n');
    say(`hnswlib-node now uses AVX2 and FMA (set TM_PORTABLE_NATIVE=1 and reinstall for a portable build)`);
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    main();
  } catch (err) {
    // Never fail an install over an optimisation.
    console.log(`tune-native: kept the portable hnswlib-node build (${err.message})`);
  }
}
