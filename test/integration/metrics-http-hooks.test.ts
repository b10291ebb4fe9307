/**
 * The `onResponse` hook of both clients, against the emulators over loopback: one event per HTTP
 * attempt, retries and 429s included, status 0 when no answer came, and the counts a RunMetrics
 * makes of them. Waits go through a fake clock, so a 429 cooldown costs nothing.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { RetryConfig } from "../../src/config/types.js";
import { type VerkadaEmulatorOptions, startVerkadaEmulator } from "../../src/emulators/verkada-emulator.js";
import { type InjectedFault, startOktaEmulator } from "../../src/emulators/okta-emulator.js";
import { generateOrg } from "../../src/emulators/org-generator.js";
import { RunMetrics } from "../../src/metrics/collector.js";
import type { HttpResponseEvent } from "../../src/http/http-event.js";
import { pullFromOkta } from "../../src/okta/pull.js";
import { createScimClient, type ScimClientOptions } from "../../src/scim/client.js";

const RETRY: RetryConfig = { maxAttempts: 4, maxElapsedMs: 120_000, baseDelayMs: 200, maxDelayMs: 2000 };
const USER = { userName: "ada@acme.com", "name.givenName": "Ada", 'emails[type eq "work"].value': "ada@acme.com" };
const OKTA_TOKEN = "00metrics-test-token-3b8e1";

const open: Array<{ close(): Promise<unknown> }> = [];
afterEach(async () => {
  for (const item of open.splice(0).reverse()) await item.close();
});

function fakeClock() {
  const clock = { t: Date.UTC(2026, 0, 1, 9) };
  return {
    clock,
    now: () => clock.t,
    sleep: async (ms: number) => {
      clock.t += ms;
    },
    random: () => 0.5,
  };
}

async function scim(options: Partial<ScimClientOptions> = {}, emulator: VerkadaEmulatorOptions = {}) {
  const time = fakeClock();
  const command = await startVerkadaEmulator({ now: time.now, ...emulator });
  const events: HttpResponseEvent[] = [];
  const client = createScimClient({
    baseUrl: command.url,
    token: command.token,
    timeoutMs: 2000,
    requestsPerMinute: 0,
    retry: RETRY,
    now: time.now,
    sleep: time.sleep,
    random: time.random,
    onResponse: (event) => events.push(event),
    ...options,
  });
  open.push(command, client);
  return { command, client, events };
}

const brief = (events: readonly HttpResponseEvent[]) => events.map((e) => `${e.side} ${e.method} ${e.status}`);

describe("SCIM client onResponse", () => {
  it("reports each attempt, the 429 included, with the status Command sent", async () => {
    const h = await scim();
    h.command.injectFault({ match: { method: "POST", pathPrefix: "/Users" }, status: 429, headers: { "retry-after": "0" } });
    const started = performance.now();
    await h.client.createUser("00u1", USER, true);
    const whole = performance.now() - started;
    expect(brief(h.events)).toEqual(["command POST 429", "command POST 201"]);
    expect(h.events.map((e) => e.status)).toEqual(h.command.requests.map((r) => r.status));
    for (const event of h.events) expect(event.durationMs).toBeGreaterThanOrEqual(0);
    // Each event times its own attempt, in milliseconds: the attempts, one after the other, fit
    // in the call that made them (an event timed from the call's start, or in another unit, would not).
    expect(h.events[0]!.durationMs + h.events[1]!.durationMs).toBeLessThanOrEqual(whole);
  });

  it("reports the emulator's own rate limit, a reset connection as status 0, and 4xx answers that are not retried", async () => {
    const h = await scim({}, { requestsPerMinute: 1 });
    const user = h.command.seedUser({ userName: "grace@acme.com", active: true });
    // The first request uses the minute's budget; the second is refused until the fake clock moves on.
    await h.client.setUserActive(user.id, false);
    await h.client.setUserActive(user.id, true);
    h.command.injectFault({ match: { method: "PATCH" }, resetConnection: true });
    await h.client.setUserActive(user.id, false);
    expect(await h.client.getUser("no-such-user")).toBeUndefined();
    expect(h.events.map((e) => e.status)).toEqual(h.command.requests.map((r) => r.status));
    expect(h.events.map((e) => e.status)).toContain(429);
    expect(h.events.map((e) => e.status)).toContain(0);
    expect(h.events.at(-1)).toMatchObject({ side: "command", method: "GET", status: 404 });
  });

  it("feeds a RunMetrics: requests by status class and 429s for the command side", async () => {
    const metrics = new RunMetrics();
    const h = await scim({ onResponse: metrics.onResponse });
    h.command.injectFault({ match: { method: "POST" }, status: 429, headers: { "retry-after": "0" } });
    h.command.injectFault({ match: { method: "DELETE" }, status: 503 });
    await h.client.createUser("00u1", USER, true);
    const group = h.command.seedGroup({ displayName: "Eng" });
    await h.client.deleteGroup(group.id);
    const counts = metrics.counts();
    expect(counts.httpRequests.command).toEqual({ "2xx": 2, "4xx": 1, "5xx": 1 });
    expect(counts.httpRateLimited).toEqual({ okta: 0, command: 1 });
    expect(counts.httpRequests.okta).toEqual({});
  });

  it("a listener that throws changes nothing about the request", async () => {
    const h = await scim({
      onResponse: () => {
        throw new Error("broken listener");
      },
    });
    const { id } = await h.client.createUser("00u1", USER, true);
    expect(h.command.getUser(id)?.userName).toBe("ada@acme.com");
  });
});

describe("Okta pull onResponse", () => {
  async function okta(fault?: (pathname: string, count: number) => InjectedFault | undefined) {
    const time = fakeClock();
    const org = generateOrg({ seed: 41, users: 40, groups: 3, assignedFraction: 1 });
    const emulator = await startOktaEmulator({ org, token: OKTA_TOKEN, rateLimits: false, now: time.now });
    open.push(emulator);
    emulator.inject = ({ pathname, count }) => fault?.(pathname, count);
    const events: HttpResponseEvent[] = [];
    const metrics = new RunMetrics();
    const result = await pullFromOkta(
      { orgUrl: emulator.url, appId: org.app.id, auth: { mode: "token", token: OKTA_TOKEN }, groups: [org.groups[0]!.name], pageSize: 10 },
      {
        retry: RETRY,
        now: time.now,
        sleep: time.sleep,
        random: time.random,
        onResponse: (event) => {
          events.push(event);
          metrics.recordHttp(event);
        },
      },
    );
    return { emulator, events, metrics, result };
  }

  it("reports every request of the pull, in the order sent, on the okta side", async () => {
    const h = await okta();
    expect(h.events.length).toBeGreaterThan(4);
    expect(h.events).toHaveLength(h.result.requests);
    expect(h.events.map((e) => `${e.method} ${e.status}`)).toEqual(h.emulator.requests.map((r) => `${r.method} ${r.status}`));
    expect(new Set(h.events.map((e) => e.side))).toEqual(new Set(["okta"]));
    expect(h.metrics.counts().httpRequests.okta).toEqual({ "2xx": h.events.length });
  });

  it("reports a 429 and a dropped connection that were retried", async () => {
    const isAppUsers = (pathname: string) => /^\/api\/v1\/apps\/[^/]+\/users$/.test(pathname);
    const h = await okta((pathname, count) => {
      if (!isAppUsers(pathname)) return undefined;
      if (count === 2) return { status: 429, headers: { "X-Rate-Limit-Reset": "0" } };
      if (count === 4) return { reset: true };
      return undefined;
    });
    expect(h.events).toHaveLength(h.result.requests);
    const statuses = h.events.map((e) => e.status);
    expect(statuses.filter((s) => s === 429)).toHaveLength(1);
    expect(statuses.filter((s) => s === 0)).toHaveLength(1);
    const counts = h.metrics.counts();
    expect(counts.httpRateLimited).toEqual({ okta: 1, command: 0 });
    expect(counts.httpRequests.okta).toEqual({ "2xx": h.events.length - 2, "4xx": 1, network_error: 1 });
  });
});
