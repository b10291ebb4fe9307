import { generateKeyPairSync } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "@okta/okta-sdk-nodejs";
import { describe, expect, it } from "vitest";
import type { OktaAuth } from "../../src/config/types.js";
import type { OktaEmulator, OktaEmulatorOptions } from "../../src/emulators/okta-emulator.js";
import type { EmulatedOktaOrg } from "../../src/emulators/okta-org.js";
import { generateOrg } from "../../src/emulators/org-generator.js";
import { createGroup, renameGroup } from "../../src/emulators/org-group-changes.js";
import { findGroup } from "../../src/emulators/org-lookup.js";
import { assignUser } from "../../src/emulators/org-user-changes.js";
import { ConfigError, NetworkError, ProtocolError, RemoteError, SyncError } from "../../src/errors.js";
import { pullFromOkta, type OktaPullTuning } from "../../src/okta/pull.js";
import type { OktaPullOptions, OktaPullResult } from "../../src/okta/types.js";
import { oktaEmulators } from "../support/okta-emulators.js";

const TOKEN = "00pull-test-token-5f2c9a";
const emulators = oktaEmulators(TOKEN);

/** 1,700 users, about 1,200 of them app users: most assigned directly, about 100 only through Sales or Legal. */
function bigOrg(): EmulatedOktaOrg {
  return generateOrg({ seed: 2024, users: 1700, groups: 20, assignedFraction: 0.66, assignedGroups: ["Sales", "Legal"] });
}

function start(org: EmulatedOktaOrg, overrides: Partial<OktaEmulatorOptions> = {}): Promise<OktaEmulator> {
  return emulators.start(org, overrides);
}

function pull(
  emulator: OktaEmulator,
  overrides: Partial<OktaPullOptions> = {},
  tuning: OktaPullTuning = {},
): Promise<OktaPullResult> {
  return pullFromOkta(
    {
      orgUrl: emulator.url,
      appId: emulator.org.app.id,
      auth: { mode: "token", token: TOKEN },
      groups: [],
      ...overrides,
    },
    tuning,
  );
}

async function failure(promise: Promise<unknown>): Promise<SyncError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(SyncError);
    return error as SyncError;
  }
  throw new Error("expected the pull to fail");
}

/** What the org holds, worked out from the data rather than from the emulator. */
function expectedAppUsers(org: EmulatedOktaOrg) {
  const direct = new Map(org.app.users.map((a) => [a.userId, a]));
  const viaGroups = new Set(org.app.groups.flatMap((ga) => org.groups.find((g) => g.id === ga.groupId)!.members));
  const ids = [...new Set([...direct.keys(), ...viaGroups])].sort();
  return ids.map((id) => {
    const user = org.users.find((u) => u.id === id)!;
    return {
      id,
      scope: direct.has(id) ? "USER" : "GROUP",
      userName: direct.get(id)?.userName ?? user.profile.login,
      user: { id, status: user.status, profile: { ...user.profile } },
    };
  });
}

function summary(result: OktaPullResult) {
  return [...result.appUsers]
    .sort((a, b) => (a.id < b.id ? -1 : 1))
    .map(({ id, scope, userName, user }) => ({ id, scope, userName, user }));
}

const appUserPages = (emulator: OktaEmulator) => emulator.requests.filter((r) => /\/api\/v1\/apps\/[^/]+\/users\?/.test(r.path));

describe("pull: app users", () => {
  it("reads 1,200 assigned users across pages of 500: direct and group-scoped, unassigned users left out", async () => {
    const org = bigOrg();
    const emulator = await start(org);
    const expected = expectedAppUsers(org);
    expect(expected.length).toBeGreaterThan(1150);
    expect(expected.length).toBeLessThan(1250);
    expect(expected.some((u) => u.scope === "GROUP")).toBe(true);

    const progress: number[] = [];
    const result = await pull(emulator, { onProgress: (e) => e.kind === "appUsers" && progress.push(e.read) });
    expect(summary(result)).toEqual(expected);
    const assigned = new Set(expected.map((u) => u.id));
    expect(org.users.filter((u) => !assigned.has(u.id)).length).toBeGreaterThan(0);
    expect(result.appUsers.every((u) => assigned.has(u.id))).toBe(true);

    const pages = appUserPages(emulator);
    expect(pages).toHaveLength(Math.ceil(expected.length / 500));
    expect(pages.every((r) => r.path.includes("limit=500") && r.path.includes("expand=user"))).toBe(true);
    expect(progress).toEqual([500, 1000, expected.length]);
    expect(result.requests).toBe(emulator.stats.requests);
    // App-level data comes along: app profile and status.
    const direct = org.app.users[0]!;
    const read = result.appUsers.find((u) => u.id === direct.userId)!;
    expect(read.profile).toEqual(direct.profile);
    expect(read.status).toBe(direct.status);
  });

  it("gives the same result with small page sizes", async () => {
    const org = bigOrg();
    const emulator = await start(org);
    const expected = expectedAppUsers(org);
    const result = await pull(emulator, { pageSize: 37 });
    expect(summary(result)).toEqual(expected);
    expect(appUserPages(emulator)).toHaveLength(Math.ceil(expected.length / 37));
  });

  it("keeps embedded users on every page when next links drop expand=user (SDK issue #439)", async () => {
    const org = bigOrg();
    const emulator = await start(org, { dropExpandOnNextLink: true });
    const result = await pull(emulator, { pageSize: 200 });
    expect(summary(result)).toEqual(expectedAppUsers(org));
    // The lost parameter is put back, so no user has to be fetched on its own.
    expect(appUserPages(emulator).every((r) => r.path.includes("expand=user"))).toBe(true);
    expect(emulator.requests.some((r) => r.path.startsWith("/api/v1/users/"))).toBe(false);
  });

  it("fetches each user whose page came without embedded users, instead of reading an empty profile", async () => {
    const org = generateOrg({ seed: 8, users: 90, groups: 4, assignedFraction: 0.7, assignedGroups: 1 });
    const emulator = await start(org, { ignoreExpand: true });
    const result = await pull(emulator, { pageSize: 25 });
    const expected = expectedAppUsers(org);
    expect(summary(result)).toEqual(expected);
    const userGets = emulator.requests.filter((r) => r.path.startsWith("/api/v1/users/"));
    expect(userGets).toHaveLength(expected.length);
    expect(result.appUsers.every((u) => Object.keys(u.user.profile).length > 0)).toBe(true);
  });

  it("fails the whole pull when the third page answers 500", async () => {
    const org = bigOrg();
    const emulator = await start(org);
    emulator.inject = ({ pathname, count }) => (pathname.endsWith("/users") && pathname.includes("/apps/") && count === 3 ? { status: 500 } : undefined);
    const error = await failure(pull(emulator, { pageSize: 100, groups: ["Sales"] }));
    expect(error).toBeInstanceOf(RemoteError);
    expect(error.kind).toBe("remote");
    expect((error as RemoteError).status).toBe(500);
    expect((error as RemoteError).side).toBe("okta");
    expect(error.message).toMatch(/^Okta answered 500 to GET http:\/\/127\.0\.0\.1:\d+\/api\/v1\/apps\/.+\/users\?.*after=.*: Internal Server Error$/);
    // Nothing after the failed page was read.
    expect(emulator.requests.at(-1)!.status).toBe(500);
    expect(emulator.requests.some((r) => r.path.startsWith("/api/v1/groups"))).toBe(false);
  });

  it("keeps a short excerpt of a non-JSON error page, such as a proxy's 502", async () => {
    const emulator = await start(generateOrg({ seed: 1, users: 10, groups: 2 }));
    emulator.inject = () => ({ status: 502, text: "<html><body><h1>502 Bad Gateway</h1></body></html>" });
    const error = await failure(pull(emulator));
    expect((error as RemoteError).status).toBe(502);
    expect(error.message).toMatch(/: 502 Bad Gateway$/);
    expect(error.hint).toContain("try again later");
  });

  it("turns a 401 into an auth error that never shows the token", async () => {
    const emulator = await start(generateOrg({ seed: 1, users: 10, groups: 2 }));
    const wrong = "00wrong-token-9d8e7f6a5b";
    const error = await failure(
      pullFromOkta({ orgUrl: emulator.url, appId: emulator.org.app.id, auth: { mode: "token", token: wrong }, groups: [] }),
    );
    expect(error.kind).toBe("auth");
    expect((error as RemoteError).status).toBe(401);
    expect(error.message).toContain("Invalid token provided");
    expect(error.hint).toContain("okta.token");
    for (const text of [error.message, error.hint ?? "", String(error), JSON.stringify(error), error.stack ?? ""]) {
      expect(text).not.toContain(wrong);
      expect(text).not.toContain(TOKEN);
    }
  });

  it("names okta.appId when the app does not exist", async () => {
    const emulator = await start(generateOrg({ seed: 1, users: 10, groups: 2 }));
    const error = await failure(pullFromOkta({ orgUrl: `${emulator.url}/`, appId: "0oanotthere", auth: { mode: "token", token: TOKEN }, groups: [] }));
    expect((error as RemoteError).status).toBe(404);
    expect(error.message).toContain("0oanotthere (AppInstance)");
    expect(error.hint).toContain("okta.appId");
  });

  it("makes one attempt per request unless given a retry configuration: a 429 fails the pull with a rate-limit error", async () => {
    const org = generateOrg({ seed: 4, users: 60, groups: 2, assignedFraction: 1 });
    const emulator = await start(org);
    emulator.inject = ({ pathname, count }) => (pathname.includes("/apps/") && count === 2 ? { status: 429 } : undefined);
    const error = await failure(pull(emulator, { pageSize: 25 }));
    expect((error as RemoteError).status).toBe(429);
    expect(error.message).toContain("API call exceeded rate limit");
    expect(error.message).not.toContain("gave up");
    expect(error.hint).toContain("rate limit");
    expect(appUserPages(emulator).map((r) => r.status)).toEqual([200, 429]);
  });

  it("reports an unreachable org as a network error", async () => {
    const emulator = await start(generateOrg({ seed: 1, users: 5, groups: 1 }));
    const url = emulator.url;
    await emulators.close(emulator);
    const error = await failure(pullFromOkta({ orgUrl: url, appId: "0oa1", auth: { mode: "token", token: TOKEN }, groups: [] }));
    expect(error).toBeInstanceOf(NetworkError);
    expect(error.message).toContain(`cannot reach ${url} (ECONNREFUSED)`);
  });

  it("refuses a next link that leads to another host", async () => {
    const org = generateOrg({ seed: 6, users: 30, groups: 1, assignedFraction: 1 });
    const emulator = await start(org, { publicUrl: "http://localhost:9" });
    const error = await failure(pull(emulator, { pageSize: 10 }));
    expect(error).toBeInstanceOf(ProtocolError);
    expect(error.message).toContain("next link points to http://localhost:9");
    expect(emulator.requests).toHaveLength(1);
  });
});

describe("pull: groups", () => {
  it("resolves names and ids in the configured order, with every member", async () => {
    const org = generateOrg({ seed: 12, users: 2500, groups: 18, membershipsPerUser: 1.3 });
    const engineering = findGroup(org, "Engineering");
    const team2 = findGroup(org, "Team 2");
    // A big group, so its members span several pages of 1,000.
    engineering.members = org.users.filter((_, i) => i % 5 !== 0).map((u) => u.id).sort();
    const emulator = await start(org);
    const result = await pull(emulator, { groups: [team2.id, "Engineering", "Team 2", engineering.id] });
    expect(result.groups).toEqual([
      { id: team2.id, name: "Team 2", lastMembershipUpdated: team2.lastMembershipUpdated, memberIds: team2.members },
      { id: engineering.id, name: "Engineering", lastMembershipUpdated: engineering.lastMembershipUpdated, memberIds: engineering.members },
    ]);
    const memberPages = emulator.requests.filter((r) => r.path.startsWith(`/api/v1/groups/${engineering.id}/users`));
    expect(memberPages).toHaveLength(Math.ceil(engineering.members.length / 1000));
    expect(memberPages.every((r) => r.path.includes("limit=1000"))).toBe(true);
    // The names and ids are resolved in one search.
    const searches = emulator.requests.filter((r) => r.path.startsWith("/api/v1/groups?")).map((r) => decodeURIComponent(r.path));
    expect(searches).toHaveLength(1);
    expect(searches[0]).toContain(`search=id eq "${team2.id}" or profile.name eq "Engineering" or profile.name eq "Team 2" or id eq "${engineering.id}"`);
  });

  it("reads the groups assigned to the app with 'assigned'", async () => {
    const org = generateOrg({ seed: 13, users: 300, groups: 10, assignedGroups: ["Legal", "Sales", "Finance"] });
    const emulator = await start(org);
    renameGroup(org, findGroup(org, "Legal").id, "Legal & Compliance");
    const result = await pull(emulator, { groups: "assigned" });
    const expected = org.app.groups
      .map((ga) => org.groups.find((g) => g.id === ga.groupId)!)
      .sort((a, b) => (a.id < b.id ? -1 : 1))
      .map((g) => ({ id: g.id, name: g.name, lastMembershipUpdated: g.lastMembershipUpdated, memberIds: g.members }));
    expect(result.groups).toEqual(expected);
    expect(result.groups.map((g) => g.name)).toContain("Legal & Compliance");
  });

  it("finds a group whose name holds quotes and backslashes", async () => {
    const org = generateOrg({ seed: 14, users: 40, groups: 3 });
    const odd = createGroup(org, 'Ops "Night" \\ Shift', { members: [org.users[0]!.id, org.users[1]!.id] });
    const emulator = await start(org);
    const result = await pull(emulator, { groups: ['Ops "Night" \\ Shift'] });
    expect(result.groups).toEqual([{ id: odd.id, name: odd.name, lastMembershipUpdated: odd.lastMembershipUpdated, memberIds: odd.members }]);
  });

  it("fails with a config error naming an unknown group, suggesting a name that differs only in case", async () => {
    const emulator = await start(generateOrg({ seed: 15, users: 40, groups: 5 }));
    const unknown = await failure(pull(emulator, { groups: ["Engineering", "Platform Guild"] }));
    expect(unknown).toBeInstanceOf(ConfigError);
    expect(unknown.kind).toBe("config");
    expect(unknown.message).toBe('invalid configuration: groups.push: Okta has no group named "Platform Guild"');

    const cased = await failure(pull(emulator, { groups: ["engineering"] }));
    expect(cased.message).toContain('no group named "engineering"');
    expect(cased.hint).toContain('did you mean "Engineering"?');

    const missingId = await failure(pull(emulator, { groups: ["00gAAAAAAAAAAAAAAAAA"] }));
    expect(missingId.kind).toBe("config");
    expect(missingId.message).toContain("Okta has no group with id 00gAAAAAAAAAAAAAAAAA");
  });

  it("fails when a name matches more than one group", async () => {
    const org = generateOrg({ seed: 16, users: 40, groups: 5 });
    const a = findGroup(org, "Sales");
    const b = createGroup(org, "Sales");
    const emulator = await start(org);
    const error = await failure(pull(emulator, { groups: ["Sales"] }));
    expect(error.kind).toBe("config");
    expect(error.message).toContain(`2 Okta groups are named "Sales" (${a.id}, ${b.id})`);
    expect(error.hint).toContain("id");
  });
});

describe("pull: client configuration", () => {
  it("ignores OKTA_CLIENT_* variables, ~/.okta/okta.yaml and ./okta.yaml", async () => {
    const org = generateOrg({ seed: 17, users: 50, groups: 3, assignedFraction: 0.5 });
    const emulator = await start(org);
    const home = mkdtempSync(join(tmpdir(), "ocs-home-"));
    const cwd = mkdtempSync(join(tmpdir(), "ocs-cwd-"));
    mkdirSync(join(home, ".okta"));
    writeFileSync(
      join(home, ".okta", "okta.yaml"),
      [
        "okta:",
        "  client:",
        "    orgUrl: https://bogus-yaml.example.invalid",
        "    token: bogus-yaml-token",
        "    authorizationMode: PrivateKey",
        "    clientId: 0oabogus",
        "    scopes: [okta.users.manage]",
        "    privateKey: not-a-key",
        "    userAgent: leaked-from-yaml",
        "",
      ].join("\n"),
    );
    const saved = { env: { ...process.env }, cwd: process.cwd() };
    try {
      process.env.HOME = home;
      process.env.USERPROFILE = home;
      process.env.OKTA_CLIENT_ORGURL = "https://bogus-env.example.invalid";
      process.env.OKTA_CLIENT_TOKEN = "bogus-env-token";
      process.env.OKTA_CLIENT_AUTHORIZATIONMODE = "PrivateKey";
      process.chdir(cwd);

      // The plain SDK client does take these up: the test's traps are live.
      const plain = new Client({ orgUrl: emulator.url, token: TOKEN });
      expect(plain.authorizationMode).toBe("PrivateKey");
      expect(String(plain.http.defaultHeaders["User-Agent"])).toContain("leaked-from-yaml");
      writeFileSync(join(cwd, "okta.yaml"), "okta: [this is not: valid yaml\n");
      expect(() => new Client({ orgUrl: emulator.url, token: TOKEN })).toThrow();

      const result = await pull(emulator);
      expect(summary(result)).toEqual(expectedAppUsers(org));
      expect(emulator.requests.every((r) => r.auth === "ssws" && r.status === 200)).toBe(true);
      expect(emulator.requests.every((r) => r.userAgent?.startsWith("okta-command-sync "))).toBe(true);
      expect(emulator.requests.some((r) => r.userAgent?.includes("leaked"))).toBe(false);
    } finally {
      process.chdir(saved.cwd);
      for (const key of Object.keys(process.env)) if (!(key in saved.env)) delete process.env[key];
      Object.assign(process.env, saved.env);
      rmSync(home, { recursive: true, force: true });
      rmSync(cwd, { recursive: true, force: true });
    }
  });

  it("authenticates as an OAuth service app with private_key_jwt and the given scopes", async () => {
    const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const pem = privateKey.export({ type: "pkcs1", format: "pem" }).toString();
    const org = generateOrg({ seed: 18, users: 40, groups: 3, assignedFraction: 0.5, assignedGroups: 1 });
    const scopes = ["okta.apps.read", "okta.groups.read", "okta.users.read"];
    const emulator = await start(org, {
      oauthClients: [{ clientId: "0oaservice", publicKey: publicKey.export({ type: "spki", format: "pem" }).toString(), scopes }],
    });
    const auth: OktaAuth = { mode: "privateKey", clientId: "0oaservice", privateKey: pem, keyId: "kid-1", scopes };
    const result = await pull(emulator, { auth, groups: "assigned" });
    expect(summary(result)).toEqual(expectedAppUsers(org));
    expect(emulator.requests[0]).toMatchObject({ method: "POST", path: "/oauth2/v1/token", status: 200 });
    expect(emulator.requests.slice(1).every((r) => r.auth === "bearer" && r.status === 200)).toBe(true);

    // A key Okta does not know: the token request fails, and says so.
    const other = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs1", format: "pem" }).toString();
    const error = await failure(pull(emulator, { auth: { ...auth, privateKey: other } }));
    expect(error.kind).toBe("auth");
    expect(error.message).toContain("invalid_client");
    expect(error.message).not.toContain("PRIVATE KEY");

    // Scopes the app was not granted.
    const scoped = await failure(pull(emulator, { auth: { ...auth, scopes: [...scopes, "okta.users.manage"] } }));
    expect(scoped.kind).toBe("auth");
    expect(scoped.message).toContain("invalid_scope");
  });

  it("rejects a private key that is not a key, and a page size out of range, before any request", async () => {
    const emulator = await start(generateOrg({ seed: 19, users: 5, groups: 1 }));
    const badKey = await failure(
      pull(emulator, { auth: { mode: "privateKey", clientId: "0oa1", privateKey: "-----BEGIN nonsense", keyId: undefined, scopes: ["okta.apps.read"] } }),
    );
    expect(badKey.kind).toBe("config");
    expect(badKey.message).toContain("okta.privateKey");
    const badSize = await failure(pull(emulator, { pageSize: 501 }));
    expect(badSize.kind).toBe("config");
    expect(emulator.requests).toHaveLength(0);
  });

  it("reports progress for users, groups and memberships", async () => {
    const org = generateOrg({ seed: 20, users: 120, groups: 3, assignedFraction: 0.5 });
    assignUser(org, org.users[0]!.id);
    const emulator = await start(org);
    const events: string[] = [];
    await pull(emulator, { pageSize: 50, groups: ["Engineering", "Sales"], onProgress: (e) => events.push(`${e.kind}:${e.read}`) });
    const kinds = [...new Set(events.map((e) => e.split(":")[0]))];
    expect(kinds).toEqual(["appUsers", "groups", "members"]);
    const members = findGroup(org, "Engineering").members.length + findGroup(org, "Sales").members.length;
    expect(events.at(-1)).toBe(`members:${members}`);
  });
});
