/**
 * Choosing who and what is pushed, through the built CLI against both emulators: group globs and
 * regexes in groups.push, groups.exclude, and users.exclude (excluded users never pushed; one
 * already in Command held as it is).
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { listAssignedUsers } from "../../src/emulators/org-assignments.js";
import { addGroupMember, assignGroup, createGroup, renameGroup } from "../../src/emulators/org-group-changes.js";
import { assignUser, createUser, setUserStatus, updateProfile } from "../../src/emulators/org-user-changes.js";
import { type Sandbox, startSandbox } from "../../src/emulators/sandbox.js";
import { cleanEnv, runCli, workdir } from "../support/cli.js";

interface Body {
  status?: string;
  summary: Record<string, number>;
  warnings: string[];
  skipped: { oktaId: string; login: string; reason: string }[];
}

const NAMES = ["Door-Lobby", "Door-Lab", "door-garage", "Ops-Admins", "Sales"];

let sandbox: Sandbox;
let dir: string;

beforeEach(async () => {
  sandbox = await startSandbox({ org: { users: 30, groups: NAMES.length, seed: 31 }, okta: { rateLimits: false } });
  for (const [i, group] of sandbox.org.groups.entries()) renameGroup(sandbox.org, group.id, NAMES[i]!);
  dir = workdir({ state: { path: "./state.db" } });
});
afterEach(async () => {
  await sandbox.close();
});

/** Rewrites config.yaml's groups and users sections (workdir wrote the rest). */
function configure(sections: { groups?: Record<string, unknown>; users?: Record<string, unknown> }): void {
  const command = { requestsPerMinute: 0 };
  writeFileSync(join(dir, "config.yaml"), stringify({ command, state: { path: "./state.db" }, ...sections }));
}

const cli = (...args: string[]) => runCli(args, { env: cleanEnv(sandbox.env()), cwd: dir });
async function json(...args: string[]): Promise<{ code: number | null; stderr: string; body: Body }> {
  const result = await cli(...args, "--json");
  return { code: result.code, stderr: result.stderr, body: JSON.parse(result.stdout) as Body };
}
const commandGroups = () => sandbox.command.groups().map((g) => g.displayName).sort();
const commandUser = (oktaId: string) => sandbox.command.users().find((u) => u.externalId === oktaId);
/** The group searches and lists the pull sent to Okta (`GET /api/v1/groups?...`), as decoded query strings. */
function groupQueries(): URLSearchParams[] {
  return sandbox.okta.requests.filter((r) => r.method === "GET" && r.path.startsWith("/api/v1/groups?")).map((r) => new URL(r.path, "http://x").searchParams);
}

describe("groups.push patterns", () => {
  it("a prefix glob pushes every group starting with it, any case, found with one sw search", async () => {
    configure({ groups: { push: ["Door-*"] } });
    const result = await json("sync");
    expect(result.code, result.stderr).toBe(0);
    expect(commandGroups()).toEqual(["Door-Lab", "Door-Lobby", "door-garage"]);
    const queries = groupQueries();
    expect(queries).toHaveLength(1);
    expect(queries[0]!.get("search")).toBe('profile.name sw "Door-"');
    expect(result.body.warnings).toEqual([]);
  });

  it("a regex reads the group list once; groups.exclude takes a group out; names still resolve beside it", async () => {
    configure({ groups: { push: ["regex:^door-l", "Sales", "*-Admins"], exclude: ["Door-Lab"] } });
    const result = await json("sync");
    expect(result.code, result.stderr).toBe(0);
    expect(commandGroups()).toEqual(["Door-Lobby", "Ops-Admins", "Sales"]);
    // One list of every group, no search: the names are resolved from it too.
    const queries = groupQueries();
    expect(queries).toHaveLength(1);
    expect(queries[0]!.get("search")).toBeNull();
    expect(result.body.warnings).toEqual([]);
  });

  it("a pattern that matches nothing, and an exclusion that takes nothing out, are warnings; a plain name that matches nothing stays an error", async () => {
    configure({ groups: { push: ["Door-*", "Gate-*"], exclude: ["Sales"] } });
    const result = await json("sync");
    expect(result.code, result.stderr).toBe(0);
    expect(result.body.warnings).toContain('groups.push: "Gate-*" matches no Okta group');
    expect(result.body.warnings).toContain('groups.exclude: "Sales" matches none of the groups groups.push selects');
    expect(commandGroups()).toEqual(["Door-Lab", "Door-Lobby", "door-garage"]);

    configure({ groups: { push: ["Door-*", "Gate"] } });
    const named = await cli("plan", "--log-format", "pretty");
    expect(named.code).toBe(1);
    expect(named.stderr).toContain('groups.push: Okta has no group named "Gate"');
  });

  it("a regex that does not compile is a configuration error naming the entry, on one line, before Okta is asked", async () => {
    configure({ groups: { push: ["Door-*", "regex:^door-(lab"] } });
    const result = await cli("plan", "--log-format", "pretty");
    expect(result.code).toBe(1);
    const lines = result.stderr.trim().split("\n");
    expect(lines.filter((line) => line.includes("groups.push[1]"))).toHaveLength(1);
    expect(result.stderr).toContain('groups.push[1]: is not a valid JavaScript regular expression: Unterminated group (got "regex:^door-(lab")');
    expect(sandbox.okta.requests).toEqual([]);
  });
});

describe("sync --incremental", () => {
  it("with a pattern, a group created in Okta since the last run is pushed on the next", async () => {
    configure({ groups: { push: ["Door-*"], exclude: ["Door-Lab"] } });
    expect((await cli("sync", "--incremental")).code).toBe(0);
    expect(commandGroups()).toEqual(["Door-Lobby", "door-garage"]);
    const member = listAssignedUsers(sandbox.org).find((a) => a.user.status === "ACTIVE")!.user;
    createGroup(sandbox.org, "Door-Annex", { members: [member.id] });
    createGroup(sandbox.org, "Door-Lab-2");

    const result = await json("sync", "--incremental");
    expect(result.code, result.stderr).toBe(0);
    expect(commandGroups()).toEqual(["Door-Annex", "Door-Lab-2", "Door-Lobby", "door-garage"]);
    const annex = sandbox.command.groups().find((g) => g.displayName === "Door-Annex")!;
    expect(annex.members.map((m) => m.value)).toEqual([commandUser(member.id)!.id]);
  });

  it("with push: assigned and an exclusion, a group renamed out of the exclusion is pushed on the next run", async () => {
    for (const group of sandbox.org.groups) if (!sandbox.org.app.groups.some((a) => a.groupId === group.id)) assignGroup(sandbox.org, group.id);
    const sales = sandbox.org.groups.find((g) => g.name === "Sales")!;
    renameGroup(sandbox.org, sales.id, "Sales-Old");
    configure({ groups: { push: "assigned", exclude: ["*-Old"] } });
    expect((await cli("sync", "--incremental")).code).toBe(0);
    expect(commandGroups()).toEqual(["Door-Lab", "Door-Lobby", "Ops-Admins", "door-garage"]);

    renameGroup(sandbox.org, sales.id, "Sales");
    const result = await json("sync", "--incremental");
    expect(result.code, result.stderr).toBe(0);
    expect(commandGroups()).toEqual(["Door-Lab", "Door-Lobby", "Ops-Admins", "Sales", "door-garage"]);
  });
});

describe("check", () => {
  it("names the groups a pattern selects, and warns about a pattern that matches none", async () => {
    configure({ groups: { push: ["Door-*", "Gate-*", "Sales"] } });
    const result = await cli("check", "--json");
    const body = JSON.parse(result.stdout) as { checks: { id: string; status: string; detail: string }[] };
    const byId = (id: string) => body.checks.find((c) => c.id === id);
    const ids = (names: string[]) => names.map((n) => `${n} (${sandbox.org.groups.find((g) => g.name === n)!.id})`).join(", ");
    expect(byId("okta.group:Door-*")).toMatchObject({ status: "pass", detail: `3 groups: ${ids(["Door-Lab", "Door-Lobby", "door-garage"])}` });
    expect(byId("okta.group:Gate-*")).toMatchObject({ status: "warn", detail: 'groups.push: "Gate-*" matches no Okta group' });
    expect(byId("okta.group:Sales")).toMatchObject({ status: "pass", detail: ids(["Sales"]) });
  });
});

describe("users.exclude", () => {
  it("a new excluded user is never created nor added to a group; an excluded user already in Command is held, not deactivated, with a warning", async () => {
    configure({ groups: { push: ["Door-*"] } });
    expect((await cli("sync")).code).toBe(0);

    // A user already in Command and in a pushed group, to be excluded by login (another case).
    const door = sandbox.org.groups.find((g) => g.name === "Door-Lobby")!;
    const linked = listAssignedUsers(sandbox.org).find((a) => a.scope === "USER" && a.user.status === "ACTIVE" && door.members.includes(a.user.id))!.user;
    const before = structuredClone(commandUser(linked.id)!);
    expect(before.active).toBe(true);
    const scimGroup = sandbox.command.groups().find((g) => g.displayName === "Door-Lobby")!;
    expect(scimGroup.members.some((m) => m.value === before.id)).toBe(true);

    // A service account, new, excluded by a glob, in a pushed group.
    const domain = sandbox.org.domain;
    const svc = createUser(sandbox.org, { login: `svc-backup@${domain}`, firstName: "Backup", lastName: "Service" });
    assignUser(sandbox.org, svc.id, { userName: svc.profile.login });
    addGroupMember(sandbox.org, door.id, svc.id);

    // Changes that would otherwise reach Command: a new title, then leaving Okta altogether.
    updateProfile(sandbox.org, linked.id, { title: "Break Glass" });
    setUserStatus(sandbox.org, linked.id, "DEPROVISIONED");

    configure({ groups: { push: ["Door-*"] }, users: { exclude: [linked.profile.login.toUpperCase(), `svc-*@${domain}`] } });
    const reason = "excluded by users.exclude";
    const planned = await json("plan");
    expect(planned.code, planned.stderr).toBe(0);
    expect(planned.body.skipped).toEqual([{ oktaId: linked.id, login: linked.profile.login, reason }]);
    expect(planned.body.warnings.join("\n")).toContain(`Okta user ${linked.profile.login} (${linked.id}) is excluded by users.exclude`);

    for (let run = 0; run < 2; run++) {
      const result = await json("sync");
      expect(result.code, result.stderr).toBe(0);
      expect(result.body.summary.createUser).toBe(0);
      expect(result.body.summary.deactivateUser).toBe(0);
      expect(result.body.summary.addMembers).toBe(0);
      expect(result.body.summary.removeMembers).toBe(0);
      // Said on every run.
      expect(result.body.warnings.join("\n")).toContain(`Okta user ${linked.profile.login} (${linked.id}) is excluded by users.exclude`);
    }
    expect(commandUser(svc.id)).toBeUndefined();
    expect(commandUser(linked.id)).toEqual(before);
    const after = sandbox.command.groups().find((g) => g.displayName === "Door-Lobby")!;
    expect(after.members.some((m) => m.value === before.id)).toBe(true);
  });
});
