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

/**
 * A token bucket: `perSecond` requests a second on average, at most `perSecond` at once (the
 * "10 requests a second, burst 10" of a gateway), refilled continuously.
 */
export class TokenBucketLimiter {
  private tokens: number;
  private last: number;

  constructor(
    private readonly perSecond: number,
    private readonly now: () => number,
  ) {
    this.tokens = perSecond;
    this.last = now();
  }

  take(): RateDecision {
    const t = this.now();
    this.tokens = Math.min(this.perSecond, this.tokens + ((t - this.last) / 1000) * this.perSecond);
    this.last = t;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return { ok: true };
    }
    return { ok: false, retryAfterSeconds: 1 };
  }
}

export interface VerkadaLimitRules {
  /** Requests allowed per sliding 60 s window (Verkada: 300 per org). */
  requestsPerMinute: number;
  /** Requests a second with a burst of as many (a token bucket); undefined: no per-second limit. */
  requestsPerSecond?: number | undefined;
  /** After a 429, every request is answered 429 for this long. Default 5000 ms. */
  cooldownMs?: number;
  /** In this long after a cooldown ends, more than `probationMax` requests earn another 429. Default 5000 ms. */
  probationMs?: number;
  /** Default 25. */
  probationMax?: number;
}

/**
 * Command's rate limit as Verkada describes it: 300 requests a minute per org; after a 429,
 * every request is answered 429 for 5 s, and more than 25 requests in the 5 s that follow earn
 * another. Optionally a per-second limit too, as a gateway in front may add.
 */
export class VerkadaLimiter {
  private readonly minute: SlidingWindowLimiter;
  private readonly second: TokenBucketLimiter | undefined;
  private readonly cooldownMs: number;
  private readonly probationMs: number;
  private readonly probationMax: number;
  /** Requests are refused until this time. */
  private coolingUntil = Number.NEGATIVE_INFINITY;
  /** Requests counted in the probation that follows the cooldown. */
  private probationCount = 0;

  constructor(
    rules: VerkadaLimitRules,
    private readonly now: () => number,
  ) {
    this.minute = new SlidingWindowLimiter(rules.requestsPerMinute, 60_000, now);
    this.second = rules.requestsPerSecond === undefined ? undefined : new TokenBucketLimiter(rules.requestsPerSecond, now);
    this.cooldownMs = rules.cooldownMs ?? 5000;
    this.probationMs = rules.probationMs ?? 5000;
    this.probationMax = rules.probationMax ?? 25;
  }

  take(): RateDecision {
    const t = this.now();
    if (t < this.coolingUntil) return this.refuse(t);
    if (t < this.coolingUntil + this.probationMs && ++this.probationCount > this.probationMax) return this.cool(t, 0);
    const perSecond = this.second?.take();
    if (perSecond !== undefined && !perSecond.ok) return this.cool(t, 0);
    const perMinute = this.minute.take();
    return perMinute.ok ? perMinute : this.cool(t, perMinute.retryAfterSeconds * 1000);
  }

  /** A 429, and the cooldown; Retry-After also covers the minute's budget when that is what ran out. */
  private cool(t: number, budgetMs: number): RateDecision {
    this.coolingUntil = t + this.cooldownMs;
    this.probationCount = 0;
    return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil(Math.max(this.cooldownMs, budgetMs) / 1000)) };
  }

  private refuse(t: number): RateDecision {
    return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((this.coolingUntil - t) / 1000)) };
  }
}
