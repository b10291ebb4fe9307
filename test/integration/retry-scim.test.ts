/**
 * Retries and pacing of the SCIM client against the Command emulator over loopback HTTP. Waits
 * go through an injected sleep that only records them (and moves a fake clock), so a 5 s
 * cooldown costs nothing; the pacing test at the end runs in real time.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { RetryConfig } from "../../src/config/types.js";
import { type VerkadaEmulator, type VerkadaEmulatorOptions, startVerkadaEmulator } from "../../src/emulators/verkada-emulator.js";
import { NetworkError, RemoteError } from "../../src/errors.js";
import type { WaitEvent } from "../../src/http/clock.js";
import { createScimClient, type ScimClient, type ScimClientOptions } from "../../src/scim/client.js";

const RETRY: RetryConfig = { maxAttempts: 4, maxElapsedMs: 60_000, baseDelayMs: 200, maxDelayMs: 2000 };
const USER = { userName: "ada@acme.com", "name.givenName": "Ada", 'emails[type eq "work"].value': "ada@acme.com" };

const open: Array<{ close(): Promise<unknown> }> = [];
afterEach(async () => {
  for (const item of open.splice(0).reverse()) await item.close();
});

interface Harness {
  command: VerkadaEmulator;
  client: ScimClient;
  /** Every wait the client asked for, in order. */
  sleeps: number[];
  events: WaitEvent[];
  clock: { t: number };
}

async function harness(options: Partial<ScimClientOptions> = {}, emulator: VerkadaEmulatorOptions = {}): Promise<Harness> {
  const clock = { t: Date.UTC(2026, 0, 1) };
  const command = await startVerkadaEmulator({ now: () => clock.t, ...emulator });
  const sleeps: number[] = [];
  const events: WaitEvent[] = [];
  const client = createScimClient({
    baseUrl: command.url,
    token: command.token,
    timeoutMs: 2000,
    requestsPerMinute: 0,
    retry: RETRY,
    now: () => clock.t,
    sleep: async (ms) => {
      sleeps.push(ms);
      clock.t += ms;
    },
    random: () => 0.5,
    onWait: (event) => events.push(event),
    ...options,
  });
  open.push(command, client);
  return { command, client, sleeps, events, clock };
}

const statuses = (command: VerkadaEmulator) => command.requests.map((r) => `${r.method} ${r.path.replace(/\/[0-9a-f-]{8,}$/, "/{id}")} ${r.status}`);

async function failure(promise: Promise<unknown>): Promise<Error> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(Error);
  return error as Error;
}

describe("SCIM client retries", () => {
  it("retries a 503 and succeeds, creating the user once", async () => {
    const h = await harness();
    h.command.injectFault({ match: { method: "POST", pathPrefix: "/Users" }, status: 503, times: 2 });
    const { id } = await h.client.createUser("00u1", USER, true);
    expect(h.command.getUser(id)?.userName).toBe("ada@acme.com");
    expect(h.command.users()).toHaveLength(1);
    expect(statuses(h.command)).toEqual(["POST /Users 503", "POST /Users 503", "POST /Users 201"]);
    // Full jitter at random 0.5: half of 200, then half of 400.
    expect(h.sleeps).toEqual([100, 200]);
    expect(h.events.map((e) => e.message)).toEqual([
      "Command: POST /scim/Users failed (HTTP 503); retrying in 100ms, attempt 2 of 4",
      "Command: POST /scim/Users failed (HTTP 503); retrying in 200ms, attempt 3 of 4",
    ]);
  });

  it("retries after a connection reset", async () => {
    const h = await harness();
    const user = h.command.seedUser({ userName: "ada@acme.com", active: true });
    h.command.injectFault({ match: { method: "PATCH" }, resetConnection: true });
    await h.client.setUserActive(user.id, false);
    expect(h.command.getUser(user.id)?.active).toBe(false);
    expect(statuses(h.command)).toEqual(["PATCH /Users/{id} 0", "PATCH /Users/{id} 200"]);
    expect(h.events[0]).toMatchObject({ reason: "retry", cause: "UND_ERR_SOCKET" });
  });

  it("retries a timeout", async () => {
    const h = await harness({ timeoutMs: 200 });
    h.command.injectFault({ match: { method: "GET" }, delayMs: 1000 });
    expect((await h.client.findUserByUserName("nobody@acme.com"))).toBeUndefined();
    expect(h.command.requests).toHaveLength(2);
    expect(h.events[0]).toMatchObject({ reason: "retry", cause: "timeout" });
  });

  it("a create that succeeded but whose answer was lost comes back as a 409 on the retry, for the applier to adopt", async () => {
    const h = await harness();
    h.command.injectFault({ match: { method: "POST", pathPrefix: "/Users" }, status: 502, afterApply: true });
    const error = await failure(h.client.createUser("00u1", USER, true));
    expect(error).toBeInstanceOf(RemoteError);
    expect((error as RemoteError).status).toBe(409);
    expect(h.command.users()).toHaveLength(1);
    expect(statuses(h.command)).toEqual(["POST /Users 502", "POST /Users 409"]);
  });

  it("waits at least what Retry-After says on a 429, however short the jitter", async () => {
    const h = await harness({ random: () => 0 });
    h.command.injectFault({ match: { method: "DELETE" }, status: 429, headers: { "Retry-After": "7" } });
    const group = h.command.seedGroup({ displayName: "Eng" });
    await h.client.deleteGroup(group.id);
    expect(h.sleeps).toEqual([7000]);
    expect(h.command.groups()).toHaveLength(0);
    expect(h.events[0]!.message).toBe(`Command: DELETE /scim/Groups/${group.id} failed (HTTP 429); retrying in 7s as asked (Retry-After), attempt 2 of 4`);
  });

  it("reads Retry-After as an HTTP date, measured from the server's Date", async () => {
    const h = await harness({ random: () => 0 });
    h.command.injectFault({ match: { method: "DELETE" }, status: 429, headers: { "Retry-After": new Date(Date.now() + 10_000).toUTCString() } });
    const group = h.command.seedGroup({ displayName: "Eng" });
    await h.client.deleteGroup(group.id);
    expect(h.sleeps).toHaveLength(1);
    expect(h.sleeps[0]).toBeGreaterThanOrEqual(9000);
    expect(h.sleeps[0]).toBeLessThanOrEqual(11_000);
  });

  it("waits 5 s after a 429 without Retry-After, as Verkada asks, and holds every other request as long", async () => {
    const sleeps: number[] = [];
    let other: Promise<unknown> | undefined;
    let started = false;
    const h: Harness = await harness({
      random: () => 0,
      sleep: async (ms) => {
        sleeps.push(ms);
        // While the first request waits out its cooldown, another one comes along.
        if (!started) {
          started = true;
          other = h.client.createGroup("00g2", "Two");
          await other;
        }
        h.clock.t += ms;
      },
    });
    h.command.injectFault({ match: { method: "POST" }, status: 429 });
    await h.client.createGroup("00g1", "One");
    await other;
    expect(sleeps).toEqual([5000, 5000]);
    expect(h.events.map((e) => e.message)).toEqual([
      "Command: POST /scim/Groups failed (HTTP 429); retrying in 5s as asked (the cooldown after a 429), attempt 2 of 4",
      "waiting 5s for Command's rate limit (cooldown after a 429)",
    ]);
    expect(h.command.groups().map((g) => g.displayName).sort()).toEqual(["One", "Two"]);
  });

  it("waits out Command's own rate limit (429 with Retry-After from its sliding window)", async () => {
    const h = await harness({ random: () => 0 }, { requestsPerMinute: 2 });
    for (const n of [1, 2, 3]) await h.client.createGroup(`00g${n}`, `Group ${n}`);
    expect(h.command.requests.map((r) => r.status)).toEqual([201, 201, 429, 201]);
    expect(h.sleeps).toEqual([60_000]);
  });

  it("gives up after maxAttempts with the last error, saying so", async () => {
    const h = await harness();
    h.command.injectFault({ match: { method: "PUT" }, status: 502, times: Number.POSITIVE_INFINITY });
    const user = h.command.seedUser({ userName: "ada@acme.com" });
    const error = await failure(h.client.updateUser(user.id, "00u1", { attributes: USER, before: {}, after: USER, active: true }));
    expect(error).toBeInstanceOf(RemoteError);
    expect(error).toMatchObject({ status: 502, kind: "remote", side: "command" });
    expect(error.message).toMatch(/^Command answered 502 to PUT \/scim\/Users\/[^:]+: injected fault \(gave up after 4 attempts in 700ms \(retry\.maxAttempts 4\)\)$/);
    expect(h.command.requests).toHaveLength(4);
    expect(h.sleeps).toEqual([100, 200, 400]);
  });

  it("gives up at once when Retry-After is beyond what is left of maxElapsedMs", async () => {
    const h = await harness();
    h.command.injectFault({ match: { method: "POST" }, status: 429, headers: { "Retry-After": "600" } });
    const error = await failure(h.client.createGroup("00g1", "Eng"));
    expect((error as RemoteError).status).toBe(429);
    expect(error.message).toContain("Command asked to wait 10m (Retry-After), more than the 1m left of retry.maxElapsedMs (60000); gave up after 1 attempt");
    expect(h.sleeps).toEqual([]);
    expect(h.command.requests).toHaveLength(1);
  });

  it("gives up a refused connection after the attempts, as a NetworkError", async () => {
    const h = await harness();
    await h.command.close();
    const error = await failure(h.client.createGroup("00g1", "Eng"));
    expect(error).toBeInstanceOf(NetworkError);
    expect(error.message).toMatch(/connection refused by 127\.0\.0\.1:\d+ \(gave up after 4 attempts/);
    expect(h.sleeps).toHaveLength(3);
  });

  it.each([
    [400, "remote"],
    [404, "remote"],
    [409, "conflict"],
    [422, "remote"],
    [501, "remote"],
  ])("never retries a %d", async (status, kind) => {
    const h = await harness();
    h.command.injectFault({ match: { method: "POST" }, status });
    const error = await failure(h.client.createGroup("00g1", "Eng"));
    expect(error).toMatchObject({ status, kind });
    expect(h.command.requests).toHaveLength(1);
    expect(h.sleeps).toEqual([]);
    expect(error.message).not.toContain("gave up");
  });

  it("fails at once on 401 after the token was refreshed in Command, saying what to do", async () => {
    const h = await harness();
    h.command.setToken("a-new-token-from-command");
    const error = await failure(h.client.createUser("00u1", USER, true));
    expect(error).toBeInstanceOf(RemoteError);
    expect(error).toMatchObject({ kind: "auth", status: 401, side: "command" });
    expect(error.message).toBe("Command answered 401 to POST /scim/Users: invalid bearer token");
    expect((error as RemoteError).hint).toBe(
      "Command refused the SCIM token: it was refreshed in Command (which invalidates the old one at once) or is wrong; " +
        "create a new one under Admin > Login & Access > SCIM and update COMMAND_SCIM_TOKEN (command.token)",
    );
    expect(h.command.requests).toHaveLength(1);
    expect(h.sleeps).toEqual([]);
  });

  it("fails at once on 403, even with Retry-After", async () => {
    const h = await harness();
    h.command.injectFault({ status: 403, headers: { "Retry-After": "1" }, times: 5 });
    const error = await failure(h.client.listUsers().next());
    expect(error).toMatchObject({ kind: "auth", status: 403 });
    expect((error as RemoteError).hint).toContain("Admin > Login & Access > SCIM");
    expect(h.command.requests).toHaveLength(1);
  });

  it("makes one attempt when given no retry configuration", async () => {
    const h = await harness({ retry: undefined });
    h.command.injectFault({ match: { method: "POST" }, status: 503 });
    const error = await failure(h.client.createGroup("00g1", "Eng"));
    expect(error.message).toBe("Command answered 503 to POST /scim/Groups: injected fault");
    expect(h.command.requests).toHaveLength(1);
  });

  it("stops waiting to retry when the run is interrupted", async () => {
    const controller = new AbortController();
    const h = await harness({
      signal: controller.signal,
      sleep: async (_ms, signal) => {
        controller.abort();
        signal?.throwIfAborted();
      },
    });
    h.command.injectFault({ match: { method: "POST" }, status: 503, times: 5 });
    const error = await failure(h.client.createGroup("00g1", "Eng"));
    expect(error.message).toBe("Command answered 503 to POST /scim/Groups: injected fault (stopped while waiting to retry after 1 attempt)");
    expect(h.command.requests).toHaveLength(1);
  });
});

describe("SCIM client pacing (real time)", () => {
  it("spaces requests under requestsPerMinute, so Command's own limit is never hit", async () => {
    // Command allows 600 a minute here; the client is set to the same. With no burst (the
    // default) requests go one per 100 ms (60 s / 600), the first at once.
    const command = await startVerkadaEmulator({ requestsPerMinute: 600 });
    const client = createScimClient({ baseUrl: command.url, token: command.token, requestsPerMinute: 600, retry: RETRY, connections: 4 });
    open.push(command, client);
    const started = Date.now();
    await Promise.all(Array.from({ length: 25 }, (_, i) => client.createGroup(`00g${i}`, `Group ${i}`)));
    expect(command.requests.every((r) => r.status === 201)).toBe(true);
    // No request reached Command before its turn: the k-th no sooner than k intervals after the
    // calls began. Lower bounds only: a busy machine only makes them later.
    const interval = 60_000 / 600;
    const arrivals = command.requests.map((r) => r.at - started).sort((a, b) => a - b);
    expect(arrivals).toHaveLength(25);
    // 2 ms: the clocks involved count whole milliseconds.
    for (const [k, t] of arrivals.entries()) expect(t).toBeGreaterThanOrEqual(k * interval - 2);
  });
});
