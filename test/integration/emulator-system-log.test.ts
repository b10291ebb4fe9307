import { Client } from "@okta/okta-sdk-nodejs";
import { describe, expect, it } from "vitest";
import type { OktaEmulator, OktaEmulatorOptions } from "../../src/emulators/okta-emulator.js";
import type { EmulatedLogEvent, EmulatedOktaOrg, OktaUserStatus } from "../../src/emulators/okta-org.js";
import { listAssignedUsers } from "../../src/emulators/org-assignments.js";
import { generateOrg } from "../../src/emulators/org-generator.js";
import { addGroupMember, assignGroup, createGroup, removeGroupMember, renameGroup, unassignGroup } from "../../src/emulators/org-group-changes.js";
import { findGroup } from "../../src/emulators/org-lookup.js";
import { assignUser, createUser, setUserStatus, unassignUser, updateProfile } from "../../src/emulators/org-user-changes.js";
import { mulberry32 } from "../../src/emulators/seeded-random.js";
import { oktaEmulators } from "../support/okta-emulators.js";

const TOKEN = "00system-log-test-token";
const emulators = oktaEmulators(TOKEN);

function smallOrg(): EmulatedOktaOrg {
  return generateOrg({ seed: 21, users: 40, groups: 6, assignedFraction: 0.5, assignedGroups: ["Sales"] });
}

function start(org: EmulatedOktaOrg = smallOrg(), overrides: Partial<OktaEmulatorOptions> = {}): Promise<OktaEmulator> {
  return emulators.start(org, overrides);
}

type Json = Record<string, unknown>;

async function get(emulator: OktaEmulator, path: string) {
  const response = await fetch(path.startsWith("http") ? path : `${emulator.url}${path}`, { headers: { Authorization: `SSWS ${TOKEN}` } });
  return { status: response.status, headers: response.headers, body: (await response.json()) as unknown };
}

function nextLink(headers: Headers): string | undefined {
  for (const part of headers.get("link")?.split(/,\s*(?=<)/) ?? []) {
    const match = /^<([^>]+)>;\s*rel="next"$/.exec(part.trim());
    if (match) return match[1];
  }
  return undefined;
}

const logs = (query: Record<string, string>) => `/api/v1/logs?${new URLSearchParams(query).toString()}`;
const EPOCH = "2024-06-01T00:00:00.000Z";

/** A few dozen changes of every kind. */
function busyOrg(): EmulatedOktaOrg {
  const org = smallOrg();
  const [a, b, c] = org.users;
  updateProfile(org, a!.id, { title: "CTO" });
  setUserStatus(org, b!.id, "SUSPENDED");
  setUserStatus(org, b!.id, "ACTIVE");
  const team = createGroup(org, "Night Shift", { members: [a!.id, c!.id] });
  assignGroup(org, team.id);
  renameGroup(org, team.id, "Late Shift");
  for (const user of org.users.slice(5, 15)) updateProfile(org, user.id, { mobilePhone: "+1 555-000-0000" });
  return org;
}

describe("System Log: GET /api/v1/logs", () => {
  it("serves Okta-shaped events, oldest first, with the org clock's time", async () => {
    const org = busyOrg();
    const emulator = await start(org);
    const res = await get(emulator, logs({ since: EPOCH, limit: "1000" }));
    expect(res.status).toBe(200);
    const events = res.body as Json[];
    expect(events.map((e) => e.uuid)).toEqual(org.systemLog.map((e) => e.uuid));
    expect(new Set(events.map((e) => e.uuid)).size).toBe(events.length);
    const first = events[0]!;
    expect(first).toMatchObject({
      uuid: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/),
      published: new Date(Date.parse(EPOCH) + 1000).toISOString(),
      eventType: "user.account.update_profile",
      displayMessage: expect.any(String),
      severity: "INFO",
      version: "0",
      actor: { id: expect.stringMatching(/^00u/), type: "User", alternateId: expect.any(String), displayName: expect.any(String) },
      outcome: { result: "SUCCESS" },
      target: [{ id: org.users[0]!.id, type: "User", alternateId: org.users[0]!.profile.login, displayName: expect.any(String) }],
    });
    const published = events.map((e) => e.published as string);
    expect([...published].sort()).toEqual(published);
  });

  it("pages with after: each next link continues where the last page stopped, a bounded query ends", async () => {
    const org = busyOrg();
    const emulator = await start(org);
    const total = org.systemLog.length;
    expect(total).toBeGreaterThan(20);
    let url: string | undefined = logs({ since: EPOCH, until: "2030-01-01T00:00:00Z", limit: "7" });
    const seen: string[] = [];
    let pages = 0;
    while (url) {
      const res = await get(emulator, url);
      const page = res.body as Json[];
      seen.push(...page.map((e) => e.uuid as string));
      pages++;
      url = nextLink(res.headers);
      if (url) {
        expect(page).toHaveLength(7);
        expect(url.startsWith(emulator.url)).toBe(true);
        expect(new URL(url).searchParams.get("after")).toEqual(expect.any(String));
        expect(new URL(url).searchParams.get("until")).toBe("2030-01-01T00:00:00Z");
      }
    }
    expect(pages).toBe(Math.ceil(total / 7));
    expect(seen).toEqual(org.systemLog.map((e) => e.uuid));

    // DESCENDING: newest first, and it ends too.
    url = logs({ since: EPOCH, sortOrder: "DESCENDING", limit: "10" });
    const newestFirst: string[] = [];
    while (url) {
      const res = await get(emulator, url);
      newestFirst.push(...(res.body as Json[]).map((e) => e.uuid as string));
      url = nextLink(res.headers);
    }
    expect(newestFirst).toEqual(org.systemLog.map((e) => e.uuid).reverse());
  });

  it("bounds by since (inclusive) and until (exclusive)", async () => {
    const org = busyOrg();
    const emulator = await start(org);
    const times = [...new Set(org.systemLog.map((e) => e.published))];
    const [from, to] = [times[2]!, times[5]!];
    const res = await get(emulator, logs({ since: from, until: to }));
    const expected = org.systemLog.filter((e) => e.published >= from && e.published < to);
    expect((res.body as Json[]).map((e) => e.uuid)).toEqual(expected.map((e) => e.uuid));
    expect(expected.length).toBeGreaterThan(2);
    expect(nextLink(res.headers)).toBeUndefined();
    // Offsets are understood.
    const offset = new Date(Date.parse(from)).toISOString().replace("Z", "+00:00").replace(".000", "");
    expect(((await get(emulator, logs({ since: offset, until: to }))).body as Json[]).length).toBe(expected.length);
  });

  it("polls: without until in ASCENDING order there is always a next link; a short page is the end for now", async () => {
    const org = smallOrg();
    const emulator = await start(org);
    // An empty log still gives a next link.
    const empty = await get(emulator, logs({ since: EPOCH, limit: "5" }));
    expect(empty.body).toEqual([]);
    let next = nextLink(empty.headers);
    expect(next).toBeDefined();

    for (const user of org.users.slice(0, 7)) setUserStatus(org, user.id, "SUSPENDED");
    const first = await get(emulator, next!);
    expect(first.body as Json[]).toHaveLength(5);
    next = nextLink(first.headers);
    const second = await get(emulator, next!);
    expect(second.body as Json[]).toHaveLength(2);
    next = nextLink(second.headers);
    expect(next).toBeDefined();
    expect(new URL(next!).searchParams.get("since")).toBe(EPOCH);
    // Nothing new: an empty page, and a next link that still waits at the same place.
    const idle = await get(emulator, next!);
    expect(idle.body).toEqual([]);
    expect(nextLink(idle.headers)).toBe(next);
    // Later events show up on the same link.
    setUserStatus(org, org.users[9]!.id, "DEPROVISIONED");
    const later = await get(emulator, next!);
    expect((later.body as Json[]).map((e) => e.eventType)).toEqual(["user.lifecycle.deactivate"]);
  });

  it("an empty first poll waits after the end of the log as it is", async () => {
    const org = busyOrg();
    const emulator = await start(org);
    const res = await get(emulator, logs({ since: EPOCH, filter: 'eventType eq "user.lifecycle.suspend" and target.id eq "00unobody"' }));
    expect(res.body).toEqual([]);
    addGroupMember(org, findGroup(org, "Legal").id, org.users.find((u) => !findGroup(org, "Legal").members.includes(u.id))!.id);
    const after = await get(emulator, nextLink(res.headers)!.replace(/filter=[^&]*/, ""));
    expect((after.body as Json[]).map((e) => e.eventType)).toEqual(["group.user_membership.add"]);
  });

  it("filters by eventType (with or), by target.id, and by q", async () => {
    const org = busyOrg();
    const emulator = await start(org);
    const types = async (filter: string) =>
      ((await get(emulator, logs({ since: EPOCH, filter }))).body as Json[]).map((e) => e.eventType as string);
    expect(await types('eventType eq "user.lifecycle.suspend"')).toEqual(["user.lifecycle.suspend"]);
    expect(await types('eventType eq "user.lifecycle.suspend" or eventType eq "user.lifecycle.unsuspend"')).toEqual([
      "user.lifecycle.suspend",
      "user.lifecycle.unsuspend",
    ]);
    const b = org.users[1]!.id;
    expect(new Set(await types(`target.id eq "${b}"`))).toEqual(new Set(["user.lifecycle.suspend", "user.lifecycle.unsuspend"]));
    expect(await types('eventType sw "group.profile"')).toEqual(["group.profile.update"]);
    const bad = await get(emulator, logs({ filter: "eventType eq" }));
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ errorCode: "E0000031" });
    const q = await get(emulator, logs({ since: EPOCH, q: "late shift" }));
    expect((q.body as Json[]).map((e) => e.eventType)).toEqual(["group.profile.update"]);
  });

  it("checks limit (1..1000, default 100), since, until, sortOrder and after", async () => {
    const org = smallOrg();
    for (let i = 0; i < 130; i++) setUserStatus(org, org.users[i % 40]!.id, i % 2 === 0 ? "SUSPENDED" : "ACTIVE");
    const emulator = await start(org);
    expect((await get(emulator, logs({ since: EPOCH }))).body as Json[]).toHaveLength(100);
    expect((await get(emulator, logs({ since: EPOCH, limit: "5000" }))).body as Json[]).toHaveLength(130);
    const invalid: Record<string, string>[] = [{ limit: "0" }, { limit: "x" }, { since: "yesterday" }, { until: "2024-13-45" }, { sortOrder: "UP" }, { after: "%%%" }];
    for (const query of invalid) {
      const res = await get(emulator, logs(query));
      expect(res.status, JSON.stringify(query)).toBe(400);
      expect(res.body).toMatchObject({ errorCode: "E0000001" });
    }
  });

  it("defaults since to 7 days before the org's latest change", async () => {
    const org = smallOrg();
    updateProfile(org, org.users[0]!.id, { title: "Old news" });
    org.clock += 8 * 86_400_000;
    updateProfile(org, org.users[1]!.id, { title: "Fresh" });
    const emulator = await start(org);
    const res = await get(emulator, "/api/v1/logs");
    expect((res.body as Json[]).map((e) => (e.target as Json[])[0]!.id)).toEqual([org.users[1]!.id]);
  });

  it("answers 403 E0000006 when the token may not read the log, switchable at run time; has its own 120/min bucket", async () => {
    const emulator = await start(smallOrg(), { systemLog: false, rateLimits: undefined });
    const denied = await get(emulator, logs({ since: EPOCH }));
    expect(denied.status).toBe(403);
    expect(denied.body).toMatchObject({ errorCode: "E0000006" });
    expect(denied.headers.get("x-rate-limit-limit")).toBe("120");
    emulator.behavior.systemLog = true;
    expect((await get(emulator, logs({ since: EPOCH }))).status).toBe(200);
    expect(emulator.stats.byBucket.logs).toBe(2);
    expect(emulator.stats.byEndpoint["GET /api/v1/logs"]).toBe(2);
  });

  it("works with the Okta SDK's systemLogApi for a bounded query", async () => {
    const org = busyOrg();
    const emulator = await start(org);
    const client = new Client({ orgUrl: emulator.url, token: TOKEN, cacheMiddleware: null });
    const collection = await client.systemLogApi.listLogEvents({ since: EPOCH, until: "2030-01-01T00:00:00Z", limit: 10 });
    const uuids: string[] = [];
    for await (const event of collection) uuids.push(event!.uuid!);
    expect(uuids).toEqual(org.systemLog.map((e) => e.uuid));
  });
});

describe("System Log: what the org helpers record", () => {
  const last = (org: EmulatedOktaOrg, n = 1) => org.systemLog.slice(-n);
  const brief = (events: EmulatedLogEvent[]) => events.map((e) => [e.eventType, ...e.target.map((t) => `${t.type}:${t.id}`)]);

  it("records each change with the org clock's tick, with Okta's event types and targets", () => {
    const org = generateOrg({ seed: 8, users: 20, groups: 4, assignedFraction: 0 });
    const app = `AppInstance:${org.app.id}`;
    const [u0, u1, u2] = org.users;
    expect(org.systemLog).toEqual([]);

    const created = createUser(org, { login: "new.person@example.com", firstName: "New", lastName: "Person" });
    expect(brief(last(org))).toEqual([["user.lifecycle.create", `User:${created.id}`]]);
    expect(last(org)[0]!.published).toBe(created.lastUpdated);
    expect(last(org)[0]!.target[0]).toEqual({ id: created.id, type: "User", alternateId: "new.person@example.com", displayName: "New Person" });

    assignUser(org, u0!.id);
    expect(brief(last(org))).toEqual([["application.user_membership.add", `User:${u0!.id}`, app]]);
    expect(last(org)[0]!.target[0]!.alternateId).toBe(u0!.profile.login);
    assignUser(org, u0!.id, { externalId: "cmd-1" });
    expect(brief(last(org))).toEqual([["application.user_membership.change_profile", `User:${u0!.id}`, app]]);

    updateProfile(org, u0!.id, { title: "CTO" });
    expect(brief(last(org, 2))).toEqual([
      ["user.account.update_profile", `User:${u0!.id}`],
      ["application.user_membership.change_profile", `User:${u0!.id}`, app],
    ]);
    updateProfile(org, u1!.id, { title: "Not assigned" });
    expect(brief(last(org))).toEqual([["user.account.update_profile", `User:${u1!.id}`]]);
    updateProfile(org, u0!.id, { nickName: "custom, not mapped" });
    expect(brief(last(org))).toEqual([["user.account.update_profile", `User:${u0!.id}`]]);

    const transitions: [OktaUserStatus, string][] = [
      ["SUSPENDED", "user.lifecycle.suspend"],
      ["ACTIVE", "user.lifecycle.unsuspend"],
      ["DEPROVISIONED", "user.lifecycle.deactivate"],
      ["PROVISIONED", "user.lifecycle.reactivate"],
      ["ACTIVE", "user.lifecycle.activate"],
      ["LOCKED_OUT", "user.account.lock"],
      ["ACTIVE", "user.account.unlock"],
      ["PASSWORD_EXPIRED", "user.account.expire_password"],
    ];
    for (const [status, type] of transitions) {
      const user = setUserStatus(org, u1!.id, status);
      expect(brief(last(org))).toEqual([[type, `User:${u1!.id}`]]);
      expect(last(org)[0]!.published).toBe(user.statusChanged);
    }

    expect(unassignUser(org, u0!.id)).toBe(true);
    expect(brief(last(org))).toEqual([["application.user_membership.remove", `User:${u0!.id}`, app]]);
    const count = org.systemLog.length;
    expect(unassignUser(org, u0!.id)).toBe(false);
    expect(org.systemLog).toHaveLength(count);

    const group = createGroup(org, "Night Shift", { members: [u0!.id, u2!.id] });
    const g = `UserGroup:${group.id}`;
    expect(brief(last(org, 3))).toEqual([
      ["group.lifecycle.create", g],
      ["group.user_membership.add", `User:${[u0!.id, u2!.id].sort()[0]}`, g],
      ["group.user_membership.add", `User:${[u0!.id, u2!.id].sort()[1]}`, g],
    ]);
    expect(last(org)[0]!.target[1]).toMatchObject({ type: "UserGroup", displayName: "Night Shift" });

    renameGroup(org, group.id, "Late Shift");
    expect(brief(last(org))).toEqual([["group.profile.update", g]]);
    expect(last(org)[0]!.published).toBe(group.lastUpdated);

    addGroupMember(org, group.id, u1!.id);
    expect(brief(last(org))).toEqual([["group.user_membership.add", `User:${u1!.id}`, g]]);
    expect(last(org)[0]!.published).toBe(group.lastMembershipUpdated);
    removeGroupMember(org, group.id, u1!.id);
    expect(brief(last(org))).toEqual([["group.user_membership.remove", `User:${u1!.id}`, g]]);

    // Assigning the group gives its members the app.
    assignUser(org, u2!.id);
    assignGroup(org, group.id);
    expect(brief(last(org, 2))).toEqual([
      ["group.application_assignment.add", g, app],
      ["application.user_membership.add", `User:${u0!.id}`, app],
    ]);
    // Membership of an assigned group now moves app membership too.
    addGroupMember(org, group.id, u1!.id);
    expect(brief(last(org, 2))).toEqual([
      ["group.user_membership.add", `User:${u1!.id}`, g],
      ["application.user_membership.add", `User:${u1!.id}`, app],
    ]);
    removeGroupMember(org, group.id, u1!.id);
    expect(brief(last(org, 2))).toEqual([
      ["group.user_membership.remove", `User:${u1!.id}`, g],
      ["application.user_membership.remove", `User:${u1!.id}`, app],
    ]);
    // A directly assigned member keeps the app: no app event.
    removeGroupMember(org, group.id, u2!.id);
    expect(brief(last(org))).toEqual([["group.user_membership.remove", `User:${u2!.id}`, g]]);

    // Unassigning a direct user who keeps the app through the group changes their app user.
    assignUser(org, u0!.id);
    unassignUser(org, u0!.id);
    expect(brief(last(org))).toEqual([["application.user_membership.change_profile", `User:${u0!.id}`, app]]);

    unassignGroup(org, group.id);
    expect(brief(last(org, 2))).toEqual([
      ["group.application_assignment.remove", g, app],
      ["application.user_membership.remove", `User:${u0!.id}`, app],
    ]);
    expect(listAssignedUsers(org).map((e) => e.user.id)).toEqual([u2!.id]);
  });

  it("every change to what /apps/{appId}/users?expand=user returns names the user in an event; every membership change moves lastMembershipUpdated", async () => {
    const org = generateOrg({ seed: 99, users: 30, groups: 5, assignedFraction: 0.3, assignedGroups: ["Engineering", "Sales"] });
    const emulator = await start(org);
    const appUsers = async () => {
      const res = await get(emulator, `/api/v1/apps/${org.app.id}/users?limit=500&expand=user`);
      return new Map((res.body as Json[]).map((u) => [u.id as string, JSON.stringify(u)]));
    };
    const rand = mulberry32(5);
    const pickUser = () => org.users[Math.floor(rand() * org.users.length)]!.id;
    const pickGroup = () => org.groups[Math.floor(rand() * org.groups.length)]!;
    const statuses: OktaUserStatus[] = ["ACTIVE", "SUSPENDED", "DEPROVISIONED", "LOCKED_OUT", "PROVISIONED", "PASSWORD_EXPIRED"];
    const mutations: (() => void)[] = [
      () => assignUser(org, pickUser()),
      () => unassignUser(org, pickUser()),
      () => setUserStatus(org, pickUser(), statuses[Math.floor(rand() * statuses.length)]!),
      () => updateProfile(org, pickUser(), { title: `Title ${Math.floor(rand() * 1000)}` }),
      () => updateProfile(org, pickUser(), { login: `renamed${Math.floor(rand() * 1e6)}@example.com` }),
      () => addGroupMember(org, pickGroup().id, pickUser()),
      () => {
        const group = pickGroup();
        if (group.members.length > 0) removeGroupMember(org, group.id, group.members[Math.floor(rand() * group.members.length)]!);
      },
      () => renameGroup(org, pickGroup().id, `Group ${Math.floor(rand() * 1000)}`),
      () => assignGroup(org, pickGroup().id),
      () => unassignGroup(org, pickGroup().id),
      () => createGroup(org, `New ${Math.floor(rand() * 1000)}`, { members: [pickUser(), pickUser()] }),
      () => createUser(org, { login: `fresh${Math.floor(rand() * 1e6)}@example.com` }),
    ];
    let before = await appUsers();
    for (let step = 0; step < 150; step++) {
      const logged = org.systemLog.length;
      const memberships = new Map(org.groups.map((g) => [g.id, { members: g.members.join(), at: g.lastMembershipUpdated }]));
      mutations[Math.floor(rand() * mutations.length)]!();
      const events = org.systemLog.slice(logged);
      const named = new Set(events.flatMap((e) => e.target.filter((t) => t.type === "User").map((t) => t.id)));
      const after = await appUsers();
      for (const id of new Set([...before.keys(), ...after.keys()])) {
        if (before.get(id) !== after.get(id)) expect(named.has(id), `step ${step}: ${id} changed without an event`).toBe(true);
      }
      for (const group of org.groups) {
        const was = memberships.get(group.id);
        if (!was || was.members === group.members.join()) continue;
        expect(group.lastMembershipUpdated > was.at, `step ${step}: ${group.name}`).toBe(true);
        expect(events.some((e) => e.eventType.startsWith("group.user_membership.") && e.target.some((t) => t.id === group.id))).toBe(true);
      }
      before = after;
    }
  });
});
