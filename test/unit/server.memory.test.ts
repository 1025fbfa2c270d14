import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import { limitHeapGrowth, SERVER_NODE_FLAGS, SERVER_PROCESS_ENV, serverProcessEnv, withServerNodeFlags } from '../../src/server/memory.js';
import { loadConfig } from '../../src/config.js';

const CHILD = fileURLToPath(new URL('../fixtures/server/heap_growth_child.ts', import.meta.url));

/** The largest heap of the churning child, in MB. */
function peakHeapMb(percent: number): number {
  const out = execFileSync(process.execPath, ['--import', 'tsx', CHILD, String(percent)], { encoding: 'utf8' });
  return Number(out.split(' ')[0]) / 2 ** 20;
}

describe('limitHeapGrowth (serve): the heap stays near what is live', () => {
  it('holds a churning process to well under the heap V8 lets it grow to by itself', () => {
    const own = peakHeapMb(0);
    const limited = peakHeapMb(25);
    expect(limited).toBeLessThan(own * 0.6);
  }, 30_000);

  it('takes a whole percentage, 25 unless configured; 0 keeps V8 policy', () => {
    expect(loadConfig({}).HEAP_GROWING_PERCENT).toBe(25);
    expect(loadConfig({ HEAP_GROWING_PERCENT: '0' }).HEAP_GROWING_PERCENT).toBe(0);
    expect(() => loadConfig({ HEAP_GROWING_PERCENT: 'lots' })).toThrow(/HEAP_GROWING_PERCENT/);
    expect(() => limitHeapGrowth(-5)).toThrow(/whole percentage/);
    expect(() => limitHeapGrowth(12.5)).toThrow(/whole percentage/);
  });
});

/** The young generation's size after a churn of short-lived objects, in MB, in a node run with `flags`. */
function youngGenerationMb(flags: readonly string[]): number {
  const churn = `let keep = []; for (let i = 0; i < 3e6; i++) { keep.push({ i, s: 'x' + i }); if (keep.length > 2e5) keep = []; }
    console.log(require('v8').getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size);`;
  return Number(execFileSync(process.execPath, [...flags, '-e', churn], { encoding: 'utf8' })) / 2 ** 20;
}

describe('the server process memory settings (npm start, and each worker)', () => {
  it('are what npm start runs the compiled server with, an operator\'s own MALLOC_ARENA_MAX kept', () => {
    const pkg = JSON.parse(fs.readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { scripts: Record<string, string> };
    const env = Object.entries(SERVER_PROCESS_ENV).map(([k, v]) => `${k}=\${${k}:-${v}}`);
    expect(pkg.scripts.start).toBe([...env, 'node', ...SERVER_NODE_FLAGS, 'dist/src/cli.js serve'].join(' '));
  });

  it('keep the young generation to half what V8 grows it to under churn', () => {
    expect(youngGenerationMb([])).toBeGreaterThan(16);
    expect(youngGenerationMb(SERVER_NODE_FLAGS)).toBeLessThanOrEqual(16);
  }, 30_000);

  it('add to a worker what its primary was not given, and override nothing given', () => {
    expect(withServerNodeFlags(['--import', 'tsx'])).toEqual(['--import', 'tsx', ...SERVER_NODE_FLAGS]);
    expect(withServerNodeFlags(['--max_semi_space_size=32'])).toEqual(['--max_semi_space_size=32']);
    expect(serverProcessEnv({})).toEqual(SERVER_PROCESS_ENV);
    expect(serverProcessEnv({ MALLOC_ARENA_MAX: '4' })).toEqual({});
  });
});
