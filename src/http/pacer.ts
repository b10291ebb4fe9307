/**
 * Pacing, so that this job takes its turn instead of running into rate limits.
 *
 * - `CommandPacer`: requests spaced evenly at `requestsPerMinute`, at most that many in any 61 s
 *   (a margin for arrival jitter), with no burst (Command, or a gateway in front of it, may count
 *   per second too), shared by every request of a run, retries included. After a 429 it holds every request through Command's
 *   cooldown, then restarts slowly: Command answers 429 again to more than 25 requests in the
 *   5 s after a cooldown.
 * - `OktaPacer`: per Okta rate-limit bucket, learns the limit and the window from each response's
 *   X-Rate-Limit-* headers and keeps this job to `maxRateShare` of the limit per window, so that
 *   the org's other integrations keep the rest of the budget.
 */
import type { Clock, WaitListener } from "./clock.js";
import { formatDuration } from "../duration.js";
import { type HeaderSource, headerValue, parseHttpDate, parseRateLimit, RESET_MARGIN_MS } from "./rate-limit-headers.js";

/** Waits shorter than this are routine spacing, not worth telling anyone about. */
export const REPORTED_WAIT_MS = 1000;

export interface CommandPacerOptions {
  /** 0 = no pacing (a 429 cooldown still holds everyone). */
  requestsPerMinute: number;
  /** Requests that may go at once after a pause, 1 to 10. Default 1: none at once, evenly spaced. */
  burst?: number;
  /** After a hold (a 429's cooldown): how long the slow restart lasts and how many requests it allows. Default 5 s, 20. */
  restart?: { ms: number; requests: number };
  /**
   * Added to the 60 s window: requests reach the server a little early or late, and a request
   * sent exactly 60 s after another may arrive within the server's window. Default 1000 ms.
   */
  windowMarginMs?: number;
  clock: Clock;
  onWait?: WaitListener | undefined;
}

/**
 * A GCRA (virtual scheduling) spacer and a log of the last `rpm` send times. The spacer gives
 * even spacing with a small burst; the log makes the per-window cap exact even after a burst.
 * Each caller reserves the next slot at once, so concurrent callers go in arrival order.
 */
export class CommandPacer {
  readonly requestsPerMinute: number;
  private readonly windowMs: number;
  private readonly intervalMs: number;
  private readonly toleranceMs: number;
  private readonly clock: Clock;
  private readonly onWait: WaitListener | undefined;
  /** Theoretical arrival time of the next request (GCRA). */
  private tat = Number.NEGATIVE_INFINITY;
  /** Send times of the last `rpm` slots, oldest first from `head`. */
  private readonly sent: number[] = [];
  private head = 0;
  private heldUntil = Number.NEGATIVE_INFINITY;
  private readonly restartMs: number;
  private readonly restartIntervalMs: number;
  /** The slow restart after a hold lasts until then; `lastSlot` keeps its spacing. */
  private restartUntil = Number.NEGATIVE_INFINITY;
  private lastSlot = Number.NEGATIVE_INFINITY;
  /** Most requests let go in any second without a burst: the schedule's own rate, rounded up. */
  private readonly perSecond: number;
  /** When the last `perSecond` requests were really let go, oldest first from `releaseHead`. */
  private readonly releases: number[] = [];
  private releaseHead = 0;

  constructor(options: CommandPacerOptions) {
    const rpm = options.requestsPerMinute;
    if (!Number.isInteger(rpm) || rpm < 0) throw new RangeError(`requestsPerMinute must be a whole number >= 0 (got ${rpm})`);
    this.requestsPerMinute = rpm;
    this.windowMs = 60_000 + (options.windowMarginMs ?? 1000);
    // Spaced at the nominal rate; the log of send times keeps any window (margin included) to rpm.
    this.intervalMs = rpm === 0 ? 0 : 60_000 / rpm;
    const burst = Math.max(1, Math.min(10, Math.floor(options.burst ?? 1)));
    const restart = options.restart ?? { ms: 5000, requests: 20 };
    this.restartMs = restart.ms;
    this.restartIntervalMs = restart.ms / Math.max(1, restart.requests);
    this.toleranceMs = (burst - 1) * this.intervalMs;
    this.perSecond = rpm === 0 ? 0 : Math.max(1, Math.ceil(1000 / this.intervalMs));
    this.clock = options.clock;
    this.onWait = options.onWait;
  }

  /** No request is sent before `at` (epoch ms): a 429 cooldown holds every request of the run. */
  holdUntil(at: number): void {
    this.heldUntil = Math.max(this.heldUntil, at);
    this.restartUntil = this.heldUntil + this.restartMs;
  }

  /** Reserves the next send time at or after `now`. */
  reserve(now: number): number {
    let at = Math.max(now, this.heldUntil);
    // Right after a hold, requests go slowly whatever the rate, one restart interval apart.
    if (at < this.restartUntil) at = Math.min(Math.max(at, this.lastSlot + this.restartIntervalMs), this.restartUntil);
    if (this.requestsPerMinute === 0) {
      this.lastSlot = Math.max(this.lastSlot, at);
      return at;
    }
    at = Math.max(at, this.tat - this.toleranceMs);
    const count = this.sent.length - this.head;
    if (count >= this.requestsPerMinute) at = Math.max(at, this.sent[this.sent.length - this.requestsPerMinute]! + this.windowMs);
    this.tat = Math.max(this.tat, at) + this.intervalMs;
    this.sent.push(at);
    if (this.sent.length - this.head > this.requestsPerMinute) this.head++;
    if (this.head > 4096) {
      this.sent.splice(0, this.head);
      this.head = 0;
    }
    this.lastSlot = Math.max(this.lastSlot, at);
    return at;
  }

  /** Resolves when this request may be sent. */
  async acquire(signal?: AbortSignal): Promise<void> {
    for (;;) {
      const now = this.clock.now();
      const at = this.reserve(now);
      const wait = at - now;
      if (wait <= 0) return this.gate(signal);
      if (wait >= REPORTED_WAIT_MS && this.onWait) {
        const held = at <= this.restartUntil && this.heldUntil > now;
        this.onWait({
          side: "command",
          reason: held ? "rate-limit" : "pacing",
          ms: wait,
          message: held
            ? `waiting ${formatDuration(wait, { round: "up" })} for Command's rate limit (cooldown after a 429)`
            : `waiting ${formatDuration(wait, { round: "up" })} to stay under command.requestsPerMinute (${this.requestsPerMinute})`,
        });
      }
      const heldBefore = this.heldUntil;
      await this.clock.sleep(wait, signal);
      // A 429 seen while this request waited: its slot was given before the cooldown was known.
      if (this.heldUntil !== heldBefore) continue;
      await this.gate(signal);
      return;
    }
  }

  /**
   * Keeps the releases, in the order they really happen, to the schedule's rate in any second: a
   * request woken late (a busy event loop) must not bunch up with the ones after it into more than
   * a server counting per second allows. A late wake-up is not carried over to the requests after
   * it: they keep to the schedule, so a run is not slowed by every timer that fires late.
   */
  private async gate(signal: AbortSignal | undefined): Promise<void> {
    // An explicit burst allows bunching by design.
    if (this.intervalMs === 0 || this.toleranceMs > 0) return;
    for (;;) {
      const now = this.clock.now();
      const full = this.releases.length - this.releaseHead >= this.perSecond;
      const gap = full ? this.releases[this.releaseHead]! + 1000 - now : 0;
      if (gap <= 0.5) {
        this.releases.push(now);
        if (full) this.releaseHead++;
        if (this.releaseHead > 4096) {
          this.releases.splice(0, this.releaseHead);
          this.releaseHead = 0;
        }
        return;
      }
      await this.clock.sleep(gap, signal);
    }
  }
}

/**
 * Okta's rate-limit bucket of a URL, by endpoint family, as Okta counts them. Group lists and
 * group member lists share one key: counted together this job stays within its share whether
 * Okta counts them together or apart.
 */
export function oktaBucketOf(url: string): string {
  let path: string;
  try {
    path = new URL(url, "http://x").pathname.replace(/\/+$/, "");
  } catch {
    return "other";
  }
  if (/\/oauth2\/(?:[^/]+\/)?v1\/token$/.test(path)) return "oauth";
  const api = /^\/api\/v1\/([^/]+)(?:\/([^/]+))?(?:\/([^/]+))?/.exec(path);
  if (api === null) return "other";
  const [, family, id, sub] = api;
  if (family === "apps") return "apps";
  if (family === "groups") return id === undefined || sub === "users" ? "groups" : "group";
  if (family === "users") return id === undefined ? "users" : "user";
  return family!;
}

interface Bucket {
  key: string;
  /** From X-Rate-Limit-Limit. */
  limit: number | undefined;
  /** X-Rate-Limit-Reset of the current window (server epoch seconds). */
  resetEpoch: number | undefined;
  /** When the current window is over, by the local clock, margin included. */
  resetAt: number | undefined;
  /** Our responses counted in the current window. */
  ours: number;
  /** Least X-Rate-Limit-Remaining seen in the current window. */
  remaining: number | undefined;
  /** Our requests sent and not answered yet: they count against the current window. */
  inFlight: number;
}

export interface OktaPermit {
  /** The response's headers (its rate-limit state), or undefined when none came. Call once. */
  done(headers: HeaderSource | undefined): void;
}

export interface OktaPacerOptions {
  /** Share of each bucket's limit per window (0 < share <= 1). */
  maxRateShare: number;
  clock: Clock;
  onWait?: WaitListener | undefined;
}

export interface OktaBucketState {
  limit: number | undefined;
  remaining: number | undefined;
  ours: number;
  allowance: number | undefined;
}

/**
 * Per bucket: a request may go while ours (answered in this window, plus in flight) stay under
 * floor(limit * share) and Okta says some are left; otherwise it waits for the window's reset.
 * Until a bucket's first response, nothing is known and the first request goes.
 */
export class OktaPacer {
  private readonly buckets = new Map<string, Bucket>();
  private readonly share: number;
  private readonly clock: Clock;
  private readonly onWait: WaitListener | undefined;
  private wake: Array<() => void> = [];

  constructor(options: OktaPacerOptions) {
    if (!(options.maxRateShare > 0 && options.maxRateShare <= 1)) throw new RangeError(`maxRateShare must be above 0 and at most 1 (got ${options.maxRateShare})`);
    this.share = options.maxRateShare;
    this.clock = options.clock;
    this.onWait = options.onWait;
  }

  private bucket(key: string): Bucket {
    let bucket = this.buckets.get(key);
    if (bucket === undefined) {
      bucket = { key, limit: undefined, resetEpoch: undefined, resetAt: undefined, ours: 0, remaining: undefined, inFlight: 0 };
      this.buckets.set(key, bucket);
    }
    return bucket;
  }

  allowance(limit: number): number {
    return Math.max(1, Math.floor(limit * this.share));
  }

  /** What the pacer knows of a bucket (tests, benchmarks). */
  state(key: string): OktaBucketState {
    const b = this.bucket(key);
    return { limit: b.limit, remaining: b.remaining, ours: b.ours, allowance: b.limit === undefined ? undefined : this.allowance(b.limit) };
  }

  /** Resolves when a request to `url` may be sent; the permit takes its response's headers. */
  async acquire(url: string, signal?: AbortSignal): Promise<OktaPermit> {
    const b = this.bucket(oktaBucketOf(url));
    for (;;) {
      signal?.throwIfAborted();
      const now = this.clock.now();
      if (b.resetAt !== undefined && now >= b.resetAt) {
        // A new window: Okta will tell its reset with the next response.
        b.ours = 0;
        b.remaining = undefined;
        b.resetAt = undefined;
      }
      if (b.limit === undefined) break;
      const allowance = this.allowance(b.limit);
      const exhausted = b.remaining === 0;
      if (!exhausted && b.ours + b.inFlight < allowance) break;
      if (b.resetAt === undefined) {
        // Requests in flight will say which window they fell in.
        await new Promise<void>((resolve) => this.wake.push(resolve));
        continue;
      }
      const wait = b.resetAt - now;
      if (this.onWait) {
        const why = exhausted ? "the bucket is used up" : `this run's share is used: ${allowance} of ${b.limit} (okta.maxRateShare ${this.share})`;
        this.onWait({ side: "okta", reason: "rate-limit", ms: wait, bucket: b.key, message: `waiting ${formatDuration(wait, { round: "up" })} for Okta's rate limit (${b.key} bucket): ${why}` });
      }
      await this.clock.sleep(wait, signal);
    }
    b.inFlight++;
    let settled = false;
    return {
      done: (headers) => {
        if (settled) return;
        settled = true;
        b.inFlight--;
        if (headers !== undefined) this.learn(b, headers);
        const waiting = this.wake;
        this.wake = [];
        for (const resolve of waiting) resolve();
      },
    };
  }

  private learn(b: Bucket, headers: HeaderSource): void {
    const { limit, remaining, resetEpochSeconds: reset } = parseRateLimit(headers);
    if (limit === undefined || remaining === undefined || reset === undefined) return;
    const now = this.clock.now();
    // The reset is in Okta's clock: measure it from Okta's Date, not the local clock.
    const serverNow = parseHttpDate(headerValue(headers, "date")) ?? now;
    const resetAt = now + Math.max(0, reset * 1000 - serverNow) + RESET_MARGIN_MS;
    b.limit = limit;
    if (b.resetEpoch === undefined || reset > b.resetEpoch) {
      b.resetEpoch = reset;
      b.resetAt = resetAt;
      b.ours = 1;
      b.remaining = remaining;
    } else if (reset === b.resetEpoch) {
      b.ours++;
      b.remaining = b.remaining === undefined ? remaining : Math.min(b.remaining, remaining);
      // Each estimate is late by up to the second Date truncates (never early): keep the best.
      // Undefined here means Okta still counts a window the local clock had over: wait for it again.
      b.resetAt = b.resetAt === undefined ? resetAt : Math.min(b.resetAt, resetAt);
    }
    // An answer from a window already over tells nothing about the current one.
  }
}
