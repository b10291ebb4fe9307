/**
 * Believe only what Command confirms, through the built CLI: a 404 that is not Command's own SCIM
 * answer, an HTML page with 200, a 201 carrying another record. Each leaves the operation to do
 * (the run fails, the next run does it), never a leaver who stays active while later runs are
 * quiet.
 */
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { listAssignedUsers } from "../../src/emulators/org-assignments.js";
import { removeGroupMember } from "../../src/emulators/org-group-changes.js";
import { assignUser, createUser, setUserStatus } from "../../src/emulators/org-user-changes.js";
import { type Sandbox, startSandbox } from "../../src/emulators/sandbox.js";
import { openSnapshotStore } from "../../src/store/index.js";
import { cleanEnv, runCli, workdir } from "../support/cli.js";

let sandbox: Sandbox;
let dir: string;
let env: Record<string, string>;
const sync = (...args: string[]) => runCli(["sync", "--json", ...args], { env, cwd: dir });
const plan = () => runCli(["plan", "--json"], { env, cwd: dir });
const HTML_404 = { status: 404, body: "<html><head><title>Not Found</title></head><body>Not Found</body></html>", headers: { "Content-Type": "text/html" } };
const HTML_200 = { status: 200, body: "<html><head><title>Acme Portal</title></head><body>Welcome</body></html>", headers: { "Content-Type": "text/html" } };

beforeEach(async () => {
  sandbox = await startSandbox({ org: { users: 24, groups: 2, seed: 7 }, okta: { rateLimits: false } });
  dir = workdir({ groups: { push: sandbox.groupNames }, state: { path: "./state.db" }, safety: { maxDeactivations: "100%" } });
  env = cleanEnv(sandbox.env());
  const first = await sync();
  expect(first.code, first.stderr).toBe(0);
  sandbox.command.resetLog();
});
afterEach(async () => {
  await sandbox.close();
});

function commandUser(oktaId: string) {
  return sandbox.command.users().find((u) => u.externalId === oktaId);
}
function linkedUser(oktaId: string) {
  const store = openSnapshotStore(join(dir, "state.db"), { readonly: true });
  try {
    return store.load().users.find((u) => u.oktaId === oktaId);
  } finally {
    store.close();
  }
}
/** An assigned, active user who is a member of the first pushed group. */
function memberOfFirstGroup(): { userId: string; groupId: string } {
  const assigned = new Set(listAssignedUsers(sandbox.org).filter((a) => a.user.status === "ACTIVE").map((a) => a.user.id));
  const group = sandbox.org.groups[0]!;
  const userId = group.members.find((id) => assigned.has(id) && commandUser(id) !== undefined);
  if (userId === undefined) throw new Error("the generated org has no active member in its first group");
  return { userId, groupId: group.id };
}
function commandMembers(groupOktaId: string): string[] {
  return (sandbox.command.groups().find((g) => g.externalId === groupOktaId)?.members ?? []).map((m) => m.value).sort();
}

describe("a 404 counts as gone only when Command says so", () => {
  it("an HTML 404 to a deactivation fails the run; the user stays linked and the next run deactivates them", async () => {
    const { userId } = memberOfFirstGroup();
    setUserStatus(sandbox.org, userId, "DEPROVISIONED");
    const fault = sandbox.command.injectFault({ match: { method: "PATCH", pathPrefix: `/Users/${commandUser(userId)!.id}` }, times: Infinity, ...HTML_404 });

    const failed = await sync();
    expect(failed.code).toBe(1);
    const body = JSON.parse(failed.stdout);
    expect(body.status).not.toBe("succeeded");
    expect(body.failed.map((f: { type: string }) => f.type)).toContain("deactivateUser");
    expect(body.failed.find((f: { type: string }) => f.type === "deactivateUser").error).toMatch(/404.*not a SCIM answer.*command\.scimUrl/);
    expect(commandUser(userId)!.active).toBe(true);
    expect(linkedUser(userId)?.active).toBe(true);
    // The next plan still shows the deactivation: nothing was forgotten.
    const pending = JSON.parse((await plan()).stdout);
    expect(pending.summary.deactivateUser).toBe(1);

    fault.remove();
    const next = await sync();
    expect(next.code, next.stderr).toBe(0);
    expect(commandUser(userId)!.active).toBe(false);
  });

  it("a SCIM 404 to a deactivation means the user is gone in Command: done, and the link dropped", async () => {
    const { userId } = memberOfFirstGroup();
    setUserStatus(sandbox.org, userId, "DEPROVISIONED");
    const scimId = commandUser(userId)!.id;
    sandbox.command.deleteUserDirect(scimId);
    const result = await sync();
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout).warnings.join("\n")).toMatch(/no longer exists in Command; nothing to deactivate/);
    expect(linkedUser(userId)).toBeUndefined();
  });

  it("an HTML 404 to a member removal keeps the group; the next run removes the member", async () => {
    const { userId, groupId } = memberOfFirstGroup();
    removeGroupMember(sandbox.org, groupId, userId);
    const scimGroupId = sandbox.command.groups().find((g) => g.externalId === groupId)!.id;
    const fault = sandbox.command.injectFault({ match: { method: "PATCH", pathPrefix: `/Groups/${scimGroupId}` }, times: Infinity, ...HTML_404 });

    const failed = await sync();
    expect(failed.code).toBe(1);
    expect(commandMembers(groupId)).toContain(commandUser(userId)!.id);
    fault.remove();
    const next = await sync();
    expect(next.code, next.stderr).toBe(0);
    expect(commandMembers(groupId)).not.toContain(commandUser(userId)!.id);
    expect(sandbox.command.groups().filter((g) => g.externalId === groupId)).toHaveLength(1);
  });

  it("a group Command says is gone is adopted again with its whole membership: a member removed in Okta leaves it", async () => {
    const { userId, groupId } = memberOfFirstGroup();
    removeGroupMember(sandbox.org, groupId, userId);
    const scimGroupId = sandbox.command.groups().find((g) => g.externalId === groupId)!.id;
    // Command answers the removal with its own SCIM 404 although the group is still there.
    const fault = sandbox.command.injectFault({ match: { method: "PATCH", pathPrefix: `/Groups/${scimGroupId}` }, status: 404 });
    const first = await sync();
    expect(JSON.parse(first.stdout).warnings.join("\n")).toMatch(/no longer exists in Command; it will be created again next run/);
    fault.remove();

    const second = await sync();
    expect(second.code, second.stderr).toBe(0);
    expect(JSON.parse(second.stdout).warnings.join("\n")).toMatch(/already existed in Command with 1 member\(s\) Okta does not list there; removed them/);
    expect(sandbox.command.groups().filter((g) => g.externalId === groupId)).toHaveLength(1);
    expect(commandMembers(groupId)).not.toContain(commandUser(userId)!.id);
    const assigned = new Set(listAssignedUsers(sandbox.org).filter((a) => a.user.status !== "DEPROVISIONED").map((a) => a.user.id));
    const group = sandbox.org.groups.find((g) => g.id === groupId)!;
    expect(commandMembers(groupId)).toEqual(group.members.filter((id) => assigned.has(id)).map((id) => commandUser(id)!.id).sort());
    const quiet = JSON.parse((await plan()).stdout);
    expect(quiet.changes).toBe(false);
  });
});

describe("a 2xx counts only when it is the resource written", () => {
  it("a SCIM URL that answers 200 text/html: updates, deactivations and removals all fail and are done by the next run", async () => {
    const [a, b] = listAssignedUsers(sandbox.org).filter((x) => x.user.status === "ACTIVE" && commandUser(x.user.id) !== undefined);
    const { userId: member, groupId } = memberOfFirstGroup();
    const leaver = [a!.user.id, b!.user.id].find((id) => id !== member)!;
    const renamed = [a!.user.id, b!.user.id].find((id) => id !== leaver)!;
    sandbox.org.users.find((u) => u.id === renamed)!.profile.title = "Head of Doors";
    setUserStatus(sandbox.org, leaver, "DEPROVISIONED");
    removeGroupMember(sandbox.org, groupId, member);
    const fault = sandbox.command.injectFault({ match: { method: "PUT" }, times: Infinity, ...HTML_200 });
    const patches = sandbox.command.injectFault({ match: { method: "PATCH" }, times: Infinity, ...HTML_200 });

    const failed = await sync();
    expect(failed.code).toBe(1);
    const body = JSON.parse(failed.stdout);
    expect(body.status).toBe("failed");
    expect(new Set(body.failed.map((f: { type: string }) => f.type))).toEqual(new Set(["updateUser", "deactivateUser", "removeMembers"]));
    const html = /200 and a text\/html body that is not JSON \(HTML page "Acme Portal"\).*command\.scimUrl/;
    for (const f of body.failed) {
      // A leaver still in a group is not deactivated while removing them failed: Command could
      // not take them out of it afterwards.
      if (f.type === "deactivateUser") expect(f.error).toMatch(new RegExp(`${html.source}|removing it from a group failed this run`));
      else expect(f.error).toMatch(html);
    }
    expect(body.failed.filter((f: { type: string }) => f.type !== "deactivateUser").length).toBeGreaterThanOrEqual(2);
    const again = JSON.parse((await plan()).stdout);
    expect(again.summary).toMatchObject({ updateUser: 1, deactivateUser: 1 });
    // The member removed in Okta, plus the leaver's own memberships.
    expect(again.summary.removeMembers).toBeGreaterThanOrEqual(1);

    fault.remove();
    patches.remove();
    const next = await sync();
    expect(next.code, next.stderr).toBe(0);
    expect(commandUser(renamed)!.title).toBe("Head of Doors");
    expect(commandUser(leaver)!.active).toBe(false);
    expect(commandMembers(groupId)).not.toContain(commandUser(member)!.id);
  });

  it("a 201 carrying another user's record is not linked; that other person is never touched later", async () => {
    const other = listAssignedUsers(sandbox.org).find((x) => x.user.status === "ACTIVE" && commandUser(x.user.id) !== undefined)!.user.id;
    const otherRecord = commandUser(other)!;
    const newcomer = createUser(sandbox.org, { login: "newcomer@example.com", email: "newcomer@example.com", firstName: "New", lastName: "Comer" });
    assignUser(sandbox.org, newcomer.id);
    const fault = sandbox.command.injectFault({ match: { method: "POST", pathPrefix: "/Users" }, rewrite: () => otherRecord });

    const failed = await sync();
    expect(failed.code).toBe(1);
    const body = JSON.parse(failed.stdout);
    expect(body.failed).toHaveLength(1);
    expect(body.failed[0].error).toMatch(/201 and another User \(id [^,]+, userName "[^"]+", externalId "[^"]+"\)/);
    expect(linkedUser(newcomer.id)).toBeUndefined();
    fault.remove();

    // The create did reach Command: the next run finds it (no duplicate) and links it.
    const next = await sync();
    expect(next.code, next.stderr).toBe(0);
    expect(sandbox.command.users().filter((u) => u.externalId === newcomer.id)).toHaveLength(1);
    expect(linkedUser(newcomer.id)!.scimId).toBe(commandUser(newcomer.id)!.id);

    setUserStatus(sandbox.org, newcomer.id, "DEPROVISIONED");
    const leave = await sync();
    expect(leave.code, leave.stderr).toBe(0);
    expect(commandUser(newcomer.id)!.active).toBe(false);
    expect(sandbox.command.getUser(otherRecord.id)!.active).toBe(true);
  });
});

describe("every run ends", () => {
  it("Command sends headers and the start of a body, then stalls: the run fails at the deadline and the process exits", async () => {
    const { userId } = memberOfFirstGroup();
    dir = workdir({
      groups: { push: sandbox.groupNames },
      state: { path: "./state.db" },
      safety: { maxDeactivations: "100%" },
      command: { timeoutMs: 1500 },
      retry: { maxAttempts: 1 },
    });
    // A state of its own with short deadlines; Command already holds everyone, so nothing is created.
    const first = await sync();
    expect(first.code, first.stderr).toBe(0);
    setUserStatus(sandbox.org, userId, "DEPROVISIONED");
    const stall = sandbox.command.injectFault({ match: { method: "PATCH", pathPrefix: "/Users" }, times: Infinity, stall: '{"schemas":[' });

    const result = await runCli(["sync", "--json"], { env, cwd: dir, timeoutMs: 120_000 });
    // It ended by itself (a kill by the harness would leave no exit code).
    expect(result.code).toBe(1);
    expect(stall.fired).toBeGreaterThan(0);
    const body = JSON.parse(result.stdout);
    expect(body.failed.find((f: { type: string }) => f.type === "deactivateUser").error).toMatch(/no complete response within 1\.5s/);
    expect(commandUser(userId)!.active).toBe(true);
  });
});
