/**
 * Failed admin sign-ins per client address, in fixed windows: the admin API answers 429 to an address
 * past its allowance until the window ends. One process counts in memory; the workers of one `serve`
 * (WORKERS > 1) count in the primary (cluster.ts), so the allowance is not one per worker.
 */
export interface SignInFailures {
  /** The failures of `key` in its current window, if it has any. */
  get(key: string): Promise<Window | undefined>;
  /** Count one failure of `key` (a window of `windowMs` starts with its first). */
  add(key: string, windowMs: number): Promise<void>;
}

export interface Window {
  count: number;
  /** Epoch milliseconds when the window ends. */
  resetAt: number;
}

/** How many addresses are remembered before the ended windows are swept. */
const SWEEP_AT = 10_000;

/** The counts in this process. Synchronous underneath; `now` is for tests. */
export class MemorySignInFailures implements SignInFailures {
  private readonly windows = new Map<string, Window>();

  constructor(private readonly now: () => number = Date.now) {}

  peek(key: string): Window | undefined {
    const w = this.windows.get(key);
    if (w && w.resetAt <= this.now()) {
      this.windows.delete(key);
      return undefined;
    }
    return w;
  }

  count(key: string, windowMs: number): void {
    let w = this.peek(key);
    if (!w) {
      if (this.windows.size >= SWEEP_AT) for (const [k, e] of this.windows) if (e.resetAt <= this.now()) this.windows.delete(k);
      w = { count: 0, resetAt: this.now() + windowMs };
      this.windows.set(key, w);
    }
    w.count++;
  }

  async get(key: string): Promise<Window | undefined> {
    const w = this.peek(key);
    return w && { ...w };
  }

  async add(key: string, windowMs: number): Promise<void> {
    this.count(key, windowMs);
  }
}
