import { afterEach, describe, expect, it } from "vitest";
import { type OktaEmulator, type OktaEmulatorOptions, startOktaEmulator } from "../../src/emulators/okta-emulator.js";
import { listAssignedUsers } from "../../src/emulators/org-assignments.js";
import { generateOrg } from "../../src/emulators/org-generator.js";
import { addGroupMember, assignGroup, createGroup, removeGroupMember, renameGroup } from "../../src/emulators/org-group-changes.js";
import { findGroup } from "../../src/emulators/org-lookup.js";
import { assignUser, setUserStatus, unassignUser, updateProfile } from "../../src/emulators/org-user-changes.js";

const TOKEN = "00emulator-test-token";
const running: OktaEmulator[] = [];

async function start(overrides: Partial<OktaEmulatorOptions> = {}): Promise<OktaEmulator> {
  const emulator = await startOktaEmulator({
    org: generateOrg({ seed: 7, users: 120, groups: 20, assignedFraction: 0.5, assignedGroups: ["Sales"] }),
    token: TOKEN,
    ...overrides,
  });
  running.push(emulator);
  return emulator;
}

afterEach(async () => {
  await Promise.all(running.splice(0).map((e) => e.close()));
});

async function get(emulator: OktaEmulator, path: string, token: string | null = TOKEN) {
  const response = await fetch(path.startsWith("http") ? path : `${emulator.url}${path}`, {
    headers: token === null ? {} : { Authorization: `SSWS ${token}` },
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as unknown };
}

/** Link headers as Okta sends them: one header per relation. */
function links(headers: Headers): Record<string, string> {
  const result: Record<string, string> = {};
  for (const part of headers.get("link")?.split(/,\s*(?=<)/) ?? []) {
    const match = /^<([^>]+)>;\s*rel="([^"]+)"$/.exec(part.trim());
    if (match) result[match[2]!] = match[1]!;
  }
  return result;
}

type Json = Record<string, unknown>;

describe("org generator", () => {
  it("is deterministic for a seed and differs across seeds", () => {
    const a = generateOrg({ seed: 42, users: 300, groups: 18, assignedGroups: 2 });
    const b = generateOrg({ seed: 42, users: 300, groups: 18, assignedGroups: 2 });
    const c = generateOrg({ seed: 43, users: 300, groups: 18, assignedGroups: 2 });
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    expect(c.users[0]!.id).not.toBe(a.users[0]!.id);
  });

  it("builds a realistic org: Okta-shaped ids, unique logins on one domain, mostly ACTIVE, some empty phones", () => {
    const org = generateOrg({ seed: 1, users: 2000, groups: 18, domain: "acme.test" });
    const ids = new Set(org.users.map((u) => u.id));
    expect(ids.size).toBe(2000);
    for (const user of org.users) {
      expect(user.id).toMatch(/^00u[0-9A-Za-z]{17}$/);
      expect(user.profile.login).toMatch(/^[a-z0-9.]+@acme\.test$/);
      expect(user.profile.email).toBe(user.profile.login);
    }
    expect(new Set(org.users.map((u) => u.profile.login)).size).toBe(2000);
    const active = org.users.filter((u) => u.status === "ACTIVE").length;
    expect(active).toBeGreaterThan(1800);
    expect(active).toBeLessThan(2000);
    expect(org.users.some((u) => u.profile.primaryPhone === null)).toBe(true);
    expect(org.groups.map((g) => g.name).slice(0, 2)).toEqual(["Engineering", "Sales"]);
    expect(org.groups.map((g) => g.name).slice(15)).toEqual(["Team 1", "Team 2", "Team 3"]);
    for (const group of org.groups) expect(group.id).toMatch(/^00g[0-9A-Za-z]{17}$/);
    expect(org.app.id).toMatch(/^0oa/);
    expect(org.app.label).toBe("Verkada");
    const direct = org.app.users.length;
    expect(direct).toBeGreaterThan(1500);
    expect(direct).toBeLessThan(1700);
    expect(org.app.users.every((a) => a.userName === org.users.find((u) => u.id === a.userId)!.profile.login)).toBe(true);
  });

  it("generates 10,000 users with unique ids and logins", () => {
    const started = performance.now();
    const org = generateOrg({ seed: 9, users: 10_000, groups: 40, assignedGroups: 3 });
    const elapsed = performance.now() - started;
    expect(org.users).toHaveLength(10_000);
    expect(new Set(org.users.map((u) => u.id)).size).toBe(10_000);
    expect(new Set(org.users.map((u) => u.profile.login)).size).toBe(10_000);
    // Logged, not asserted: timing depends on the machine and its load.
    console.info(`generated 10,000 users in ${elapsed.toFixed(0)} ms`);
  });

  it("gives group-assigned users scope GROUP, and direct assignment wins", () => {
    const org = generateOrg({ seed: 3, users: 200, groups: 5, assignedFraction: 0.3, assignedGroups: ["Engineering"] });
    const engineering = findGroup(org, "Engineering");
    const assigned = listAssignedUsers(org);
    const direct = new Set(org.app.users.map((a) => a.userId));
    for (const entry of assigned) {
      expect(entry.scope).toBe(direct.has(entry.user.id) ? "USER" : "GROUP");
      if (entry.scope === "GROUP") expect(engineering.members).toContain(entry.user.id);
    }
    const expected = new Set([...direct, ...engineering.members]);
    expect(new Set(assigned.map((e) => e.user.id))).toEqual(expected);
  });

  it("mutation helpers change the data and move its timestamps on", () => {
    const org = generateOrg({ seed: 5, users: 30, groups: 3, assignedFraction: 0 });
    const user = org.users[0]!;
    const group = org.groups[0]!;
    const later = (before: string, after: string) => expect(Date.parse(after)).toBeGreaterThan(Date.parse(before));

    const before = user.lastUpdated;
    assignUser(org, user.id);
    expect(listAssignedUsers(org).map((e) => e.user.id)).toEqual([user.id]);
    updateProfile(org, user.id, { title: "CTO", login: "new.login@example.com" });
    later(before, user.lastUpdated);
    expect(org.app.users[0]!.userName).toBe("new.login@example.com");
    expect(org.app.users[0]!.profile.title).toBe("CTO");
    setUserStatus(org, user.id, "SUSPENDED");
    expect(user.status).toBe("SUSPENDED");

    const membership = group.lastMembershipUpdated;
    const outsider = org.users.find((u) => !group.members.includes(u.id))!;
    expect(addGroupMember(org, group.id, outsider.id)).toBe(true);
    later(membership, group.lastMembershipUpdated);
    expect(removeGroupMember(org, group.id, outsider.id)).toBe(true);
    expect(group.members).not.toContain(outsider.id);

    const renamedAt = group.lastUpdated;
    renameGroup(org, group.id, "Renamed");
    expect(group.name).toBe("Renamed");
    later(renamedAt, group.lastUpdated);

    const created = createGroup(org, "Night Shift", { members: [outsider.id] });
    assignGroup(org, created.id);
    expect(listAssignedUsers(org).find((e) => e.user.id === outsider.id)?.scope).toBe("GROUP");
    expect(unassignUser(org, user.id)).toBe(true);
    expect(listAssignedUsers(org).map((e) => e.user.id)).toEqual([outsider.id]);
  });
});

describe("okta emulator: auth and errors", () => {
  it("answers a missing or wrong SSWS token with 401 E0000011, with rate-limit headers", async () => {
    const emulator = await start();
    for (const token of [null, "wrong"]) {
      const res = await get(emulator, `/api/v1/apps/${emulator.org.app.id}/users`, token);
      expect(res.status).toBe(401);
      expect(res.body).toMatchObject({ errorCode: "E0000011", errorSummary: "Invalid token provided", errorLink: "E0000011" });
      expect((res.body as Json).errorId).toEqual(expect.any(String));
      expect((res.body as Json).errorCauses).toEqual([]);
      expect(res.headers.get("x-rate-limit-limit")).toBe("100");
    }
    const bearer = await fetch(`${emulator.url}/api/v1/groups`, { headers: { Authorization: `Bearer ${TOKEN}` } });
    expect(bearer.status).toBe(401);
    expect(emulator.requests.map((r) => r.status)).toEqual([401, 401, 401]);
  });

  it("answers unknown resources with 404 E0000007", async () => {
    const emulator = await start();
    const cases = [
      ["/api/v1/apps/0oanope/users", "0oanope (AppInstance)"],
      ["/api/v1/groups/00gnope", "00gnope (UserGroup)"],
      ["/api/v1/groups/00gnope/users", "00gnope (UserGroup)"],
      ["/api/v1/users/00unope", "00unope (User)"],
    ] as const;
    for (const [path, what] of cases) {
      const res = await get(emulator, path);
      expect(res.status).toBe(404);
      expect(res.body).toMatchObject({ errorCode: "E0000007", errorSummary: `Not found: Resource not found: ${what}` });
    }
  });

  it("serves single resources: the app, a group, a user by id or login", async () => {
    const emulator = await start();
    const { org } = emulator;
    const app = await get(emulator, `/api/v1/apps/${org.app.id}`);
    expect(app.body).toMatchObject({ id: org.app.id, label: "Verkada", status: "ACTIVE" });
    const group = org.groups[0]!;
    const g = await get(emulator, `/api/v1/groups/${group.id}`);
    expect(g.body).toMatchObject({
      id: group.id,
      type: "OKTA_GROUP",
      profile: { name: group.name },
      lastMembershipUpdated: group.lastMembershipUpdated,
    });
    const user = org.users[3]!;
    for (const key of [user.id, user.profile.login]) {
      const u = await get(emulator, `/api/v1/users/${encodeURIComponent(key)}`);
      expect(u.body).toMatchObject({ id: user.id, status: user.status, profile: { login: user.profile.login } });
    }
  });

  it("lets a test inject a fault or drop the connection", async () => {
    const emulator = await start();
    emulator.inject = ({ pathname, count }) => (pathname === "/api/v1/groups" && count === 2 ? { status: 500 } : undefined);
    expect((await get(emulator, "/api/v1/groups")).status).toBe(200);
    const failed = await get(emulator, "/api/v1/groups");
    expect(failed.status).toBe(500);
    expect(failed.body).toMatchObject({ errorCode: "E0000009" });
    emulator.inject = () => ({ reset: true });
    await expect(fetch(`${emulator.url}/api/v1/groups`, { headers: { Authorization: `SSWS ${TOKEN}` } })).rejects.toThrow();
  });
});

describe("okta emulator: pagination", () => {
  it("pages app users with absolute self and next links; the last page has no next", async () => {
    const emulator = await start();
    const { org } = emulator;
    const expected = listAssignedUsers(org).map((e) => e.user.id);
    expect(expected.length).toBeGreaterThan(40);
    let url: string | undefined = `/api/v1/apps/${org.app.id}/users?limit=17&expand=user`;
    const seen: string[] = [];
    let pages = 0;
    while (url) {
      const res = await get(emulator, url);
      expect(res.status).toBe(200);
      const rel = links(res.headers);
      expect(rel.self).toMatch(new RegExp(`^${emulator.url}/api/v1/apps/${org.app.id}/users\\?`));
      const page = res.body as Json[];
      for (const appUser of page) {
        seen.push(appUser.id as string);
        expect(appUser).toMatchObject({ scope: expect.stringMatching(/^(USER|GROUP)$/), syncState: "SYNCHRONIZED" });
        expect((appUser._embedded as Json).user).toMatchObject({ id: appUser.id });
        expect((appUser.credentials as Json).userName).toEqual(expect.any(String));
      }
      pages++;
      if (rel.next) {
        expect(page).toHaveLength(17);
        expect(rel.next.startsWith(emulator.url)).toBe(true);
        expect(new URL(rel.next).searchParams.get("expand")).toBe("user");
        expect(new URL(rel.next).searchParams.get("after")).toBe(page.at(-1)!.id);
      }
      url = rel.next;
    }
    expect(pages).toBe(Math.ceil(expected.length / 17));
    expect(seen).toEqual(expected);
    // Two Link headers, as Okta sends them.
    const raw = await new Promise<string[]>((resolve, reject) => {
      import("node:http").then(({ get: httpGet }) => {
        httpGet(`${emulator.url}/api/v1/apps/${org.app.id}/users?limit=1`, { headers: { Authorization: `SSWS ${TOKEN}` } }, (res) => {
          res.resume();
          resolve(res.rawHeaders.filter((_, i, all) => i % 2 === 1 && all[i - 1]!.toLowerCase() === "link"));
        }).on("error", reject);
      }, reject);
    });
    expect(raw).toHaveLength(2);
  });

  it("drops expand=user from next links when emulating SDK issue #439, and omits embedded users without expand", async () => {
    const emulator = await start({ dropExpandOnNextLink: true });
    const first = await get(emulator, `/api/v1/apps/${emulator.org.app.id}/users?limit=5&expand=user`);
    const next = links(first.headers).next!;
    expect(new URL(next).searchParams.has("expand")).toBe(false);
    const second = await get(emulator, next);
    for (const appUser of second.body as Json[]) expect(appUser._embedded).toBeUndefined();
  });

  it("clamps limits above the maximum, defaults when absent, and rejects limits that are not positive integers", async () => {
    const org = generateOrg({ seed: 11, users: 1300, groups: 230, assignedFraction: 0.6, assignedGroups: 230, membershipsPerUser: 0 });
    const emulator = await start({ org, rateLimits: false });
    const appUsers = `/api/v1/apps/${org.app.id}/users`;
    expect((await get(emulator, `${appUsers}?limit=1000`)).body).toHaveLength(500);
    expect((await get(emulator, appUsers)).body).toHaveLength(50);
    expect((await get(emulator, `/api/v1/apps/${org.app.id}/groups`)).body).toHaveLength(20);
    expect((await get(emulator, `/api/v1/apps/${org.app.id}/groups?limit=999`)).body).toHaveLength(200);
    for (const bad of ["0", "-3", "ten"]) {
      const res = await get(emulator, `${appUsers}?limit=${bad}`);
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ errorCode: "E0000001" });
    }
  });

  it("pages group members (default limit 1000) and groups", async () => {
    const org = generateOrg({ seed: 2, users: 2600, groups: 2, membershipsPerUser: 1 });
    const emulator = await start({ org });
    const group = org.groups.reduce((a, b) => (a.members.length >= b.members.length ? a : b));
    expect(group.members.length).toBeGreaterThan(1000);
    const first = await get(emulator, `/api/v1/groups/${group.id}/users`);
    expect(first.body).toHaveLength(1000);
    const ids = (first.body as Json[]).map((u) => u.id);
    let next = links(first.headers).next;
    while (next) {
      const res = await get(emulator, next);
      ids.push(...(res.body as Json[]).map((u) => u.id));
      next = links(res.headers).next;
    }
    expect(ids).toEqual(group.members);
    const groups = await get(emulator, "/api/v1/groups?limit=1");
    expect(groups.body).toHaveLength(1);
    expect(links(groups.headers).next).toContain("after=");
  });
});

describe("okta emulator: group search", () => {
  it("finds groups by q prefix (not paged), by profile.name eq (case-insensitive, escaped quotes) and by id", async () => {
    const emulator = await start();
    const { org } = emulator;
    const quoted = createGroup(org, 'The "Quoted" \\ Team');
    const q = await get(emulator, "/api/v1/groups?q=Team%20");
    expect((q.body as Json[]).map((g) => (g.profile as Json).name)).toEqual(
      org.groups
        .filter((g) => g.name.startsWith("Team "))
        .sort((a, b) => (a.id < b.id ? -1 : 1))
        .map((g) => g.name),
    );
    expect(links(q.headers).next).toBeUndefined();

    const search = (expr: string) => get(emulator, `/api/v1/groups?search=${encodeURIComponent(expr)}`);
    const byName = await search('profile.name eq "engineering"');
    expect((byName.body as Json[]).map((g) => g.id)).toEqual([findGroup(org, "Engineering").id]);
    const byQuoted = await search('profile.name eq "The \\"Quoted\\" \\\\ Team"');
    expect((byQuoted.body as Json[]).map((g) => g.id)).toEqual([quoted.id]);
    const byId = await search(`id eq "${org.groups[4]!.id}"`);
    expect((byId.body as Json[]).map((g) => g.id)).toEqual([org.groups[4]!.id]);
    const either = await search(`profile.name eq "Sales" or profile.name eq "Legal"`);
    expect((either.body as Json[]).map((g) => (g.profile as Json).name).sort()).toEqual(["Legal", "Sales"]);
    const recent = await search(`lastMembershipUpdated gt "${quoted.lastMembershipUpdated}"`);
    expect(recent.body).toEqual([]);
    addGroupMember(org, findGroup(org, "Legal").id, org.users.find((u) => !findGroup(org, "Legal").members.includes(u.id))!.id);
    const changed = await search(`lastMembershipUpdated gt "${quoted.lastMembershipUpdated}"`);
    expect((changed.body as Json[]).map((g) => (g.profile as Json).name)).toEqual(["Legal"]);

    const bad = await search("profile.name eq");
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ errorCode: "E0000031", errorSummary: "Invalid search criteria." });
  });
});

describe("okta emulator: rate limits", () => {
  it("counts per bucket, answers 429 E0000047 with X-Rate-Limit-Reset when the budget is spent, and resets with the window", async () => {
    let clock = Date.parse("2025-01-01T00:00:10.000Z");
    const emulator = await start({ rateLimits: { apps: 3 }, now: () => clock });
    const path = `/api/v1/apps/${emulator.org.app.id}/users?limit=1`;
    const remaining: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await get(emulator, path);
      expect(res.status).toBe(200);
      remaining.push(res.headers.get("x-rate-limit-remaining")!);
      clock += 1000;
    }
    expect(remaining).toEqual(["2", "1", "0"]);
    const limited = await get(emulator, path);
    expect(limited.status).toBe(429);
    expect(limited.body).toMatchObject({
      errorCode: "E0000047",
      errorSummary: "API call exceeded rate limit due to too many requests.",
    });
    expect(limited.headers.get("x-rate-limit-limit")).toBe("3");
    expect(limited.headers.get("x-rate-limit-remaining")).toBe("0");
    expect(limited.headers.get("x-rate-limit-reset")).toBe(String(Date.parse("2025-01-01T00:01:10.000Z") / 1000));
    expect(new Date(limited.headers.get("date")!).getTime()).toBe(Math.floor(clock / 1000) * 1000);
    // Other buckets keep their own budget.
    expect((await get(emulator, "/api/v1/groups")).headers.get("x-rate-limit-limit")).toBe("500");
    expect(emulator.stats.rateLimited).toBe(1);

    clock = Date.parse("2025-01-01T00:01:10.000Z");
    const after = await get(emulator, path);
    expect(after.status).toBe(200);
    expect(after.headers.get("x-rate-limit-remaining")).toBe("2");
  });

  it("never answers 429 with rateLimits: false", async () => {
    const emulator = await start({ rateLimits: false });
    for (let i = 0; i < 105; i++) expect((await get(emulator, `/api/v1/apps/${emulator.org.app.id}`)).status).toBe(200);
    expect(emulator.stats.requests).toBe(105);
    expect(emulator.stats.byBucket.apps).toBe(105);
  });
});
