import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type DesiredState, type Operation, type Snapshot, summarize } from "../../src/model.js";
import { diffAttributes, plan } from "../../src/plan/planner.js";
import {
  applyToSnapshot,
  desired,
  desiredGroup,
  desiredUser,
  heldUser,
  snapshot,
  snapshotGroup,
  snapshotUser,
} from "../support/builders.js";

const keep = { onRemove: "keep" as const };
const types = (ops: readonly Operation[]) => ops.map((o) => o.type);

describe("planner: users", () => {
  it("creates a user who is assigned and not yet in Command, with every mapped attribute", () => {
    const result = plan(desired([desiredUser("00u1", { attrs: { title: "Engineer" } })]), snapshot([]), keep);
    expect(result.operations).toEqual([
      { type: "createUser", oktaId: "00u1", userName: "00u1@example.com", after: { userName: "00u1@example.com", title: "Engineer" } },
    ]);
  });

  it("does not create a user who is not active in Okta", () => {
    const result = plan(desired([desiredUser("00u1", { active: false })]), snapshot([]), keep);
    expect(result.operations).toEqual([]);
  });

  it("updates only the attributes that differ, with before and after", () => {
    const result = plan(
      desired([desiredUser("00u1", { attrs: { title: "Lead", "name.givenName": "Ada" } })]),
      snapshot([snapshotUser("00u1", { attrs: { title: "Engineer", "name.givenName": "Ada" } })]),
      keep,
    );
    expect(result.operations).toEqual([
      {
        type: "updateUser",
        oktaId: "00u1",
        scimId: "scim-00u1",
        userName: "00u1@example.com",
        before: { title: "Engineer" },
        after: { title: "Lead" },
        attributes: { userName: "00u1@example.com", title: "Lead", "name.givenName": "Ada" },
        active: true,
      },
    ]);
  });

  it("removes an attribute that became empty in Okta (after lacks the key)", () => {
    const result = plan(
      desired([desiredUser("00u1")]),
      snapshot([snapshotUser("00u1", { attrs: { 'phoneNumbers[type eq "work"].value': "+1 555 0100" } })]),
      keep,
    );
    const op = result.operations[0];
    expect(op?.type).toBe("updateUser");
    if (op?.type !== "updateUser") return;
    expect(op.before).toEqual({ 'phoneNumbers[type eq "work"].value': "+1 555 0100" });
    expect(op.after).toEqual({});
    expect(op.attributes).toEqual({ userName: "00u1@example.com" });
  });

  it("treats a changed email/userName as an update of the same user, never delete + create", () => {
    const result = plan(
      desired([desiredUser("00u1", { userName: "ada.l@example.com" })]),
      snapshot([snapshotUser("00u1", { userName: "ada@example.com" })]),
      keep,
    );
    expect(types(result.operations)).toEqual(["updateUser"]);
    const op = result.operations[0]!;
    if (op.type !== "updateUser") throw new Error("expected update");
    expect(op.before).toEqual({ userName: "ada@example.com" });
    expect(op.after).toEqual({ userName: "ada.l@example.com" });
  });

  it("deactivates a user who left the app, never deletes", () => {
    const result = plan(desired([]), snapshot([snapshotUser("00u1")]), keep);
    expect(result.operations).toEqual([{ type: "deactivateUser", oktaId: "00u1", scimId: "scim-00u1", userName: "00u1@example.com" }]);
  });

  it("deactivates a user who is still assigned but deactivated in Okta", () => {
    const result = plan(desired([desiredUser("00u1", { active: false })]), snapshot([snapshotUser("00u1")]), keep);
    expect(types(result.operations)).toEqual(["deactivateUser"]);
  });

  it("leaves an already deactivated user alone, even when attributes changed", () => {
    const result = plan(
      desired([desiredUser("00u1", { active: false, attrs: { title: "Gone" } })]),
      snapshot([snapshotUser("00u1", { active: false })]),
      keep,
    );
    expect(result.operations).toEqual([]);
  });

  it("reactivates a reassigned user with the same SCIM id, updating attributes first", () => {
    const result = plan(
      desired([desiredUser("00u1", { attrs: { title: "Back" } })]),
      snapshot([snapshotUser("00u1", { active: false })]),
      keep,
    );
    expect(types(result.operations)).toEqual(["updateUser", "reactivateUser"]);
    expect(result.operations[1]).toEqual({ type: "reactivateUser", oktaId: "00u1", scimId: "scim-00u1", userName: "00u1@example.com" });
    const update = result.operations[0]!;
    if (update.type !== "updateUser") throw new Error("expected update");
    expect(update.active).toBe(false);
  });

  it("does nothing when Okta and the snapshot agree", () => {
    const result = plan(
      desired([desiredUser("00u1", { attrs: { title: "A" } })], [desiredGroup("00g1", "Eng", ["00u1"])]),
      snapshot([snapshotUser("00u1", { attrs: { title: "A" } })], [snapshotGroup("00g1", "Eng", ["00u1"])]),
      keep,
    );
    expect(result.operations).toEqual([]);
  });
});

describe("planner: groups", () => {
  it("creates a group and adds its assigned, active members", () => {
    const result = plan(
      desired([desiredUser("00u1"), desiredUser("00u2"), desiredUser("00u3", { active: false })], [desiredGroup("00g1", "Eng", ["00u1", "00u2", "00u3", "00u9"])]),
      snapshot([]),
      keep,
    );
    expect(types(result.operations)).toEqual(["createGroup", "createUser", "createUser", "addMembers"]);
    const add = result.operations[3]!;
    if (add.type !== "addMembers") throw new Error("expected addMembers");
    expect(add.members.map((m) => m.oktaId)).toEqual(["00u1", "00u2"]);
    expect(summarize(result.operations).addMembers).toBe(2);
  });

  it("adds a user who is in two groups to both", () => {
    const result = plan(
      desired([desiredUser("00u1")], [desiredGroup("00g1", "Eng", ["00u1"]), desiredGroup("00g2", "Ops", ["00u1"])]),
      snapshot([snapshotUser("00u1")], [snapshotGroup("00g1", "Eng"), snapshotGroup("00g2", "Ops")]),
      keep,
    );
    expect(result.operations.map((o) => (o.type === "addMembers" ? o.oktaGroupId : o.type))).toEqual(["00g1", "00g2"]);
  });

  it("renames a group and changes its membership in one plan", () => {
    const result = plan(
      desired([desiredUser("00u1"), desiredUser("00u2")], [desiredGroup("00g1", "Platform", ["00u2"])]),
      snapshot([snapshotUser("00u1"), snapshotUser("00u2")], [snapshotGroup("00g1", "Infra", ["00u1"])]),
      keep,
    );
    expect(result.operations).toEqual([
      { type: "updateGroup", oktaGroupId: "00g1", scimId: "scim-00g1", before: { displayName: "Infra" }, after: { displayName: "Platform" } },
      { type: "addMembers", oktaGroupId: "00g1", displayName: "Platform", members: [{ oktaId: "00u2", userName: "00u2@example.com" }] },
      { type: "removeMembers", oktaGroupId: "00g1", displayName: "Platform", members: [{ oktaId: "00u1", userName: "00u1@example.com" }] },
    ]);
  });

  it("removes a deactivated user from pushed groups", () => {
    const result = plan(
      desired([desiredUser("00u2")], [desiredGroup("00g1", "Eng", ["00u1", "00u2"])]),
      snapshot([snapshotUser("00u1"), snapshotUser("00u2")], [snapshotGroup("00g1", "Eng", ["00u1", "00u2"])]),
      keep,
    );
    expect(types(result.operations)).toEqual(["removeMembers", "deactivateUser"]);
  });

  it("keeps a group that left the push list unless onRemove is delete", () => {
    const before = snapshot([], [snapshotGroup("00g1", "Eng")]);
    expect(plan(desired([]), before, keep).operations).toEqual([]);
    expect(plan(desired([]), before, { onRemove: "delete" }).operations).toEqual([
      { type: "deleteGroup", oktaGroupId: "00g1", scimId: "scim-00g1", displayName: "Eng" },
    ]);
  });

  it("re-adds a reassigned user to their groups after reactivation", () => {
    const result = plan(
      desired([desiredUser("00u1")], [desiredGroup("00g1", "Eng", ["00u1"])]),
      snapshot([snapshotUser("00u1", { active: false })], [snapshotGroup("00g1", "Eng", [])]),
      keep,
    );
    expect(types(result.operations)).toEqual(["reactivateUser", "addMembers"]);
  });
});

describe("planner: held users", () => {
  it("never updates, deactivates or reactivates a held user, and lists it in plan.skipped", () => {
    const result = plan(
      desired([desiredUser("00u3")], [], [heldUser("00u1"), heldUser("00u2", "its userName is also the userName of Okta user 00u0")]),
      snapshot([snapshotUser("00u1", { attrs: { title: "Old" } }), snapshotUser("00u2", { active: false }), snapshotUser("00u3")]),
      keep,
    );
    expect(result.operations).toEqual([]);
    expect(result.skipped?.map((u) => u.oktaId)).toEqual(["00u1", "00u2"]);
  });

  it("keeps a held user's memberships exactly as the snapshot has them: not removed, not added", () => {
    const result = plan(
      desired([desiredUser("00u2")], [desiredGroup("00g1", "Eng", ["00u2"]), desiredGroup("00g2", "Ops", ["00u2"])], [heldUser("00u1")]),
      snapshot([snapshotUser("00u1"), snapshotUser("00u2")], [snapshotGroup("00g1", "Eng", ["00u1"]), snapshotGroup("00g2", "Ops", [])]),
      keep,
    );
    expect(result.operations).toEqual([
      { type: "addMembers", oktaGroupId: "00g1", displayName: "Eng", members: [{ oktaId: "00u2", userName: "00u2@example.com" }] },
      { type: "addMembers", oktaGroupId: "00g2", displayName: "Ops", members: [{ oktaId: "00u2", userName: "00u2@example.com" }] },
    ]);
  });

  it("holds a user even when the desired state also lists it", () => {
    const result = plan(
      desired([desiredUser("00u1", { active: false })], [desiredGroup("00g1", "Eng", ["00u1"])], [heldUser("00u1")]),
      snapshot([snapshotUser("00u1")], [snapshotGroup("00g1", "Eng", [])]),
      keep,
    );
    expect(result.operations).toEqual([]);
  });

  it("still deactivates a user who left the app while another is held", () => {
    const result = plan(desired([], [], [heldUser("00u1")]), snapshot([snapshotUser("00u1"), snapshotUser("00u2")]), keep);
    expect(result.operations).toEqual([{ type: "deactivateUser", oktaId: "00u2", scimId: "scim-00u2", userName: "00u2@example.com" }]);
  });
});

describe("planner: determinism and purity", () => {
  it("orders operations by phase, then Okta id, whatever the input order", () => {
    const users = [desiredUser("00u3"), desiredUser("00u1"), desiredUser("00u2")];
    const a = plan(desired(users, [desiredGroup("00g2", "B"), desiredGroup("00g1", "A")]), snapshot([snapshotUser("00u9")]), keep);
    const b = plan(desired([...users].reverse(), [desiredGroup("00g1", "A"), desiredGroup("00g2", "B")]), snapshot([snapshotUser("00u9")]), keep);
    expect(a).toEqual(b);
    expect(types(a.operations)).toEqual(["createGroup", "createGroup", "createUser", "createUser", "createUser", "deactivateUser"]);
    expect(a.operations.slice(2).map((o) => ("oktaId" in o ? o.oktaId : ""))).toEqual(["00u1", "00u2", "00u3", "00u9"]);
  });

  it("does not mutate its inputs", () => {
    const d = desired([desiredUser("00u1")], [desiredGroup("00g1", "Eng", ["00u1"])]);
    const s = snapshot([snapshotUser("00u2")], [snapshotGroup("00g1", "Old", ["00u2"])]);
    const copies = JSON.stringify([d, s]);
    plan(d, s, { onRemove: "delete" });
    expect(JSON.stringify([d, s])).toBe(copies);
  });

  it("diffAttributes reports nothing for equal maps", () => {
    expect(diffAttributes({ a: "1" }, { a: "1" })).toBeUndefined();
  });
});

// Property: whatever the snapshot and Okta say, applying the plan makes the snapshot say what
// Okta says, and planning again finds nothing to do.
const userIds = ["00u1", "00u2", "00u3", "00u4", "00u5", "00u6"];
const groupIds = ["00g1", "00g2", "00g3"];
const attrs = fc.record(
  { title: fc.constantFrom("Engineer", "Lead", "Director"), "name.givenName": fc.constantFrom("Ada", "Grace"), department: fc.constantFrom("R&D", "Ops") },
  { requiredKeys: [] },
);
const subset = (ids: string[]) => fc.subarray(ids);

// Held users are assigned but cannot be pushed: like the desired state builds it, they are in
// neither the users nor the groups' members.
const desiredArb: fc.Arbitrary<DesiredState> = fc
  .record({
    users: subset(userIds).chain((ids) => fc.tuple(...ids.map((id) => fc.record({ active: fc.boolean(), attrs, mail: fc.constantFrom("a", "b") }).map((v) => desiredUser(id, { active: v.active, attrs: v.attrs, userName: `${id}.${v.mail}@example.com` }))))),
    groups: subset(groupIds).chain((ids) => fc.tuple(...ids.map((id) => fc.record({ name: fc.constantFrom("Eng", "Ops", "Sales"), members: subset(userIds) }).map((v) => desiredGroup(id, `${v.name}-${id}`, v.members))))),
    held: subset(userIds),
  })
  .map(({ users, groups, held }) => {
    const isHeld = (id: string) => held.includes(id);
    return desired(
      users.filter((u) => !isHeld(u.oktaId)),
      groups.map((g) => ({ ...g, members: g.members.filter((m) => !isHeld(m)) })),
      held.map((id) => heldUser(id)),
    );
  });

const snapshotArb: fc.Arbitrary<Snapshot> = subset(userIds).chain((linked) =>
  fc
    .record({
      users: fc.tuple(...linked.map((id) => fc.record({ active: fc.boolean(), attrs, mail: fc.constantFrom("a", "b") }).map((v) => snapshotUser(id, { active: v.active, attrs: v.attrs, userName: `${id}.${v.mail}@example.com` })))),
      groups: subset(groupIds).chain((ids) => fc.tuple(...ids.map((id) => fc.record({ name: fc.constantFrom("Eng", "Ops"), members: subset(linked) }).map((v) => snapshotGroup(id, `${v.name}-${id}`, v.members))))),
    })
    .map(({ users, groups }) => snapshot(users, groups)),
);

describe("planner: properties", () => {
  it("applying the plan yields the desired state, and planning again yields nothing", () => {
    fc.assert(
      fc.property(desiredArb, snapshotArb, fc.constantFrom<"keep" | "delete">("keep", "delete"), (want, have, onRemove) => {
        const first = plan(want, have, { onRemove });
        const after = applyToSnapshot(have, first);
        const byId = new Map(after.users.map((u) => [u.oktaId, u]));
        // Held users are never touched: no operation names them, their Command user is as it was.
        const held = new Set((want.skipped ?? []).map((u) => u.oktaId));
        expect(first.skipped?.map((u) => u.oktaId)).toEqual([...held].sort());
        for (const op of first.operations) {
          if ("oktaId" in op) expect(held.has(op.oktaId)).toBe(false);
          if (op.type === "addMembers" || op.type === "removeMembers") for (const m of op.members) expect(held.has(m.oktaId)).toBe(false);
        }
        for (const user of have.users) if (held.has(user.oktaId)) expect(byId.get(user.oktaId)).toEqual(user);
        for (const user of want.users) {
          const got = byId.get(user.oktaId);
          if (user.active) {
            expect(got?.active).toBe(true);
            expect(got?.attributes).toEqual(user.attributes);
          } else {
            expect(got === undefined || got.active === false).toBe(true);
          }
        }
        const wanted = new Set(want.users.map((u) => u.oktaId));
        for (const user of after.users) if (!wanted.has(user.oktaId) && !held.has(user.oktaId)) expect(user.active).toBe(false);
        const activeIds = new Set(want.users.filter((u) => u.active).map((u) => u.oktaId));
        const groups = new Map(after.groups.map((g) => [g.oktaId, g]));
        const had = new Map(have.groups.map((g) => [g.oktaId, g.members]));
        for (const group of want.groups) {
          expect(groups.get(group.oktaId)?.displayName).toBe(group.displayName);
          const keptHeld = (had.get(group.oktaId) ?? []).filter((m) => held.has(m));
          expect(groups.get(group.oktaId)?.members).toEqual([...group.members.filter((m) => activeIds.has(m)), ...keptHeld].sort());
        }
        if (onRemove === "delete") expect(after.groups.length).toBe(want.groups.length);
        expect(plan(want, after, { onRemove }).operations).toEqual([]);
      }),
      { numRuns: 500 },
    );
  });
});
