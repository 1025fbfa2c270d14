/** Stops calling a failing model for a while, so users get the offline reply at once instead of waiting on timeouts. */
export class CircuitBreaker {
  private failures = 0;
  private openUntil = 0;

  constructor(
    private readonly threshold = 3,
    private readonly cooldownMs = 30_000,
    private readonly clock: () => number = Date.now,
  ) {}

  get isOpen(): boolean {
    return this.clock() < this.openUntil;
  }

  reset(): void {
    this.failures = 0;
    this.openUntil = 0;
  }

  success(): void {
    this.failures = 0;
  }

  failure(): void {
    this.failures += 1;
    if (this.failures >= this.threshold) {
      this.openUntil = this.clock() + this.cooldownMs;
      this.failures = 0;
    }
  }
}
