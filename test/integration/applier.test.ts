/**
 * The applier with its real adapters: the SCIM client against the Command emulator over
 * loopback, and a snapshot DB file. Faults are injected in the emulator.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { applyPlan } from "../../src/apply/applier.js";
import { type VerkadaEmulator, startVerkadaEmulator } from "../../src/emulators/verkada-emulator.js";
import type { DesiredState } from "../../src/model.js";
import { plan } from "../../src/plan/planner.js";
import type { ScimLookups } from "../../src/apply/ports.js";
import { createScimClient, type ScimClient } from "../../src/scim/client.js";
import { openSnapshotStore, type SqliteSnapshotStore } from "../../src/store/index.js";
import { desired, desiredGroup, desiredUser } from "../support/builders.js";

let command: VerkadaEmulator;
let client: ScimClient & ScimLookups;
let store: SqliteSnapshotStore;

beforeEach(async () => {
  command = await startVerkadaEmulator({ token: "t0ken-for-tests" });
  client = createScimClient({ baseUrl: command.url, token: "t0ken-for-tests", timeoutMs: 5000, requestsPerMinute: 0 });
  store = openSnapshotStore(join(mkdtempSync(join(tmpdir(), "ocs-apply-")), "state.db"));
});
afterEach(async () => {
  store.close();
  await client.close();
  await command.close();
});

async function apply(
  state: DesiredState,
  options: { membersPerRequest?: number; concurrency?: number; lookupBeforeCreate?: boolean; lookupGroupsBeforeCreate?: boolean } = {},
) {
  const snapshot = store.load();
  const thePlan = plan(state, snapshot, { onRemove: "delete" });
  const runId = store.beginRun("test", new Date());
  const result = await applyPlan(thePlan, snapshot, client, store, {
    runId,
    concurrency: options.concurrency ?? 4,
    membersPerRequest: options.membersPerRequest ?? 100,
    ...(options.lookupBeforeCreate === undefined ? {} : { lookupBeforeCreate: options.lookupBeforeCreate }),
    ...(options.lookupGroupsBeforeCreate === undefined ? {} : { lookupGroupsBeforeCreate: options.lookupGroupsBeforeCreate }),
  });
  return { plan: thePlan, result, runId };
}

const users = (n: number) => Array.from({ length: n }, (_, i) => desiredUser(`00u${String(i).padStart(4, "0")}`, { attrs: { title: `T${i}` } }));

describe("applier", () => {
  it("creates a group with its first membersPerRequest members, chunks the rest into PATCHes, and records every membership", async () => {
    const people = users(250);
    const state = desired(people, [desiredGroup("00g1", "Everyone", people.map((u) => u.oktaId))]);
    const { result } = await apply(state, { membersPerRequest: 100 });
    expect(result.status).toBe("succeeded");
    expect(result.applied.addMembers).toBe(250);
    const posts = command.requests.filter((r) => r.method === "POST" && r.path === "/Groups");
    expect(posts.map((p) => (p.body as { members: unknown[] }).members.length)).toEqual([100]);
    const patches = command.requests.filter((r) => r.method === "PATCH" && r.path.startsWith("/Groups/"));
    expect(patches.map((p) => ((p.body as { Operations: { value: unknown[] }[] }).Operations[0]!.value).length)).toEqual([100, 50]);
    expect(command.groups()[0]!.members).toHaveLength(250);
    expect(store.load().groups[0]!.members).toHaveLength(250);
    expect((await apply(state)).plan.operations).toEqual([]);
  });

  it("records a failed create with Command's detail, goes on with the others, and plans it again next run", async () => {
    const people = users(6);
    command.injectFault({ match: { method: "POST", pathPrefix: "/Users" }, nth: 3, status: 500, body: JSON.stringify({ schemas: ["urn:ietf:params:scim:api:messages:2.0:Error"], status: "500", detail: "database is on fire" }) });
    const state = desired(people, [desiredGroup("00g1", "Eng", people.map((u) => u.oktaId))]);
    const first = await apply(state);
    expect(first.result.status).toBe("partial");
    expect(first.result.failed).toHaveLength(2);
    expect(first.result.failed[0]).toMatchObject({ type: "createUser", error: expect.stringContaining("database is on fire") });
    // The membership of the user who is not in Command yet is the second failure.
    expect(first.result.failed[1]).toMatchObject({ type: "addMembers", error: expect.stringContaining("not in Command yet") });
    expect(command.users()).toHaveLength(5);
    expect(store.load().users).toHaveLength(5);
    const outcomes = store.getRunOperations(first.runId);
    expect(outcomes.filter((o) => o.outcome === "failed").map((o) => o.type)).toEqual(["createUser", "addMembers"]);

    const second = await apply(state);
    expect(second.plan.operations.map((o) => o.type)).toEqual(["createUser", "addMembers"]);
    expect(second.result.status).toBe("succeeded");
    expect(command.users()).toHaveLength(6);
    expect(command.groups()[0]!.members).toHaveLength(6);
  });

  it("drops the link of a user deleted in Command (404 on update), warns, and creates the user next run", async () => {
    const [ada] = users(1);
    await apply(desired([ada!]));
    const scimId = store.load().users[0]!.scimId;
    command.deleteUserDirect(scimId);
    const changed = desiredUser(ada!.oktaId, { attrs: { title: "New" } });
    const second = await apply(desired([changed]));
    expect(second.result.status).toBe("succeeded");
    expect(second.result.warnings.join()).toMatch(/no longer exists in Command; it will be created again next run/);
    expect(store.load().users).toHaveLength(0);
    const third = await apply(desired([changed]));
    expect(third.plan.operations.map((o) => o.type)).toEqual(["createUser"]);
    expect(command.users().map((u) => u.title)).toEqual(["New"]);
  });

  it("adopts an existing Command user on 409 instead of making a duplicate", async () => {
    command.seedUser({ userName: "00u0000@example.com", active: false, title: "Old" });
    const { result } = await apply(desired(users(1)));
    expect(result.status).toBe("succeeded");
    expect(result.warnings.join()).toMatch(/already existed in Command; linked to it/);
    expect(command.users()).toHaveLength(1);
    expect(command.users()[0]).toMatchObject({ externalId: "00u0000", title: "T0", active: true });
    expect(store.load().users[0]!.scimId).toBe(command.users()[0]!.id);
  });

  it("a create whose answer was lost (crash or reset after Command made it) is adopted on the next run, never duplicated", async () => {
    const people = users(3);
    const state = desired(people, [desiredGroup("00g1", "Eng", people.map((u) => u.oktaId))]);
    command.injectFault({ match: { method: "POST", pathPrefix: "/Groups" }, afterApply: true, resetConnection: true });
    command.injectFault({ match: { method: "POST", pathPrefix: "/Users" }, nth: 2, afterApply: true, status: 502 });
    const first = await apply(state);
    expect(first.result.status).toBe("partial");
    expect(command.groups()).toHaveLength(1);
    expect(command.users()).toHaveLength(3);
    const second = await apply(state);
    expect(second.result.status).toBe("succeeded");
    expect(second.result.warnings.join("\n")).toMatch(/already existed in Command \(an earlier run created it and stopped before recording it\); linked to it/);
    expect(command.groups()).toHaveLength(1);
    expect(command.users()).toHaveLength(3);
    expect(command.groups()[0]!.members).toHaveLength(3);
    expect((await apply(state)).plan.operations).toEqual([]);
  });

  it("adopts a group Okta's own provisioning made (same name, no externalId), and refuses one owned by another source", async () => {
    command.seedGroup({ displayName: "Eng" });
    command.seedGroup({ displayName: "Ops", externalId: "something-else" });
    const { result } = await apply(desired([], [desiredGroup("00g1", "Eng"), desiredGroup("00g2", "Ops")]));
    expect(result.status).toBe("partial");
    expect(result.failed).toEqual([{ type: "createGroup", target: "Ops", error: expect.stringContaining('a group named "Ops" already exists in Command for another source') }]);
    expect(command.groups()).toHaveLength(2);
    expect(store.load().groups.map((g) => g.displayName)).toEqual(["Eng"]);
  });

  it("a user and a group found by the lookup before their create to belong to another source fail without any POST, and say so", async () => {
    const [ada] = users(1);
    command.seedUser({ userName: ada!.userName, externalId: "0oaOtherIdP123" });
    command.seedGroup({ displayName: "Ops", externalId: "something-else" });
    const { result } = await apply(desired([ada!], [desiredGroup("00g2", "Ops")]), { lookupBeforeCreate: true, lookupGroupsBeforeCreate: true });
    expect(result.failed).toEqual([
      {
        type: "createUser",
        target: ada!.userName,
        error: `${ada!.userName} is not created: it already exists in Command as ${ada!.userName}, linked to another source (externalId 0oaOtherIdP123); resolve it in Command, then rerun`,
      },
      {
        type: "createGroup",
        target: "Ops",
        error: 'group Ops is not created: a group named "Ops" already exists in Command for another source (externalId something-else); rename one of them',
      },
    ]);
    // Nothing was sent to be refused: the conflict was found by the lookups.
    expect(command.requests.filter((r) => r.method === "POST")).toEqual([]);
  });

  it("a user deleted in Command before its deactivation, and a group deleted before a membership change, are handled and converge", async () => {
    const people = users(3);
    await apply(desired(people, [desiredGroup("00g1", "Eng", [people[0]!.oktaId])]));
    const snap = store.load();
    command.deleteUserDirect(snap.users.find((u) => u.oktaId === people[2]!.oktaId)!.scimId);
    command.deleteGroupDirect(snap.groups[0]!.scimId);
    const next = desired(people.slice(0, 2), [desiredGroup("00g1", "Eng", [people[0]!.oktaId, people[1]!.oktaId])]);
    const second = await apply(next);
    expect(second.plan.operations.map((o) => o.type)).toEqual(["addMembers", "deactivateUser"]);
    expect(second.result.failed.map((f) => f.type)).toEqual(["addMembers"]);
    expect(second.result.warnings.join("\n")).toMatch(/nothing to deactivate/);
    expect(second.result.warnings.join("\n")).toMatch(/group Eng no longer exists in Command; it will be created again next run/);
    const third = await apply(next);
    expect(third.result.status).toBe("succeeded");
    expect(command.groups()).toHaveLength(1);
    expect(command.groups()[0]!.members).toHaveLength(2);
    expect((await apply(next)).plan.operations).toEqual([]);
  });

  it("finds a group to adopt by listing when Command refuses filters (groups looked up before their create)", async () => {
    await command.close();
    command = await startVerkadaEmulator({ token: "t0ken-for-tests", filters: false });
    await client.close();
    client = createScimClient({ baseUrl: command.url, token: "t0ken-for-tests", timeoutMs: 5000, requestsPerMinute: 0 });
    const existing = command.seedGroup({ displayName: "Eng", externalId: "00g1" });
    const { result } = await apply(desired([], [desiredGroup("00g1", "Engineering")]), { lookupGroupsBeforeCreate: true });
    expect(result.status).toBe("succeeded");
    expect(command.groups()).toEqual([expect.objectContaining({ id: existing.id, displayName: "Engineering" })]);
    expect(command.requests.filter((r) => r.method === "POST")).toEqual([]);
    expect(command.requests.some((r) => r.status === 400 && r.query.filter !== undefined)).toBe(true);
  });

  it("stops at the first authentication failure and skips the rest", async () => {
    command.setToken("a-refreshed-token");
    const { result, runId } = await apply(desired(users(20)), { concurrency: 2 });
    expect(result.status).toBe("failed");
    expect(result.fatal?.kind).toBe("auth");
    // Only the requests already in flight reached Command.
    expect(command.requests.length).toBeLessThanOrEqual(2);
    const outcomes = store.getRunOperations(runId);
    expect(outcomes.filter((o) => o.outcome === "skipped").length).toBeGreaterThanOrEqual(18);
    expect(store.load().users).toHaveLength(0);
  });

  it("runs the phases in order: users, groups, memberships, deactivations, group deletions", async () => {
    const people = users(3);
    await apply(desired(people, [desiredGroup("00g1", "Eng", [people[0]!.oktaId]), desiredGroup("00g2", "Old", [])]));
    command.resetLog();
    await apply(desired([desiredUser(people[0]!.oktaId, { attrs: { title: "X" } }), desiredUser("00u9999")], [desiredGroup("00g1", "Engineering", ["00u9999"])]), { concurrency: 1 });
    const sequence = command.requests.map((r) => `${r.method} ${r.path.split("/")[1]}`);
    expect(sequence).toEqual([
      "PUT Users", // update of 00u0000 sorts before the create of 00u9999
      "POST Users",
      "PATCH Groups", // rename
      "PATCH Groups", // add member
      "PATCH Groups", // remove member
      "PATCH Users",
      "PATCH Users", // two deactivations
      "DELETE Groups",
    ]);
  });
});
