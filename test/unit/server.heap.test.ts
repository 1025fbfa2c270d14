import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { limitHeapGrowth } from '../../src/server/heap.js';
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
