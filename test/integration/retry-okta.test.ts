/**
 * The Okta pull through the custom request executor, against the Okta emulator over loopback:
 * retries by the shared policy, X-Rate-Limit-Reset honoured, the per-attempt timeout, and the
 * pacer keeping to its share of each rate-limit bucket. The emulator and the pull share a fake
 * clock that only the pull's (recorded) sleeps move, so waits of a minute cost nothing.
 */
import { generateKeyPairSync } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { RetryConfig } from "../../src/config/types.js";
import { type InjectedFault, type OktaEmulator, type OktaEmulatorOptions, startOktaEmulator } from "../../src/emulators/okta-emulator.js";
import type { EmulatedOktaOrg } from "../../src/emulators/okta-org.js";
import { listAssignedUsers } from "../../src/emulators/org-assignments.js";
import { generateOrg } from "../../src/emulators/org-generator.js";
import { NetworkError, RemoteError, SyncError } from "../../src/errors.js";
import type { WaitEvent } from "../../src/http/clock.js";
import { type OktaPullTuning, pullFromOkta } from "../../src/okta/pull.js";
import type { OktaPullOptions, OktaPullResult } from "../../src/okta/types.js";

const TOKEN = "00retry-test-token-77c1d";
const RETRY: RetryConfig = { maxAttempts: 4, maxElapsedMs: 120_000, baseDelayMs: 500, maxDelayMs: 8000 };
const START = Date.UTC(2026, 0, 1, 9, 0, 0);

const open: Array<{ close(): Promise<unknown> }> = [];
afterEach(async () => {
  for (const item of open.splice(0).reverse()) await item.close();
});

interface Harness {
  emulator: OktaEmulator;
  clock: { t: number };
  sleeps: number[];
  events: WaitEvent[];
  /** Emulator time of each request the emulator let through (429s from its own budget excluded). */
  seen: Array<{ pathname: string; at: number }>;
  pull(overrides?: Partial<OktaPullOptions>, tuning?: OktaPullTuning): Promise<OktaPullResult>;
}

async function harness(org: EmulatedOktaOrg, options: Partial<OktaEmulatorOptions> = {}, fault?: (pathname: string, count: number, now: number) => InjectedFault | undefined): Promise<Harness> {
  const clock = { t: START };
  const emulator = await startOktaEmulator({ org, token: TOKEN, rateLimits: false, now: () => clock.t, ...options });
  open.push(emulator);
  const sleeps: number[] = [];
  const events: WaitEvent[] = [];
  const seen: Harness["seen"] = [];
  emulator.inject = ({ pathname, count }) => {
    seen.push({ pathname, at: clock.t });
    return fault?.(pathname, count, clock.t);
  };
  return {
    emulator,
    clock,
    sleeps,
    events,
    seen,
    pull: (overrides = {}, tuning = {}) =>
      pullFromOkta(
        { orgUrl: emulator.url, appId: org.app.id, auth: { mode: "token", token: TOKEN }, groups: [], ...overrides },
        {
          retry: RETRY,
          now: () => clock.t,
          sleep: async (ms) => {
            sleeps.push(ms);
            clock.t += ms;
          },
          random: () => 0.5,
          onWait: (event) => events.push(event),
          ...tuning,
        },
      ),
  };
}

async function failure(promise: Promise<unknown>): Promise<SyncError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SyncError);
  return error as SyncError;
}

const isAppUsers = (pathname: string) => /^\/api\/v1\/apps\/[^/]+\/users$/.test(pathname);
const smallOrg = () => generateOrg({ seed: 31, users: 60, groups: 3, assignedFraction: 1 });
const appUserIds = (org: EmulatedOktaOrg) => listAssignedUsers(org).map((e) => e.user.id).sort();
const pulledIds = (result: OktaPullResult) => result.appUsers.map((u) => u.id).sort();

describe("Okta pull: retries through the custom request executor", () => {
  it("survives a 500 on a page", async () => {
    const org = smallOrg();
    const h = await harness(org, {}, (pathname, count) => (isAppUsers(pathname) && count === 2 ? { status: 500 } : undefined));
    const result = await h.pull({ pageSize: 25 });
    expect(pulledIds(result)).toEqual(appUserIds(org));
    expect(h.emulator.requests.map((r) => r.status)).toEqual([200, 500, 200, 200]);
    expect(h.sleeps).toEqual([250]);
    expect(result.requests).toBe(4);
    expect(h.events[0]!.message).toMatch(/^Okta: GET \/api\/v1\/apps\/.+\/users\?.*after=.* failed \(HTTP 500\); retrying in 250ms, attempt 2 of 4$/);
  });

  it("survives a dropped connection on a page", async () => {
    const org = smallOrg();
    const h = await harness(org, {}, (pathname, count) => (isAppUsers(pathname) && count === 3 ? { reset: true } : undefined));
    const result = await h.pull({ pageSize: 25 });
    expect(pulledIds(result)).toEqual(appUserIds(org));
    expect(h.emulator.requests.map((r) => r.status)).toEqual([200, 200, 0, 200]);
    expect(h.events[0]).toMatchObject({ side: "okta", reason: "retry", cause: "UND_ERR_SOCKET" });
  });

  it("waits for X-Rate-Limit-Reset after a 429, never less, measured in Okta's clock", async () => {
    const org = smallOrg();
    const reset = START / 1000 + 20;
    const h = await harness(org, {}, (pathname, count) =>
      isAppUsers(pathname) && count === 2 ? { status: 429, headers: { "X-Rate-Limit-Reset": String(reset) } } : undefined,
    );
    // The local clock runs 5 minutes fast: the wait still follows Okta's Date header.
    const result = await h.pull({ pageSize: 25 }, { now: () => h.clock.t + 300_000 });
    expect(pulledIds(result)).toEqual(appUserIds(org));
    expect(h.sleeps).toEqual([21_000]);
    const retried = h.seen.filter((s) => isAppUsers(s.pathname))[2]!;
    expect(retried.at).toBeGreaterThanOrEqual(reset * 1000);
    expect(h.events[0]!.message).toContain("failed (HTTP 429); retrying in 21s as asked (X-Rate-Limit-Reset), attempt 2 of 4");
  });

  it("gives up with a clear error when the failures outlast the attempts", async () => {
    const org = smallOrg();
    const h = await harness(org, {}, (pathname) => (isAppUsers(pathname) ? { status: 503 } : undefined));
    const error = await failure(h.pull({ pageSize: 25 }));
    expect(error).toBeInstanceOf(RemoteError);
    expect(error).toMatchObject({ status: 503, side: "okta", kind: "remote" });
    expect(error.message).toMatch(/^Okta answered 503 to GET http:\/\/127\.0\.0\.1:\d+\/api\/v1\/apps\/.+\/users\?limit=25&expand=user: Service is in read only mode \(gave up after 4 attempts in 2s \(retry\.maxAttempts 4\)\)$/);
    expect(error.hint).toContain("try again later");
    expect(h.emulator.requests).toHaveLength(4);
    expect(h.sleeps).toEqual([250, 500, 1000]);
  });

  it("gives up at once when the reset is further away than the retry budget allows", async () => {
    const org = smallOrg();
    const h = await harness(org, {}, (pathname) =>
      isAppUsers(pathname) ? { status: 429, headers: { "X-Rate-Limit-Reset": String(START / 1000 + 600) } } : undefined,
    );
    const error = await failure(h.pull({ pageSize: 25 }, { retry: { ...RETRY, maxElapsedMs: 60_000 } }));
    expect((error as RemoteError).status).toBe(429);
    expect(error.message).toContain(
      "(Okta asked to wait 10m1s (X-Rate-Limit-Reset), more than the 1m left of retry.maxElapsedMs (60000); gave up after 1 attempt in 0ms instead of waiting)",
    );
    expect(h.sleeps).toEqual([]);
    expect(h.emulator.requests).toHaveLength(1);
  });

  it("never retries 401: the token is invalid, expired or revoked", async () => {
    const org = smallOrg();
    const h = await harness(org);
    const error = await failure(h.pull({ auth: { mode: "token", token: "00not-the-token-1234" } }));
    expect(error).toMatchObject({ kind: "auth", status: 401, side: "okta" });
    expect(error.message).toMatch(/^Okta answered 401 to GET .*: Invalid token provided$/);
    expect(error.hint).toBe(
      "check okta.token: the API token is invalid, expired (Okta expires tokens unused for 30 days) or revoked; " +
        "create a new one in the Okta admin console (Security > API > Tokens) and update OKTA_API_TOKEN",
    );
    expect(h.emulator.requests).toHaveLength(1);
    expect(h.sleeps).toEqual([]);
  });

  it.each([403, 404, 400])("never retries %d", async (status) => {
    const org = smallOrg();
    const h = await harness(org, {}, () => ({ status, headers: { "Retry-After": "1" } }));
    const error = await failure(h.pull());
    expect((error as RemoteError).status).toBe(status);
    expect(h.emulator.requests).toHaveLength(1);
    expect(h.sleeps).toEqual([]);
    if (status === 403) {
      expect(error.kind).toBe("auth");
      expect(error.hint).toContain("lacks a scope or permission: it needs okta.apps.read, okta.groups.read and okta.users.read");
    }
  });

  it("retries the service app's token request too", async () => {
    const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const org = generateOrg({ seed: 32, users: 20, groups: 2, assignedFraction: 1 });
    const scopes = ["okta.apps.read", "okta.groups.read", "okta.users.read"];
    const h = await harness(
      org,
      { oauthClients: [{ clientId: "0oaservice", publicKey: publicKey.export({ type: "spki", format: "pem" }).toString(), scopes }] },
      (pathname, count) => (pathname === "/oauth2/v1/token" && count === 1 ? { status: 503 } : undefined),
    );
    const pem = privateKey.export({ type: "pkcs1", format: "pem" }).toString();
    const result = await h.pull({ auth: { mode: "privateKey", clientId: "0oaservice", privateKey: pem, keyId: undefined, scopes } });
    expect(pulledIds(result)).toEqual(appUserIds(org));
    expect(h.emulator.requests.slice(0, 3).map((r) => `${r.method} ${r.path.split("?")[0]} ${r.status}`)).toEqual([
      "POST /oauth2/v1/token 503",
      "POST /oauth2/v1/token 200",
      `GET /api/v1/apps/${org.app.id}/users 200`,
    ]);
  });
});

describe("Okta pull: per-attempt timeout (real time)", () => {
  it("times out an attempt that gets no answer, retries it, then gives up as a network error", async () => {
    let requests = 0;
    let hungUp = 0;
    const server = createServer((req) => {
      requests++;
      req.socket.once("close", () => hungUp++);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    open.push({
      close: () =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    });
    const sleeps: number[] = [];
    const error = await failure(
      pullFromOkta(
        { orgUrl: url, appId: "0oa1", auth: { mode: "token", token: TOKEN }, groups: [] },
        { retry: { ...RETRY, maxAttempts: 2 }, requestTimeoutMs: 200, sleep: async (ms) => void sleeps.push(ms), random: () => 0 },
      ),
    );
    expect(error).toBeInstanceOf(NetworkError);
    expect(error.message).toMatch(/^Okta: no answer from http:\/\/127\.0\.0\.1:\d+ in time \(GET .*\/api\/v1\/apps\/0oa1\/users.*\) \(gave up after 2 attempts in .* \(retry\.maxAttempts 2\)\)$/);
    expect(requests).toBe(2);
    expect(sleeps).toEqual([0]);
    // Each attempt was given up by the client, which closed the connection left unanswered.
    await vi.waitFor(() => expect(hungUp).toBe(2), { timeout: 20_000 });
  });
});

describe("Okta pull: pacing by the rate-limit headers", () => {
  const perWindow = (times: readonly number[]) => {
    const sorted = [...times].sort((a, b) => a - b);
    let best = 0;
    for (let i = 0, j = 0; i < sorted.length; i++) {
      while (sorted[i]! - sorted[j]! >= 60_000) j++;
      best = Math.max(best, i - j + 1);
    }
    return best;
  };

  it("stays under 50% of a bucket: limit 20 and share 0.5 is at most 10 requests per window", async () => {
    const org = generateOrg({ seed: 33, users: 50, groups: 2, assignedFraction: 1 });
    const h = await harness(org, { rateLimits: { apps: 20 } });
    const result = await h.pull({ pageSize: 2 }, { maxRateShare: 0.5 });
    expect(pulledIds(result)).toEqual(appUserIds(org));
    const times = h.seen.filter((s) => isAppUsers(s.pathname)).map((s) => s.at);
    expect(times).toHaveLength(25);
    expect(perWindow(times)).toBe(10);
    expect(h.emulator.stats.rateLimited).toBe(0);
    // The 11th waited for the window's reset (60 s after its first request) and the margin.
    expect(times[10]! - times[0]!).toBe(61_000);
    expect(h.events.filter((e) => e.reason === "rate-limit")).toHaveLength(2);
    expect(h.events[0]!.message).toBe("waiting 1m1s for Okta's rate limit (apps bucket): this run's share is used: 10 of 20 (okta.maxRateShare 0.5)");
  });

  it("also waits when Okta says the bucket is used up by others, and never meets a 429", async () => {
    const org = generateOrg({ seed: 34, users: 30, groups: 2, assignedFraction: 1 });
    const h = await harness(org, { rateLimits: { apps: 20 } });
    // Another integration has used 16 of this window's 20.
    for (let i = 0; i < 16; i++) {
      const response = await fetch(`${h.emulator.url}/api/v1/apps/${org.app.id}`, { headers: { authorization: `SSWS ${TOKEN}` } });
      expect(response.status).toBe(200);
    }
    h.seen.length = 0;
    const result = await h.pull({ pageSize: 5 }, { maxRateShare: 0.5 });
    expect(pulledIds(result)).toEqual(appUserIds(org));
    const times = h.seen.filter((s) => isAppUsers(s.pathname)).map((s) => s.at);
    expect(times.filter((t) => t < START + 60_000)).toHaveLength(4);
    expect(h.emulator.stats.rateLimited).toBe(0);
    expect(h.events[0]!.message).toBe("waiting 1m1s for Okta's rate limit (apps bucket): the bucket is used up");
  });

  it("a 429 on the first request (nothing known yet, bucket used up by others) is waited out until the reset", async () => {
    const org = generateOrg({ seed: 35, users: 30, groups: 2, assignedFraction: 1 });
    const h = await harness(org, { rateLimits: { apps: 4 } });
    for (let i = 0; i < 4; i++) await fetch(`${h.emulator.url}/api/v1/apps/${org.app.id}`, { headers: { authorization: `SSWS ${TOKEN}` } });
    h.seen.length = 0;
    const result = await h.pull({ pageSize: 5 }, { maxRateShare: 1 });
    expect(pulledIds(result)).toEqual(appUserIds(org));
    expect(h.emulator.stats.rateLimited).toBe(1);
    // Reset 60 s after the window opened at START, plus the margin; then four per window.
    expect(h.sleeps[0]).toBe(61_000);
    expect(h.seen[0]!.at).toBe(START + 61_000);
    expect(perWindow(h.seen.map((s) => s.at))).toBe(4);
  });
});
