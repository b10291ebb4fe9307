/** A sliding-window request budget, on an injectable clock so tests need not sleep. */

export type RateDecision = { ok: true } | { ok: false; retryAfterSeconds: number };

export class SlidingWindowLimiter {
  private readonly stamps: number[] = [];
  private head = 0;

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly now: () => number,
  ) {}

  /** Spends one request from the budget, or says how long until one frees up. */
  take(): RateDecision {
    const t = this.now();
    while (this.head < this.stamps.length && this.stamps[this.head]! <= t - this.windowMs) this.head++;
    if (this.head > 1024) {
      this.stamps.splice(0, this.head);
      this.head = 0;
    }
    if (this.stamps.length - this.head < this.limit) {
      this.stamps.push(t);
      return { ok: true };
    }
    const oldest = this.stamps[this.head]!;
    return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((oldest + this.windowMs - t) / 1000)) };
  }
}
