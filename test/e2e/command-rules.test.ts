/**
 * Command's own rule, enforced by the emulator as Command does: a deactivated user's group
 * memberships cannot change until the user is reactivated. So a leaver leaves their groups
 * before being deactivated, a returner is reactivated before joining, through the built CLI.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { listAssignedUsers } from "../../src/emulators/org-assignments.js";
import { setUserStatus, updateProfile } from "../../src/emulators/org-user-changes.js";
import { type Sandbox, startSandbox } from "../../src/emulators/sandbox.js";
import { cleanEnv, runCli, workdir } from "../support/cli.js";

let sandbox: Sandbox;
let env: Record<string, string>;
let dir: string;
const sync = () => runCli(["sync", "--json"], { env, cwd: dir });

function start(config: Record<string, unknown> = {}) {
  dir = workdir({ groups: { push: sandbox.groupNames }, state: { path: "./state.db" }, safety: { maxDeactivations: "100%" }, ...config });
}
beforeEach(async () => {
  sandbox = await startSandbox({ org: { users: 24, groups: 2, seed: 9 }, okta: { rateLimits: false } });
  env = cleanEnv(sandbox.env());
});
afterEach(async () => {
  await sandbox.close();
});

const commandUser = (oktaId: string) => sandbox.command.users().find((u) => u.externalId === oktaId);
const groupsWith = (scimId: string) => sandbox.command.groups().filter((g) => g.members.some((m) => m.value === scimId));
function aMember(): string {
  const active = new Set(listAssignedUsers(sandbox.org).filter((a) => a.user.status === "ACTIVE").map((a) => a.user.id));
  const id = sandbox.org.groups[0]!.members.find((m) => active.has(m));
  if (id === undefined) throw new Error("no active member in the first group");
  return id;
}

describe("remove, then deactivate; reactivate, then add", () => {
  it("a leaver is taken out of their groups before being deactivated; a returner is reactivated, then added back", async () => {
    start();
    expect((await sync()).code).toBe(0);
    const id = aMember();
    const scimId = commandUser(id)!.id;
    const groups = groupsWith(scimId).length;
    expect(groups).toBeGreaterThan(0);

    setUserStatus(sandbox.org, id, "DEPROVISIONED");
    sandbox.command.resetLog();
    const leave = await sync();
    expect(leave.code, leave.stderr).toBe(0);
    expect(commandUser(id)!.active).toBe(false);
    expect(groupsWith(scimId)).toEqual([]);
    const order = sandbox.command.requests.filter((r) => r.method === "PATCH").map((r) => (r.path === `/Users/${scimId}` ? "deactivate" : "remove"));
    expect(order.at(-1)).toBe("deactivate");

    setUserStatus(sandbox.org, id, "ACTIVE");
    sandbox.command.resetLog();
    const back = await sync();
    expect(back.code, back.stderr).toBe(0);
    expect(commandUser(id)!.active).toBe(true);
    expect(groupsWith(scimId)).toHaveLength(groups);
    const again = sandbox.command.requests.filter((r) => r.method === "PATCH").map((r) => (r.path === `/Users/${scimId}` ? "reactivate" : "add"));
    expect(again[0]).toBe("reactivate");
  });

  it("a leaver whose removal from a group fails is not deactivated this run; the next run does both", async () => {
    start({ retry: { maxAttempts: 1 } });
    expect((await sync()).code).toBe(0);
    const id = aMember();
    const scimId = commandUser(id)!.id;
    setUserStatus(sandbox.org, id, "DEPROVISIONED");
    const fault = sandbox.command.injectFault({ match: { method: "PATCH", pathPrefix: "/Groups" }, times: Infinity, status: 503 });
    const failed = await sync();
    expect(failed.code).toBe(1);
    const body = JSON.parse(failed.stdout);
    expect(body.failed.find((f: { type: string }) => f.type === "deactivateUser").error).toMatch(/not deactivated: removing it from a group failed/);
    // Still active, so the next run can still take it out of its groups.
    expect(commandUser(id)!.active).toBe(true);

    fault.remove();
    const next = await sync();
    expect(next.code, next.stderr).toBe(0);
    expect(groupsWith(scimId)).toEqual([]);
    expect(commandUser(id)!.active).toBe(false);
  });

  it("with users.onUserNameChange recreate, the old record leaves its groups before it is deactivated and the new one joins them", async () => {
    start({ users: { onUserNameChange: "recreate" } });
    expect((await sync()).code).toBe(0);
    const id = aMember();
    const old = commandUser(id)!;
    const groups = groupsWith(old.id).map((g) => g.id).sort();
    updateProfile(sandbox.org, id, { login: "renamed.person@example.com", email: "renamed.person@example.com" });
    const result = await sync();
    expect(result.code, result.stderr).toBe(0);
    expect(sandbox.command.getUser(old.id)!.active).toBe(false);
    expect(groupsWith(old.id)).toEqual([]);
    const renewed = sandbox.command.users().find((u) => u.externalId === id && u.active)!;
    expect(renewed.userName).toBe("renamed.person@example.com");
    expect(groupsWith(renewed.id).map((g) => g.id).sort()).toEqual(groups);
    const quiet = await runCli(["plan", "--detailed-exitcode"], { env, cwd: dir });
    expect(quiet.code, quiet.stdout).toBe(0);
  });
});
