/**
 * What a server says about when to come back, read from response headers. Pure: the local time
 * is passed in. Every wait is rounded up, so that a request is never sent earlier than allowed.
 *
 * - `Retry-After` (RFC 9110): delta-seconds or an HTTP-date.
 * - Okta: `X-Rate-Limit-Limit`, `X-Rate-Limit-Remaining`, `X-Rate-Limit-Reset` (epoch seconds of
 *   the end of the current window, in Okta's clock).
 * - `Date`: the server's clock, so that a reset or a date given in that clock is turned into a
 *   wait without trusting the local clock to agree with it.
 */

/** Headers by lower-case name, as undici gives them; a repeated header is a list. */
export type HeaderRecord = Readonly<Record<string, string | readonly string[] | undefined>>;

/** Anything headers can be read from: a record, or an object with `get` (fetch's Headers). */
export type HeaderSource = HeaderRecord | { get(name: string): string | null };

/** Added to reset-based waits, as Okta's own SDK does: the reset is whole seconds in another clock. */
export const RESET_MARGIN_MS = 1000;

/**
 * The value of a header, or undefined when it is absent or repeated: two values that disagree
 * cannot both be honoured (Okta has sent duplicate rate-limit headers, OKTA-112507).
 */
export function headerValue(headers: HeaderSource, name: string): string | undefined {
  if (typeof (headers as { get?: unknown }).get === "function") {
    // fetch joins repeated headers with ", ", which no parser below accepts.
    return (headers as { get(name: string): string | null }).get(name) ?? undefined;
  }
  const record = headers as HeaderRecord;
  const value = record[name.toLowerCase()] ?? record[name];
  if (value === undefined) return undefined;
  if (typeof value === "string") return value;
  return value.length === 1 ? value[0] : undefined;
}

const DAY = "(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)";
const MONTH = "(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)";
/** IMF-fixdate, the obsolete RFC 850 form, and asctime: the three forms RFC 9110 accepts. */
const HTTP_DATE = new RegExp(
  [
    `^${DAY}, \\d{2} ${MONTH} \\d{4} \\d{2}:\\d{2}:\\d{2} GMT$`,
    `^(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday), \\d{2}-${MONTH}-\\d{2} \\d{2}:\\d{2}:\\d{2} GMT$`,
    `^${DAY} ${MONTH} [ \\d]\\d \\d{2}:\\d{2}:\\d{2} \\d{4}$`,
  ].join("|"),
);

/** An HTTP-date as epoch ms; undefined for anything else (Date.parse alone accepts far too much). */
export function parseHttpDate(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (!HTTP_DATE.test(text)) return undefined;
  // asctime has no zone: it is GMT.
  const ms = Date.parse(/GMT$/.test(text) ? text : `${text} GMT`);
  return Number.isFinite(ms) ? ms : undefined;
}

/**
 * `Retry-After` as a wait in ms from `now`, or undefined when absent or invalid. An HTTP-date is
 * measured against the server's `Date` when it sent one (the local clock may be off), else
 * against `now`; a date in the past means no wait.
 */
export function parseRetryAfter(value: string | undefined, now: number, serverDate?: number): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) {
    const seconds = Number(text);
    return Number.isSafeInteger(seconds) ? seconds * 1000 : undefined;
  }
  const at = parseHttpDate(text);
  if (at === undefined) return undefined;
  return Math.max(0, Math.ceil(at - (serverDate ?? now)));
}

export interface RateLimitHeaders {
  /** Requests allowed per window in this bucket. */
  limit: number | undefined;
  /** Requests left in the current window, counting everyone's. */
  remaining: number | undefined;
  /** End of the current window, epoch seconds in the server's clock. */
  resetEpochSeconds: number | undefined;
}

function nonNegativeInteger(value: string | undefined): number | undefined {
  if (value === undefined || !/^\s*\d+\s*$/.test(value)) return undefined;
  const n = Number(value);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** Okta's X-Rate-Limit-* headers; each field undefined when absent, repeated or not a whole number. */
export function parseRateLimit(headers: HeaderSource): RateLimitHeaders {
  return {
    limit: nonNegativeInteger(headerValue(headers, "x-rate-limit-limit")),
    remaining: nonNegativeInteger(headerValue(headers, "x-rate-limit-remaining")),
    resetEpochSeconds: nonNegativeInteger(headerValue(headers, "x-rate-limit-reset")),
  };
}

/**
 * The wait in ms until a window that ends at `resetEpochSeconds` (server clock) is over, plus
 * `RESET_MARGIN_MS`. With the server's `Date` the wait is reset - Date, which does not depend on
 * the local clock; without it, reset - now. Never negative.
 */
export function resetWaitMs(resetEpochSeconds: number, now: number, serverDate?: number): number {
  return Math.max(0, Math.ceil(resetEpochSeconds * 1000 - (serverDate ?? now))) + RESET_MARGIN_MS;
}

export interface ServerWait {
  ms: number;
  source: "retry-after" | "rate-limit-reset";
}

/**
 * How long the server asked to wait before the next request, from `Retry-After` or (on a 429)
 * `X-Rate-Limit-Reset`: the longer of the two when both are there. Undefined when it said nothing.
 */
export function serverWait(headers: HeaderSource, status: number, now: number): ServerWait | undefined {
  const serverDate = parseHttpDate(headerValue(headers, "date"));
  const retryAfter = parseRetryAfter(headerValue(headers, "retry-after"), now, serverDate);
  // A reset on a successful or failed response other than 429 only describes the window.
  const reset = status === 429 ? parseRateLimit(headers).resetEpochSeconds : undefined;
  const resetMs = reset === undefined ? undefined : resetWaitMs(reset, now, serverDate);
  if (retryAfter === undefined && resetMs === undefined) return undefined;
  if (resetMs === undefined || (retryAfter !== undefined && retryAfter >= resetMs)) return { ms: retryAfter!, source: "retry-after" };
  return { ms: resetMs, source: "rate-limit-reset" };
}
