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
