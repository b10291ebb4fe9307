import { describe, expect, it } from "vitest";
import {
  headerValue,
  parseHttpDate,
  parseRateLimit,
  parseRetryAfter,
  RESET_MARGIN_MS,
  resetWaitMs,
  serverWait,
} from "../../src/http/rate-limit-headers.js";

const NOW = Date.UTC(2026, 0, 15, 12, 0, 0, 250);
const at = (ms: number) => new Date(ms).toUTCString();

describe("Retry-After", () => {
  it.each([
    ["0", 0],
    ["5", 5000],
    [" 120 ", 120_000],
    ["86400", 86_400_000],
  ])("delta-seconds %j -> %d ms", (value, ms) => {
    expect(parseRetryAfter(value, NOW)).toBe(ms);
  });

  it.each([undefined, "", "-1", "1.5", "5s", "abc", "5, 10", "Wed, 21 Oct 2015 07:28:00", "2026-01-15T12:00:10Z", "99999999999999999999"])(
    "invalid %j -> undefined",
    (value) => {
      expect(parseRetryAfter(value, NOW)).toBeUndefined();
    },
  );

  it("an HTTP-date is the time until then, rounded up, from the local now", () => {
    // The date has whole seconds: 12:00:10 is 9.75 s after 12:00:00.250.
    expect(parseRetryAfter("Thu, 15 Jan 2026 12:00:10 GMT", NOW)).toBe(9750);
    expect(parseRetryAfter(at(NOW + 30_000), NOW)).toBe(29_750);
  });

  it("an HTTP-date is measured from the server's Date when there is one, whatever the local clock says", () => {
    const serverDate = Date.UTC(2026, 0, 15, 12, 5, 0);
    // The local clock is 5 minutes behind; the server asks for 10 s.
    expect(parseRetryAfter("Thu, 15 Jan 2026 12:05:10 GMT", NOW, serverDate)).toBe(10_000);
  });

  it("a date in the past means no wait", () => {
    expect(parseRetryAfter("Thu, 01 Jan 2026 00:00:00 GMT", NOW)).toBe(0);
  });

  it("reads the obsolete RFC 850 and asctime forms", () => {
    expect(parseHttpDate("Thursday, 15-Jan-26 12:00:10 GMT")).toBe(Date.UTC(2026, 0, 15, 12, 0, 10));
    expect(parseHttpDate("Thu Jan 15 12:00:10 2026")).toBe(Date.UTC(2026, 0, 15, 12, 0, 10));
    expect(parseHttpDate("Thu Jan  5 12:00:10 2026")).toBe(Date.UTC(2026, 0, 5, 12, 0, 10));
    expect(parseHttpDate("15 Jan 2026")).toBeUndefined();
    expect(parseHttpDate("Thu, 15 Jan 2026 12:00:10 GMT, Thu, 15 Jan 2026 12:00:11 GMT")).toBeUndefined();
  });
});

describe("X-Rate-Limit-*", () => {
  it("reads the three headers", () => {
    expect(parseRateLimit({ "x-rate-limit-limit": "100", "x-rate-limit-remaining": "0", "x-rate-limit-reset": "1768478460" })).toEqual({
      limit: 100,
      remaining: 0,
      resetEpochSeconds: 1768478460,
    });
  });

  it("leaves out what is missing, repeated or not a whole number", () => {
    expect(parseRateLimit({ "x-rate-limit-limit": ["100", "100"], "x-rate-limit-remaining": "-1", "x-rate-limit-reset": "soon" })).toEqual({
      limit: undefined,
      remaining: undefined,
      resetEpochSeconds: undefined,
    });
    // fetch's Headers join repeated values with a comma (OKTA-112507).
    const joined = new Headers([
      ["X-Rate-Limit-Reset", "1768478460"],
      ["X-Rate-Limit-Reset", "1768478461"],
      ["X-Rate-Limit-Limit", "600"],
    ]);
    expect(parseRateLimit(joined)).toEqual({ limit: 600, remaining: undefined, resetEpochSeconds: undefined });
  });

  it("reads records by lower-case name and fetch Headers by any case", () => {
    expect(headerValue({ "retry-after": "3" }, "Retry-After")).toBe("3");
    expect(headerValue(new Headers({ "Retry-After": "3" }), "retry-after")).toBe("3");
    expect(headerValue({ "retry-after": ["3"] }, "retry-after")).toBe("3");
    expect(headerValue({}, "retry-after")).toBeUndefined();
  });

  it("the wait for a reset counts from the server's Date, plus a margin, and is never negative", () => {
    const reset = Math.floor(Date.UTC(2026, 0, 15, 12, 1, 0) / 1000);
    const serverDate = Date.UTC(2026, 0, 15, 12, 0, 48);
    // The local clock is 3 minutes fast: it must not shorten (or cancel) the wait.
    expect(resetWaitMs(reset, serverDate + 180_000, serverDate)).toBe(12_000 + RESET_MARGIN_MS);
    // Without Date, the local clock is all there is.
    expect(resetWaitMs(reset, Date.UTC(2026, 0, 15, 12, 0, 50, 500))).toBe(9500 + RESET_MARGIN_MS);
    expect(resetWaitMs(reset, Date.UTC(2026, 0, 15, 12, 5, 0))).toBe(RESET_MARGIN_MS);
  });
});

describe("serverWait", () => {
  const reset = (seconds: number) => String(Math.floor(NOW / 1000) + seconds);

  it("takes Retry-After", () => {
    expect(serverWait({ "retry-after": "7" }, 503, NOW)).toEqual({ ms: 7000, source: "retry-after" });
  });

  it("takes X-Rate-Limit-Reset on a 429 only", () => {
    const headers = { "x-rate-limit-reset": reset(20), date: at(NOW) };
    // Date has whole seconds: 20 s after the second NOW is in, plus the margin.
    expect(serverWait(headers, 429, NOW)).toEqual({ ms: 21_000, source: "rate-limit-reset" });
    expect(serverWait(headers, 200, NOW)).toBeUndefined();
    expect(serverWait(headers, 503, NOW)).toBeUndefined();
  });

  it("takes the longer of the two when both are there", () => {
    expect(serverWait({ "x-rate-limit-reset": reset(20), "retry-after": "60" }, 429, NOW)).toEqual({ ms: 60_000, source: "retry-after" });
    expect(serverWait({ "x-rate-limit-reset": reset(20), "retry-after": "2" }, 429, NOW)?.source).toBe("rate-limit-reset");
  });

  it("is undefined when the server said nothing usable", () => {
    expect(serverWait({}, 429, NOW)).toBeUndefined();
    expect(serverWait({ "retry-after": "later" }, 429, NOW)).toBeUndefined();
  });
});
