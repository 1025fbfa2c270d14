import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { benchUsage, parseBenchArgs, type BenchSpec } from '../../bench/cli_args.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

const SPEC = {
  command: 'npm run bench --',
  summary: 'Measures things.',
  options: {
    sizes: { kind: 'sizes', default: [1000, 10_000], help: 'corpus sizes' },
    'rebuild-sizes': { kind: 'sizes', none: true, default: [1000], help: 'rebuild sizes' },
    seconds: { kind: 'integer', default: 10, help: 'length' },
    'think-ms': { kind: 'integer', min: 0, default: 1000, help: 'pause' },
    child: { kind: 'integer', hidden: true, help: 'internal' },
    profile: { kind: 'flag', help: 'profile too' },
  },
} satisfies BenchSpec;

describe('benchmark options', () => {
  it('gives the defaults when nothing is passed', () => {
    expect(parseBenchArgs(SPEC, [])).toEqual({ values: { sizes: [1000, 10_000], 'rebuild-sizes': [1000], seconds: 10, 'think-ms': 1000, child: undefined, profile: false } });
  });

  it('reads sizes written as 10k or 10_000, "none" where allowed, and flags', () => {
    const parsed = parseBenchArgs(SPEC, ['--sizes', '10k,100_000', '--rebuild-sizes', 'none', '--seconds=3', '--think-ms', '0', '--profile', '--child', '1000']);
    expect(parsed).toEqual({ values: { sizes: [10_000, 100_000], 'rebuild-sizes': [], seconds: 3, 'think-ms': 0, child: 1000, profile: true } });
  });

  it.each([
    [['--size', '10'], /Unknown option '--size'/],
    [['--sizes', '10x'], /--sizes takes positive whole numbers.*"10x"/],
    [['--sizes', 'none'], /--sizes takes positive whole numbers/],
    [['--sizes', '0'], /--sizes takes positive whole numbers/],
    [['--seconds', '2.5'], /--seconds takes a whole number of at least 1, not "2.5"/],
    [['--seconds', '0'], /--seconds takes a whole number of at least 1/],
    [['--think-ms', '-1'], /--think-ms/],
    [['--seconds'], /argument missing/],
    [['10000'], /positional/],
  ])('refuses %j', (argv, message) => {
    const parsed = parseBenchArgs(SPEC, argv);
    expect('error' in parsed && parsed.error).toMatch(message);
  });

  it('lists every option but the internal ones in its help, with the defaults', () => {
    const parsed = parseBenchArgs(SPEC, ['--seconds', '3', '--help']);
    expect('help' in parsed).toBe(true);
    const help = benchUsage(SPEC);
    expect(help).toMatch(/^usage: npm run bench -- \[options\]/);
    expect(help).toMatch(/--sizes N,N… +corpus sizes \(default 1000,10000\)/);
    expect(help).toMatch(/--rebuild-sizes N,N…\|none +rebuild sizes/);
    expect(help).toMatch(/--profile +profile too\n/);
    expect(help).not.toMatch(/--child/);
  });

  // The benchmarks themselves: --help must answer at once, not start a 20-minute run.
  it.each(['e2e', 'soak', 'retrieval', 'eligibility', 'turn_cost', 'scale_out'])('bench/%s.ts answers --help and refuses an unknown option without starting', (name) => {
    const run = (args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'bench', `${name}.ts`), ...args], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    const help = run(['--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^usage: npm run bench(:\w+)? -- \[options\]/);
    const wrong = run(['--no-such-option']);
    expect(wrong.status).toBe(2);
    expect(wrong.stderr).toMatch(/Unknown option '--no-such-option'\n\(npm run bench(:\w+)? -- --help lists the options\)/);
    expect(wrong.stdout).toBe('');
  });
});
