/**
 * Incremental pulls (System Log) and the group cache (lastMembershipUpdated) against the Okta
 * emulator: an incremental pull must read exactly what a full pull reads, at a fraction of the
 * requests.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { OktaEmulator } from "../../src/emulators/okta-emulator.js";
import {
  addGroupMember,
  assignGroup,
  assignUser,
  createUser,
  type EmulatedOktaOrg,
  generateOrg,
  removeGroupMember,
  renameGroup,
  setUserStatus,
  unassignGroup,
  unassignUser,
  updateProfile,
} from "../../src/emulators/org-generator.js";
import { ConfigError } from "../../src/errors.js";
import { pullFromOkta } from "../../src/okta/pull.js";
import type { OktaGroupView, OktaPullOptions, OktaPullResult } from "../../src/okta/types.js";
import { oktaEmulators } from "../support/okta-emulators.js";

const TOKEN = "00incremental-test-token-7d1e";
const emulators = oktaEmulators(TOKEN);
const start = (org: EmulatedOktaOrg) => emulators.start(org);

function pull(emulator: OktaEmulator, options: Partial<OktaPullOptions>): Promise<OktaPullResult> {
  return pullFromOkta({ orgUrl: emulator.url, appId: emulator.org.app.id, auth: { mode: "token", token: TOKEN }, groups: [], ...options });
}

function requestsTo(emulator: OktaEmulator, since: number): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const entry of emulator.requests.slice(since)) {
    const path = entry.path.split("?")[0]!.replace(/\/00[ug][0-9A-Za-z]{17}/g, "/{id}").replace(/\/0oa[0-9A-Za-z]+/g, "/{app}");
    const key = `${entry.method} ${path}`;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

function groupsById(pulled: OktaPullResult): Map<string, OktaGroupView> {
  return new Map(pulled.groups.map((g) => [g.id, g]));
}

/** What the planner gets from a pull, in a comparable form. */
function normalized(pulled: OktaPullResult) {
  return {
    appUsers: [...pulled.appUsers].sort((a, b) => (a.id < b.id ? -1 : 1)),
    groups: [...pulled.groups].map((g) => ({ id: g.id, name: g.name, memberIds: g.memberIds })).sort((a, b) => (a.id < b.id ? -1 : 1)),
  };
}

describe("group members reused by lastMembershipUpdated", () => {
  it("reads members only of groups whose membership moved, and resolves pushed names in batched searches", async () => {
    const org = generateOrg({ seed: 5, users: 300, groups: 60 });
    const emulator = await start(org);
    const names = org.groups.map((g) => g.name);

    let mark = emulator.requests.length;
    const first = await pull(emulator, { groups: names });
    const firstCounts = requestsTo(emulator, mark);
    expect(firstCounts["GET /api/v1/groups"]).toBe(2); // 60 names: 50 + 10 per search
    expect(firstCounts["GET /api/v1/groups/{id}/users"]).toBe(60);
    expect(first.membersReused).toBe(0);

    addGroupMember(org, org.groups[3]!.id, org.users.find((u) => !org.groups[3]!.members.includes(u.id))!.id);
    mark = emulator.requests.length;
    const second = await pull(emulator, { groups: names, previousGroups: groupsById(first) });
    const secondCounts = requestsTo(emulator, mark);
    expect(secondCounts["GET /api/v1/groups/{id}/users"]).toBe(1);
    expect(second.membersReused).toBe(59);
    expect(normalized(second)).toEqual(normalized(await pull(emulator, { groups: names })));
  });

  it("reports every unknown pushed group at once", async () => {
    const org = generateOrg({ seed: 5, users: 50, groups: 5 });
    const emulator = await start(org);
    const error = await pull(emulator, { groups: [org.groups[0]!.name, "Nope", org.groups[1]!.name.toUpperCase(), "00gAAAAAAAAAAAAAAAAA"] }).catch((e) => e);
    expect(error).toBeInstanceOf(ConfigError);
    const text = (error as ConfigError).problems.join("\n");
    expect(text).toContain('Okta has no group named "Nope"');
    expect(text).toContain(`Okta has no group named "${org.groups[1]!.name.toUpperCase()}"`);
    expect(text).toContain("Okta has no group with id 00gAAAAAAAAAAAAAAAAA");
    expect((error as ConfigError).hint).toContain(`did you mean "${org.groups[1]!.name}"`);
  });
});

type Step =
  | { kind: "profile"; user: number; title: string }
  | { kind: "status"; user: number; status: "ACTIVE" | "SUSPENDED" | "DEPROVISIONED" }
  | { kind: "assign"; user: number }
  | { kind: "unassign"; user: number }
  | { kind: "join"; group: number; user: number }
  | { kind: "leave"; group: number; user: number }
  | { kind: "rename"; group: number; suffix: string }
  | { kind: "newUser"; assign: boolean }
  | { kind: "assignGroup"; group: number }
  | { kind: "unassignGroup"; group: number }
  | { kind: "wait"; minutes: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant("profile" as const), user: fc.nat(), title: fc.constantFrom("Engineer", "Manager", "Director", "") }),
  fc.record({ kind: fc.constant("status" as const), user: fc.nat(), status: fc.constantFrom("ACTIVE" as const, "SUSPENDED" as const, "DEPROVISIONED" as const) }),
  fc.record({ kind: fc.constant("assign" as const), user: fc.nat() }),
  fc.record({ kind: fc.constant("unassign" as const), user: fc.nat() }),
  fc.record({ kind: fc.constant("join" as const), group: fc.nat(), user: fc.nat() }),
  fc.record({ kind: fc.constant("leave" as const), group: fc.nat(), user: fc.nat() }),
  fc.record({ kind: fc.constant("rename" as const), group: fc.nat(), suffix: fc.constantFrom("A", "B", "C") }),
  fc.record({ kind: fc.constant("newUser" as const), assign: fc.boolean() }),
  fc.record({ kind: fc.constant("assignGroup" as const), group: fc.nat() }),
  fc.record({ kind: fc.constant("unassignGroup" as const), group: fc.nat() }),
  // Okta's clock moves on between changes, often longer than the log's re-read margin.
  { arbitrary: fc.record({ kind: fc.constant("wait" as const), minutes: fc.constantFrom(1, 10, 60) }), weight: 4 },
);

let created = 0;

function apply(org: EmulatedOktaOrg, s: Step): void {
  const user = org.users[("user" in s ? s.user : 0) % org.users.length]!;
  const group = org.groups[("group" in s ? s.group : 0) % org.groups.length]!;
  switch (s.kind) {
    case "profile":
      updateProfile(org, user.id, { title: s.title === "" ? null : `${s.title} ${user.id.slice(-3)}` });
      return;
    case "status":
      if (user.status !== s.status) setUserStatus(org, user.id, s.status);
      return;
    case "assign":
      if (!org.app.users.some((a) => a.userId === user.id)) assignUser(org, user.id);
      return;
    case "unassign":
      unassignUser(org, user.id);
      return;
    case "join":
      addGroupMember(org, group.id, user.id);
      return;
    case "leave":
      removeGroupMember(org, group.id, group.members[("user" in s ? s.user : 0) % Math.max(1, group.members.length)] ?? user.id);
      return;
    case "rename":
      renameGroup(org, group.id, `${group.name.replace(/ [ABC]$/, "")} ${s.suffix}`);
      return;
    case "newUser": {
      created += 1;
      const fresh = createUser(org, { login: `fresh${created}@example.com`, email: `fresh${created}@example.com`, firstName: "Fresh", lastName: `User${created}` });
      if (s.assign) assignUser(org, fresh.id);
      return;
    }
    case "assignGroup":
      if (!org.app.groups.some((g) => g.groupId === group.id)) assignGroup(org, group.id);
      return;
    case "unassignGroup":
      unassignGroup(org, group.id);
      return;
    case "wait":
      org.clock += s.minutes * 60_000;
      return;
  }
}

describe("incremental pulls agree with full pulls", () => {
  for (const mode of ["ids", "assigned"] as const) {
    it(`over random change sequences (groups.push ${mode === "ids" ? "by id" : "assigned"})`, async () => {
      await fc.assert(
        fc.asyncProperty(fc.integer({ min: 1, max: 1000 }), fc.array(fc.array(step, { maxLength: 6 }), { minLength: 1, maxLength: 5 }), async (seed, rounds) => {
          const org = generateOrg({ seed, users: 240, groups: 8, assignedFraction: 0.7, assignedGroups: 2 });
          const emulator = await start(org);
          try {
            const groups = mode === "ids" ? org.groups.slice(0, 5).map((g) => g.id) : "assigned";
            // Small pages, so a few named users stay cheaper than a full pull.
            const options = { groups, pageSize: 20 } as const;
            let base = await pull(emulator, { ...options, trackLog: true });
            expect(base.checkpoint).toBeDefined();
            for (const round of rounds) {
              for (const s of round) apply(org, s);
              const full = await pull(emulator, options);
              const incremental = await pull(emulator, {
                ...options,
                previousGroups: groupsById(base),
                incremental: { appUsers: new Map(base.appUsers.map((u) => [u.id, u])), checkpoint: base.checkpoint! },
              });
              expect(normalized(incremental)).toEqual(normalized(full));
              if (incremental.mode === "full") {
                // A fallback starts a new base, as the engine does.
                expect(incremental.fallback).toBeDefined();
                base = await pull(emulator, { ...options, previousGroups: groupsById(incremental), trackLog: true });
              } else base = incremental;
            }
          } finally {
            await emulators.close(emulator);
          }
        }),
        { numRuns: 40 },
      );
    }, 120_000);
  }

  it("costs a handful of requests when nothing changed, and re-reads only named users", async () => {
    const org = generateOrg({ seed: 11, users: 2000, groups: 40, assignedFraction: 0.8 });
    const emulator = await start(org);
    const groups = org.groups.map((g) => g.name);
    const base = await pull(emulator, { groups, trackLog: true });
    const from = { previousGroups: groupsById(base), incremental: { appUsers: new Map(base.appUsers.map((u) => [u.id, u])), checkpoint: base.checkpoint! } };

    let mark = emulator.requests.length;
    const quiet = await pull(emulator, { groups, ...from });
    expect(quiet.mode).toBe("incremental");
    expect(emulator.requests.length - mark).toBeLessThanOrEqual(5);
    expect(quiet.events).toBe(0);

    const assigned = org.app.users.map((a) => a.userId);
    updateProfile(org, assigned[0]!, { title: "Changed" });
    unassignUser(org, assigned[1]!);
    mark = emulator.requests.length;
    const changed = await pull(emulator, { groups, ...from });
    expect(changed.mode).toBe("incremental");
    expect(changed.changedUsers?.upserts.map((u) => u.id)).toEqual([assigned[0]]);
    expect(changed.changedUsers?.removed).toEqual([assigned[1]]);
    expect(requestsTo(emulator, mark)["GET /api/v1/apps/{app}/users/{id}"]).toBe(2);
    expect(normalized(changed)).toEqual(normalized(await pull(emulator, { groups })));
  });

  it("falls back to a full pull when the log cannot be read, or names more users than a full pull costs", async () => {
    const org = generateOrg({ seed: 12, users: 300, groups: 4, assignedFraction: 0.8 });
    const emulator = await start(org);
    const groups = org.groups.map((g) => g.name);
    const base = await pull(emulator, { groups, trackLog: true });
    const from = { previousGroups: groupsById(base), incremental: { appUsers: new Map(base.appUsers.map((u) => [u.id, u])), checkpoint: base.checkpoint! } };

    for (const a of org.app.users.slice(0, 3)) updateProfile(org, a.userId, { title: "Bulk" });
    const bulk = await pull(emulator, { groups, ...from });
    expect(bulk.mode).toBe("full");
    expect(bulk.fallback).toMatch(/names more than 1 users/);
    expect(normalized(bulk)).toEqual(normalized(await pull(emulator, { groups })));

    emulator.behavior.systemLog = false;
    const refused = await pull(emulator, { groups, ...from });
    expect(refused.mode).toBe("full");
    expect(refused.fallback).toMatch(/okta\.logs\.read/);
    expect(refused.checkpoint).toBeUndefined();
  });

  it("reads everything when a group pushed by name was renamed", async () => {
    const org = generateOrg({ seed: 13, users: 300, groups: 4, assignedFraction: 0.8 });
    const emulator = await start(org);
    const groups = org.groups.map((g) => g.name);
    const base = await pull(emulator, { groups, trackLog: true });
    renameGroup(org, org.groups[0]!.id, "Renamed");
    const error = await pull(emulator, {
      groups,
      previousGroups: groupsById(base),
      incremental: { appUsers: new Map(base.appUsers.map((u) => [u.id, u])), checkpoint: base.checkpoint! },
    }).catch((e) => e);
    // The full read reports the configured name as missing, as a full run would.
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems.join("\n")).toContain(`no group named "${groups[0]}"`);
  });
});
