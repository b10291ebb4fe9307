/**
 * Time as the retry loop and the pacers see it, injectable so that tests can wait for minutes in
 * no time; and the wait events they report, worded for a user.
 */
import { setTimeout as delay } from "node:timers/promises";
import type { Side } from "../errors.js";

export interface Clock {
  /** Epoch ms. */
  now(): number;
  /** Resolves after `ms`; rejects with the signal's reason when it is aborted first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /** Uniform in [0, 1), for jitter. */
  random(): number;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) => (ms <= 0 && signal?.aborted !== true ? Promise.resolve() : delay(Math.max(0, ms), undefined, signal === undefined ? undefined : { signal })),
  random: () => Math.random(),
};

/** Options that replace parts of the system clock (tests). */
export interface ClockOptions {
  now?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  random?: () => number;
}

export function clockFrom(options: ClockOptions = {}): Clock {
  return {
    now: options.now ?? systemClock.now,
    sleep: options.sleep ?? systemClock.sleep,
    random: options.random ?? systemClock.random,
  };
}

/** A wait the user may want to know about: the run is not stuck, it is being polite or patient. */
export interface WaitEvent {
  side: Side;
  /** `retry`: after a failed attempt; `rate-limit`: Okta's bucket (or this run's share of it) is used up; `pacing`: command.requestsPerMinute. */
  reason: "retry" | "rate-limit" | "pacing";
  /** How long, from now. */
  ms: number;
  /** Okta's rate-limit bucket (`apps`, `groups`, `users`, ...), for `rate-limit` waits. */
  bucket?: string;
  /** The attempt that failed (1 = the first), for `retry` waits. */
  attempt?: number;
  /** What failed, for `retry` waits: `HTTP 503`, `HTTP 429`, `ECONNRESET`, `timeout`. */
  cause?: string;
  /** One line to show: `waiting 12s for Okta's rate limit (apps bucket)`. */
  message: string;
}

export type WaitListener = (event: WaitEvent) => void;

export function sideName(side: Side): string {
  return side === "okta" ? "Okta" : "Command";
}
