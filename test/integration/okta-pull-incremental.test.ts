/**
 * Incremental pulls (System Log) and the group cache (lastMembershipUpdated) against the Okta
 * emulator: an incremental pull must read exactly what a full pull reads, at a fraction of the
 * requests.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { OktaEmulator } from "../../src/emulators/okta-emulator.js";
import { type EmulatedOktaOrg, tick } from "../../src/emulators/okta-org.js";
import { generateOrg } from "../../src/emulators/org-generator.js";
import { addGroupMember, assignGroup, createGroup, removeGroupMember, renameGroup, unassignGroup } from "../../src/emulators/org-group-changes.js";
import { findUser } from "../../src/emulators/org-lookup.js";
import { assignUser, createUser, setUserStatus, unassignUser, updateProfile } from "../../src/emulators/org-user-changes.js";
import { appendLogEvent, appTarget, userTarget } from "../../src/emulators/okta-system-log.js";
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

/** The options of an incremental pull starting from `base`, which read `groups`. */
function from(base: OktaPullResult, groups: OktaPullOptions["groups"]): Pick<OktaPullOptions, "previousGroups" | "incremental"> {
  return { previousGroups: groupsById(base), incremental: { appUsers: new Map(base.appUsers.map((u) => [u.id, u])), checkpoint: base.checkpoint!, groups } };
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
        fc.asyncProperty(fc.integer({ min: 1, max: 1000 }), fc.boolean(), fc.array(fc.array(step, { maxLength: 6 }), { minLength: 1, maxLength: 5 }), async (seed, quietLog, rounds) => {
          const org = generateOrg({ seed, users: 240, groups: 8, assignedFraction: 0.7, assignedGroups: 2 });
          // A log with events before the first read, or none at all.
          if (!quietLog) updateProfile(org, org.users[0]!.id, { title: "Before" });
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
              const incremental = await pull(emulator, { ...options, ...from(base, groups) });
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
    const resume = from(base, groups);

    let mark = emulator.requests.length;
    const quiet = await pull(emulator, { groups, ...resume });
    expect(quiet.mode).toBe("incremental");
    expect(emulator.requests.length - mark).toBeLessThanOrEqual(5);
    expect(quiet.events).toBe(0);

    const assigned = org.app.users.map((a) => a.userId);
    updateProfile(org, assigned[0]!, { title: "Changed" });
    unassignUser(org, assigned[1]!);
    mark = emulator.requests.length;
    const changed = await pull(emulator, { groups, ...resume });
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
    const resume = from(base, groups);

    for (const a of org.app.users.slice(0, 3)) updateProfile(org, a.userId, { title: "Bulk" });
    const bulk = await pull(emulator, { groups, ...resume });
    expect(bulk.mode).toBe("full");
    expect(bulk.fallback).toMatch(/names more than 1 users/);
    expect(normalized(bulk)).toEqual(normalized(await pull(emulator, { groups })));

    emulator.behavior.systemLog = false;
    const refused = await pull(emulator, { groups, ...resume });
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
    const error = await pull(emulator, { groups, ...from(base, groups) }).catch((e) => e);
    // The full read reports the configured name as missing, as a full run would.
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems.join("\n")).toContain(`no group named "${groups[0]}"`);
  });
});

describe("incremental pulls: cases found in review", () => {
  it("reads the groups in full when groups.push is now another list (a list, then assigned)", async () => {
    const org = generateOrg({ seed: 7, users: 240, groups: 8, assignedFraction: 0.7, assignedGroups: 2 });
    const emulator = await start(org);
    const assignedIds = new Set(org.app.groups.map((g) => g.groupId));
    const listed = org.groups.filter((g) => !assignedIds.has(g.id)).slice(0, 3).map((g) => g.id);
    updateProfile(org, org.users[0]!.id, { title: "the log is not empty" });
    const base = await pull(emulator, { groups: listed, pageSize: 20, trackLog: true });
    const incremental = await pull(emulator, { groups: "assigned", pageSize: 20, ...from(base, listed) });
    expect(incremental.mode).toBe("incremental");
    expect(normalized(incremental)).toEqual(normalized(await pull(emulator, { groups: "assigned", pageSize: 20 })));
  });

  it("a full read over a quiet log still gives the next read a position: a change 8 days later is found", async () => {
    const org = generateOrg({ seed: 8, users: 240, groups: 4, assignedFraction: 0.7 });
    const emulator = await start(org);
    const groups = org.groups.map((g) => g.id);
    const base = await pull(emulator, { groups, pageSize: 20, trackLog: true });
    expect(base.checkpoint?.published).toBeUndefined();
    updateProfile(org, org.app.users[0]!.userId, { title: "Changed after the full pull" });
    org.clock += 8 * 86_400_000;
    const incremental = await pull(emulator, { groups, pageSize: 20, ...from(base, groups) });
    expect(incremental.mode).toBe("incremental");
    expect(normalized(incremental)).toEqual(normalized(await pull(emulator, { groups, pageSize: 20 })));
  });

  it("status changes of users outside the app cost no request and keep a quiet run incremental", async () => {
    const org = generateOrg({ seed: 9, users: 2000, groups: 4, assignedFraction: 0.1 });
    const emulator = await start(org);
    const base = await pull(emulator, { groups: "assigned", trackLog: true });
    const assigned = new Set(base.appUsers.map((u) => u.id));
    const others = org.users.filter((u) => !assigned.has(u.id) && u.status === "ACTIVE").slice(0, 3);
    setUserStatus(org, others[0]!.id, "LOCKED_OUT");
    setUserStatus(org, others[1]!.id, "PASSWORD_EXPIRED");
    setUserStatus(org, others[2]!.id, "RECOVERY");
    const mark = emulator.requests.length;
    const run = await pull(emulator, { groups: "assigned", ...from(base, "assigned") });
    expect(run.mode).toBe("incremental");
    expect(requestsTo(emulator, mark)["GET /api/v1/apps/{app}/users/{id}"]).toBeUndefined();
    expect(run.changedUsers).toEqual({ upserts: [], removed: [] });
  });

  it("Okta's AppUser target (an app user object id) is not taken for a user", async () => {
    const org = generateOrg({ seed: 41, users: 3000, groups: 2, assignedFraction: 0.5 });
    const emulator = await start(org);
    const base = await pull(emulator, { groups: "assigned", trackLog: true });
    const user = findUser(org, org.app.users[0]!.userId);
    updateProfile(org, user.id, { title: "Changed" });
    appendLogEvent(org, "application.user_membership.change_profile", [{ ...userTarget(user), id: "0uawxviv3283tH5UI357", type: "AppUser" as never }, appTarget(org.app), userTarget(user)], tick(org));
    const mark = emulator.requests.length;
    const run = await pull(emulator, { groups: "assigned", ...from(base, "assigned") });
    expect(run.changedUsers?.removed).toEqual([]);
    expect(run.changedUsers?.upserts.map((u) => u.id)).toEqual([user.id]);
    expect(requestsTo(emulator, mark)["GET /api/v1/apps/{app}/users/{id}"]).toBe(1);
  });

  it("a rename made while a full read resolves its groups in two batches is picked up by the next incremental read", async () => {
    const org = generateOrg({ seed: 31, users: 300, groups: 60, assignedFraction: 0.7 });
    const emulator = await start(org);
    const ids = org.groups.map((g) => g.id);
    const [early, late] = [org.groups[0]!, org.groups[55]!];
    let searches = 0;
    emulator.inject = ({ pathname, query }) => {
      if (pathname === "/api/v1/groups" && query.get("search")?.startsWith("id eq") && ++searches === 2) {
        renameGroup(org, early.id, "Renamed while reading");
        addGroupMember(org, late.id, org.users.find((u) => !late.members.includes(u.id))!.id);
      }
      return undefined;
    };
    const base = await pull(emulator, { groups: ids, trackLog: true });
    emulator.inject = undefined;
    expect(base.groups.find((g) => g.id === early.id)?.name).not.toBe("Renamed while reading");
    const incremental = await pull(emulator, { groups: ids, ...from(base, ids) });
    expect(incremental.mode).toBe("incremental");
    expect(incremental.groups.find((g) => g.id === early.id)?.name).toBe("Renamed while reading");
  });

  it("reads everything when another group takes the name of a group pushed by name", async () => {
    const org = generateOrg({ seed: 10, users: 240, groups: 4, assignedFraction: 0.7 });
    const emulator = await start(org);
    const names = org.groups.map((g) => g.name);
    updateProfile(org, org.users[0]!.id, { title: "the log is not empty" });
    const base = await pull(emulator, { groups: names, pageSize: 20, trackLog: true });
    createGroup(org, names[0]!);
    const error = await pull(emulator, { groups: names, pageSize: 20, ...from(base, names) }).catch((e) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems.join("\n")).toContain(`2 Okta groups are named "${names[0]}"`);
  });
});
