import { describe, expect, it } from "vitest";
import type { RetryConfig } from "../../src/config/types.js";
import { NetworkError, RemoteError } from "../../src/errors.js";
import type { Clock, WaitEvent } from "../../src/http/clock.js";
import type { ServerWait } from "../../src/http/rate-limit-headers.js";
import { type AttemptResult, retryNoteOf, withRetries } from "../../src/http/retry.js";
import {
  backoffCeilingMs,
  backoffDelayMs,
  COMMAND_429_COOLDOWN_MS,
  DEFAULT_RETRY,
  type Failure,
  isRetryable,
  isRetryableStatus,
  nextStep,
  type RetryContext,
} from "../../src/http/retry-policy.js";

const CONFIG: RetryConfig = { maxAttempts: 6, maxElapsedMs: 300_000, baseDelayMs: 500, maxDelayMs: 30_000 };
const status = (code: number, serverWait?: ServerWait): Failure => ({
  kind: "status",
  status: code,
  serverWait,
});
const network = (code: string | undefined): Failure => ({ kind: "network", code });
const context = (overrides: Partial<RetryContext> = {}): RetryContext => ({ attempts: 1, elapsedMs: 0, random: () => 0.5, server: "Command", ...overrides });

describe("which failures are retried", () => {
  it.each([429, 500, 502, 503, 504, 507, 520, 599])("status %d: yes", (code) => {
    expect(isRetryableStatus(code)).toBe(true);
  });

  it.each([200, 301, 400, 401, 403, 404, 405, 409, 412, 413, 422, 501, 505])("status %d: no", (code) => {
    expect(isRetryableStatus(code)).toBe(false);
  });

  it.each(["ECONNRESET", "ECONNREFUSED", "EPIPE", "ETIMEDOUT", "EAI_AGAIN", "UND_ERR_SOCKET", "UND_ERR_CONNECT_TIMEOUT", "UND_ERR_HEADERS_TIMEOUT", "timeout"])(
    "network %s: yes",
    (code) => {
      expect(isRetryable(network(code))).toBe(true);
    },
  );

  it.each(["ENOTFOUND", "CERT_HAS_EXPIRED", "UND_ERR_CLOSED", "UND_ERR_DESTROYED", undefined])("network %s: no", (code) => {
    expect(isRetryable(network(code))).toBe(false);
  });

  it("401 and 403 fail at once, even when the server sent Retry-After", () => {
    for (const code of [401, 403]) {
      expect(nextStep(status(code, { ms: 1000, source: "retry-after" }), context(), CONFIG)).toEqual({ retry: false, reason: "not-retryable" });
    }
  });
});

describe("backoff: exponential with full jitter", () => {
  it("the ceiling doubles from baseDelayMs up to maxDelayMs", () => {
    expect([0, 1, 2, 3, 4, 5, 6, 7, 100].map((n) => backoffCeilingMs(n, CONFIG))).toEqual([500, 1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000]);
  });

  it.each([
    [0, 0, 0],
    [0, 0.999999, 500],
    [0, 0.5, 250],
    [3, 0.5, 2000],
    [3, 0.999999, 4000],
    [9, 0.25, 7500],
  ])("retry %d with random %d waits %d ms", (n, random, ms) => {
    expect(backoffDelayMs(n, CONFIG, () => random)).toBe(ms);
  });

  it("stays within [0, ceiling] for any random value", () => {
    for (let n = 0; n < 10; n++) {
      for (let i = 0; i < 200; i++) {
        const ms = backoffDelayMs(n, CONFIG, Math.random);
        expect(ms).toBeGreaterThanOrEqual(0);
        expect(ms).toBeLessThanOrEqual(backoffCeilingMs(n, CONFIG));
        expect(Number.isInteger(ms)).toBe(true);
      }
    }
  });

  it("the first retry waits the jitter of retry 0, the second of retry 1", () => {
    expect(nextStep(status(503), context({ attempts: 1, random: () => 0.999999 }), CONFIG)).toMatchObject({ retry: true, delayMs: 500, floorMs: 0 });
    expect(nextStep(status(503), context({ attempts: 2, random: () => 0.999999 }), CONFIG)).toMatchObject({ retry: true, delayMs: 1000 });
    expect(nextStep(network("ECONNRESET"), context({ attempts: 5, random: () => 0.5 }), CONFIG)).toMatchObject({ retry: true, delayMs: 4000 });
  });
});

describe("what the server asked for", () => {
  it("Retry-After is a floor: never earlier, even when the jitter is shorter", () => {
    const step = nextStep(status(429, { ms: 7000, source: "retry-after" }), context({ random: () => 0 }), CONFIG);
    expect(step).toEqual({ retry: true, delayMs: 7000, floorMs: 7000, floorSource: "retry-after" });
  });

  it("a longer jitter still wins over a short Retry-After", () => {
    const step = nextStep(status(503, { ms: 1000, source: "retry-after" }), context({ attempts: 4, random: () => 0.999999 }), CONFIG);
    expect(step).toMatchObject({ retry: true, delayMs: 4000, floorMs: 1000 });
  });

  it("X-Rate-Limit-Reset is a floor too", () => {
    expect(nextStep(status(429, { ms: 41_000, source: "rate-limit-reset" }), context(), CONFIG)).toMatchObject({ retry: true, delayMs: 41_000, floorSource: "rate-limit-reset" });
  });

  it("a 429 that names no time waits the side's cooldown (Command: 5 s)", () => {
    const step = nextStep(status(429), context({ random: () => 0, cooldownAfter429Ms: COMMAND_429_COOLDOWN_MS }), CONFIG);
    expect(step).toEqual({ retry: true, delayMs: 5000, floorMs: 5000, floorSource: "cooldown" });
    // A 503 is no 429: no cooldown.
    expect(nextStep(status(503), context({ random: () => 0, cooldownAfter429Ms: 5000 }), CONFIG)).toMatchObject({ delayMs: 0, floorMs: 0 });
    // Okta's side has no cooldown: its 429s carry X-Rate-Limit-Reset.
    expect(nextStep(status(429), context({ random: () => 0 }), CONFIG)).toMatchObject({ delayMs: 0 });
  });

  it("a server wait beyond what is left of maxElapsedMs gives up at once, saying why", () => {
    const step = nextStep(status(429, { ms: 120_000, source: "retry-after" }), context({ attempts: 2, elapsedMs: 250_000 }), CONFIG);
    expect(step).toEqual({
      retry: false,
      reason: "server-wait",
      note: "Command asked to wait 2m (Retry-After), more than the 50s left of retry.maxElapsedMs (300000); gave up after 2 attempts in 4m10s instead of waiting",
    });
  });
});

describe("bounds", () => {
  it("stops after maxAttempts, saying so", () => {
    expect(nextStep(status(503), context({ attempts: 6, elapsedMs: 14_200 }), CONFIG)).toEqual({
      retry: false,
      reason: "attempts",
      note: "gave up after 6 attempts in 15s (retry.maxAttempts 6)",
    });
  });

  it("one attempt means no retries and no note", () => {
    expect(nextStep(status(503), context(), { ...CONFIG, maxAttempts: 1 })).toEqual({ retry: false, reason: "attempts" });
  });

  it("stops when maxElapsedMs is spent, and cuts the last backoff to what is left", () => {
    expect(nextStep(status(502), context({ attempts: 3, elapsedMs: 300_000 }), CONFIG)).toMatchObject({ retry: false, reason: "elapsed" });
    expect(nextStep(status(502), context({ attempts: 5, elapsedMs: 299_000, random: () => 0.999999 }), CONFIG)).toMatchObject({ retry: true, delayMs: 1000 });
  });

  it("the defaults are those of the config", () => {
    expect(DEFAULT_RETRY).toEqual(CONFIG);
  });
});

describe("the retry loop", () => {
  function fakeClock(random = () => 0.5): Clock & { sleeps: number[]; t: number } {
    const clock = {
      t: 1_000_000,
      sleeps: [] as number[],
      now: () => clock.t,
      sleep: async (ms: number, signal?: AbortSignal) => {
        signal?.throwIfAborted();
        clock.sleeps.push(ms);
        clock.t += ms;
      },
      random,
    };
    return clock;
  }

  const remote = (code: number) => new RemoteError({ side: "command", method: "POST", url: "/scim/Users", status: code, detail: "nope" });
  const failing = (code: number): AttemptResult<string> => ({ ok: false, error: remote(code), failure: status(code) });

  it("retries until an attempt succeeds, reporting each wait", async () => {
    const clock = fakeClock();
    const events: WaitEvent[] = [];
    const outcomes: AttemptResult<string>[] = [failing(503), failing(502), { ok: true, value: "done" }];
    const value = await withRetries(async (n) => outcomes[n - 1]!, { config: CONFIG, clock, side: "command", what: "POST /scim/Users", onWait: (e) => events.push(e) });
    expect(value).toBe("done");
    expect(clock.sleeps).toEqual([250, 500]);
    expect(events.map((e) => e.message)).toEqual([
      "Command: POST /scim/Users failed (HTTP 503); retrying in 250ms, attempt 2 of 6",
      "Command: POST /scim/Users failed (HTTP 502); retrying in 500ms, attempt 3 of 6",
    ]);
    expect(events[0]).toMatchObject({ side: "command", reason: "retry", attempt: 1, cause: "HTTP 503", ms: 250 });
  });

  it("throws the last error with the reason it stopped", async () => {
    const clock = fakeClock();
    let attempts = 0;
    const error = await withRetries(
      async () => {
        attempts++;
        return failing(503);
      },
      { config: { ...CONFIG, maxAttempts: 3 }, clock, side: "command", what: "POST /scim/Users" },
    ).catch((e: unknown) => e as Error);
    expect(attempts).toBe(3);
    expect(error).toBeInstanceOf(RemoteError);
    expect((error as RemoteError).status).toBe(503);
    expect((error as Error).message).toBe("Command answered 503 to POST /scim/Users: nope (gave up after 3 attempts in 750ms (retry.maxAttempts 3))");
    expect(retryNoteOf(error)).toBe("gave up after 3 attempts in 750ms (retry.maxAttempts 3)");
  });

  it("never retries what is not retryable, and adds nothing to its message", async () => {
    const clock = fakeClock();
    let attempts = 0;
    const error = await withRetries(
      async () => {
        attempts++;
        return failing(401);
      },
      { config: CONFIG, clock, side: "command", what: "POST /scim/Users" },
    ).catch((e: unknown) => e as Error);
    expect(attempts).toBe(1);
    expect(clock.sleeps).toEqual([]);
    expect((error as Error).message).toBe("Command answered 401 to POST /scim/Users: nope");
  });

  it("stops waiting when the signal is aborted", async () => {
    const clock = fakeClock();
    const controller = new AbortController();
    controller.abort();
    const error = await withRetries(async () => ({ ok: false, error: new NetworkError("okta", "reset"), failure: network("ECONNRESET") }), {
      config: CONFIG,
      clock,
      side: "okta",
      what: "GET /api/v1/users",
      signal: controller.signal,
    }).catch((e: unknown) => e as Error);
    expect((error as Error).message).toBe("Okta: reset (stopped while waiting to retry after 1 attempt)");
  });

  it("an exception from the attempt itself is not retried", async () => {
    let attempts = 0;
    await expect(
      withRetries(
        async () => {
          attempts++;
          throw new TypeError("bug");
        },
        { config: CONFIG, clock: fakeClock(), side: "command", what: "x" },
      ),
    ).rejects.toThrow("bug");
    expect(attempts).toBe(1);
  });
});
