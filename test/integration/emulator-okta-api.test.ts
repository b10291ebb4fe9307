import { afterEach, describe, expect, it, vi } from "vitest";
import { type OktaEmulator, type OktaEmulatorOptions, startOktaEmulator } from "../../src/emulators/okta-emulator.js";
import { endpointOf } from "../../src/emulators/okta-stats.js";
import type { EmulatedOktaOrg } from "../../src/emulators/okta-org.js";
import { listAssignedUsers } from "../../src/emulators/org-assignments.js";
import { generateOrg } from "../../src/emulators/org-generator.js";
import { addGroupMember, assignGroup, createGroup } from "../../src/emulators/org-group-changes.js";
import { findGroup } from "../../src/emulators/org-lookup.js";
import { updateProfile } from "../../src/emulators/org-user-changes.js";

const TOKEN = "00okta-api-test-token";
const running: OktaEmulator[] = [];

afterEach(async () => {
  await Promise.all(running.splice(0).map((e) => e.close()));
});

async function start(overrides: Partial<OktaEmulatorOptions> = {}, org?: EmulatedOktaOrg): Promise<OktaEmulator> {
  const emulator = await startOktaEmulator({
    org: org ?? generateOrg({ seed: 13, users: 80, groups: 12, assignedFraction: 0.4, assignedGroups: ["Sales", "Legal"] }),
    token: TOKEN,
    ...overrides,
  });
  running.push(emulator);
  return emulator;
}

type Json = Record<string, unknown>;

async function get(emulator: OktaEmulator, path: string) {
  const response = await fetch(`${emulator.url}${path}`, { headers: { Authorization: `SSWS ${TOKEN}` } });
  return { status: response.status, headers: response.headers, body: (await response.json()) as unknown };
}

describe("okta emulator: one app user", () => {
  it("serves GET /api/v1/apps/{appId}/users/{userId} as the list does, embedding the user with expand=user", async () => {
    const emulator = await start();
    const { org } = emulator;
    const assigned = listAssignedUsers(org);
    const direct = assigned.find((e) => e.scope === "USER")!;
    const viaGroup = assigned.find((e) => e.scope === "GROUP")!;
    expect(viaGroup).toBeDefined();
    const list = (await get(emulator, `/api/v1/apps/${org.app.id}/users?limit=500&expand=user`)).body as Json[];
    for (const entry of [direct, viaGroup]) {
      const one = await get(emulator, `/api/v1/apps/${org.app.id}/users/${entry.user.id}?expand=user`);
      expect(one.status).toBe(200);
      expect(one.body).toEqual(list.find((u) => u.id === entry.user.id));
      expect(one.body).toMatchObject({ id: entry.user.id, scope: entry.scope, _embedded: { user: { id: entry.user.id } } });
      const plain = await get(emulator, `/api/v1/apps/${org.app.id}/users/${entry.user.id}`);
      expect((plain.body as Json)._embedded).toBeUndefined();
    }
    // A group-assigned user's app profile follows the profile.
    updateProfile(org, viaGroup.user.id, { title: "Group Title" });
    const after = await get(emulator, `/api/v1/apps/${org.app.id}/users/${viaGroup.user.id}`);
    expect((after.body as Json).profile).toMatchObject({ title: "Group Title" });

    emulator.behavior.ignoreExpand = true;
    const ignored = await get(emulator, `/api/v1/apps/${org.app.id}/users/${direct.user.id}?expand=user`);
    expect((ignored.body as Json)._embedded).toBeUndefined();
  });

  it("answers 404 E0000007 for a user who is not assigned", async () => {
    const emulator = await start();
    const { org } = emulator;
    const assigned = new Set(listAssignedUsers(org).map((e) => e.user.id));
    const outsider = org.users.find((u) => !assigned.has(u.id))!;
    for (const id of [outsider.id, "00unobody"]) {
      const res = await get(emulator, `/api/v1/apps/${org.app.id}/users/${id}?expand=user`);
      expect(res.status).toBe(404);
      expect(res.body).toMatchObject({ errorCode: "E0000007" });
    }
    // Joining an assigned group assigns the app.
    addGroupMember(org, findGroup(org, "Legal").id, outsider.id);
    expect((await get(emulator, `/api/v1/apps/${org.app.id}/users/${outsider.id}`)).body).toMatchObject({ scope: "GROUP" });
  });

  it("follows changes in app user lists at once", async () => {
    const emulator = await start();
    const { org } = emulator;
    const count = async () => ((await get(emulator, `/api/v1/apps/${org.app.id}/users?limit=500`)).body as Json[]).length;
    const before = await count();
    const team = createGroup(org, "Newcomers", { members: org.users.slice(0, 40).map((u) => u.id) });
    expect(await count()).toBe(before);
    assignGroup(org, team.id);
    expect(await count()).toBe(listAssignedUsers(org).length);
    expect(await count()).toBeGreaterThan(before);
  });
});

describe("okta emulator: group search", () => {
  it("combines profile.name eq and id eq with or, and, parentheses, and lastMembershipUpdated gt", async () => {
    const emulator = await start();
    const { org } = emulator;
    const search = async (expr: string) => {
      const res = await get(emulator, `/api/v1/groups?search=${encodeURIComponent(expr)}`);
      expect(res.status).toBe(200);
      return (res.body as Json[]).map((g) => (g.profile as Json).name as string).sort();
    };
    const legal = findGroup(org, "Legal");
    expect(await search(`profile.name eq "Sales" or id eq "${legal.id}" or profile.name eq "IT"`)).toEqual(["IT", "Legal", "Sales"]);
    expect(await search(`(profile.name eq "Sales" or profile.name eq "Legal") and id eq "${legal.id}"`)).toEqual(["Legal"]);
    const mark = org.groups.map((g) => g.lastMembershipUpdated).sort().at(-1)!;
    addGroupMember(org, findGroup(org, "Sales").id, org.users.find((u) => !findGroup(org, "Sales").members.includes(u.id))!.id);
    expect(await search(`lastMembershipUpdated gt "${mark}" and (profile.name eq "Sales" or profile.name eq "IT")`)).toEqual(["Sales"]);
    expect(await search(`type eq "OKTA_GROUP" and profile.name sw "Team"`)).toEqual(await search('profile.name sw "team"'));
  });

  it("embeds the full group, with lastMembershipUpdated, in app group assignments with expand=group", async () => {
    const emulator = await start();
    const { org } = emulator;
    const res = await get(emulator, `/api/v1/apps/${org.app.id}/groups?expand=group`);
    const sales = findGroup(org, "Sales");
    const group = await get(emulator, `/api/v1/groups/${sales.id}`);
    const assignment = (res.body as Json[]).find((a) => a.id === sales.id)!;
    expect((assignment._embedded as Json).group).toEqual(group.body);
    expect(group.body).toMatchObject({ lastUpdated: sales.lastUpdated, lastMembershipUpdated: sales.lastMembershipUpdated });
  });
});

describe("okta emulator: statistics and latency", () => {
  it("templates endpoints", () => {
    expect(endpointOf("GET", "/api/v1/apps/0oa1/users")).toBe("GET /api/v1/apps/{appId}/users");
    expect(endpointOf("GET", "/api/v1/apps/0oa1/users/00u1")).toBe("GET /api/v1/apps/{appId}/users/{userId}");
    expect(endpointOf("GET", "/api/v1/apps/0oa1/groups/00g1")).toBe("GET /api/v1/apps/{appId}/groups/{groupId}");
    expect(endpointOf("GET", "/api/v1/apps/0oa1")).toBe("GET /api/v1/apps/{appId}");
    expect(endpointOf("GET", "/api/v1/groups")).toBe("GET /api/v1/groups");
    expect(endpointOf("GET", "/api/v1/groups/00g1/")).toBe("GET /api/v1/groups/{groupId}");
    expect(endpointOf("GET", "/api/v1/groups/00g1/users")).toBe("GET /api/v1/groups/{groupId}/users");
    expect(endpointOf("GET", "/api/v1/users/00u1")).toBe("GET /api/v1/users/{userId}");
    expect(endpointOf("GET", "/api/v1/logs")).toBe("GET /api/v1/logs");
    expect(endpointOf("POST", "/oauth2/v1/token")).toBe("POST /oauth2/v1/token");
    expect(endpointOf("GET", "/somewhere/else")).toBe("GET /somewhere/else");
  });

  it("counts requests by endpoint whether or not they succeed, and 429s; resetStats starts afresh", async () => {
    let clock = Date.parse("2025-01-01T00:00:00Z");
    const emulator = await start({ rateLimits: { apps: 2 }, now: () => clock });
    const { org } = emulator;
    const user = listAssignedUsers(org)[0]!.user.id;
    const group = org.groups[0]!.id;
    for (const path of [
      `/api/v1/apps/${org.app.id}/users?limit=5`,
      `/api/v1/apps/${org.app.id}/users/${user}?expand=user`,
      `/api/v1/apps/${org.app.id}/users/${user}`,
      "/api/v1/groups",
      "/api/v1/groups?search=profile.name%20eq%20%22IT%22",
      `/api/v1/groups/${group}`,
      `/api/v1/groups/${group}/users`,
      `/api/v1/users/${user}`,
      "/api/v1/logs",
    ]) {
      await get(emulator, path);
    }
    await fetch(`${emulator.url}/oauth2/v1/token`, { method: "POST", body: "grant_type=client_credentials" });
    await fetch(`${emulator.url}/api/v1/groups`);
    expect(emulator.stats.byEndpoint).toEqual({
      "GET /api/v1/apps/{appId}/users": 1,
      "GET /api/v1/apps/{appId}/users/{userId}": 2,
      "GET /api/v1/groups": 3,
      "GET /api/v1/groups/{groupId}": 1,
      "GET /api/v1/groups/{groupId}/users": 1,
      "GET /api/v1/users/{userId}": 1,
      "GET /api/v1/logs": 1,
      "POST /oauth2/v1/token": 1,
    });
    expect(emulator.stats.rateLimited).toBe(1);
    expect(emulator.stats.requests).toBe(11);
    expect(emulator.stats.byBucket.logs).toBe(1);
    emulator.resetStats();
    expect(emulator.stats).toMatchObject({ requests: 0, rateLimited: 0, byEndpoint: {} });
    clock += 60_000;
    await get(emulator, `/api/v1/apps/${org.app.id}`);
    expect(emulator.stats.byEndpoint).toEqual({ "GET /api/v1/apps/{appId}": 1 });
    expect(emulator.requests).toHaveLength(12);
  });

  it("waits latencyMs before every response; tests may change it", async () => {
    const emulator = await start({ latencyMs: 120 });
    let started = performance.now();
    expect((await get(emulator, "/api/v1/groups?limit=1")).status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(110);
    started = performance.now();
    expect((await fetch(`${emulator.url}/api/v1/groups`)).status).toBe(401);
    expect(performance.now() - started).toBeGreaterThanOrEqual(110);
    // A change applies from the next request on: one sent under a long latency is still held
    // when one sent after latencyMs went back to 0 has been answered.
    emulator.behavior.latencyMs = 20_000;
    const handled = emulator.stats.requests;
    const abort = new AbortController();
    let heldAnswered = false;
    const held = fetch(`${emulator.url}/api/v1/groups?limit=1`, { headers: { Authorization: `SSWS ${TOKEN}` }, signal: abort.signal }).then(
      () => {
        heldAnswered = true;
      },
      () => undefined,
    );
    await vi.waitFor(() => expect(emulator.stats.requests).toBe(handled + 1));
    emulator.behavior.latencyMs = 0;
    expect((await get(emulator, "/api/v1/groups?limit=1")).status).toBe(200);
    expect(heldAnswered).toBe(false);
    abort.abort();
    await held;
  });
});
