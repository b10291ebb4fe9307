/**
 * What a lookup costs when things go wrong, through the built CLI: a filter Command refuses for
 * one odd userName costs a scan for that lookup only, and the run after a SIGKILL looks up only
 * the creates that may have been in flight, not every create the dead run had not reached.
 */
import { spawn } from "node:child_process";
import { afterEach, describe, expect, it } from "vitest";
import { listAssignedUsers } from "../../src/emulators/org-assignments.js";
import { updateProfile } from "../../src/emulators/org-user-changes.js";
import { type Sandbox, startSandbox } from "../../src/emulators/sandbox.js";
import { BIN, cleanEnv, runCli, workdir } from "../support/cli.js";

let sandbox: Sandbox | undefined;
afterEach(async () => {
  await sandbox?.close();
  sandbox = undefined;
});

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((r) => setTimeout(r, 5));
}

describe("a refused filter costs a fallback for that lookup only", () => {
  it("a userName with a quote that Command will not filter on is found by one scan; every other lookup stays filtered", async () => {
    sandbox = await startSandbox({ org: { users: 20, groups: 1, seed: 5 }, okta: { rateLimits: false } });
    const { command, org } = sandbox;
    // Command already has a user, so an empty snapshot looks every user up before creating it.
    command.seedUser({ userName: "someone-else@example.com", externalId: "elsewhere-1", active: true });
    const assigned = listAssignedUsers(org)
      .filter((a) => a.user.status === "ACTIVE")
      .map((a) => a.user.id)
      .sort();
    // The first user planned gets the odd login, so every later lookup comes after the refusal.
    updateProfile(org, assigned[0]!, { login: 'o"brien@example.com', email: 'o"brien@example.com' });
    command.injectFault({ match: { method: "GET", pathPrefix: "/Users", queryIncludes: '\\"' }, times: Infinity, status: 400, body: "{}" });
    const dir = workdir({ groups: { push: sandbox.groupNames }, state: { path: "./state.db" }, command: { concurrency: 1 } });
    const result = await runCli(["sync", "--json"], { env: cleanEnv(sandbox.env()), cwd: dir });
    expect(result.code, result.stderr).toBe(0);
    expect(command.users().filter((u) => u.userName === 'o"brien@example.com')).toHaveLength(1);

    const userGets = command.requests.filter((r) => r.method === "GET" && r.path === "/Users");
    const filtered = userGets.filter((r) => r.query.filter !== undefined);
    const scans = userGets.filter((r) => r.query.filter === undefined && r.query.count !== "1");
    const created = command.requests.filter((r) => r.method === "POST" && r.path === "/Users");
    // One lookup per user created, all filtered; a single unfiltered scan, for the quoted name.
    expect(created.length).toBeGreaterThanOrEqual(assigned.length);
    expect(filtered.length).toBe(created.length);
    expect(scans).toHaveLength(1);
  });
});

describe("recovery after a kill costs the unfinished work and a few lookups", () => {
  it.each([
    { when: "in the middle of", at: "half", hold: {} },
    // Every create from the first on reaches Command and is never answered: the snapshot has no
    // user at all when the run dies, while Command has some.
    { when: "at the very start of", at: "first", hold: { times: Infinity, afterApply: true } },
  ])("killed $when a 270-user first sync, the rerun looks up at most 2 x concurrency creates", async ({ at, hold }) => {
    sandbox = await startSandbox({ org: { users: 340, groups: 4, seed: 31 }, okta: { rateLimits: false } });
    const { command, org } = sandbox;
    const concurrency = 4;
    const dir = workdir({
      groups: { push: sandbox.groupNames },
      state: { path: "./state.db" },
      command: { concurrency, membersPerRequest: 50 },
      safety: { maxDeactivations: "100%" },
    });
    const env = cleanEnv(sandbox.env());
    const active = listAssignedUsers(org).filter((a) => a.user.status !== "DEPROVISIONED").length;
    const killAt = at === "half" ? Math.floor(active / 2) : concurrency;
    const fault = command.injectFault({ match: { method: "POST", pathPrefix: "/Users" }, nth: at === "half" ? killAt : 1, delayMs: 60_000, ...hold });
    const child = spawn(process.execPath, [BIN, "sync", "--log-format", "json"], { cwd: dir, env, stdio: ["ignore", "ignore", "ignore"] });
    const closed = new Promise<NodeJS.Signals | null>((resolve) => child.on("close", (_code, signal) => resolve(signal)));
    await Promise.race([until(() => fault.seen >= killAt), closed]);
    child.kill("SIGKILL");
    expect(await closed).toBe("SIGKILL");
    fault.remove();

    const before = command.users().length;
    command.resetLog();
    const rerun = await runCli(["sync", "--json"], { env, cwd: dir });
    expect(rerun.code, rerun.stderr).toBe(0);
    const users = command.users();
    expect(new Set(users.map((u) => u.externalId)).size).toBe(users.length);
    expect(users.filter((u) => u.active)).toHaveLength(active);
    const posts = command.requests.filter((r) => r.method === "POST" && r.path === "/Users");
    const lookups = command.requests.filter((r) => r.method === "GET" && r.path === "/Users");
    // Every missing user is POSTed once; only the creates marked but not recorded are looked up
    // (by userName, then by externalId): at most concurrency in flight plus concurrency ahead.
    expect(posts.length).toBeLessThanOrEqual(active - before);
    expect(lookups.length).toBeLessThanOrEqual(2 * 2 * concurrency);
    expect(active).toBeGreaterThanOrEqual(260);
    console.log(
      `recovery after a kill at create ${killAt} of ${active}: ${command.requests.length} Command requests (${posts.length} user POSTs, ${lookups.length} user lookups)`,
    );
  });
});
