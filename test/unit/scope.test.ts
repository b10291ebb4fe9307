import { describe, expect, it } from "vitest";
import { plan } from "../../src/plan/planner.js";
import { membersOf, scopeInputs } from "../../src/plan/scope.js";
import { desired, desiredGroup, desiredUser, heldUser, snapshot, snapshotGroup, snapshotUser } from "../support/builders.js";

describe("scoping with held users", () => {
  it("a backfill's scope takes in the held members of its groups, and the plan keeps their memberships", () => {
    const want = desired([desiredUser("00u1"), desiredUser("00u3")], [desiredGroup("00g1", "Eng", ["00u1"])], [heldUser("00u2"), heldUser("00u4")]);
    const oktaGroups = [{ id: "00g1", memberIds: ["00u1", "00u2", "00u9"] }];
    const userIds = membersOf(want, new Set(["00g1"]), oktaGroups);
    expect([...userIds].sort()).toEqual(["00u1", "00u2"]);

    const have = snapshot([snapshotUser("00u2"), snapshotUser("00u4")], [snapshotGroup("00g1", "Eng", ["00u2"])]);
    const inputs = scopeInputs(want, have, { userIds, groupIds: new Set(["00g1"]) });
    expect(inputs.desired.skipped).toEqual([heldUser("00u2")]);
    const result = plan(inputs.desired, inputs.snapshot, { onRemove: "keep" });
    expect(result.operations.map((op) => op.type)).toEqual(["createUser", "addMembers"]);
    expect(result.skipped).toEqual([heldUser("00u2")]);
  });
});
