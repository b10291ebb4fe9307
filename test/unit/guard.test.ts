import { describe, expect, it } from "vitest";
import type { Limit } from "../../src/config/types.js";
import { checkSafety, refusalJson, refusalsFor, suspectPull } from "../../src/plan/guard.js";
import { plan } from "../../src/plan/planner.js";
import { desired, desiredGroup, desiredUser, snapshot, snapshotGroup, snapshotUser } from "../support/builders.js";

const pct = (value: number): Limit => ({ kind: "percent", value });
const count = (value: number): Limit => ({ kind: "count", value });
const defaults = { maxDeactivations: pct(10), maxGroupDeletes: pct(25), maxMemberRemovals: pct(25) };
const ids = (n: number, prefix = "00u") => Array.from({ length: n }, (_, i) => `${prefix}${String(i).padStart(3, "0")}`);

function leaving(total: number, gone: number) {
  const all = ids(total);
  const before = snapshot(all.map((id) => snapshotUser(id)));
  const after = desired(all.slice(gone).map((id) => desiredUser(id)));
  return { before, after, thePlan: plan(after, before, { onRemove: "keep" }) };
}

describe("maxDeactivations", () => {
  it("allows 10% of the active users in the snapshot", () => {
    const { before, thePlan } = leaving(100, 10);
    expect(checkSafety(thePlan, before, defaults)).toEqual([]);
  });

  it("refuses one more, saying which limit, by how much and how to override", () => {
    const { before, thePlan } = leaving(100, 11);
    const [refusal] = checkSafety(thePlan, before, defaults);
    expect(refusal).toMatchObject({ limit: "maxDeactivations", allowed: 10, planned: 11 });
    expect(refusal?.message).toBe(
      "the plan deactivates 11 users, over safety.maxDeactivations (10% of 100 active users = 10) by 1; review the plan, then rerun with --max-deactivations 11 or --force",
    );
  });

  it("lets a 20-user org lose 2 (the floor), not 3", () => {
    expect(checkSafety(leaving(20, 2).thePlan, leaving(20, 2).before, defaults)).toEqual([]);
    expect(checkSafety(leaving(12, 2).thePlan, leaving(12, 2).before, defaults)).toEqual([]);
    expect(checkSafety(leaving(20, 3).thePlan, leaving(20, 3).before, defaults)).toHaveLength(1);
  });

  it("takes a count as a count", () => {
    const { before, thePlan } = leaving(1000, 6);
    expect(checkSafety(thePlan, before, { ...defaults, maxDeactivations: count(5) })[0]?.allowed).toBe(5);
    expect(checkSafety(thePlan, before, { ...defaults, maxDeactivations: count(6) })).toEqual([]);
  });
});

describe("maxGroupDeletes and maxMemberRemovals", () => {
  it("refuses deleting more groups than allowed", () => {
    const before = snapshot([], ids(8, "00g").map((id) => snapshotGroup(id, id)));
    const thePlan = plan(desired([], []), before, { onRemove: "delete" });
    const [refusal] = checkSafety(thePlan, before, defaults);
    expect(refusal).toMatchObject({ limit: "maxGroupDeletes", allowed: 2, planned: 8 });
    expect(refusal?.message).toMatch(/^the plan deletes 8 groups, over safety.maxGroupDeletes \(25% of 8 groups = 2\) by 6/);
  });

  it("counts memberships removed across groups", () => {
    const users = ids(40);
    const before = snapshot(users.map((id) => snapshotUser(id)), [snapshotGroup("00g1", "A", users)]);
    const after = desired(users.map((id) => desiredUser(id)), [desiredGroup("00g1", "A", users.slice(0, 25))]);
    const thePlan = plan(after, before, { onRemove: "keep" });
    expect(checkSafety(thePlan, before, defaults)).toMatchObject([{ limit: "maxMemberRemovals", allowed: 10, planned: 15 }]);
    expect(checkSafety(thePlan, before, { ...defaults, maxMemberRemovals: count(15) })).toEqual([]);
  });
});

describe("suspect pulls", () => {
  it("refuses an empty pull when the snapshot has many active users", () => {
    const { before } = leaving(50, 0);
    const refusal = suspectPull(desired([]), before, 0.5);
    expect(refusal).toMatchObject({ limit: "minPullFraction", allowed: 25, planned: 0 });
    expect(refusal?.message).toMatch(/^Okta returned 0 active users assigned to the app, but 50 are active in the snapshot/);
  });

  it("accepts a pull at or above the fraction, and any pull over a small snapshot", () => {
    expect(suspectPull(leaving(50, 25).after, leaving(50, 25).before, 0.5)).toBeUndefined();
    expect(suspectPull(leaving(50, 26).after, leaving(50, 26).before, 0.5)).toBeDefined();
    expect(suspectPull(desired([]), leaving(9, 0).before, 0.5)).toBeUndefined();
  });
});

describe("refusals", () => {
  it("a suspect pull says the fewest active users that would pass, without rounding noise", () => {
    const refusal = suspectPull(leaving(10, 8).after, leaving(10, 8).before, 0.3);
    expect(refusal).toMatchObject({ limit: "minPullFraction", allowed: 3, planned: 2 });
    expect(suspectPull(leaving(10, 7).after, leaving(10, 7).before, 0.3)).toBeUndefined();
  });

  it("counts held users as pulled: they were read, assigned and active", () => {
    const { before, after } = leaving(20, 15);
    const held = ids(20).slice(0, 15).map((oktaId) => ({ oktaId, login: oktaId, reason: "its email is not a valid address" }));
    expect(suspectPull(after, before, 0.5)?.planned).toBe(5);
    expect(suspectPull({ ...after, skipped: held }, before, 0.5)).toBeUndefined();
  });

  it("gives every reason at once: the pull and the plan limits; none with --force; no pull check on a narrowed run", () => {
    const { before, after, thePlan } = leaving(50, 40);
    const limits = { ...defaults, minPullFraction: 0.5 };
    const all = refusalsFor({ desired: after, plan: thePlan, snapshot: before, limits, force: false, scoped: false });
    expect(all.map((r) => [r.limit, r.allowed, r.planned])).toEqual([
      ["minPullFraction", 25, 10],
      ["maxDeactivations", 5, 40],
    ]);
    expect(refusalsFor({ desired: after, plan: thePlan, snapshot: before, limits, force: true, scoped: false })).toEqual([]);
    expect(refusalsFor({ desired: after, plan: thePlan, snapshot: before, limits, force: false, scoped: true }).map((r) => r.limit)).toEqual(["maxDeactivations"]);
  });

  it("shows a refusal in JSON as limit, allowed and planned", () => {
    const [refusal] = checkSafety(leaving(100, 11).thePlan, leaving(100, 11).before, defaults);
    expect(refusalJson(refusal!)).toEqual({ limit: "maxDeactivations", allowed: 10, planned: 11 });
  });
});
