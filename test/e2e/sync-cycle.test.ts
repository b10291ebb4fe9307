/**
 * The built CLI as a child process against both emulators: the whole plan/sync cycle as a user
 * (or a cron job) sees it.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listAssignedUsers } from "../../src/emulators/org-assignments.js";
import { addGroupMember, removeGroupMember, renameGroup } from "../../src/emulators/org-group-changes.js";
import { assignUser, setUserStatus, unassignUser, updateProfile } from "../../src/emulators/org-user-changes.js";
import { type Sandbox, startSandbox } from "../../src/emulators/sandbox.js";
import { openSnapshotStore } from "../../src/store/index.js";
import { cleanEnv, runCli, workdir } from "../support/cli.js";

let sandbox: Sandbox;
let dir: string;
let env: Record<string, string>;
const db = () => join(dir, "state.db");
const sync = (...args: string[]) => runCli(["sync", ...args], { env, cwd: dir });
const plan = (...args: string[]) => runCli(["plan", ...args], { env, cwd: dir });
const fileHash = (path: string) => createHash("sha256").update(readFileSync(path)).digest("hex");

function commandUserByExternalId(oktaId: string) {
  return sandbox.command.users().find((u) => u.externalId === oktaId);
}
function commandGroup(name: string) {
  return sandbox.command.groups().find((g) => g.displayName === name);
}
function assignedIds(): string[] {
  return listAssignedUsers(sandbox.org)
    .map((a) => a.user.id)
    .sort();
}

beforeAll(async () => {
  sandbox = await startSandbox({ org: { users: 80, groups: 4, seed: 11 }, okta: { rateLimits: false } });
  // Names and ids both work in groups.push; the renamed group below is listed by id.
  const [g0, g1, g2, g3] = sandbox.org.groups;
  dir = workdir({ groups: { push: [g0!.name, g1!.id, g2!.id, g3!.name] }, state: { path: "./state.db" }, safety: { maxDeactivations: "20%" } });
  env = cleanEnv(sandbox.env());
});
afterAll(async () => {
  await sandbox.close();
});

describe("plan and sync against the emulators", () => {
  it("plan on an empty snapshot lists every create, writes nothing, and exits 2 with --detailed-exitcode", async () => {
    const result = await plan("--json", "--detailed-exitcode");
    expect(result.code).toBe(2);
    const body = JSON.parse(result.stdout);
    expect(body.changes).toBe(true);
    expect(body.summary.createUser).toBe(new Set(assignedIds()).size - skippedInactive());
    expect(body.summary.createGroup).toBe(4);
    expect(sandbox.command.writeCount()).toBe(0);
    expect(existsSync(db())).toBe(false);
  });

  it("plan --json --out prints the plan on one line and saves it indented, each laid out as JSON.stringify does", async () => {
    const result = await plan("--json", "--out", "first-plan.json");
    expect(result.code).toBe(0);
    const body = JSON.parse(result.stdout);
    // Off a terminal, one line, as JSON.stringify writes it.
    expect(result.stdout).toBe(`${JSON.stringify(body)}\n`);
    expect(body.operations.filter((op: { type: string }) => op.type === "createUser")).toHaveLength(body.summary.createUser);
    const file = join(dir, "first-plan.json");
    const text = readFileSync(file, "utf8");
    const saved = JSON.parse(text);
    expect(text).toBe(`${JSON.stringify(saved, null, 2)}\n`);
    expect(saved.plan.operations).toEqual(body.operations);
    expect(saved.fingerprint).toBe(body.fingerprint);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(existsSync(db())).toBe(false);
  });

  it("the first sync creates every assigned active user and pushed group, with members", async () => {
    const result = await sync("--json");
    expect(result.stderr).not.toContain('"level":"error"');
    expect(result.code).toBe(0);
    const body = JSON.parse(result.stdout);
    expect(body.status).toBe("succeeded");
    expect(body.failed).toEqual([]);
    const activeAssigned = listAssignedUsers(sandbox.org).filter((a) => a.user.status !== "DEPROVISIONED");
    expect(sandbox.command.users()).toHaveLength(activeAssigned.length);
    for (const { user } of activeAssigned) {
      const scim = commandUserByExternalId(user.id);
      expect(scim?.userName).toBe(user.profile.login);
      expect(scim?.active).toBe(true);
      expect((scim?.name as { givenName?: string } | undefined)?.givenName).toBe(user.profile.firstName);
    }
    const assigned = new Set(activeAssigned.map((a) => a.user.id));
    for (const group of sandbox.org.groups) {
      const scim = commandGroup(group.name);
      expect(scim?.externalId).toBe(group.id);
      const expected = group.members.filter((id) => assigned.has(id)).map((id) => commandUserByExternalId(id)!.id).sort();
      expect(scim?.members.map((m) => m.value).sort()).toEqual(expected);
    }
    expect(body.summary.createUser).toBe(activeAssigned.length);
  });

  it("a second sync with nothing changed sends zero writes", async () => {
    sandbox.command.resetLog();
    const result = await sync("--json");
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).summary.createUser).toBe(0);
    expect(sandbox.command.writeCount()).toBe(0);
    const detailed = await plan("--detailed-exitcode", "--log-format", "pretty");
    expect(detailed.code).toBe(0);
    expect(detailed.stdout).toContain("No changes");
  });

  it("plan --json with nothing to do is still one valid JSON document, with no operations", async () => {
    const result = await plan("--json");
    expect(result.code).toBe(0);
    const body = JSON.parse(result.stdout);
    expect(result.stdout).toBe(`${JSON.stringify(body)}\n`);
    expect(body.changes).toBe(false);
    expect(body.operations).toEqual([]);
  });

  it("plan shows a pending update with before -> after and touches neither Command nor the snapshot", async () => {
    const id = assignedIds()[0]!;
    updateProfile(sandbox.org, id, { title: "Chief Door Opener", primaryPhone: null });
    const before = fileHash(db());
    sandbox.command.resetLog();
    const result = await plan("--log-format", "pretty");
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/~ updateUser\s+\S+ {2}phoneNumbers\[type eq "work"\]\.value: "[^"]+" -> \(empty\); title: "[^"]*" -> "Chief Door Opener"/);
    expect(sandbox.command.requests).toHaveLength(0);
    expect(fileHash(db())).toBe(before);
  });

  it("sync applies attribute updates and removes attributes emptied in Okta", async () => {
    const id = assignedIds()[0]!;
    const result = await sync("--json");
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).summary.updateUser).toBe(1);
    const user = commandUserByExternalId(id)!;
    expect(user.title).toBe("Chief Door Opener");
    expect(user.phoneNumbers).toBeUndefined();
    const puts = sandbox.command.requests.filter((r) => r.method === "PUT");
    expect(puts).toHaveLength(1);
  });

  it("unassigning deactivates the user and removes them from groups; reassigning reactivates the same SCIM user", async () => {
    const member = sandbox.org.groups.flatMap((g) => g.members).find((m) => assignedIds().includes(m) && commandUserByExternalId(m)?.active)!;
    const scimId = commandUserByExternalId(member)!.id;
    const group = sandbox.org.groups.find((g) => g.members.includes(member))!;
    const direct = sandbox.org.app.users.find((a) => a.userId === member);
    // Take the user out of the app whichever way they were assigned.
    if (direct) unassignUser(sandbox.org, member);
    for (const g of sandbox.org.groups) if (sandbox.org.app.groups.some((a) => a.groupId === g.id) && g.members.includes(member)) removeGroupMember(sandbox.org, g.id, member);
    if (assignedIds().includes(member)) throw new Error("fixture: user still assigned");

    const off = await sync("--json");
    expect(off.code).toBe(0);
    expect(JSON.parse(off.stdout).summary.deactivateUser).toBe(1);
    expect(commandUserByExternalId(member)?.active).toBe(false);
    expect(commandGroup(group.name)?.members.map((m) => m.value)).not.toContain(scimId);
    expect(sandbox.command.users().filter((u) => u.externalId === member)).toHaveLength(1);

    assignUser(sandbox.org, member);
    if (!group.members.includes(member)) addGroupMember(sandbox.org, group.id, member);
    const on = await sync("--json");
    expect(on.code).toBe(0);
    const summary = JSON.parse(on.stdout).summary;
    expect(summary.reactivateUser).toBe(1);
    expect(summary.createUser).toBe(0);
    expect(commandUserByExternalId(member)?.id).toBe(scimId);
    expect(commandUserByExternalId(member)?.active).toBe(true);
    expect(commandGroup(group.name)?.members.map((m) => m.value)).toContain(scimId);
  });

  it("membership changes in Okta become member add and remove PATCHes", async () => {
    const group = sandbox.org.groups[0]!;
    const outsider = assignedIds().find((id) => !group.members.includes(id) && commandUserByExternalId(id)?.active)!;
    const insider = group.members.find((id) => assignedIds().includes(id))!;
    addGroupMember(sandbox.org, group.id, outsider);
    removeGroupMember(sandbox.org, group.id, insider);
    sandbox.command.resetLog();
    const result = await sync("--json");
    expect(result.code).toBe(0);
    const body = JSON.parse(result.stdout);
    expect(body.summary.addMembers).toBe(1);
    expect(body.summary.removeMembers).toBe(1);
    const members = commandGroup(group.name)!.members.map((m) => m.value);
    expect(members).toContain(commandUserByExternalId(outsider)!.id);
    expect(members).not.toContain(commandUserByExternalId(insider)!.id);
    const patches = sandbox.command.requests.filter((r) => r.method === "PATCH");
    expect(patches.map((p) => (p.body as { Operations: { op: string }[] }).Operations[0]!.op).sort()).toEqual(["add", "remove"]);
  });

  it("a renamed Okta group is renamed in Command, keeping its id and members", async () => {
    const group = sandbox.org.groups[1]!;
    const before = commandGroup(group.name);
    if (before === undefined) throw new Error(`fixture: ${group.name} not in Command: ${sandbox.command.groups().map((g) => g.displayName)}`);
    const newName = `${group.name} (EMEA)`;
    renameGroup(sandbox.org, group.id, newName);
    const result = await sync("--json");
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).summary.updateGroup).toBe(1);
    const after = commandGroup(newName);
    if (after === undefined) throw new Error(`not renamed: ${JSON.stringify(sandbox.command.groups().map((g) => g.displayName))}`);
    expect(after.id).toBe(before.id);
    expect(after.members.map((m) => m.value).sort()).toEqual(before.members.map((m) => m.value).sort());
  });

  it("the snapshot records every link, and each run in the run log", () => {
    const store = openSnapshotStore(db(), { readonly: true });
    try {
      const snapshot = store.load();
      expect(snapshot.users).toHaveLength(sandbox.command.users().length);
      for (const user of snapshot.users) expect(commandUserByExternalId(user.oktaId)?.id).toBe(user.scimId);
      const runs = store.listRuns(50);
      expect(runs.length).toBeGreaterThanOrEqual(6);
      expect(runs.every((r) => r.status === "succeeded")).toBe(true);
    } finally {
      store.close();
    }
  });

  it("refuses a plan over the deactivation limit with exit 3 and writes nothing", async () => {
    const victims = assignedIds().slice(0, 30);
    for (const id of victims) setUserStatus(sandbox.org, id, "DEPROVISIONED");
    const before = fileHash(db());
    sandbox.command.resetLog();
    const result = await sync("--json");
    expect(result.code).toBe(3);
    const body = JSON.parse(result.stdout);
    expect(body.status).toBe("refused");
    expect(body.refusals[0]).toMatchObject({ limit: "maxDeactivations", planned: 30 });
    expect(body.warnings.join("\n")).toMatch(/deactivates 30 users, over safety.maxDeactivations/);
    expect(sandbox.command.writeCount()).toBe(0);
    const store = openSnapshotStore(db(), { readonly: true });
    expect(store.load().users.filter((u) => !u.active)).toHaveLength(0);
    expect(store.listRuns(1)[0]?.status).toBe("refused");
    store.close();
    expect(before).not.toBe(""); // the run log changed the file; users and links did not (checked above)
    for (const id of victims) setUserStatus(sandbox.org, id, "ACTIVE");
  });

  it("refuses a pull that lost most users (a bad read, not a mass exodus) with exit 3, unless --force", async () => {
    const saved = [...sandbox.org.app.users];
    const savedGroups = [...sandbox.org.app.groups];
    sandbox.org.app.users.splice(0, sandbox.org.app.users.length - 3);
    sandbox.org.app.groups.splice(0);
    sandbox.command.resetLog();
    try {
      const planned = await plan("--json");
      expect(JSON.parse(planned.stdout).warnings.join("\n")).toMatch(/sync would refuse this: Okta returned 3 active users/);
      const result = await sync("--json", "--log-format", "pretty");
      expect(result.code).toBe(3);
      expect(JSON.parse(result.stdout).status).toBe("refused");
      expect(result.stderr).toMatch(/looks like a failed or partial read/);
      expect(result.stderr).toMatch(/rerun with --force/);
      expect(sandbox.command.writeCount()).toBe(0);
    } finally {
      sandbox.org.app.users.splice(0, sandbox.org.app.users.length, ...saved);
      sandbox.org.app.groups.splice(0, sandbox.org.app.groups.length, ...savedGroups);
    }
  });

  it("never writes either token to stdout, stderr or the snapshot DB", async () => {
    const results = [await plan("--json"), await sync(), await plan("--verbose")];
    const dbBytes = readFileSync(db()).toString("latin1") + (existsSync(`${db()}-wal`) ? readFileSync(`${db()}-wal`).toString("latin1") : "");
    for (const secret of [sandbox.oktaToken, sandbox.commandToken]) {
      for (const r of results) {
        expect(r.stdout).not.toContain(secret);
        expect(r.stderr).not.toContain(secret);
      }
      expect(dbBytes).not.toContain(secret);
    }
  });
});

describe("errors and exit codes", () => {
  it("a wrong Command token fails with exit 1 and one clear line, without the token", async () => {
    const bad = { ...env, COMMAND_SCIM_TOKEN: "wrong-command-token-123" };
    updateProfile(sandbox.org, assignedIds()[2]!, { title: "Needs a write" });
    const result = await runCli(["sync", "--log-format", "pretty"], { env: bad, cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/Command answered 401/);
    expect(result.stderr).not.toContain("wrong-command-token-123");
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it("a wrong Okta token fails with exit 1 before anything is planned", async () => {
    const result = await runCli(["plan", "--log-format", "pretty"], { env: { ...env, OKTA_API_TOKEN: "00wrong-okta-token" }, cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/Okta answered 401/);
    expect(result.stderr).not.toContain("00wrong-okta-token");
    expect(result.stdout).toBe("");
  });

  it("a bad config lists every problem and exits 1", async () => {
    const bad = workdir({ command: { region: "uk", concurrency: 0 }, comand: {} });
    const { COMMAND_SCIM_URL: _url, ...withoutUrl } = env;
    const result = await runCli(["plan", "--log-format", "pretty"], { env: withoutUrl, cwd: bad });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('command.region: must be one of us, eu, aus (got "uk"');
    expect(result.stderr).toContain("comand");
    expect(result.stderr).toMatch(/command\.concurrency/);
  });

  it("an unknown command or option is a usage error with exit 1", async () => {
    expect((await runCli(["frobnicate"], { env, cwd: dir })).code).toBe(1);
    expect((await runCli(["sync", "--max-deactivations", "lots"], { env, cwd: dir })).code).toBe(1);
  });

  it("--help and --version exit 0", async () => {
    const help = await runCli(["--help"], { env, cwd: dir });
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("plan");
    expect((await runCli(["--version"], { env, cwd: dir })).code).toBe(0);
  });
});

function skippedInactive(): number {
  return listAssignedUsers(sandbox.org).filter((a) => a.user.status === "DEPROVISIONED").length;
}
