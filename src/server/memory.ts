import v8 from 'node:v8';

/**
 * How far V8 lets the heap grow past what survived the last full collection before it collects again.
 * Left to itself V8 allows up to four times: at 100k chunks about 100 MB is live and the heap stood at
 * 280 MB after a minute of load. A long-running server holds its heap near what it keeps instead; the
 * extra full collections cost no measurable throughput (README "Performance").
 *
 * Set at run time, before the server's first full collection: V8 reads the flag each time it sets the
 * next limit. `percent` 0 leaves V8's own policy.
 */
export function limitHeapGrowth(percent: number): void {
  if (!Number.isInteger(percent) || percent < 0) throw new RangeError(`heap growth must be a whole percentage ≥ 0, not ${percent}`);
  if (percent > 0) v8.setFlagsFromString(`--heap-growing-percent=${percent}`);
}

/**
 * Node flags `npm start` gives the server (package.json's start script; a test keeps the two in
 * step), and the primary gives each worker. They cannot be set once the process runs. V8 grows the
 * young generation's semi-spaces to 16 MB each under load; at 8 MB the 100k-chunk server kept about
 * 20 MB less, and a turn cost about 2 % more CPU (README "Performance").
 */
export const SERVER_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=8'];

/**
 * Environment `npm start` gives the server unless already set, and the primary each worker. glibc
 * keeps a malloc arena per thread that allocates (V8's compiler and collector threads, libuv's pool)
 * and seldom hands their freed memory back; one arena kept 20–30 MB less at 100k chunks.
 */
export const SERVER_PROCESS_ENV: Readonly<Record<string, string>> = { MALLOC_ARENA_MAX: '1' };

/** `execArgv` with the server's flags added, where the same flag is not already given. */
export function withServerNodeFlags(execArgv: readonly string[]): string[] {
  const name = (flag: string) => flag.split('=')[0].replace(/_/g, '-');
  const given = new Set(execArgv.map(name));
  return [...execArgv, ...SERVER_NODE_FLAGS.filter((f) => !given.has(name(f)))];
}

/** The server's environment settings that `env` does not set already. */
export function serverProcessEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(Object.entries(SERVER_PROCESS_ENV).filter(([k]) => env[k] === undefined));
}
