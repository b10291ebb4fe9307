/**
 * Adopting a Command org that already has users, drift repair, backfills, saved plans, userName
 * changes and SSO domains, through the built CLI against both emulators.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { VerkadaEmulatorOptions } from "../../src/emulators/verkada-emulator.js";
import { listAssignedUsers } from "../../src/emulators/org-assignments.js";
import { addGroupMember } from "../../src/emulators/org-group-changes.js";
import { setUserStatus, updateProfile } from "../../src/emulators/org-user-changes.js";
import { type Sandbox, startSandbox } from "../../src/emulators/sandbox.js";
import { openSnapshotStore } from "../../src/store/index.js";
import { cleanEnv, runCli, workdir } from "../support/cli.js";

let sandbox: Sandbox;
let dir: string | undefined;

async function setup(config: Record<string, unknown> = {}, command: VerkadaEmulatorOptions = {}): Promise<void> {
  sandbox = await startSandbox({ org: { users: 40, groups: 4, seed: 77 }, okta: { rateLimits: false }, command });
  writeConfig(config);
}

/** No pacing here: the emulator has no limit, and pacing has tests of its own. */
function writeConfig(config: Record<string, unknown>): void {
  const { command, ...rest } = config;
  const body = { groups: { push: sandbox.groupNames.slice(0, 2) }, state: { path: "./state.db" }, command: { requestsPerMinute: 0, ...(command as object) }, ...rest };
  if (dir === undefined) dir = workdir(body);
  else writeFileSync(join(dir!, "config.yaml"), JSON.stringify(body));
}
afterEach(async () => {
  await sandbox?.close();
  dir = undefined;
});

const cli = (...args: string[]) => runCli(args, { env: cleanEnv(sandbox.env()), cwd: dir! });
const json = async (...args: string[]) => {
  const result = await cli(...args, "--json");
  return { ...result, body: JSON.parse(result.stdout) as Record<string, unknown> & { summary: Record<string, number>; warnings: string[] } };
};
const assigned = () => listAssignedUsers(sandbox.org).filter((a) => a.user.status !== "DEPROVISIONED");
const commandUsers = () => sandbox.command.users();
const noDuplicateUsers = () => expect(new Set(commandUsers().map((u) => u.userName.toLowerCase())).size).toBe(commandUsers().length);

describe("import", () => {
  beforeEach(() => setup());

  it("links a pre-populated Command by externalId and userName (any case), reports the rest and writes nothing to Command", async () => {
    const people = assigned();
    const [a, b, c, d] = people;
    // Provisioned by Okta's own integration (externalId set), by hand (no externalId, other case),
    // and a pair that must not be guessed: the userName of d, but owned by another source.
    sandbox.command.seedUser({ userName: a!.user.profile.login, externalId: a!.user.id, title: "Old title" });
    sandbox.command.seedUser({ userName: b!.user.profile.login.toUpperCase(), active: false });
    sandbox.command.seedUser({ userName: c!.user.profile.login, externalId: c!.user.id });
    sandbox.command.seedUser({ userName: d!.user.profile.login, externalId: "0oaOtherIdP123" });
    sandbox.command.seedUser({ userName: "contractor@elsewhere.example", active: true });
    const eng = sandbox.org.groups[0]!;
    sandbox.command.seedGroup({ displayName: eng.name });
    sandbox.command.resetLog();

    const result = await json("import");
    expect(result.code).toBe(0);
    expect(sandbox.command.writeCount()).toBe(0);
    const body = result.body as unknown as {
      matched: { users: number; groups: number };
      matchedUsers: { oktaId: string; by: string }[];
      ambiguous: { key: string; reason: string }[];
      unmatchedCommand: { users: { userName: string }[] };
      unmatchedOkta: { users: unknown[] };
    };
    expect(body.matched).toEqual({ users: 3, groups: 1 });
    expect(body.matchedUsers.find((m) => m.oktaId === b!.user.id)?.by).toBe("userName");
    expect(body.ambiguous.map((x) => x.key)).toEqual([d!.user.id]);
    // d's namesake is reported as ambiguous, not as unmatched.
    expect(body.unmatchedCommand.users.map((u) => u.userName)).toEqual(["contractor@elsewhere.example"]);
    expect(body.unmatchedOkta.users).toHaveLength(people.length - 4);

    // The plan now holds just the differences: a title fix, a reactivation, the unmatched creates.
    const planned = await json("plan");
    expect(planned.body.summary.createUser).toBe(people.length - 3);
    expect(planned.body.summary.reactivateUser).toBe(1);
    const sync = await json("sync");
    // d's userName is taken in Command by another source: its create fails (409) and is reported.
    expect(sync.body.status).toBe("partial");
    noDuplicateUsers();
    expect(commandUsers().find((u) => u.externalId === a!.user.id)?.title).toBe(a!.user.profile.title ?? undefined);
  });

  it("first sync without import looks users up before creating them, so none is duplicated, and says import is faster", async () => {
    const people = assigned();
    for (const p of people.slice(0, 10)) sandbox.command.seedUser({ userName: p.user.profile.login });
    const result = await json("sync");
    expect(result.code).toBe(0);
    expect(result.body.warnings.join("\n")).toMatch(/`import` links them all at once and is the faster path/);
    expect(result.body.warnings.join("\n")).toMatch(/linked 10 users that already existed in Command/);
    expect(commandUsers()).toHaveLength(people.length);
    noDuplicateUsers();
  });

  it("a saved plan applied to an empty snapshot looks users up before creating them too, instead of meeting 409s", async () => {
    const people = assigned();
    for (const p of people.slice(0, 10)) sandbox.command.seedUser({ userName: p.user.profile.login });
    expect((await cli("plan", "--out", "reviewed.json")).code).toBe(0);
    sandbox.command.resetLog();
    const result = await json("sync", "--plan", "reviewed.json");
    expect(result.code).toBe(0);
    expect(result.body.warnings.join("\n")).toMatch(/`import` links them all at once and is the faster path/);
    expect(result.body.warnings.join("\n")).toMatch(/linked 10 users that already existed in Command/);
    // Each of the ten was found by its userName first: no create was sent only to be refused.
    expect(sandbox.command.requests.filter((r) => r.method === "POST" && r.path === "/Users").map((r) => r.status)).toEqual(
      Array(people.length - 10).fill(201),
    );
    expect(commandUsers()).toHaveLength(people.length);
    noDuplicateUsers();
  });
});

describe("drift", () => {
  beforeEach(() => setup());

  it("plan --refresh shows what changed in Command apart from Okta's changes, and sync --refresh repairs all of it", async () => {
    const leaver = assigned()[5]!.user;
    expect((await cli("sync")).code).toBe(0);
    setUserStatus(sandbox.org, leaver.id, "DEPROVISIONED");
    expect((await cli("sync")).code).toBe(0);
    const [g0] = sandbox.org.groups;
    const store = openSnapshotStore(join(dir!, "state.db"), { readonly: true });
    const snap = store.load();
    store.close();
    const active = snap.users.filter((u) => u.active);
    const scimGroup0 = snap.groups.find((g) => g.oktaId === g0!.id)!;
    const g1 = snap.groups.find((g) => g.oktaId !== g0!.id)!;
    const [u1, u2] = active;
    const outsider = active.find((u) => !scimGroup0.members.includes(u.oktaId) && u !== u1 && u !== u2)!;
    const leaverLink = snap.users.find((u) => u.oktaId === leaver.id)!;
    sandbox.command.updateUserDirect(u1!.scimId, { title: "Changed by hand" });
    sandbox.command.deleteUserDirect(u2!.scimId);
    sandbox.command.updateUserDirect(leaverLink.scimId, { active: true });
    const members = sandbox.command.getGroup(scimGroup0.scimId)!.members.map((m) => m.value);
    sandbox.command.updateGroupDirect(scimGroup0.scimId, { memberIds: [...members.slice(1), outsider.scimId] });
    sandbox.command.deleteGroupDirect(g1.scimId);
    sandbox.command.resetLog();
    const looked = await json("plan", "--refresh");
    const drift = (looked.body.drift as { kind: string }[]).map((d) => d.kind);
    expect([...new Set(drift)].sort()).toEqual(["groupDeleted", "membersAdded", "membersRemoved", "userChanged", "userDeleted", "userReactivated"]);
    expect(sandbox.command.writeCount()).toBe(0);
    const plain = await json("plan");
    expect(plain.body.changes).toBe(false);

    const repaired = await json("sync", "--refresh");
    expect(repaired.code).toBe(0);
    expect((repaired.body.drift as unknown[]).length).toBe(drift.length);
    expect((await json("plan", "--refresh")).body.changes).toBe(false);
    expect(commandUsers().find((u) => u.externalId === u1!.oktaId)?.title).not.toBe("Changed by hand");
    expect(commandUsers().some((u) => u.externalId === u2!.oktaId)).toBe(true);
    expect(sandbox.command.groups().some((g) => g.externalId === g1.oktaId)).toBe(true);
    expect(sandbox.command.getUser(leaverLink.scimId)?.active).toBe(false);
    expect(sandbox.command.getGroup(scimGroup0.scimId)!.members.map((m) => m.value)).not.toContain(outsider.scimId);
  });

  it("sync.refreshEvery makes a scheduled sync refresh on its own", async () => {
    writeConfig({ sync: { refreshEvery: "1s" } });
    expect((await cli("sync")).code).toBe(0);
    const someone = commandUsers()[0]!;
    sandbox.command.updateUserDirect(someone.id, { title: "Drifted" });
    await new Promise((r) => setTimeout(r, 1100));
    const next = await json("sync");
    expect((next.body.drift as { kind: string }[]).map((d) => d.kind)).toEqual(["userChanged"]);
    expect(sandbox.command.getUser(someone.id)?.title).not.toBe("Drifted");
  });
});

describe("backfill and sync --user", () => {
  beforeEach(() => setup());

  it("backfill pushes a group outside groups.push and its assigned members, nothing else", async () => {
    const outside = sandbox.org.groups[3]!;
    const dry = await json("backfill", "--group", outside.name, "--dry-run");
    expect(dry.body.summary.createGroup).toBe(1);
    expect(sandbox.command.writeCount()).toBe(0);
    const result = await json("backfill", "--group", outside.name);
    expect(result.code).toBe(0);
    const members = new Set(outside.members.filter((m) => assigned().some((a) => a.user.id === m)));
    expect(sandbox.command.groups().map((g) => g.displayName)).toEqual([outside.name]);
    expect(new Set(commandUsers().map((u) => u.externalId))).toEqual(members);
    expect(sandbox.command.groups()[0]!.members).toHaveLength(members.size);
  });

  it("sync --user provisions just the chosen users; an unknown one is an error", async () => {
    const [a, b] = assigned();
    const result = await json("sync", "--user", a!.user.id, "--user", b!.user.profile.login.toUpperCase());
    expect(result.code).toBe(0);
    expect(commandUsers().map((u) => u.externalId).sort()).toEqual([a!.user.id, b!.user.id].sort());
    const unknown = await cli("sync", "--user", "nobody@example.com");
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/not assigned to the app in Okta.*nobody@example.com/);
  });
});

describe("saved plans", () => {
  beforeEach(() => setup());

  it("sync --plan applies exactly the reviewed plan, and refuses it once the snapshot moved", async () => {
    const saved = await json("plan", "--out", "reviewed.json");
    expect(saved.body.savedTo).toBe("reviewed.json");
    // Okta changes after the review are not in the reviewed plan, and not applied.
    const late = assigned()[0]!;
    const wasAssignedCount = assigned().length;
    updateProfile(sandbox.org, late.user.id, { title: "Changed after review" });
    const applied = await json("sync", "--plan", "reviewed.json");
    expect(applied.code).toBe(0);
    expect(applied.body.summary.createUser).toBe(wasAssignedCount);
    expect(commandUsers().find((u) => u.externalId === late.user.id)?.title).not.toBe("Changed after review");

    const again = await cli("sync", "--plan", "reviewed.json", "--log-format", "pretty");
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/refusing the saved plan: the snapshot changed since the plan was made/);
    expect(sandbox.command.users()).toHaveLength(wasAssignedCount);
  });

  it("a file that is not a saved plan is a clear error", async () => {
    writeFileSync(join(dir!, "bad.json"), JSON.stringify({ format: "okta-command-sync/plan", version: 1, plan: { operations: [{ type: "nuke" }] } }));
    const result = await cli("sync", "--plan", "bad.json", "--log-format", "pretty");
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/bad.json is not a usable saved plan/);
    expect(sandbox.command.writeCount()).toBe(0);
  });
});

describe("userName changes", () => {
  for (const mode of ["update", "recreate", "skip"] as const) {
    it(`users.onUserNameChange: ${mode}`, async () => {
      await setup({ users: { onUserNameChange: mode } }, { userNameChanges: "ignore" });
      expect((await cli("sync")).code).toBe(0);
      const person = assigned()[0]!;
      const before = commandUsers().find((u) => u.externalId === person.user.id)!;
      const newLogin = `renamed.${person.user.profile.login}`;
      updateProfile(sandbox.org, person.user.id, { login: newLogin, email: newLogin });
      const planned = await json("plan");
      expect(planned.body.warnings.join("\n")).toMatch(/userName/);
      const result = await json("sync", "--max-deactivations", "5");
      expect(result.code).toBe(0);
      const linked = commandUsers().filter((u) => u.externalId === person.user.id);
      if (mode === "recreate") {
        expect(linked).toHaveLength(2);
        expect(linked.find((u) => u.id === before.id)?.active).toBe(false);
        expect(linked.find((u) => u.id !== before.id)).toMatchObject({ userName: newLogin, active: true });
      } else {
        expect(linked).toHaveLength(1);
        // The emulator, like Command, keeps the old userName; skip does not even send it.
        expect(linked[0]!.userName).toBe(before.userName);
        const puts = sandbox.command.requests.filter((r) => r.method === "PUT" && (r.body as { userName?: string }).userName === newLogin);
        expect(puts.length > 0).toBe(mode === "update");
      }
    });
  }
});

describe("SSO domains", () => {
  it("warns about users outside command.domains, or skips them", async () => {
    await setup({ command: { domains: ["example.com"] } });
    const person = assigned()[0]!;
    updateProfile(sandbox.org, person.user.id, { login: "guest@partner.example", email: "guest@partner.example" });
    const planned = await json("plan");
    expect(planned.body.warnings.join("\n")).toMatch(/1 user\(s\) outside command.domains \(example.com\): they cannot sign in to Command with SSO: guest@partner.example/);
    const checked = await cli("check", "--json");
    expect(checked.code).toBe(0);
    const domainCheck = (JSON.parse(checked.stdout) as { checks: { id: string; status: string; detail: string }[] }).checks.find((c) => c.id === "okta.domains");
    expect(domainCheck).toMatchObject({ status: "warn", detail: expect.stringContaining("cannot sign in to Command with SSO: guest@partner.example") });
    writeConfig({ command: { domains: ["example.com"] }, users: { outsideDomains: "skip" } });
    const result = await json("sync");
    expect(result.code).toBe(0);
    expect(commandUsers().some((u) => u.userName === "guest@partner.example")).toBe(false);
    expect(commandUsers()).toHaveLength(assigned().length - 1);
    addGroupMember(sandbox.org, sandbox.org.groups[0]!.id, person.user.id);
  });
});
