/**
 * An Okta user that cannot be pushed is held, never deactivated: through the built CLI against
 * both emulators. Only leaving the app (unassigned, deactivated in Okta) deactivates.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { listAssignedUsers } from "../../src/emulators/org-assignments.js";
import { removeGroupMember } from "../../src/emulators/org-group-changes.js";
import { assignUser, createUser, setUserStatus, unassignUser, updateProfile } from "../../src/emulators/org-user-changes.js";
import { type Sandbox, startSandbox } from "../../src/emulators/sandbox.js";
import { cleanEnv, runCli, workdir } from "../support/cli.js";

interface Held {
  oktaId: string;
  login: string;
  reason: string;
}
interface Body {
  status?: string;
  changes?: boolean;
  summary: Record<string, number>;
  warnings: string[];
  skipped: Held[];
}

let sandbox: Sandbox;
let dir: string;

beforeEach(async () => {
  sandbox = await startSandbox({ org: { users: 40, groups: 3, seed: 23 }, okta: { rateLimits: false } });
  dir = workdir({ groups: { push: sandbox.groupNames }, state: { path: "./state.db" } });
});
afterEach(async () => {
  await sandbox.close();
});

const cli = (...args: string[]) => runCli(args, { env: cleanEnv(sandbox.env()), cwd: dir });
async function json(...args: string[]): Promise<{ code: number | null; stderr: string; body: Body }> {
  const result = await cli(...args, "--json");
  return { code: result.code, stderr: result.stderr, body: JSON.parse(result.stdout) as Body };
}
const commandUser = (oktaId: string) => sandbox.command.users().find((u) => u.externalId === oktaId);
const activeAssigned = () => listAssignedUsers(sandbox.org).filter((a) => a.user.status === "ACTIVE");
/** The Command group ids a user is a member of. */
const groupsOf = (scimId: string) =>
  sandbox.command
    .groups()
    .filter((g) => g.members.some((m) => m.value === scimId))
    .map((g) => g.id)
    .sort();
/** An active user assigned directly (so group changes do not unassign them) who is in at least one pushed group. */
function memberOfAGroup(except: string[] = []) {
  const found = activeAssigned().find(
    (a) => a.scope === "USER" && !except.includes(a.user.id) && sandbox.org.groups.some((g) => g.members.includes(a.user.id)),
  );
  if (found === undefined) throw new Error("fixture: no active assigned user in a group");
  return found.user;
}

describe("held users", () => {
  it("a typo in an email holds the user as it is in Command, with a warning on every run, until it is fixed", async () => {
    expect((await cli("sync")).code).toBe(0);
    const user = memberOfAGroup();
    const before = structuredClone(commandUser(user.id)!);
    const groupsBefore = groupsOf(before.id);
    expect(groupsBefore.length).toBeGreaterThan(0);

    // The typo, plus changes that would otherwise be pushed: a title and leaving a group.
    updateProfile(sandbox.org, user.id, { email: "bob at acme.example", title: "Typo Victim" });
    const group = sandbox.org.groups.find((g) => g.members.includes(user.id))!;
    removeGroupMember(sandbox.org, group.id, user.id);
    const reason = 'its email "bob at acme.example" is not a valid address';
    const warning = `skipped Okta user ${user.profile.login} (${user.id}): ${reason}`;

    const planned = await json("plan", "--detailed-exitcode");
    expect(planned.code).toBe(0);
    expect(planned.body.changes).toBe(false);
    expect(planned.body.skipped).toEqual([{ oktaId: user.id, login: user.profile.login, reason }]);
    expect(planned.body.warnings.join("\n")).toContain(warning);

    const metricsFile = join(dir, "sync.prom");
    const first = await json("sync", "--metrics-file", metricsFile);
    expect(first.code).toBe(0);
    expect(first.body.status).toBe("succeeded");
    expect(first.body.summary.deactivateUser).toBe(0);
    expect(first.body.warnings.join("\n")).toContain(warning);
    expect(first.body.skipped.map((s) => s.oktaId)).toEqual([user.id]);
    expect(readFileSync(metricsFile, "utf8")).toMatch(/^okta_command_sync_skipped_users 1$/m);
    expect(commandUser(user.id)).toEqual(before);
    expect(groupsOf(before.id)).toEqual(groupsBefore);

    // The next run says it again: a held user is never silently forgotten.
    const second = await json("sync");
    expect(second.body.warnings.join("\n")).toContain(warning);
    expect(commandUser(user.id)?.active).toBe(true);

    // Provisioning just that user now names the reason instead of "not assigned".
    const narrowed = await cli("sync", "--user", user.id, "--log-format", "pretty");
    expect(narrowed.code).toBe(1);
    expect(narrowed.stderr).toContain(`cannot be pushed: ${reason}`);

    // Fixed in Okta: the user is updated as any other, and the held changes go through.
    const fixed = `fixed.${user.profile.login}`;
    updateProfile(sandbox.org, user.id, { email: fixed });
    const after = await json("sync");
    expect(after.code).toBe(0);
    expect(after.body.summary.updateUser).toBe(1);
    expect(after.body.summary.removeMembers).toBe(1);
    expect(after.body.skipped).toEqual([]);
    expect(after.body.warnings.join("\n")).not.toContain("skipped Okta user");
    const updated = commandUser(user.id)!;
    expect(updated.active).toBe(true);
    expect(updated.title).toBe("Typo Victim");
    expect((updated.emails as { value: string }[])[0]?.value).toBe(fixed);
    expect(groupsOf(updated.id)).not.toContain(sandbox.command.groups().find((g) => g.externalId === group.id)!.id);
  });

  it("a newcomer whose login is a case variant of a linked user's, with a lower Okta id, is skipped; the linked user keeps its name", async () => {
    expect((await cli("sync")).code).toBe(0);
    const newcomer = createUser(sandbox.org, { login: "placeholder@example.com", firstName: "New", lastName: "Comer" });
    const linked = activeAssigned().find((a) => a.user.id > newcomer.id)?.user;
    if (linked === undefined) throw new Error(`fixture: no assigned user with an id above ${newcomer.id}`);
    const variant = linked.profile.login.toUpperCase();
    updateProfile(sandbox.org, newcomer.id, { login: variant, email: variant });
    assignUser(sandbox.org, newcomer.id);
    const before = structuredClone(commandUser(linked.id)!);

    const planned = await json("plan");
    expect(planned.body.skipped.map((s) => [s.oktaId, s.login])).toEqual([[newcomer.id, variant]]);
    expect(planned.body.skipped[0]?.reason).toContain(`is also the userName of Okta user ${linked.id}`);
    const result = await json("sync");
    expect(result.code).toBe(0);
    expect(result.body.summary.deactivateUser).toBe(0);
    expect(result.body.summary.createUser).toBe(0);
    expect(result.body.warnings.join("\n")).toContain(`skipped Okta user ${variant} (${newcomer.id})`);
    expect(commandUser(linked.id)).toEqual(before);
    expect(commandUser(linked.id)?.userName).toBe(linked.profile.login);
    expect(commandUser(newcomer.id)).toBeUndefined();
  });

  it("leaving the app still deactivates: an unassigned user, and a user with bad data deactivated in Okta, while a held user stays", async () => {
    expect((await cli("sync")).code).toBe(0);
    const direct = new Set(sandbox.org.app.users.map((a) => a.userId));
    const assignedGroups = new Set(sandbox.org.app.groups.map((g) => g.groupId));
    const onlyDirect = activeAssigned().find(
      (a) => direct.has(a.user.id) && !sandbox.org.groups.some((g) => assignedGroups.has(g.id) && g.members.includes(a.user.id)),
    )?.user;
    if (onlyDirect === undefined) throw new Error("fixture: no user assigned only directly");
    const leaver = memberOfAGroup([onlyDirect.id]);
    const held = memberOfAGroup([onlyDirect.id, leaver.id]);

    unassignUser(sandbox.org, onlyDirect.id);
    updateProfile(sandbox.org, leaver.id, { email: "leaver at acme.example" });
    setUserStatus(sandbox.org, leaver.id, "DEPROVISIONED");
    updateProfile(sandbox.org, held.id, { email: "held at acme.example" });

    const result = await json("sync");
    expect(result.code).toBe(0);
    expect(result.body.summary.deactivateUser).toBe(2);
    expect(commandUser(onlyDirect.id)?.active).toBe(false);
    expect(commandUser(leaver.id)?.active).toBe(false);
    expect(groupsOf(commandUser(leaver.id)!.id)).toEqual([]);
    expect(commandUser(held.id)?.active).toBe(true);
    expect(result.body.skipped.map((s) => s.oktaId)).toEqual([held.id]);
  });

  it("an incremental run holds the user too, run after run, from the pull cache", async () => {
    expect((await cli("sync", "--incremental")).code).toBe(0);
    const user = memberOfAGroup();
    updateProfile(sandbox.org, user.id, { email: "inc at acme.example" });
    for (let run = 0; run < 2; run++) {
      const result = await json("sync", "--incremental");
      expect(result.code).toBe(0);
      expect((result.body as unknown as { pull: { mode: string } }).pull.mode).toBe("incremental");
      expect(result.body.summary.deactivateUser).toBe(0);
      expect(result.body.skipped.map((s) => s.oktaId)).toEqual([user.id]);
      expect(commandUser(user.id)?.active).toBe(true);
    }
  });
});
