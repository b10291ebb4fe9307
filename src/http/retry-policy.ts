/**
 * One retry policy for both sides (Okta and Command). Pure: the caller passes the attempt count,
 * the time spent and a random source; the policy says whether to retry and after how long.
 *
 * - Retried: 429; 5xx except 501 and 505 (they say the request itself is not supported, and the
 *   SCIM client reads a 501 to a filter as "no filters here"); connection resets, refusals and
 *   timeouts. Never 401 or 403 (a bad or refreshed credential does not heal by waiting) nor
 *   any other 4xx.
 * - Delay before retry n (n = 0 for the first): full jitter, uniform in
 *   [0, min(maxDelayMs, baseDelayMs * 2^n)], but never shorter than what the server asked for
 *   (Retry-After, X-Rate-Limit-Reset) or, for a 429 that says nothing, the side's cooldown.
 * - Bounded by maxAttempts and maxElapsedMs. A server wait that does not fit in what is left of
 *   maxElapsedMs ends the request at once: sleeping to then give up helps nobody.
 */
import { formatDuration } from "../duration.js";
import type { ServerWait } from "./rate-limit-headers.js";

/** How requests that fail in passing (429, 5xx, resets, timeouts) are retried, on both sides. */
export interface RetryConfig {
  /** Attempts per request, the first included (>= 1). */
  maxAttempts: number;
  /** Stop retrying a request once this much time has passed since its first attempt (ms). */
  maxElapsedMs: number;
  /** First backoff ceiling (ms); doubles per attempt, with full jitter. */
  baseDelayMs: number;
  /** Largest backoff ceiling (ms). */
  maxDelayMs: number;
}

export const DEFAULT_RETRY: Readonly<RetryConfig> = { maxAttempts: 6, maxElapsedMs: 300_000, baseDelayMs: 500, maxDelayMs: 30_000 };

/** A single attempt: what a client does when it is given no retry configuration. */
export const NO_RETRY: Readonly<RetryConfig> = { maxAttempts: 1, maxElapsedMs: 1000, baseDelayMs: 1, maxDelayMs: 1 };

/** Verkada's public API asks for a 5 s cooldown after a 429. */
export const COMMAND_429_COOLDOWN_MS = 5000;

/** Why an attempt failed, as far as retrying is concerned. */
export type Failure =
  | {
      kind: "status";
      status: number;
      /** When the server said when to come back. */
      serverWait?: ServerWait | undefined;
    }
  | {
      kind: "network";
      /** ECONNRESET, ECONNREFUSED, UND_ERR_SOCKET, ...; `timeout` for a request that ran out of time. */
      code: string | undefined;
    };

/** Transport failures worth another attempt: the next one may well get through. */
export const RETRYABLE_NETWORK_CODES: ReadonlySet<string> = new Set([
  "timeout",
  "ECONNRESET",
  "ECONNREFUSED",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "ENETUNREACH",
  "ENETDOWN",
  "EHOSTUNREACH",
  "EAI_AGAIN",
  "UND_ERR_SOCKET",
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
]);

export function isRetryableStatus(status: number): boolean {
  return status === 429 || (status >= 500 && status <= 599 && status !== 501 && status !== 505);
}

export function isRetryable(failure: Failure): boolean {
  return failure.kind === "status" ? isRetryableStatus(failure.status) : failure.code !== undefined && RETRYABLE_NETWORK_CODES.has(failure.code);
}

/** The jitter ceiling before retry `n` (0-based): min(maxDelayMs, baseDelayMs * 2^n). */
export function backoffCeilingMs(n: number, config: RetryConfig): number {
  return Math.min(config.maxDelayMs, config.baseDelayMs * 2 ** Math.min(n, 40));
}

/** Full jitter: uniform in [0, ceiling], whole ms. */
export function backoffDelayMs(n: number, config: RetryConfig, random: () => number): number {
  const ceiling = backoffCeilingMs(n, config);
  return Math.min(ceiling, Math.floor(random() * (ceiling + 1)));
}

export interface RetryContext {
  /** Attempts made so far, the failed one included (>= 1). */
  attempts: number;
  /** Time since the first attempt started (ms). */
  elapsedMs: number;
  random: () => number;
  /** The least wait after a 429 that names no time (Command: 5 s). Default 0. */
  cooldownAfter429Ms?: number;
  /** `Okta` or `Command`, for the notes. */
  server: string;
}

export type RetryStep =
  | {
      retry: true;
      delayMs: number;
      /** The part of the delay the server imposed (or the 429 cooldown); 0 when it is all backoff. */
      floorMs: number;
      floorSource: ServerWait["source"] | "cooldown" | undefined;
    }
  | {
      retry: false;
      reason: "not-retryable" | "attempts" | "elapsed" | "server-wait";
      /** Why the request was given up, for its error message; absent when it was not retryable. */
      note?: string;
    };

const SOURCE_WORDS: Record<ServerWait["source"] | "cooldown", string> = {
  "retry-after": "Retry-After",
  "rate-limit-reset": "X-Rate-Limit-Reset",
  cooldown: "the cooldown after a 429",
};

export function nextStep(failure: Failure, context: RetryContext, config: RetryConfig): RetryStep {
  if (!isRetryable(failure)) return { retry: false, reason: "not-retryable" };
  const spent = `${context.attempts} ${context.attempts === 1 ? "attempt" : "attempts"} in ${formatDuration(context.elapsedMs, { round: "up" })}`;
  if (context.attempts >= config.maxAttempts) {
    return {
      retry: false,
      reason: "attempts",
      ...(config.maxAttempts > 1 ? { note: `gave up after ${spent} (retry.maxAttempts ${config.maxAttempts})` } : {}),
    };
  }
  let floorMs = 0;
  let floorSource: ServerWait["source"] | "cooldown" | undefined;
  if (failure.kind === "status" && failure.serverWait !== undefined) {
    floorMs = failure.serverWait.ms;
    floorSource = failure.serverWait.source;
  } else if (failure.kind === "status" && failure.status === 429 && (context.cooldownAfter429Ms ?? 0) > 0) {
    floorMs = context.cooldownAfter429Ms!;
    floorSource = "cooldown";
  }
  const left = config.maxElapsedMs - context.elapsedMs;
  if (floorSource !== undefined && floorMs > left) {
    return {
      retry: false,
      reason: "server-wait",
      note:
        `${context.server} asked to wait ${formatDuration(floorMs, { round: "up" })} (${SOURCE_WORDS[floorSource]}), more than the ` +
        `${formatDuration(Math.max(0, left), { round: "up" })} left of retry.maxElapsedMs (${config.maxElapsedMs}); gave up after ${spent} instead of waiting`,
    };
  }
  if (left <= 0) {
    return { retry: false, reason: "elapsed", note: `gave up after ${spent} (retry.maxElapsedMs ${config.maxElapsedMs})` };
  }
  const jitter = backoffDelayMs(context.attempts - 1, config, context.random);
  // The backoff part may be cut to the budget; the server's part never is (checked above).
  const delayMs = Math.max(floorMs, Math.min(jitter, left));
  return { retry: true, delayMs, floorMs, floorSource };
}

/** `HTTP 503`, `ECONNRESET`, `timeout`: what failed, in a word. */
export function failureCause(failure: Failure): string {
  return failure.kind === "status" ? `HTTP ${failure.status}` : (failure.code ?? "network error");
}

export function describeFloor(step: Extract<RetryStep, { retry: true }>): string | undefined {
  return step.floorSource === undefined ? undefined : SOURCE_WORDS[step.floorSource];
}
