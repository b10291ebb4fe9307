/**
 * Crash safety, graceful stops and the run lock, through the built CLI as a child process.
 * A request of the sync is held in the Command emulator (before or after Command applies it)
 * and the process is killed right then; the next run must converge with no duplicates and no
 * lost operation.
 */
import { spawn } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, type ExpectStatic, expect, it, type TestContext } from "vitest";
import { type VerkadaEmulator, startVerkadaEmulator } from "../../src/emulators/verkada-emulator.js";
import { listAssignedUsers } from "../../src/emulators/org-assignments.js";
import { SANDBOX_COMMAND_TOKEN, type Sandbox, startSandbox } from "../../src/emulators/sandbox.js";
import { openSnapshotStore } from "../../src/store/index.js";
import { BIN, cleanEnv, runCli, workdir } from "../support/cli.js";

let sandbox: Sandbox;

beforeAll(async () => {
  sandbox = await startSandbox({ org: { users: 150, groups: 5, seed: 23 }, okta: { rateLimits: false } });
});
afterAll(async () => {
  await sandbox.close();
});

/**
 * A Command of its own and a state of its own for one test; the Okta side is shared, since no
 * test here changes the org. The kill points run side by side, each against its own pair.
 */
interface Target {
  command: VerkadaEmulator;
  dir: string;
  env: Record<string, string>;
}

async function freshCommand({ onTestFinished }: TestContext): Promise<Target> {
  const command = await startVerkadaEmulator({ token: SANDBOX_COMMAND_TOKEN });
  onTestFinished(() => command.close());
  const dir = workdir({
    groups: { push: sandbox.groupNames },
    state: { path: "./state.db" },
    command: { requestsPerMinute: 0, concurrency: 4, membersPerRequest: 20 },
    safety: { maxDeactivations: "100%" },
  });
  return { command, dir, env: cleanEnv({ ...sandbox.env(), COMMAND_SCIM_URL: command.url }) };
}

function startSync(target: Target, args: string[] = []) {
  const child = spawn(process.execPath, [BIN, "sync", "--log-format", "json", ...args], { cwd: target.dir, env: target.env, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (c: Buffer) => {
    stdout += c.toString();
  });
  child.stderr.on("data", (c: Buffer) => {
    stderr += c.toString();
  });
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve) =>
    child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
  return { child, done };
}

async function until(condition: () => boolean, timeoutMs = 60_000): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > timeoutMs) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Command holds every assigned active user once, and each pushed group once with its members. */
function expectConverged(command: VerkadaEmulator, expect: ExpectStatic): void {
  const users = command.users();
  const byExternal = new Map<string, number>();
  for (const u of users) byExternal.set(u.externalId ?? "", (byExternal.get(u.externalId ?? "") ?? 0) + 1);
  expect([...byExternal.values()].every((n) => n === 1)).toBe(true);
  expect(new Set(users.map((u) => u.userName.toLowerCase())).size).toBe(users.length);
  const assigned = listAssignedUsers(sandbox.org).filter((a) => a.user.status !== "DEPROVISIONED");
  expect(new Set(users.filter((u) => u.active).map((u) => u.externalId))).toEqual(new Set(assigned.map((a) => a.user.id)));
  const groups = command.groups();
  expect(groups).toHaveLength(sandbox.org.groups.length);
  const scimIdOf = new Map(users.map((u) => [u.externalId, u.id]));
  const assignedIds = new Set(assigned.map((a) => a.user.id));
  for (const group of sandbox.org.groups) {
    const scim = groups.find((g) => g.externalId === group.id);
    const want = group.members.filter((id) => assignedIds.has(id)).map((id) => scimIdOf.get(id)).sort();
    expect(scim?.members.map((m) => m.value).sort()).toEqual(want);
  }
}

function noDuplicates(command: VerkadaEmulator, expect: ExpectStatic): void {
  const users = command.users();
  expect(new Set(users.map((u) => u.externalId)).size).toBe(users.length);
  const groups = command.groups();
  expect(new Set(groups.map((g) => g.externalId)).size).toBe(groups.length);
}

// The kill points are independent (each has its own Command and state), so they run side by side:
// each waits on its child for most of its time. A kill point is a request count, not a moment, so
// a busy machine changes how long a point takes, never which point is hit.
describe.concurrent("SIGKILL at any moment, then a rerun, converges with no duplicates", () => {
  // Request numbers across the whole sync (123 requests for this org): the two probes of an empty
  // snapshot (users, groups), 110 user creates, 5 group creates with their first members, 6
  // membership PATCHes. Points at odd positions of this list are killed after Command applied the
  // request (its answer lost), the others before.
  const points = [1, 2, 3, 4, 40, 81, 112, 113, 114, 115, 117, 118, 121, 123];
  for (const [i, point] of points.entries()) {
    const applied = i % 2 === 1;
    it(`killed at request ${point} (${applied ? "after" : "before"} Command applied it)`, async (context) => {
      const { expect } = context;
      const target = await freshCommand(context);
      const { command } = target;
      const fault = command.injectFault({ nth: point, delayMs: 30_000, afterApply: applied, status: 500 });
      const run = startSync(target);
      await Promise.race([until(() => fault.seen >= point), run.done]);
      run.child.kill("SIGKILL");
      const killed = await run.done;
      fault.remove();
      expect(killed.signal, "the sync ended before the kill point").toBe("SIGKILL");
      noDuplicates(command, expect);

      const rerun = await runCli(["sync", "--json"], { env: target.env, cwd: target.dir });
      expect(rerun.code, rerun.stderr).toBe(0);
      noDuplicates(command, expect);
      expectConverged(command, expect);
      const again = await runCli(["plan", "--detailed-exitcode"], { env: target.env, cwd: target.dir });
      expect(again.code, again.stdout).toBe(0);
    });
  }
});

describe("SIGTERM and SIGINT stop gracefully", () => {
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    it(`${signal}: the request in flight finishes and is recorded, the run is interrupted, exit 1, and a rerun converges`, async (context) => {
      const target = await freshCommand(context);
      const { command, dir } = target;
      const fault = command.injectFault({ match: { method: "POST", pathPrefix: "/Users" }, nth: 10, delayMs: 700 });
      const run = startSync(target, ["--json"]);
      await until(() => fault.seen >= 10);
      run.child.kill(signal);
      const result = await run.done;
      expect(result.code).toBe(1);
      expect(JSON.parse(result.stdout).status).toBe("failed");
      expect(result.stderr).toMatch(new RegExp(`${signal} received`));
      // The held create reached Command and was recorded: nothing Command did is forgotten.
      const store = openSnapshotStore(join(dir, "state.db"), { readonly: true });
      try {
        const linked = new Set(store.load().users.map((u) => u.scimId));
        for (const user of command.users()) expect(linked.has(user.id)).toBe(true);
        expect(command.users().length).toBeLessThan(listAssignedUsers(sandbox.org).length);
        expect(store.listRuns(1)[0]?.status).toBe("interrupted");
      } finally {
        store.close();
      }
      const rerun = await runCli(["sync"], { env: target.env, cwd: dir });
      expect(rerun.code).toBe(0);
      expectConverged(command, expect);
    });
  }
});

describe("one run at a time", () => {
  it("a second sync on the same state exits 1 at once, naming the run that holds the lock", { timeout: 120_000 }, async (context) => {
    const target = await freshCommand(context);
    const fault = target.command.injectFault({ match: { method: "POST" }, nth: 2, delayMs: 3_000 });
    const first = startSync(target);
    await until(() => fault.seen >= 2);
    // The first run holds the lock (it is applying, its pull from Okta is done) and stays frozen
    // until the second is done: a second run that waited for the lock would never finish, and
    // one that went on would read from Okta.
    first.child.kill("SIGSTOP");
    try {
      const oktaRequests = sandbox.okta.requests.length;
      const second = await runCli(["sync", "--log-format", "pretty"], { env: target.env, cwd: target.dir });
      expect(second.code).toBe(1);
      expect(second.stderr).toMatch(/another run|lock/i);
      expect(second.stderr).toMatch(/sync/);
      expect(second.stderr).toContain(`sync (pid ${first.child.pid} on`);
      expect(sandbox.okta.requests.length).toBe(oktaRequests);
    } finally {
      first.child.kill("SIGCONT");
    }
    expect((await first.done).code).toBe(0);
  });

  it("a lock left by a killed run is taken over by the next run", async (context) => {
    const target = await freshCommand(context);
    const fault = target.command.injectFault({ nth: 5, delayMs: 30_000 });
    const run = startSync(target);
    await until(() => fault.seen >= 5);
    run.child.kill("SIGKILL");
    await run.done;
    fault.remove();
    const next = await runCli(["sync", "--log-format", "pretty"], { env: target.env, cwd: target.dir });
    expect(next.code).toBe(0);
    expect(next.stderr).toMatch(/took over the lock of a run that is no longer alive/);
    const store = openSnapshotStore(join(target.dir, "state.db"), { readonly: true });
    try {
      expect(store.listRuns(5).map((r) => r.status)).toEqual(["succeeded", "interrupted"]);
    } finally {
      store.close();
    }
  });
});
