import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs install script, without type declarations
import { skipReason } from '../../scripts/tune-native.mjs';

const cpu = (flags: string) => `processor\t: 0\nmodel name\t: AMD EPYC\nflags\t\t: ${flags}\n`;

describe('tune-native (postinstall): when hnswlib-node is rebuilt with AVX2', () => {
  const base = { env: {}, arch: 'x64', platform: 'linux', cpuinfo: cpu('fpu sse sse2 avx avx2 fma bmi2') };

  it('builds on x86-64 Linux whose CPU has AVX2 and FMA', () => {
    expect(skipReason(base)).toBeUndefined();
  });

  it('keeps the portable build when asked, on other CPUs and platforms', () => {
    expect(skipReason({ ...base, env: { TM_PORTABLE_NATIVE: '1' } })).toBe('TM_PORTABLE_NATIVE=1');
    expect(skipReason({ ...base, cpuinfo: cpu('fpu sse sse2 avx') })).toBe('the CPU lacks avx2 and fma');
    expect(skipReason({ ...base, cpuinfo: cpu('fpu sse sse2 avx avx2') })).toBe('the CPU lacks fma');
    expect(skipReason({ ...base, arch: 'arm64' })).toMatch(/not x86-64 Linux/);
    expect(skipReason({ ...base, platform: 'darwin' })).toMatch(/not x86-64 Linux/);
    expect(skipReason({ ...base, cpuinfo: '' })).toBe('the CPU lacks avx2 and fma');
  });
});
