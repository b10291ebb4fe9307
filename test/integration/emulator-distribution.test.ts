import { describe, expect, it } from "vitest";
import type { EmulatedOktaOrg } from "../../src/emulators/okta-org.js";
import { listAssignedUsers } from "../../src/emulators/org-assignments.js";
import { churn, sampleAssignedUsers, sampleMemberships } from "../../src/emulators/org-churn.js";
import { generateOrg } from "../../src/emulators/org-generator.js";
import { pickSample } from "../../src/emulators/seeded-random.js";

function membershipsPerUser(org: EmulatedOktaOrg): number[] {
  const counts = new Map<string, number>();
  for (const group of org.groups) for (const id of group.members) counts.set(id, (counts.get(id) ?? 0) + 1);
  return org.users.map((u) => counts.get(u.id) ?? 0).sort((a, b) => a - b);
}

const median = (sorted: readonly number[]) => sorted[sorted.length >> 1]!;

describe("org generator: membership distributions", () => {
  it("keeps the uniform distribution as the default, with the same output as asking for it", () => {
    const implicit = generateOrg({ seed: 4, users: 500, groups: 20, assignedGroups: 2 });
    const explicit = generateOrg({ seed: 4, users: 500, groups: 20, assignedGroups: 2, distribution: "uniform" });
    expect(JSON.stringify(explicit)).toBe(JSON.stringify(implicit));
    expect(median(membershipsPerUser(implicit))).toBeLessThanOrEqual(2);
    expect(implicit.systemLog).toEqual([]);
  });

  it("realistic: most users in 2 to 5 groups, group sizes skewed (a few with over a thousand, most with a few dozen)", () => {
    const org = generateOrg({ seed: 17, users: 20_000, groups: 1_000, distribution: "realistic" });
    const perUser = membershipsPerUser(org);
    expect(median(perUser)).toBeGreaterThanOrEqual(2);
    expect(median(perUser)).toBeLessThanOrEqual(5);
    const twoToFive = perUser.filter((n) => n >= 2 && n <= 5).length;
    expect(twoToFive / perUser.length).toBeGreaterThan(0.7);

    const sizes = org.groups.map((g) => g.members.length).sort((a, b) => a - b);
    expect(sizes.at(-1)!).toBeGreaterThan(1_000);
    expect(median(sizes)).toBeGreaterThanOrEqual(10);
    expect(median(sizes)).toBeLessThanOrEqual(60);
    // Beyond the department groups, the popular teams are large too.
    const teams = org.groups.slice(15).map((g) => g.members.length).sort((a, b) => b - a);
    expect(teams[0]!).toBeGreaterThan(1_000);
    expect(teams[20]!).toBeGreaterThan(3 * median(teams.slice().reverse()));
    for (const group of org.groups) {
      expect(new Set(group.members).size).toBe(group.members.length);
      expect([...group.members].sort()).toEqual(group.members);
    }
  });

  it("realistic: deterministic, users in their department's group, membershipsPerUser sets the mean", () => {
    const a = generateOrg({ seed: 3, users: 2_000, groups: 100, distribution: "realistic", assignedGroups: 3 });
    const b = generateOrg({ seed: 3, users: 2_000, groups: 100, distribution: "realistic", assignedGroups: 3 });
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    for (const user of a.users.slice(0, 200)) {
      const department = a.groups.find((g) => g.name === user.profile.department)!;
      expect(department.members).toContain(user.id);
    }
    const sparse = generateOrg({ seed: 3, users: 2_000, groups: 100, distribution: "realistic", membershipsPerUser: 1.5 });
    const mean = (org: EmulatedOktaOrg) => membershipsPerUser(org).reduce((x, y) => x + y, 0) / org.users.length;
    expect(mean(a)).toBeGreaterThan(2.8);
    expect(mean(sparse)).toBeLessThan(1.8);
  });
});

describe("org generator: sampling and churn", () => {
  it("samples deterministically, by count or fraction", () => {
    const items = Array.from({ length: 1000 }, (_, i) => i);
    expect(pickSample(items, 0.01, 1)).toHaveLength(10);
    expect(pickSample(items, 25, 1)).toHaveLength(25);
    expect(pickSample(items, 0, 1)).toEqual([]);
    expect(pickSample(items, 0.0001, 1)).toHaveLength(1);
    expect(pickSample(items, 5000, 1)).toEqual(items);
    expect(pickSample(items, 0.05, 9)).toEqual(pickSample(items, 0.05, 9));
    expect(pickSample(items, 0.05, 9)).not.toEqual(pickSample(items, 0.05, 10));
    const org = generateOrg({ seed: 2, users: 1_000, groups: 30, distribution: "realistic", assignedGroups: 2 });
    const assigned = new Set(listAssignedUsers(org).map((e) => e.user.id));
    const users = sampleAssignedUsers(org, 0.01, 4);
    expect(users.length).toBe(Math.round(assigned.size * 0.01));
    for (const id of users) expect(assigned.has(id)).toBe(true);
    const memberships = sampleMemberships(org, 0.05, 4);
    for (const m of memberships) expect(org.groups.find((g) => g.id === m.groupId)!.members).toContain(m.userId);
  });

  it("churns through the helpers: titles and memberships change, group sizes hold, the log records it", () => {
    const org = generateOrg({ seed: 6, users: 3_000, groups: 150, distribution: "realistic", assignedGroups: 5 });
    const total = org.groups.reduce((n, g) => n + g.members.length, 0);
    const result = churn(org, { seed: 1, profileChanges: 0.01, membershipChanges: 0.05 });
    expect(result.updatedUsers.length).toBeGreaterThan(10);
    expect(result.removed.length).toBeGreaterThan(100);
    expect(Math.abs(result.added.length - result.removed.length)).toBeLessThan(5);
    for (const m of result.removed) expect(org.groups.find((g) => g.id === m.groupId)!.members).not.toContain(m.userId);
    for (const m of result.added) expect(org.groups.find((g) => g.id === m.groupId)!.members).toContain(m.userId);
    const after = org.groups.reduce((n, g) => n + g.members.length, 0);
    expect(Math.abs(after - total)).toBeLessThan(5);
    const types = new Set(org.systemLog.map((e) => e.eventType));
    expect(types).toContain("user.account.update_profile");
    expect(types).toContain("group.user_membership.remove");
    expect(types).toContain("group.user_membership.add");
    expect(org.systemLog.filter((e) => e.eventType.startsWith("group.user_membership.")).length).toBe(result.removed.length + result.added.length);
  });
});
