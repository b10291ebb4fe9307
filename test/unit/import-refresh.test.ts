import { describe, expect, it } from "vitest";
import type { RemoteGroup, RemoteUser } from "../../src/model.js";
import { matchImport } from "../../src/plan/import-match.js";
import { plan } from "../../src/plan/planner.js";
import { refreshSnapshot } from "../../src/plan/refresh.js";
import { desired, desiredGroup, desiredUser, snapshot, snapshotGroup, snapshotUser } from "../support/builders.js";

const remote = (id: string, userName: string, externalId?: string, extra: Partial<RemoteUser> = {}): RemoteUser => ({
  id,
  userName,
  externalId,
  active: true,
  attributes: { userName },
  ...extra,
});
const group = (id: string, displayName: string, memberIds: string[] = [], externalId?: string): RemoteGroup => ({ id, displayName, externalId, memberIds });

describe("import matching", () => {
  it("matches by externalId first, then by userName ignoring case, and records Command's current state", () => {
    const want = desired(
      [desiredUser("00u1", { userName: "ada@example.com" }), desiredUser("00u2", { userName: "Bob@Example.com" }), desiredUser("00u3")],
      [desiredGroup("00g1", "Eng", ["00u1", "00u2"])],
    );
    const result = matchImport(
      want,
      [remote("s1", "ada.old@example.com", "00u1", { active: false }), remote("s2", "bob@example.com"), remote("s9", "stranger@example.com")],
      [group("g1", "eng", ["s1", "s2", "s9"])],
    );
    expect(result.matchedUsers).toEqual([
      { oktaId: "00u1", scimId: "s1", userName: "ada.old@example.com", by: "externalId" },
      { oktaId: "00u2", scimId: "s2", userName: "bob@example.com", by: "userName" },
    ]);
    expect(result.snapshot.users.find((u) => u.oktaId === "00u1")).toMatchObject({ scimId: "s1", active: false, userName: "ada.old@example.com" });
    expect(result.matchedGroups).toEqual([{ oktaId: "00g1", scimId: "g1", displayName: "eng", by: "displayName" }]);
    expect(result.snapshot.groups[0]!.members).toEqual(["00u1", "00u2"]);
    expect(result.unmatchedOkta.users).toEqual([{ oktaId: "00u3", userName: "00u3@example.com" }]);
    expect(result.unmatchedCommand.users).toEqual([{ scimId: "s9", userName: "stranger@example.com" }]);
    expect(result.ambiguous).toEqual([]);
    // Planning against the imported links shows only what differs, never a duplicate create.
    const next = plan(want, result.snapshot, { onRemove: "keep" });
    expect(next.operations.filter((o) => o.type === "createUser").map((o) => o.oktaId)).toEqual(["00u3"]);
    expect(next.operations.map((o) => o.type)).toContain("reactivateUser");
  });

  it("never guesses: duplicate-looking candidates and users owned by another source are reported, not linked", () => {
    const result = matchImport(
      desired([desiredUser("00u1", { userName: "ada@example.com" }), desiredUser("00u2", { userName: "bob@example.com" }), desiredUser("00u3", { userName: "cy@example.com" })]),
      [remote("s1", "ada@example.com", "00u1"), remote("s1b", "ada2@example.com", "00u1"), remote("s2", "BOB@example.com", "someone-else"), remote("s3", "cy@example.com"), remote("s3b", "CY@example.com")],
      [],
    );
    expect(result.matchedUsers).toEqual([]);
    expect(result.ambiguous.map((a) => [a.key, a.candidates])).toEqual([
      ["00u1", ["s1", "s1b"]],
      ["00u2", ["s2"]],
      ["00u3", ["s3", "s3b"]],
    ]);
    expect(result.ambiguous[1]!.reason).toMatch(/linked to another source \(externalId someone-else\)/);
  });
});

describe("drift", () => {
  it("finds every kind of change made in Command and plans against what Command holds", () => {
    const before = snapshot(
      [snapshotUser("00u1", { attrs: { title: "A" } }), snapshotUser("00u2"), snapshotUser("00u3", { active: false }), snapshotUser("00u4")],
      [snapshotGroup("00g1", "Eng", ["00u1", "00u2"]), snapshotGroup("00g2", "Ops", ["00u1"])],
    );
    const { snapshot: now, drift } = refreshSnapshot(
      before,
      [
        remote("scim-00u1", "00u1@example.com", "00u1", { attributes: { userName: "00u1@example.com", title: "Changed" } }),
        remote("scim-00u2", "00u2@example.com", "00u2", { active: false }),
        remote("scim-00u3", "00u3@example.com", "00u3", { active: true }),
      ],
      [group("scim-00g1", "Engineering", ["scim-00u1", "scim-00u3", "manual-1"])],
    );
    expect(drift.map((d) => d.kind)).toEqual(["userChanged", "userDeactivated", "userReactivated", "userDeleted", "groupRenamed", "membersAdded", "membersRemoved", "unmanagedMembers", "groupDeleted"]);
    expect(drift[0]!.detail).toBe('changed in Command: title: "A" -> "Changed"');
    const want = desired(
      [desiredUser("00u1", { attrs: { title: "A" } }), desiredUser("00u2"), desiredUser("00u4")],
      [desiredGroup("00g1", "Eng", ["00u1", "00u2"]), desiredGroup("00g2", "Ops", ["00u1"])],
    );
    const repair = plan(want, now, { onRemove: "keep" });
    expect(repair.operations.map((o) => o.type)).toEqual(["updateGroup", "createGroup", "updateUser", "createUser", "reactivateUser", "addMembers", "removeMembers", "addMembers", "deactivateUser"]);
  });
});
