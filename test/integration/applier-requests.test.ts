/**
 * How many requests the applier sends, and what it leaves in the snapshot: one request per user
 * create, update, deactivation or reactivation, one POST per new group carrying its first
 * members, membership PATCHes chunked per group, and no reads of Command in a normal run. Creates
 * an earlier run may have sent without recording them (pending) are looked up and adopted.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type ApplyOptions, applyPlan } from "../../src/apply/applier.js";
import type { ScimLookups } from "../../src/apply/ports.js";
import { type VerkadaEmulator, type RequestLogEntry, startVerkadaEmulator } from "../../src/emulators/verkada-emulator.js";
import type { DesiredState } from "../../src/model.js";
import { plan } from "../../src/plan/planner.js";
import { createScimClient, type ScimClient } from "../../src/scim/client.js";
import { openSnapshotStore, type SqliteSnapshotStore } from "../../src/store/index.js";
import { desired, desiredGroup, desiredUser } from "../support/builders.js";

const TOKEN = "t0ken-for-tests";
let command: VerkadaEmulator;
let client: ScimClient & ScimLookups;
let store: SqliteSnapshotStore;
let dbPath: string;

beforeEach(async () => {
  command = await startVerkadaEmulator({ token: TOKEN });
  client = createScimClient({ baseUrl: command.url, token: TOKEN, timeoutMs: 5000, requestsPerMinute: 0 });
  dbPath = join(mkdtempSync(join(tmpdir(), "ocs-apply-requests-")), "state.db");
  store = openSnapshotStore(dbPath);
});
afterEach(async () => {
  store.close();
  await client.close();
  await command.close();
});

async function apply(state: DesiredState, options: Partial<Omit<ApplyOptions, "runId">> = {}) {
  const snapshot = store.load();
  const thePlan = plan(state, snapshot, { onRemove: "delete" });
  const runId = store.beginRun("test", new Date());
  const result = await applyPlan(thePlan, snapshot, client, store, { runId, concurrency: 4, membersPerRequest: 100, ...options });
  return { plan: thePlan, result, runId };
}

const id = (n: number) => `00u${String(n).padStart(4, "0")}`;
const people = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => desiredUser(id(from + i), { attrs: { title: `T${from + i}` } }));
const oktaIds = (list: { oktaId: string }[]) => list.map((u) => u.oktaId);

const gets = () => command.requests.filter((r) => r.method === "GET");
const posts = (path: string) => command.requests.filter((r) => r.method === "POST" && r.path === path);
const groupPatches = (groupId: string) => command.requests.filter((r) => r.method === "PATCH" && r.path === `/Groups/${groupId}`);
const inlineMembers = (request: RequestLogEntry) => ((request.body as { members: { value: string }[] }).members ?? []).map((m) => m.value);
const patchSizes = (requests: RequestLogEntry[]) =>
  requests.map((r) => {
    const ops = (r.body as { Operations: { op: string; value?: unknown[] }[] }).Operations;
    return ops[0]!.op === "add" ? ops[0]!.value!.length : -ops.length;
  });
const commandGroup = (externalId: string) => command.groups().find((g) => g.externalId === externalId);
const commandUserId = (externalId: string) => command.users().find((u) => u.externalId === externalId)!.id;

describe("request-minimal apply", () => {
  it("N user creates, G group creates with members and membership changes: N POST /Users, G POST /Groups with inline members, the rest chunked, zero GETs", async () => {
    // Before: 4 users and a group "Old" holding the first 3 of them.
    const before = people(0, 4);
    await apply(desired(before, [desiredGroup("00g0", "Old", oktaIds(before.slice(0, 3)))]));
    command.resetLog();

    const fresh = people(4, 11); // N = 7 new users
    const everyone = [...before, ...fresh];
    const state = desired(everyone, [
      desiredGroup("00g0", "Old", [id(0), ...oktaIds(fresh)]), // +7 added, -2 removed
      desiredGroup("00g1", "Big", oktaIds(everyone)), // 11 members: 3 inline, 8 by PATCH
      desiredGroup("00g2", "Small", [id(1), id(5)]), // 2 members: all inline
      desiredGroup("00g3", "Empty"), // no members
    ]);
    const progress: number[] = [];
    const outcomes: string[] = [];
    const { result, plan: thePlan } = await apply(state, {
      membersPerRequest: 3,
      onProgress: ({ done }) => progress.push(done),
      onOutcome: ({ operation, outcome }) => outcomes.push(`${operation.type}:${outcome}`),
    });
    expect(result.status).toBe("succeeded");

    expect(gets()).toEqual([]);
    expect(posts("/Users")).toHaveLength(7);
    const groupPosts = posts("/Groups");
    expect(groupPosts).toHaveLength(3);
    const posted = new Map(groupPosts.map((p) => [(p.body as { externalId: string }).externalId, inlineMembers(p)]));
    expect(posted.get("00g1")).toHaveLength(3);
    expect(posted.get("00g2")!.sort()).toEqual([commandUserId(id(1)), commandUserId(id(5))].sort());
    expect(posted.get("00g3")).toEqual([]);

    // ceil((m - inline) / chunk) add PATCHes for the new groups; the old one: ceil(7/3) adds, one remove of 2.
    expect(patchSizes(groupPatches(commandGroup("00g1")!.id))).toEqual([3, 3, 2]);
    expect(groupPatches(commandGroup("00g2")!.id)).toEqual([]);
    expect(groupPatches(commandGroup("00g3")!.id)).toEqual([]);
    expect(patchSizes(groupPatches(commandGroup("00g0")!.id))).toEqual([3, 3, 1, -2]);
    expect(command.writeCount()).toBe(7 + 3 + 3 + 4);
    expect(command.requests).toHaveLength(command.writeCount());

    // Memberships count one per user in one group, inline ones included.
    expect(result.applied).toMatchObject({ createUser: 7, createGroup: 3, addMembers: 7 + 11 + 2, removeMembers: 2 });
    expect(progress).toHaveLength(thePlan.operations.length);
    expect(Math.max(...progress)).toBe(thePlan.operations.length);
    expect(outcomes).toHaveLength(thePlan.operations.length);
    expect(outcomes.every((o) => o.endsWith(":succeeded"))).toBe(true);

    expect(command.groups().find((g) => g.externalId === "00g1")!.members).toHaveLength(11);
    const snapshot = store.load();
    expect(snapshot.groups.find((g) => g.oktaId === "00g1")!.members).toEqual(oktaIds(everyone));
    expect(snapshot.groups.find((g) => g.oktaId === "00g2")!.members).toEqual([id(1), id(5)]);
    expect(store.pendingCreates()).toEqual({ users: new Set(), groups: new Set() });
    expect((await apply(state)).plan.operations).toEqual([]);
  });

  it("1 update = 1 PUT, 1 deactivation = 1 PATCH, 1 reactivation = 1 PATCH, 1 rename = 1 PATCH, 1 group delete = 1 DELETE", async () => {
    const [ada, bob] = people(0, 2);
    await apply(desired([ada!, bob!], [desiredGroup("00g1", "Eng"), desiredGroup("00g2", "Ops")]));
    const ids = () => ({ ada: commandUserId(id(0)), bob: commandUserId(id(1)) });
    const seen = () => command.requests.map((r) => `${r.method} ${r.path}`);

    command.resetLog();
    await apply(desired([desiredUser(id(0), { attrs: { title: "Countess" } }), bob!], [desiredGroup("00g1", "Eng"), desiredGroup("00g2", "Ops")]));
    expect(seen()).toEqual([`PUT /Users/${ids().ada}`]);

    command.resetLog();
    const inactiveBob = desiredUser(id(1), { active: false, attrs: { title: "T1" } });
    await apply(desired([desiredUser(id(0), { attrs: { title: "Countess" } }), inactiveBob], [desiredGroup("00g1", "Eng"), desiredGroup("00g2", "Ops")]));
    expect(seen()).toEqual([`PATCH /Users/${ids().bob}`]);
    expect(command.getUser(ids().bob)!.active).toBe(false);

    command.resetLog();
    await apply(desired([desiredUser(id(0), { attrs: { title: "Countess" } }), bob!], [desiredGroup("00g1", "Eng"), desiredGroup("00g2", "Ops")]));
    expect(seen()).toEqual([`PATCH /Users/${ids().bob}`]);
    expect(command.getUser(ids().bob)!.active).toBe(true);

    const eng = commandGroup("00g1")!.id;
    const ops = commandGroup("00g2")!.id;
    command.resetLog();
    await apply(desired([desiredUser(id(0), { attrs: { title: "Countess" } }), bob!], [desiredGroup("00g1", "Engineering")]));
    expect(seen()).toEqual([`PATCH /Groups/${eng}`, `DELETE /Groups/${ops}`]);
    expect(command.groups().map((g) => g.displayName)).toEqual(["Engineering"]);
  });

  it("a create marked pending is looked up and adopted, never duplicated; one not marked is created with no GET", async () => {
    // An earlier run sent these creates and died before recording them.
    store.markPendingCreates("user", [id(1), id(3)], "earlier-run");
    store.markPendingCreates("group", ["00g1"], "earlier-run");
    const ada = command.seedUser({ userName: `${id(1)}@example.com`, externalId: id(1), title: "T1" });
    // Renamed in Okta since: found by externalId.
    const cy = command.seedUser({ userName: "old-name@example.com", externalId: id(3), title: "T3" });
    const eng = command.seedGroup({ displayName: "Eng (old name)", externalId: "00g1" });
    command.resetLog();

    const state = desired(people(1, 4), [desiredGroup("00g1", "Eng", [id(1), id(2)]), desiredGroup("00g2", "Ops", [id(2)])]);
    const { result } = await apply(state, { concurrency: 1 });
    expect(result.status).toBe("succeeded");
    expect(result.warnings.join("\n")).toMatch(/already existed in Command \(an earlier run created it and stopped before recording it\); linked to it/);

    expect(command.users()).toHaveLength(3);
    expect(command.groups()).toHaveLength(2);
    const bob = commandUserId(id(2));
    // Only the unmarked user was POSTed; the marked ones were found and updated.
    expect(posts("/Users").map((r) => (r.body as { externalId: string }).externalId)).toEqual([id(2)]);
    expect(command.requests.filter((r) => r.method === "PUT").map((r) => r.path).sort()).toEqual([`/Users/${ada.id}`, `/Users/${cy.id}`].sort());
    // Lookups only for the marked ones: ada by userName; cy by userName then externalId; Eng by
    // externalId, then read whole so its membership can be made exact.
    expect(gets().map((r) => r.query.filter ?? r.path)).toEqual([
      `userName eq "${id(1)}@example.com"`,
      `userName eq "${id(3)}@example.com"`,
      `externalId eq "${id(3)}"`,
      'externalId eq "00g1"',
      `/Groups/${eng.id}`,
    ]);
    // The unmarked group: one POST with its member inline, no PATCH. The adopted one: renamed, members by PATCH.
    expect(posts("/Groups").map((r) => [(r.body as { externalId: string }).externalId, inlineMembers(r)])).toEqual([["00g2", [bob]]]);
    expect(patchSizes(groupPatches(eng.id))).toEqual([-1, 2]);
    expect(commandGroup("00g1")).toMatchObject({ id: eng.id, displayName: "Eng" });
    expect(commandGroup("00g1")!.members.map((m) => m.value).sort()).toEqual([ada.id, bob].sort());
    expect(store.load().users.find((u) => u.oktaId === id(3))!.scimId).toBe(cy.id);
    expect(store.pendingCreates()).toEqual({ users: new Set(), groups: new Set() });
    expect((await apply(state)).plan.operations).toEqual([]);
  });

  it("a group create that 409s is adopted and its members PATCHed, not assumed inline", async () => {
    const existing = command.seedGroup({ displayName: "Eng" });
    command.resetLog();
    const team = people(0, 2);
    const { result } = await apply(desired(team, [desiredGroup("00g1", "Eng", oktaIds(team))]));
    expect(result.status).toBe("succeeded");
    expect(result.warnings.join("\n")).toMatch(/group Eng already existed in Command; linked to it/);
    expect(result.applied.addMembers).toBe(2);
    const groupPosts = posts("/Groups");
    expect(groupPosts).toHaveLength(1);
    expect(groupPosts[0]!.status).toBe(409);
    expect(inlineMembers(groupPosts[0]!)).toHaveLength(2);
    // Looked up only after the 409: by externalId, then by name; then read whole for its members.
    expect(gets().map((r) => r.query.filter ?? r.path)).toEqual(['externalId eq "00g1"', 'displayName eq "Eng"', `/Groups/${existing.id}`]);
    expect(patchSizes(groupPatches(existing.id))).toEqual([2]);
    expect(command.groups()).toHaveLength(1);
    expect(command.groups()[0]!.members).toHaveLength(2);
    expect(store.load().groups).toEqual([{ oktaId: "00g1", scimId: existing.id, displayName: "Eng", members: oktaIds(team) }]);
  });

  it("Command refusing a create (400) clears its pending mark; a 500 leaves it, and the next run looks it up", async () => {
    command.injectFault({ match: { method: "POST", pathPrefix: "/Users" }, nth: 1, status: 400 });
    command.injectFault({ match: { method: "POST", pathPrefix: "/Users" }, nth: 2, status: 500 });
    command.injectFault({ match: { method: "POST", pathPrefix: "/Groups" }, nth: 1, status: 400 });
    command.injectFault({ match: { method: "POST", pathPrefix: "/Groups" }, nth: 2, status: 500 });
    const state = desired(people(0, 3), [desiredGroup("00g1", "Eng"), desiredGroup("00g2", "Ops"), desiredGroup("00g3", "Sales")]);
    const first = await apply(state, { concurrency: 1 });
    expect(first.result.status).toBe("partial");
    expect(first.result.failed.map((f) => `${f.type} ${f.target}`)).toEqual([`createUser ${id(0)}@example.com`, `createUser ${id(1)}@example.com`, "createGroup Eng", "createGroup Ops"]);
    expect(store.pendingCreates()).toEqual({ users: new Set([id(1)]), groups: new Set(["00g2"]) });

    command.resetLog();
    const second = await apply(state, { concurrency: 1 });
    expect(second.result.status).toBe("succeeded");
    // Only the creates whose fate was unknown are looked up (and, not found, created).
    expect(gets().map((r) => r.query.filter)).toEqual([`userName eq "${id(1)}@example.com"`, `externalId eq "${id(1)}"`, 'externalId eq "00g2"', 'displayName eq "Ops"']);
    expect(posts("/Users")).toHaveLength(2);
    expect(posts("/Groups")).toHaveLength(2);
    expect(command.users()).toHaveLength(3);
    expect(command.groups()).toHaveLength(3);
    expect(store.pendingCreates()).toEqual({ users: new Set(), groups: new Set() });
  });

  it("a 500 after Command made the group leaves the mark; the next run adopts it and finds its members there", async () => {
    const team = people(0, 2);
    const state = desired(team, [desiredGroup("00g1", "Eng", oktaIds(team))]);
    command.injectFault({ match: { method: "POST", pathPrefix: "/Groups" }, afterApply: true, status: 500 });
    const first = await apply(state);
    expect(first.result.failed.map((f) => f.type)).toEqual(["createGroup"]);
    expect(store.pendingCreates().groups).toEqual(new Set(["00g1"]));
    // Command holds the group with its inline members; the snapshot knows nothing of it.
    expect(command.groups()[0]!.members).toHaveLength(2);
    expect(store.load().groups).toEqual([]);

    command.resetLog();
    const second = await apply(state);
    expect(second.result.status).toBe("succeeded");
    expect(posts("/Groups")).toEqual([]);
    const group = command.groups()[0]!;
    expect(gets().map((r) => r.query.filter ?? r.path)).toEqual(['externalId eq "00g1"', `/Groups/${group.id}`]);
    // Read whole, the adopted group already holds both members: no PATCH is needed.
    expect(patchSizes(groupPatches(group.id))).toEqual([]);
    expect(command.groups()).toHaveLength(1);
    expect(store.load().groups[0]!.members).toEqual(oktaIds(team));
  });

  it("inline members that Command refuses (a linked user deleted in Command) fall back to an empty create and PATCHes", async () => {
    const team = people(0, 3);
    await apply(desired(team));
    command.deleteUserDirect(commandUserId(id(1)));
    command.resetLog();
    const { result } = await apply(desired(team, [desiredGroup("00g1", "Eng", oktaIds(team))]));
    expect(result.failed.map((f) => f.type)).toEqual(["addMembers"]);
    const groupPosts = posts("/Groups");
    expect(groupPosts.map((r) => [r.status, inlineMembers(r).length])).toEqual([
      [400, 3],
      [201, 0],
    ]);
    expect(command.groups()).toHaveLength(1);
    expect(store.load().groups.map((g) => g.oktaId)).toEqual(["00g1"]);
    expect(store.pendingCreates().groups).toEqual(new Set());
  });

  it("a group and its inline members are committed together: a run stopped right after the create keeps them", async () => {
    const team = people(0, 5);
    const state = desired(team, [desiredGroup("00g1", "Eng", oktaIds(team)), desiredGroup("00g2", "Ops", [id(0), id(1)])]);
    const controller = new AbortController();
    const seenOnDisk: { oktaId: string; members: readonly string[] }[][] = [];
    const { result, runId } = await apply(state, {
      concurrency: 1,
      membersPerRequest: 2,
      signal: controller.signal,
      onOutcome: ({ operation, outcome }) => {
        if (operation.type !== "createGroup" || outcome !== "succeeded") return;
        // What a process killed right now would leave: read through another connection.
        const reader = openSnapshotStore(dbPath, { readonly: true });
        try {
          seenOnDisk.push(reader.load().groups.map((g) => ({ oktaId: g.oktaId, members: g.members })));
        } finally {
          reader.close();
        }
        controller.abort();
      },
    });
    expect(seenOnDisk).toEqual([[{ oktaId: "00g1", members: [id(0), id(1)] }]]);
    expect(command.groups()).toHaveLength(1);
    expect(command.groups()[0]!.members).toHaveLength(2);
    expect(result.status).toBe("partial");
    expect(result.applied.addMembers).toBe(2);
    const records = store.getRunOperations(runId);
    expect(records.filter((r) => r.outcome === "succeeded").map((r) => r.type)).toEqual(["createGroup", "createUser", "createUser", "createUser", "createUser", "createUser"]);
    expect(records.find((r) => r.type === "addMembers" && r.target === "Eng")).toMatchObject({ outcome: "failed", error: expect.stringMatching(/^2 of 5 applied; not attempted: the run was interrupted/) });
    // The skipped group create was never sent: its mark is gone, and no lookup is needed next run.
    expect(store.pendingCreates()).toEqual({ users: new Set(), groups: new Set() });

    command.resetLog();
    const next = await apply(state, { membersPerRequest: 2 });
    expect(next.plan.operations.map((o) => `${o.type} ${"members" in o ? o.members.length : ""}`.trim())).toEqual(["createGroup", "addMembers 3", "addMembers 2"]);
    expect(next.result.status).toBe("succeeded");
    expect(gets()).toEqual([]);
    expect(command.groups().map((g) => g.members.length).sort()).toEqual([2, 5]);
    expect((await apply(state)).plan.operations).toEqual([]);
  });
});
