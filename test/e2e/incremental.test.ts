/**
 * `sync --incremental` and the Okta cache through the built CLI: a quiet run costs a couple of
 * Okta requests and none to Command, changes still arrive, and the run falls back to a full read
 * when it must.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listAssignedUsers } from "../../src/emulators/org-assignments.js";
import { addGroupMember } from "../../src/emulators/org-group-changes.js";
import { setUserStatus, unassignUser, updateProfile } from "../../src/emulators/org-user-changes.js";
import { type Sandbox, startSandbox } from "../../src/emulators/sandbox.js";
import { openSnapshotStore } from "../../src/store/index.js";
import { cleanEnv, runCli, workdir } from "../support/cli.js";

let sandbox: Sandbox;
let dir: string;
let env: Record<string, string>;

interface SyncJson {
  status: string;
  summary: Record<string, number>;
  pull?: { mode: string; requests: number; fallback?: string; events?: number; usersReread?: number; usersRemoved?: number; membersReused: number };
}

async function sync(...args: string[]): Promise<{ body: SyncJson; okta: number; command: number }> {
  const okta = sandbox.okta.stats.requests;
  const command = sandbox.command.stats().requests;
  const result = await runCli(["sync", "--json", ...args], { env, cwd: dir });
  expect(result.code, result.stderr).toBe(0);
  return { body: JSON.parse(result.stdout) as SyncJson, okta: sandbox.okta.stats.requests - okta, command: sandbox.command.stats().requests - command };
}

beforeAll(async () => {
  // Pages of 500 would make a full read of this org 1 request: a larger org keeps incremental cheaper.
  sandbox = await startSandbox({ org: { users: 1500, groups: 6, seed: 21 }, okta: { rateLimits: false } });
  dir = workdir({ groups: { push: sandbox.groupNames }, state: { path: "./state.db" }, sync: { fullEvery: "6h" } });
  env = cleanEnv(sandbox.env());
});
afterAll(async () => {
  await sandbox.close();
});

describe("sync --incremental", () => {
  it("reads everything the first time, then only the System Log and one group search while nothing changes", async () => {
    const first = await sync("--incremental");
    expect(first.body.status).toBe("succeeded");
    expect(first.body.pull).toMatchObject({ mode: "full", fallback: "no earlier full pull to start from" });

    const quiet = await sync("--incremental");
    expect(quiet.body.pull).toMatchObject({ mode: "incremental", events: 0, usersReread: 0, usersRemoved: 0, membersReused: 6 });
    expect(quiet.okta).toBeLessThanOrEqual(5);
    expect(quiet.command).toBe(0);
  });

  it("--dry-run reads incrementally too, and writes nothing: not Command, not the cache", async () => {
    updateProfile(sandbox.org, listAssignedUsers(sandbox.org)[5]!.user.id, { title: "Seen by the dry run" });
    const dry = await sync("--incremental", "--dry-run");
    expect(dry.body.pull).toMatchObject({ mode: "incremental", usersReread: 1 });
    expect(dry.body.summary.updateUser).toBe(1);
    expect(dry.command).toBe(0);
    // The cache was not moved on: the real run reads the same event again and applies it.
    const real = await sync("--incremental");
    expect(real.body.pull).toMatchObject({ mode: "incremental", usersReread: 1 });
    expect(real.body.summary.updateUser).toBe(1);
  });

  it("applies what the log names: a profile change, a deactivation, an unassignment, a new member", async () => {
    const [a, b, c, d] = listAssignedUsers(sandbox.org).filter((x) => x.user.status === "ACTIVE");
    updateProfile(sandbox.org, a!.user.id, { title: "Incrementally Promoted" });
    setUserStatus(sandbox.org, b!.user.id, "DEPROVISIONED");
    unassignUser(sandbox.org, c!.user.id);
    const group = sandbox.org.groups.find((g) => !g.members.includes(d!.user.id))!;
    addGroupMember(sandbox.org, group.id, d!.user.id);

    const changed = await sync("--incremental");
    expect(changed.body.pull?.mode).toBe("incremental");
    expect(changed.body.pull?.usersReread).toBeGreaterThanOrEqual(2);
    expect(changed.body.summary).toMatchObject({ updateUser: 1, deactivateUser: 2, addMembers: 1 });
    const promoted = sandbox.command.users().find((u) => u.externalId === a!.user.id);
    expect(promoted?.title).toBe("Incrementally Promoted");

    // A full plan agrees: nothing is left to do.
    const plan = await runCli(["plan", "--detailed-exitcode"], { env, cwd: dir });
    expect(plan.code, plan.stdout).toBe(0);
  });

  it("falls back to a full read when the token cannot read the System Log, and says why", async () => {
    sandbox.okta.behavior.systemLog = false;
    try {
      const run = await sync("--incremental");
      expect(run.body.pull?.mode).toBe("full");
      expect(run.body.pull?.fallback).toMatch(/okta\.logs\.read/);
    } finally {
      sandbox.okta.behavior.systemLog = true;
    }
    // Without a checkpoint, the next run reads everything once more and follows the log again.
    expect((await sync("--incremental")).body.pull?.mode).toBe("full");
    expect((await sync("--incremental")).body.pull?.mode).toBe("incremental");
  });

  it("reads everything once the last full read is older than sync.fullEvery", async () => {
    const store = openSnapshotStore(join(dir, "state.db"));
    try {
      store.setMeta("okta.lastFullPullAt", new Date(Date.now() - 7 * 3_600_000).toISOString());
    } finally {
      store.close();
    }
    const run = await sync("--incremental");
    expect(run.body.pull).toMatchObject({ mode: "full", fallback: "the last full pull is older than sync.fullEvery" });
    expect((await sync("--incremental")).body.pull?.mode).toBe("incremental");
  });

  it("a sync without --incremental reads everything and stops following the log", async () => {
    const full = await sync();
    expect(full.body.pull?.mode).toBe("full");
    expect(full.body.pull?.fallback).toBeUndefined();
    expect((await sync("--incremental")).body.pull).toMatchObject({ mode: "full", fallback: "no earlier full pull to start from" });
  });

  it("reads everything when groups.push was edited since the last run", async () => {
    const edited = { groups: { push: sandbox.groupNames.slice(0, 3) }, state: { path: "./state.db" }, sync: { fullEvery: "6h" }, command: { requestsPerMinute: 0 } };
    writeFileSync(join(dir, "config.yaml"), stringify(edited));
    const run = await sync("--incremental", "--force");
    expect(run.body.pull).toMatchObject({ mode: "full", fallback: "groups.push changed since the last pull" });
    expect((await sync("--incremental")).body.pull?.mode).toBe("incremental");
    const plan = await runCli(["plan", "--detailed-exitcode"], { env, cwd: dir });
    expect(plan.code, plan.stdout).toBe(0);
  });

  it("refuses --incremental with --user or --plan", async () => {
    const withUser = await runCli(["sync", "--incremental", "--user", "someone"], { env, cwd: dir });
    expect(withUser.code).toBe(1);
    expect(withUser.stderr).toContain("--incremental cannot be combined with --user");
    const withPlan = await runCli(["sync", "--incremental", "--plan", "saved.json"], { env, cwd: dir });
    expect(withPlan.code).toBe(1);
    expect(withPlan.stderr).toContain("cannot be combined with --refresh, --incremental or --user");
  });
});
