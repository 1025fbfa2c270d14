import { parseArgs } from 'node:util';

/**
 * Command-line options of the benchmarks, read strictly: `--help` prints what a benchmark measures and
 * its options; an unknown option or a bad value stops it before it starts work (a benchmark run by
 * mistake can take an hour, and a typo silently ignored measures the wrong thing).
 */
export type OptionKind = 'integer' | 'sizes' | 'flag';

export interface OptionSpec {
  kind: OptionKind;
  help: string;
  /** The value when the option is not given; integers and sizes without one are optional. */
  default?: number | number[] | boolean;
  /** The smallest integer accepted (default 1). */
  min?: number;
  /** Sizes only: `none` is accepted, for an empty list. */
  none?: boolean;
  /** Internal (a benchmark's own child processes): accepted, not listed in the help. */
  hidden?: boolean;
}

export interface BenchSpec {
  /** The command, e.g. `npm run bench --`. */
  command: string;
  /** What the benchmark measures, in a sentence or two. */
  summary: string;
  options: Record<string, OptionSpec>;
}

type ValueOf<O extends OptionSpec> = O['kind'] extends 'flag'
  ? boolean
  : O['kind'] extends 'sizes'
    ? number[]
    : O extends { default: number }
      ? number
      : number | undefined;

export type BenchValues<S extends BenchSpec> = { [K in keyof S['options']]: ValueOf<S['options'][K]> };

export type ParsedBenchArgs<S extends BenchSpec> = { values: BenchValues<S> } | { help: string } | { error: string };

/** `10000`, `10_000` or `10k`: a positive whole number, or NaN. */
function count(text: string): number {
  const t = text.trim().toLowerCase().replace(/_/g, '');
  const n = /^\d+k$/.test(t) ? Number(t.slice(0, -1)) * 1000 : /^\d+$/.test(t) ? Number(t) : NaN;
  return Number.isSafeInteger(n) ? n : NaN;
}

/** Words joined into lines of at most `width` characters. */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  return line ? [...lines, line] : lines;
}

export function benchUsage(spec: BenchSpec): string {
  const rows: Array<[string, string]> = Object.entries(spec.options)
    .filter(([, o]) => !o.hidden)
    .map(([name, o]) => {
      const value = o.kind === 'flag' ? '' : o.kind === 'sizes' ? (o.none ? ' N,N…|none' : ' N,N…') : ' N';
      const fallback = o.default === undefined || o.default === false ? '' : ` (default ${Array.isArray(o.default) ? o.default.join(',') : String(o.default)})`;
      return [`--${name}${value}`, `${o.help}${fallback}`];
    });
  rows.push(['--help', 'this text']);
  const width = Math.max(...rows.map(([flag]) => flag.length)) + 2;
  return [`usage: ${spec.command} [options]`, '', ...wrap(spec.summary, 100), '', 'options:', ...rows.map(([flag, help]) => `  ${flag.padEnd(width)}${help}`)].join('\n');
}

/** Reads `argv` against `spec`: the values, the help text (asked for), or what is wrong. */
export function parseBenchArgs<S extends BenchSpec>(spec: S, argv: readonly string[]): ParsedBenchArgs<S> {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        help: { type: 'boolean', short: 'h' },
        ...Object.fromEntries(Object.entries(spec.options).map(([name, o]) => [name, { type: o.kind === 'flag' ? ('boolean' as const) : ('string' as const) }])),
      },
    });
  } catch (err) {
    return { error: (err as Error).message };
  }
  if (parsed.values.help) return { help: benchUsage(spec) };
  const values: Record<string, boolean | number | number[] | undefined> = {};
  for (const [name, o] of Object.entries(spec.options)) {
    const given = parsed.values[name];
    if (o.kind === 'flag') {
      values[name] = given === true || (given === undefined && o.default === true);
      continue;
    }
    if (given === undefined) {
      values[name] = o.default as number | number[] | undefined;
      continue;
    }
    const text = String(given);
    if (o.kind === 'sizes') {
      if (o.none && text.trim() === 'none') {
        values[name] = [];
        continue;
      }
      const sizes = text.split(',').filter((s) => s.trim() !== '').map(count);
      if (sizes.length === 0 || sizes.some((n) => !(n >= 1))) return { error: `--${name} takes positive whole numbers separated by commas (e.g. 1000,10k), not "${text}"` };
      values[name] = sizes;
    } else {
      const n = count(text);
      const min = o.min ?? 1;
      if (!(n >= min)) return { error: `--${name} takes a whole number of at least ${min}, not "${text}"` };
      values[name] = n;
    }
  }
  return { values: values as BenchValues<S> };
}

/** The values of `process.argv`; prints the help and exits 0 when asked, or the error and exits 2. */
export function benchArgs<S extends BenchSpec>(spec: S, argv: readonly string[] = process.argv.slice(2)): BenchValues<S> {
  const parsed = parseBenchArgs(spec, argv);
  if ('help' in parsed) {
    console.log(parsed.help);
    process.exit(0);
  }
  if ('error' in parsed) {
    console.error(`${parsed.error}\n(${spec.command} --help lists the options)`);
    process.exit(2);
  }
  return parsed.values;
}
