import { Agent, request } from "undici";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type VerkadaEmulator, type VerkadaEmulatorOptions, startVerkadaEmulator } from "../../src/emulators/verkada-emulator.js";
import { CORE_GROUP_SCHEMA, CORE_USER_SCHEMA, ENTERPRISE_USER_SCHEMA, ERROR_SCHEMA, LIST_RESPONSE_SCHEMA, PATCH_OP_SCHEMA } from "../../src/model.js";

// biome-ignore lint/suspicious/noExplicitAny: SCIM JSON read in assertions
type Json = any;

interface Res {
  status: number;
  headers: Headers;
  body: Json;
}

const TOKEN = "emulator-test-token";
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

let emu: VerkadaEmulator;
const started: VerkadaEmulator[] = [];

async function start(options: VerkadaEmulatorOptions = {}): Promise<VerkadaEmulator> {
  const e = await startVerkadaEmulator({ token: TOKEN, ...options });
  started.push(e);
  return e;
}

afterEach(async () => {
  await Promise.all(started.splice(0).map((e) => e.close()));
});

interface CallOptions {
  token?: string | null;
  contentType?: string;
  headers?: Record<string, string>;
  raw?: string;
  on?: VerkadaEmulator;
}

async function call(method: string, path: string, body?: unknown, o: CallOptions = {}): Promise<Res> {
  const target = o.on ?? emu;
  const headers: Record<string, string> = { ...o.headers };
  const token = o.token === undefined ? TOKEN : o.token;
  if (token !== null) headers.Authorization = `Bearer ${token}`;
  const payload = o.raw ?? (body === undefined ? undefined : JSON.stringify(body));
  if (payload !== undefined) headers["Content-Type"] = o.contentType ?? "application/scim+json";
  const res = await fetch(`${target.url}${path}`, { method, headers, body: payload });
  const text = await res.text();
  let parsed: Json;
  try {
    parsed = text === "" ? undefined : JSON.parse(text);
  } catch {
    parsed = text;
  }
  return { status: res.status, headers: res.headers, body: parsed };
}

const userBody = (userName: string, extra: Record<string, unknown> = {}) => ({
  schemas: [CORE_USER_SCHEMA],
  userName,
  externalId: `00u-${userName}`,
  name: { givenName: "Ada", familyName: "Lovelace" },
  displayName: "Ada Lovelace",
  emails: [{ value: userName, type: "work", primary: true }],
  active: true,
  ...extra,
});

const patch = (...Operations: unknown[]) => ({ schemas: [PATCH_OP_SCHEMA], Operations });
const DEACTIVATE = { schemas: [PATCH_OP_SCHEMA], Operations: [{ op: "replace", value: { active: false } }] };
const q = encodeURIComponent;

async function createUser(userName: string, extra: Record<string, unknown> = {}): Promise<Json> {
  const res = await call("POST", "/Users", userBody(userName, extra));
  expect(res.status).toBe(201);
  return res.body;
}

async function createGroup(displayName: string, members: string[] = []): Promise<Json> {
  const res = await call("POST", "/Groups", {
    schemas: [CORE_GROUP_SCHEMA],
    displayName,
    externalId: `00g-${displayName}`,
    members: members.map((value) => ({ value })),
  });
  expect(res.status).toBe(201);
  return res.body;
}

function expectScimError(res: Res, status: number, scimType?: string): void {
  expect(res.status).toBe(status);
  expect(res.headers.get("content-type")).toBe("application/scim+json");
  expect(res.body.schemas).toEqual([ERROR_SCHEMA]);
  expect(res.body.status).toBe(String(status));
  expect(typeof res.body.detail).toBe("string");
  if (scimType !== undefined) expect(res.body.scimType).toBe(scimType);
}

describe("Command emulator: Users", () => {
  beforeEach(async () => {
    emu = await start();
  });

  it("creates a user with id, meta, Location and ETag", async () => {
    const res = await call("POST", "/Users", userBody("ada@acme.com"));
    expect(res.status).toBe(201);
    expect(res.headers.get("content-type")).toBe("application/scim+json");
    const user = res.body;
    expect(user.id).toMatch(UUID);
    expect(user.schemas).toEqual([CORE_USER_SCHEMA]);
    expect(user).toMatchObject({ userName: "ada@acme.com", externalId: "00u-ada@acme.com", active: true });
    expect(user.meta).toMatchObject({ resourceType: "User", location: `${emu.url}/Users/${user.id}`, version: 'W/"1"' });
    expect(Date.parse(user.meta.created)).not.toBeNaN();
    expect(user.meta.lastModified).toBe(user.meta.created);
    expect(res.headers.get("location")).toBe(user.meta.location);
    expect(res.headers.get("etag")).toBe('W/"1"');
    expect(emu.getUser(user.id)?.userName).toBe("ada@acme.com");
  });

  it("defaults active to true and accepts application/json", async () => {
    const { active: _omitted, ...body } = userBody("bob@acme.com");
    const res = await call("POST", "/Users", body, { contentType: "application/json; charset=utf-8" });
    expect(res.status).toBe(201);
    expect(res.body.active).toBe(true);
  });

  it("refuses a duplicate userName case-insensitively with 409 uniqueness", async () => {
    await createUser("ada@acme.com");
    expectScimError(await call("POST", "/Users", userBody("ADA@Acme.com")), 409, "uniqueness");
    expect(emu.users()).toHaveLength(1);
  });

  it("rejects bad bodies: missing userName, bad JSON, wrong schemas, wrong types, other media types", async () => {
    const { userName: _u, ...noUserName } = userBody("x@acme.com");
    expectScimError(await call("POST", "/Users", noUserName), 400, "invalidValue");
    expectScimError(await call("POST", "/Users", undefined, { raw: "{not json" }), 400, "invalidSyntax");
    expectScimError(await call("POST", "/Users", { ...userBody("x@acme.com"), schemas: [CORE_GROUP_SCHEMA] }), 400, "invalidSyntax");
    expectScimError(await call("POST", "/Users", { ...userBody("x@acme.com"), schemas: undefined }), 400, "invalidSyntax");
    expectScimError(await call("POST", "/Users", { ...userBody("x@acme.com"), schemas: [CORE_USER_SCHEMA, "urn:x:custom"] }), 400, "invalidValue");
    expectScimError(await call("POST", "/Users", userBody("x@acme.com", { active: "false" })), 400, "invalidValue");
    expectScimError(await call("POST", "/Users", userBody("x@acme.com", { emails: "x@acme.com" })), 400, "invalidValue");
    expectScimError(await call("POST", "/Users", [userBody("x@acme.com")]), 400, "invalidSyntax");
    expectScimError(await call("POST", "/Users", undefined, { raw: "userName=x", contentType: "text/plain" }), 415);
    expect(emu.users()).toHaveLength(0);
  });

  it("ignores read-only attributes and never returns the password", async () => {
    const user = await createUser("ada@acme.com", { id: "chosen", meta: { version: "x" }, password: "hunter2" });
    expect(user.id).not.toBe("chosen");
    expect(user.meta.version).toBe('W/"1"');
    expect(user.password).toBeUndefined();
  });

  it("keeps the enterprise extension and lists its schema", async () => {
    const user = await createUser("ada@acme.com", {
      schemas: [CORE_USER_SCHEMA, ENTERPRISE_USER_SCHEMA],
      [ENTERPRISE_USER_SCHEMA]: { department: "R&D", employeeNumber: "42" },
    });
    expect(user.schemas).toEqual([CORE_USER_SCHEMA, ENTERPRISE_USER_SCHEMA]);
    expect(user[ENTERPRISE_USER_SCHEMA]).toEqual({ department: "R&D", employeeNumber: "42" });
  });

  it("gets a user by id and answers 404 for an unknown one", async () => {
    const user = await createUser("ada@acme.com");
    const res = await call("GET", `/Users/${user.id}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual(user);
    expect(res.headers.get("etag")).toBe('W/"1"');
    expectScimError(await call("GET", "/Users/no-such-id"), 404);
    expectScimError(await call("PUT", "/Users/no-such-id", userBody("x@acme.com")), 404);
    expectScimError(await call("PATCH", "/Users/no-such-id", DEACTIVATE), 404);
    expectScimError(await call("DELETE", "/Users/no-such-id"), 404);
  });

  it("pages with 1-based startIndex and count", async () => {
    for (let i = 0; i < 25; i++) emu.seedUser({ userName: `u${String(i).padStart(2, "0")}@acme.com` });
    const first = await call("GET", "/Users?startIndex=1&count=10");
    expect(first.body).toMatchObject({ schemas: [LIST_RESPONSE_SCHEMA], totalResults: 25, startIndex: 1, itemsPerPage: 10 });
    expect(first.body.Resources.map((u: Json) => u.userName)[0]).toBe("u00@acme.com");
    const last = await call("GET", "/Users?startIndex=21&count=10");
    expect(last.body).toMatchObject({ totalResults: 25, startIndex: 21, itemsPerPage: 5 });
    expect(last.body.Resources.map((u: Json) => u.userName)).toEqual(["u20@acme.com", "u21@acme.com", "u22@acme.com", "u23@acme.com", "u24@acme.com"]);
    const all = await call("GET", "/Users");
    expect(all.body).toMatchObject({ totalResults: 25, startIndex: 1, itemsPerPage: 25 });
    const zero = await call("GET", "/Users?count=0");
    expect(zero.body).toMatchObject({ totalResults: 25, itemsPerPage: 0, Resources: [] });
    const beyond = await call("GET", "/Users?startIndex=100");
    expect(beyond.body).toMatchObject({ totalResults: 25, itemsPerPage: 0, Resources: [] });
    const belowOne = await call("GET", "/Users?startIndex=0&count=2");
    expect(belowOne.body).toMatchObject({ startIndex: 1, itemsPerPage: 2 });
    expectScimError(await call("GET", "/Users?count=ten"), 400, "invalidValue");
  });

  it("caps count at maxPageSize and defaults it to defaultPageSize", async () => {
    const small = await start({ maxPageSize: 5, defaultPageSize: 3 });
    for (let i = 0; i < 8; i++) small.seedUser({ userName: `u${i}@acme.com` });
    expect((await call("GET", "/Users?count=500", undefined, { on: small })).body).toMatchObject({ totalResults: 8, itemsPerPage: 5 });
    expect((await call("GET", "/Users", undefined, { on: small })).body).toMatchObject({ totalResults: 8, itemsPerPage: 3 });
  });

  it("filters as Okta's client looks users up", async () => {
    const ada = await createUser("ada@acme.com", { emails: [{ value: "Ada.Lovelace@acme.com", type: "work", primary: true }] });
    await createUser("bob@acme.com", { externalId: "00uBOB", title: "Engineer" });
    const byName = await call("GET", `/Users?filter=${q('userName eq "ADA@acme.com"')}&startIndex=1&count=100`);
    expect(byName.body).toMatchObject({ totalResults: 1, itemsPerPage: 1, startIndex: 1 });
    expect(byName.body.Resources[0].id).toBe(ada.id);
    const byExternal = await call("GET", `/Users?filter=${q('externalId eq "00uBOB"')}`);
    expect(byExternal.body.Resources.map((u: Json) => u.userName)).toEqual(["bob@acme.com"]);
    // externalId is caseExact
    expect((await call("GET", `/Users?filter=${q('externalId eq "00ubob"')}`)).body.totalResults).toBe(0);
    const byEmail = await call("GET", `/Users?filter=${q('emails.value eq "ada.lovelace@ACME.com"')}`);
    expect(byEmail.body.Resources.map((u: Json) => u.id)).toEqual([ada.id]);
    const byWorkEmail = await call("GET", `/Users?filter=${q('emails[type eq "work" and value co "lovelace"]')}`);
    expect(byWorkEmail.body.totalResults).toBe(1);
    const both = await call("GET", `/Users?filter=${q('userName eq "bob@acme.com" and title eq "engineer"')}`);
    expect(both.body.totalResults).toBe(1);
    const neither = await call("GET", `/Users?filter=${q('userName eq "bob@acme.com" and externalId eq "nope"')}`);
    expect(neither.body).toMatchObject({ totalResults: 0, itemsPerPage: 0, Resources: [] });
    const either = await call("GET", `/Users?filter=${q('userName eq "bob@acme.com" or userName eq "ada@acme.com"')}`);
    expect(either.body.totalResults).toBe(2);
    const notBob = await call("GET", `/Users?filter=${q('not (userName sw "bob") and active eq true')}`);
    expect(notBob.body.Resources.map((u: Json) => u.id)).toEqual([ada.id]);
    const present = await call("GET", `/Users?filter=${q("title pr")}`);
    expect(present.body.totalResults).toBe(1);
  });

  it("answers 400 invalidFilter to a malformed filter", async () => {
    for (const bad of ["userName eq", 'userName xx "a"', "userName eq ada", '(userName eq "a"', 'userName eq "a" and', 'active gt true']) {
      expectScimError(await call("GET", `/Users?filter=${q(bad)}`), 400, "invalidFilter");
    }
  });

  it("projects attributes and excludedAttributes", async () => {
    const ada = await createUser("ada@acme.com", { title: "Countess" });
    const only = await call("GET", `/Users/${ada.id}?attributes=userName,name.givenName`);
    expect(only.body).toEqual({ schemas: [CORE_USER_SCHEMA], id: ada.id, userName: "ada@acme.com", name: { givenName: "Ada" } });
    const without = await call("GET", "/Users?excludedAttributes=emails,title");
    expect(without.body.Resources[0].emails).toBeUndefined();
    expect(without.body.Resources[0].title).toBeUndefined();
    expect(without.body.Resources[0].userName).toBe("ada@acme.com");
  });

  it("replaces a user with PUT: omitted attributes are removed, id stays", async () => {
    const ada = await createUser("ada@acme.com", { title: "Countess", phoneNumbers: [{ value: "+1 555", type: "work" }] });
    const res = await call("PUT", `/Users/${ada.id}`, {
      ...userBody("ada@acme.com", { id: "another-id", active: false }),
      name: { givenName: "Augusta" },
    });
    expect(res.status).toBe(200);
    expect(res.body.id).toBe(ada.id);
    expect(res.body.title).toBeUndefined();
    expect(res.body.phoneNumbers).toBeUndefined();
    expect(res.body.name).toEqual({ givenName: "Augusta" });
    expect(res.body.active).toBe(false);
    expect(res.body.meta.version).toBe('W/"2"');
    expect(res.body.meta.created).toBe(ada.meta.created);
    expect(emu.getUser(ada.id)?.title).toBeUndefined();
    expect(emu.getUser("another-id")).toBeUndefined();
  });

  it("PUT without active sets the default (active) and a taken userName is 409", async () => {
    const ada = await createUser("ada@acme.com", { active: false });
    await createUser("bob@acme.com");
    const { active: _a, ...noActive } = userBody("ada@acme.com");
    expect((await call("PUT", `/Users/${ada.id}`, noActive)).body.active).toBe(true);
    expectScimError(await call("PUT", `/Users/${ada.id}`, userBody("BOB@acme.com")), 409, "uniqueness");
  });

  it("does not bump the version when a PUT changes nothing", async () => {
    const ada = await createUser("ada@acme.com");
    const res = await call("PUT", `/Users/${ada.id}`, userBody("ada@acme.com"));
    expect(res.body.meta.version).toBe('W/"1"');
  });

  it("deactivates and reactivates with the contract's PATCH body; deactivated users stay listed", async () => {
    const ada = await createUser("ada@acme.com");
    const off = await call("PATCH", `/Users/${ada.id}`, DEACTIVATE);
    expect(off.status).toBe(200);
    expect(off.body.active).toBe(false);
    expect(off.body.userName).toBe("ada@acme.com");
    expect(emu.getUser(ada.id)?.active).toBe(false);
    const list = await call("GET", `/Users?filter=${q('userName eq "ada@acme.com"')}`);
    expect(list.body.Resources[0].active).toBe(false);
    expect((await call("GET", `/Users?filter=${q("active eq false")}`)).body.totalResults).toBe(1);
    const on = await call("PATCH", `/Users/${ada.id}`, patch({ op: "Replace", value: { active: true } }));
    expect(on.body.active).toBe(true);
  });

  it("patches simple, sub-attribute, value-filtered and extension paths", async () => {
    const ada = await createUser("ada@acme.com", { title: "Countess" });
    const dept = `${ENTERPRISE_USER_SCHEMA}:department`;
    const res = await call(
      "PATCH",
      `/Users/${ada.id}`,
      patch(
        { op: "replace", path: "title", value: "Analyst" },
        { op: "replace", path: "name.givenName", value: "Augusta" },
        { op: "replace", path: 'emails[type eq "work"].value', value: "augusta@acme.com" },
        { op: "add", path: 'phoneNumbers[type eq "work"].value', value: "+44 20 7946 0000" },
        { op: "add", path: dept, value: "Engines" },
        { op: "replace", path: `${ENTERPRISE_USER_SCHEMA}:employeeNumber`, value: "7" },
      ),
    );
    expect(res.status).toBe(200);
    const u = res.body;
    expect(u.title).toBe("Analyst");
    expect(u.name).toEqual({ givenName: "Augusta", familyName: "Lovelace" });
    expect(u.emails).toEqual([{ value: "augusta@acme.com", type: "work", primary: true }]);
    expect(u.phoneNumbers).toEqual([{ type: "work", value: "+44 20 7946 0000" }]);
    expect(u[ENTERPRISE_USER_SCHEMA]).toEqual({ department: "Engines", employeeNumber: "7" });
    expect(u.schemas).toEqual([CORE_USER_SCHEMA, ENTERPRISE_USER_SCHEMA]);
    expect(u.meta.version).toBe('W/"2"');

    const removed = await call(
      "PATCH",
      `/Users/${ada.id}`,
      patch(
        { op: "remove", path: "title" },
        { op: "remove", path: 'phoneNumbers[type eq "work"].value' },
        { op: "remove", path: dept },
        { op: "remove", path: `${ENTERPRISE_USER_SCHEMA}:employeeNumber` },
        { op: "remove", path: "name.familyName" },
      ),
    );
    expect(removed.body.title).toBeUndefined();
    expect(removed.body.phoneNumbers).toBeUndefined();
    expect(removed.body[ENTERPRISE_USER_SCHEMA]).toBeUndefined();
    expect(removed.body.schemas).toEqual([CORE_USER_SCHEMA]);
    expect(removed.body.name).toEqual({ givenName: "Augusta" });
  });

  it("patches with a value object and no path, including dotted and extension keys", async () => {
    const ada = await createUser("ada@acme.com");
    const res = await call(
      "PATCH",
      `/Users/${ada.id}`,
      patch({ op: "replace", value: { displayName: "A. L.", "name.familyName": "King", [ENTERPRISE_USER_SCHEMA]: { department: "Math" } } }),
    );
    expect(res.body).toMatchObject({ displayName: "A. L.", name: { givenName: "Ada", familyName: "King" } });
    expect(res.body[ENTERPRISE_USER_SCHEMA]).toEqual({ department: "Math" });
  });

  it("makes a new primary email the only primary one", async () => {
    const ada = await createUser("ada@acme.com");
    const res = await call("PATCH", `/Users/${ada.id}`, patch({ op: "add", path: "emails", value: [{ value: "home@x.org", type: "home", primary: true }] }));
    expect(res.body.emails).toEqual([
      { value: "ada@acme.com", type: "work", primary: false },
      { value: "home@x.org", type: "home", primary: true },
    ]);
  });

  it("refuses bad PATCH requests and applies none of a failing request's operations", async () => {
    const ada = await createUser("ada@acme.com", { title: "Countess" });
    const url = `/Users/${ada.id}`;
    expectScimError(await call("PATCH", url, { Operations: [{ op: "replace", value: { active: false } }] }), 400, "invalidSyntax");
    expectScimError(await call("PATCH", url, patch({ op: "move", path: "title", value: "x" })), 400, "invalidSyntax");
    expectScimError(await call("PATCH", url, patch({ op: "remove" })), 400, "noTarget");
    expectScimError(await call("PATCH", url, patch({ op: "replace", path: "id", value: "x" })), 400, "mutability");
    expectScimError(await call("PATCH", url, patch({ op: "replace", path: "emails[type eq]", value: "x" })), 400, "invalidPath");
    expectScimError(await call("PATCH", url, patch({ op: "replace", path: "title..x", value: "x" })), 400, "invalidPath");
    expectScimError(await call("PATCH", url, patch({ op: "replace", path: "active", value: "false" })), 400, "invalidValue");
    expectScimError(await call("PATCH", url, patch({ op: "remove", path: "userName" })), 400, "invalidValue");
    const atomic = await call("PATCH", url, patch({ op: "replace", path: "title", value: "Changed" }, { op: "replace", path: "meta", value: {} }));
    expectScimError(atomic, 400, "mutability");
    expect(emu.getUser(ada.id)?.title).toBe("Countess");
    expect(emu.getUser(ada.id)?.meta.version).toBe('W/"1"');
  });

  it("answers 409 when a PATCH takes another user's userName", async () => {
    const ada = await createUser("ada@acme.com");
    await createUser("bob@acme.com");
    expectScimError(await call("PATCH", `/Users/${ada.id}`, patch({ op: "replace", path: "userName", value: "Bob@acme.com" })), 409, "uniqueness");
  });

  it("with patchNoTarget error, a filtered replace that matches nothing is 400 noTarget", async () => {
    const strict = await start({ patchNoTarget: "error" });
    const ada = strict.seedUser({ userName: "ada@acme.com" });
    const res = await call("PATCH", `/Users/${ada.id}`, patch({ op: "replace", path: 'emails[type eq "work"].value', value: "a@b.c" }), { on: strict });
    expectScimError(res, 400, "noTarget");
  });

  it("with patchResponse noContent, PATCH answers 204", async () => {
    const quiet = await start({ patchResponse: "noContent" });
    const ada = quiet.seedUser({ userName: "ada@acme.com" });
    const res = await call("PATCH", `/Users/${ada.id}`, DEACTIVATE, { on: quiet });
    expect(res.status).toBe(204);
    expect(res.body).toBeUndefined();
    expect(quiet.getUser(ada.id)?.active).toBe(false);
  });

  it("with userNameChanges ignore, a new userName does not take effect (Command's known issue)", async () => {
    const quirky = await start({ userNameChanges: "ignore" });
    const ada = quirky.seedUser({ userName: "ada@acme.com", title: "Countess" });
    const res = await call("PUT", `/Users/${ada.id}`, userBody("ada.king@acme.com", { title: "Analyst" }), { on: quirky });
    expect(res.body).toMatchObject({ userName: "ada@acme.com", title: "Analyst" });
  });

  it("deletes a user with 204 and drops it from its groups", async () => {
    const ada = await createUser("ada@acme.com");
    const group = await createGroup("Engineers", [ada.id]);
    const res = await call("DELETE", `/Users/${ada.id}`);
    expect(res.status).toBe(204);
    expect(res.body).toBeUndefined();
    expectScimError(await call("GET", `/Users/${ada.id}`), 404);
    expect(emu.getGroup(group.id)?.members).toEqual([]);
  });

  it("shows a user's groups read-only", async () => {
    const ada = await createUser("ada@acme.com");
    const group = await createGroup("Engineers", [ada.id]);
    const user = (await call("GET", `/Users/${ada.id}`)).body;
    expect(user.groups).toEqual([{ value: group.id, display: "Engineers", $ref: `${emu.url}/Groups/${group.id}`, type: "direct" }]);
    expectScimError(await call("PATCH", `/Users/${ada.id}`, patch({ op: "add", path: "groups", value: [{ value: group.id }] })), 400, "mutability");
  });

  it("refuses a stale If-Match with 412", async () => {
    const ada = await createUser("ada@acme.com");
    await call("PATCH", `/Users/${ada.id}`, DEACTIVATE);
    expectScimError(await call("PUT", `/Users/${ada.id}`, userBody("ada@acme.com"), { headers: { "If-Match": 'W/"1"' } }), 412);
    expect((await call("PUT", `/Users/${ada.id}`, userBody("ada@acme.com"), { headers: { "If-Match": 'W/"2"' } })).status).toBe(200);
  });
});

describe("Command emulator: Groups", () => {
  beforeEach(async () => {
    emu = await start();
  });

  it("creates a group with displayName, externalId and no members", async () => {
    const res = await call("POST", "/Groups", { schemas: [CORE_GROUP_SCHEMA], displayName: "Engineers", externalId: "00g1", members: [] });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ schemas: [CORE_GROUP_SCHEMA], displayName: "Engineers", externalId: "00g1", members: [] });
    expect(res.body.id).toMatch(UUID);
    expect(res.body.meta).toMatchObject({ resourceType: "Group", location: `${emu.url}/Groups/${res.body.id}`, version: 'W/"1"' });
    expect(res.headers.get("location")).toBe(res.body.meta.location);
  });

  it("refuses a missing displayName, wrong schemas and a duplicate name (409, case-insensitive)", async () => {
    expectScimError(await call("POST", "/Groups", { schemas: [CORE_GROUP_SCHEMA], externalId: "00g1" }), 400, "invalidValue");
    expectScimError(await call("POST", "/Groups", { schemas: [CORE_USER_SCHEMA], displayName: "X" }), 400, "invalidSyntax");
    await createGroup("Engineers");
    expectScimError(await call("POST", "/Groups", { schemas: [CORE_GROUP_SCHEMA], displayName: "engineers" }), 409, "uniqueness");
  });

  it("allows duplicate names with uniqueGroupNames false", async () => {
    const lax = await start({ uniqueGroupNames: false });
    for (let i = 0; i < 2; i++) {
      expect((await call("POST", "/Groups", { schemas: [CORE_GROUP_SCHEMA], displayName: "Same" }, { on: lax })).status).toBe(201);
    }
    expect(lax.groups()).toHaveLength(2);
  });

  it("creates with members and renders them as value, display, $ref", async () => {
    const ada = await createUser("ada@acme.com");
    const group = await createGroup("Engineers", [ada.id]);
    expect(group.members).toEqual([{ value: ada.id, display: "Ada Lovelace", $ref: `${emu.url}/Users/${ada.id}`, type: "User" }]);
  });

  it("lists with displayName and externalId filters, paging and excludedAttributes=members", async () => {
    const ada = await createUser("ada@acme.com");
    for (let i = 0; i < 5; i++) await createGroup(`Team ${i}`, [ada.id]);
    const byName = await call("GET", `/Groups?filter=${q('displayName eq "team 3"')}`);
    expect(byName.body.Resources.map((g: Json) => g.displayName)).toEqual(["Team 3"]);
    const byExternal = await call("GET", `/Groups?filter=${q('externalId eq "00g-Team 4"')}`);
    expect(byExternal.body.Resources.map((g: Json) => g.displayName)).toEqual(["Team 4"]);
    const page = await call("GET", "/Groups?startIndex=2&count=2&excludedAttributes=members");
    expect(page.body).toMatchObject({ totalResults: 5, startIndex: 2, itemsPerPage: 2 });
    expect(page.body.Resources.map((g: Json) => g.displayName)).toEqual(["Team 1", "Team 2"]);
    for (const g of page.body.Resources) expect(g.members).toBeUndefined();
    const byMember = await call("GET", `/Groups?filter=${q(`members[value eq "${ada.id}"]`)}&attributes=displayName`);
    expect(byMember.body.totalResults).toBe(5);
    expect(byMember.body.Resources[0]).toEqual({ schemas: [CORE_GROUP_SCHEMA], id: expect.any(String), displayName: "Team 0" });
    const one = await call("GET", `/Groups/${byName.body.Resources[0].id}?excludedAttributes=members`);
    expect(one.body.members).toBeUndefined();
    expect(one.body.displayName).toBe("Team 3");
  });

  it("adds members idempotently and removes them by filter and by value list", async () => {
    const users = await Promise.all(["a", "b", "c", "d"].map((n) => createUser(`${n}@acme.com`)));
    const [a, b, c, d] = users.map((u) => u.id as string);
    const group = await createGroup("Engineers");
    const url = `/Groups/${group.id}`;
    const added = await call("PATCH", url, patch({ op: "add", path: "members", value: [{ value: a }, { value: b }, { value: c }, { value: d }] }));
    expect(added.status).toBe(200);
    expect(added.body.members.map((m: Json) => m.value)).toEqual([a, b, c, d]);
    expect(added.body.meta.version).toBe('W/"2"');
    const again = await call("PATCH", url, patch({ op: "add", path: "members", value: [{ value: a }] }));
    expect(again.body.members).toHaveLength(4);
    expect(again.body.meta.version).toBe('W/"2"');
    await call("PATCH", url, patch({ op: "remove", path: `members[value eq "${a}"]` }));
    expect(emu.getGroup(group.id)?.members.map((m) => m.value)).toEqual([b, c, d]);
    await call("PATCH", url, patch({ op: "remove", path: `members[value eq "${b}" or value eq "${c}"]` }));
    expect(emu.getGroup(group.id)?.members.map((m) => m.value)).toEqual([d]);
    await call("PATCH", url, patch({ op: "remove", path: `members[value eq "${a}"]` }));
    await call("PATCH", url, patch({ op: "remove", path: "members", value: [{ value: d }] }));
    expect(emu.getGroup(group.id)?.members).toEqual([]);
    await call("PATCH", url, patch({ op: "add", path: "members", value: [{ value: a }, { value: b }] }));
    await call("PATCH", url, patch({ op: "remove", path: "members" }));
    expect(emu.getGroup(group.id)?.members).toEqual([]);
    await call("PATCH", url, patch({ op: "replace", path: "members", value: [{ value: c }] }));
    expect(emu.getGroup(group.id)?.members.map((m) => m.value)).toEqual([c]);
  });

  it("renames by path and by value object", async () => {
    const group = await createGroup("Engineers");
    const byPath = await call("PATCH", `/Groups/${group.id}`, patch({ op: "replace", path: "displayName", value: "Engineering" }));
    expect(byPath.body.displayName).toBe("Engineering");
    // Okta's own rename carries the unchanged id in the value object.
    const byValue = await call("PATCH", `/Groups/${group.id}`, patch({ op: "replace", value: { id: group.id, displayName: "R&D" } }));
    expect(byValue.status).toBe(200);
    expect(byValue.body.displayName).toBe("R&D");
    expect(emu.getGroup(group.id)?.displayName).toBe("R&D");
    const otherId = await call("PATCH", `/Groups/${group.id}`, patch({ op: "replace", value: { id: "another", displayName: "X" } }));
    expectScimError(otherId, 400, "mutability");
    const noId = await call("PATCH", `/Groups/${group.id}`, patch({ op: "replace", value: { displayName: "Research" } }));
    expect(noId.body.displayName).toBe("Research");
    await createGroup("Sales");
    expectScimError(await call("PATCH", `/Groups/${group.id}`, patch({ op: "replace", path: "displayName", value: "SALES" })), 409, "uniqueness");
    expectScimError(await call("PATCH", `/Groups/${group.id}`, patch({ op: "replace", path: "displayName", value: "" })), 400, "invalidValue");
  });

  it("refuses unknown member ids with 400 invalidValue and changes nothing", async () => {
    const ada = await createUser("ada@acme.com");
    const group = await createGroup("Engineers");
    const res = await call(
      "PATCH",
      `/Groups/${group.id}`,
      patch({ op: "replace", path: "displayName", value: "Renamed" }, { op: "add", path: "members", value: [{ value: ada.id }, { value: "ghost" }] }),
    );
    expectScimError(res, 400, "invalidValue");
    expect(res.body.detail).toContain("ghost");
    expect(emu.getGroup(group.id)).toMatchObject({ displayName: "Engineers", members: [] });
    expectScimError(await call("POST", "/Groups", { schemas: [CORE_GROUP_SCHEMA], displayName: "X", members: [{ value: "ghost" }] }), 400, "invalidValue");
  });

  it("drops unknown member ids with unknownMembers ignore", async () => {
    const lax = await start({ unknownMembers: "ignore" });
    const ada = lax.seedUser({ userName: "ada@acme.com" });
    const group = lax.seedGroup({ displayName: "Engineers" });
    const res = await call("PATCH", `/Groups/${group.id}`, patch({ op: "add", path: "members", value: [{ value: "ghost" }, { value: ada.id }] }), { on: lax });
    expect(res.status).toBe(200);
    expect(res.body.members.map((m: Json) => m.value)).toEqual([ada.id]);
  });

  it("replaces a group with PUT, members included", async () => {
    const [a, b] = await Promise.all([createUser("a@acme.com"), createUser("b@acme.com")]);
    const group = await createGroup("Engineers", [a.id]);
    const res = await call("PUT", `/Groups/${group.id}`, { schemas: [CORE_GROUP_SCHEMA], displayName: "Builders", members: [{ value: b.id }] });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: group.id, displayName: "Builders", members: [{ value: b.id }] });
    expect(res.body.externalId).toBeUndefined();
    const emptied = await call("PUT", `/Groups/${group.id}`, { schemas: [CORE_GROUP_SCHEMA], displayName: "Builders" });
    expect(emptied.body.members).toEqual([]);
    expect(emu.getUser(b.id)?.groups).toBeUndefined();
  });

  it("deletes a group with 204, then 404", async () => {
    const ada = await createUser("ada@acme.com");
    const group = await createGroup("Engineers", [ada.id]);
    expect((await call("DELETE", `/Groups/${group.id}`)).status).toBe(204);
    expectScimError(await call("GET", `/Groups/${group.id}`), 404);
    expectScimError(await call("PATCH", `/Groups/${group.id}`, patch({ op: "replace", path: "displayName", value: "x" })), 404);
    expect(emu.getUser(ada.id)?.groups).toBeUndefined();
  });
});

describe("Command emulator: discovery, auth, routing", () => {
  it("serves ServiceProviderConfig, ResourceTypes and Schemas", async () => {
    emu = await start();
    const spc = await call("GET", "/ServiceProviderConfig");
    expect(spc.status).toBe(200);
    expect(spc.headers.get("content-type")).toBe("application/scim+json");
    expect(spc.body).toMatchObject({
      schemas: ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
      patch: { supported: true },
      bulk: { supported: false },
      filter: { supported: true, maxResults: 1000 },
      etag: { supported: true },
    });
    const types = await call("GET", "/ResourceTypes");
    expect(types.body.Resources.map((t: Json) => [t.name, t.endpoint, t.schema])).toEqual([
      ["User", "/Users", CORE_USER_SCHEMA],
      ["Group", "/Groups", CORE_GROUP_SCHEMA],
    ]);
    expect((await call("GET", "/ResourceTypes/User")).body.schemaExtensions).toEqual([{ schema: ENTERPRISE_USER_SCHEMA, required: false }]);
    const schemas = await call("GET", "/Schemas");
    expect(schemas.body.totalResults).toBe(3);
    const userSchema = (await call("GET", `/Schemas/${CORE_USER_SCHEMA}`)).body;
    expect(userSchema.attributes.find((a: Json) => a.name === "userName")).toMatchObject({ required: true, uniqueness: "server", caseExact: false });
  });

  it("answers 404 for discovery when it is turned off", async () => {
    emu = await start({ discovery: false });
    for (const path of ["/ServiceProviderConfig", "/ResourceTypes", "/Schemas"]) expectScimError(await call("GET", path), 404);
  });

  it("requires the bearer token and honours a rotated one at once", async () => {
    emu = await start();
    const missing = await call("GET", "/Users", undefined, { token: null });
    expectScimError(missing, 401);
    expect(missing.headers.get("www-authenticate")).toContain("Bearer");
    expectScimError(await call("GET", "/Users", undefined, { token: "wrong" }), 401);
    expectScimError(await call("POST", "/Users", userBody("ada@acme.com"), { token: "wrong" }), 401);
    expect(emu.users()).toHaveLength(0);
    emu.setToken("rotated");
    expectScimError(await call("GET", "/Users"), 401);
    expect((await call("GET", "/Users", undefined, { token: "rotated" })).status).toBe(200);
  });

  it("answers 404 outside the known endpoints and 405 to an unsupported method", async () => {
    emu = await start();
    expectScimError(await call("GET", "/Widgets"), 404);
    expectScimError(await call("GET", "/Users/a/b"), 404);
    expectScimError(await call("DELETE", "/Users"), 405);
    const outside = await fetch(emu.url.replace(/\/scim$/, "/other"), { headers: { Authorization: `Bearer ${TOKEN}` } });
    expect(outside.status).toBe(404);
  });
});

describe("Command emulator: refused filters", () => {
  it("filters false: any filter is 400 invalidFilter and ServiceProviderConfig says so", async () => {
    emu = await start({ filters: false });
    emu.seedUser({ userName: "ada@acme.com" });
    expectScimError(await call("GET", `/Users?filter=${q('userName eq "ada@acme.com"')}`), 400, "invalidFilter");
    expectScimError(await call("GET", `/Groups?filter=${q('displayName eq "x"')}`), 400, "invalidFilter");
    expect((await call("GET", "/Users")).body.totalResults).toBe(1);
    expect((await call("GET", "/ServiceProviderConfig")).body.filter.supported).toBe(false);
  });

  it('filters "notImplemented": 501', async () => {
    emu = await start({ filters: "notImplemented" });
    expectScimError(await call("GET", `/Users?filter=${q('userName eq "ada@acme.com"')}`), 501);
  });

  it('filters "ignore": every user comes back, as from a server that drops the filter', async () => {
    emu = await start({ filters: "ignore" });
    emu.seedUser({ userName: "ada@acme.com" });
    emu.seedUser({ userName: "bob@acme.com" });
    expect((await call("GET", `/Users?filter=${q('userName eq "ada@acme.com"')}`)).body.totalResults).toBe(2);
  });
});

describe("Command emulator: rate limit", () => {
  it("answers 429 with Retry-After over budget, on the injected clock", async () => {
    let t = 1_000_000;
    emu = await start({ requestsPerMinute: 3, now: () => t });
    for (let i = 0; i < 3; i++) expect((await call("GET", "/Users")).status).toBe(200);
    const limited = await call("GET", "/Users");
    expectScimError(limited, 429, "tooMany");
    expect(limited.headers.get("retry-after")).toBe("60");
    t += 30_000;
    expect((await call("GET", "/Users")).headers.get("retry-after")).toBe("30");
    t += 30_000;
    expect((await call("GET", "/Users")).status).toBe(200);
    // Rejected requests do not spend the budget: the window now holds the one just made.
    t += 1;
    expect((await call("GET", "/Users")).status).toBe(200);
    expect((await call("GET", "/Users")).status).toBe(200);
    expect((await call("GET", "/Users")).status).toBe(429);
  });

  it("can leave Retry-After out", async () => {
    emu = await start({ requestsPerMinute: 1, now: () => 0, retryAfterHeader: false });
    await call("GET", "/Users");
    const limited = await call("GET", "/Users");
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBeNull();
  });

  it("stamps meta from the injected clock", async () => {
    emu = await start({ now: () => Date.UTC(2025, 0, 2, 3, 4, 5) });
    const ada = await createUser("ada@acme.com");
    expect(ada.meta.created).toBe("2025-01-02T03:04:05.000Z");
  });
});

describe("Command emulator: faults, latency, log", () => {
  beforeEach(async () => {
    emu = await start();
  });

  it("fails the nth matching request the given number of times", async () => {
    const fault = emu.injectFault({ match: { method: "POST", pathPrefix: "/Users" }, nth: 2, times: 2, status: 503, headers: { "Retry-After": "2" } });
    expect((await call("GET", "/Users")).status).toBe(200);
    expect((await call("POST", "/Users", userBody("a@acme.com"))).status).toBe(201);
    const failed = await call("POST", "/Users", userBody("b@acme.com"));
    expectScimError(failed, 503);
    expect(failed.headers.get("retry-after")).toBe("2");
    expect((await call("POST", "/Users", userBody("c@acme.com"))).status).toBe(503);
    expect((await call("POST", "/Users", userBody("d@acme.com"))).status).toBe(201);
    expect(fault).toMatchObject({ seen: 4, fired: 2 });
    expect(emu.users().map((u) => u.userName)).toEqual(["a@acme.com", "d@acme.com"]);
  });

  it("sends a raw body and can be removed", async () => {
    const fault = emu.injectFault({ match: { pathPrefix: "/groups" }, times: Number.POSITIVE_INFINITY, status: 502, body: "<html>bad gateway</html>", headers: { "Content-Type": "text/html" } });
    const res = await fetch(`${emu.url}/Groups`, { headers: { Authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(502);
    expect(res.headers.get("content-type")).toBe("text/html");
    expect(await res.text()).toBe("<html>bad gateway</html>");
    expect((await call("GET", "/Groups")).status).toBe(502);
    fault.remove();
    expect((await call("GET", "/Groups")).status).toBe(200);
  });

  it("resets the connection before the request is applied", async () => {
    emu.injectFault({ match: { method: "POST" }, resetConnection: true });
    await expect(call("POST", "/Users", userBody("ada@acme.com"))).rejects.toThrow();
    expect(emu.users()).toHaveLength(0);
    expect(emu.requests[0]).toMatchObject({ method: "POST", path: "/Users", status: 0 });
    expect((await call("POST", "/Users", userBody("ada@acme.com"))).status).toBe(201);
  });

  it("afterApply: the change is made but the answer is lost, so a retry meets 409", async () => {
    emu.injectFault({ match: { method: "POST", pathPrefix: "/Users" }, afterApply: true, resetConnection: true });
    await expect(call("POST", "/Users", userBody("ada@acme.com"))).rejects.toThrow();
    expect(emu.users().map((u) => u.userName)).toEqual(["ada@acme.com"]);
    expectScimError(await call("POST", "/Users", userBody("ada@acme.com")), 409, "uniqueness");
    emu.injectFault({ match: { method: "PATCH" }, afterApply: true, status: 500 });
    const id = emu.users()[0]!.id;
    expect((await call("PATCH", `/Users/${id}`, DEACTIVATE)).status).toBe(500);
    expect(emu.getUser(id)?.active).toBe(false);
  });

  it("delays a request without failing it, and latencyMs slows every response", async () => {
    emu.injectFault({ match: { method: "GET" }, delayMs: 150 });
    let t0 = performance.now();
    expect((await call("GET", "/Users")).status).toBe(200);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(140);
    const slow = await start({ latencyMs: 100 });
    t0 = performance.now();
    expect((await call("GET", "/Users", undefined, { on: slow })).status).toBe(200);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(90);
  });

  it("takes faults as an option too, and clearFaults drops them", async () => {
    const faulty = await start({ faults: [{ match: { method: "delete", pathPrefix: "/scim/Users/" }, times: Number.POSITIVE_INFINITY, status: 500 }] });
    const ada = faulty.seedUser({ userName: "ada@acme.com" });
    expect((await call("DELETE", `/Users/${ada.id}`, undefined, { on: faulty })).status).toBe(500);
    faulty.clearFaults();
    expect((await call("DELETE", `/Users/${ada.id}`, undefined, { on: faulty })).status).toBe(204);
  });

  it("logs method, path, query, status, parsed body and headers; counts writes", async () => {
    const ada = await createUser("ada@acme.com");
    await call("GET", `/Users?filter=${q('userName eq "ada@acme.com"')}&startIndex=1&count=100`);
    await call("PATCH", `/Users/${ada.id}`, DEACTIVATE);
    await call("POST", "/Users", userBody("ada@acme.com"));
    expect(emu.requests.map((r) => [r.method, r.path, r.status])).toEqual([
      ["POST", "/Users", 201],
      ["GET", "/Users", 200],
      ["PATCH", `/Users/${ada.id}`, 200],
      ["POST", "/Users", 409],
    ]);
    expect(emu.requests[1]!.query).toEqual({ filter: 'userName eq "ada@acme.com"', startIndex: "1", count: "100" });
    expect(emu.requests[2]!.body).toEqual(DEACTIVATE);
    expect(emu.requests[2]!.headers["content-type"]).toBe("application/scim+json");
    expect(emu.requests[2]!.headers.authorization).toBeUndefined();
    expect(emu.writeCount()).toBe(3);
    emu.resetLog();
    expect(emu.requests).toHaveLength(0);
    expect(emu.writeCount()).toBe(0);
  });
});

describe("Command emulator: direct admin changes and seeding", () => {
  beforeEach(async () => {
    emu = await start();
  });

  it("seeds users and groups with chosen ids", async () => {
    const ada = emu.seedUser({ id: "u-1", userName: "ada@acme.com", externalId: "00u1", active: false });
    expect(ada).toMatchObject({ id: "u-1", schemas: [CORE_USER_SCHEMA], active: false });
    const group = emu.seedGroup({ id: "g-1", displayName: "Engineers", members: [{ value: "u-1" }] });
    expect(group.members.map((m) => m.value)).toEqual(["u-1"]);
    expect((await call("GET", "/Users/u-1")).body.userName).toBe("ada@acme.com");
    expect(() => emu.seedUser({ userName: "ADA@acme.com" })).toThrow(/already taken/);
    expect(() => emu.seedGroup({ displayName: "x", members: [{ value: "ghost" }] })).toThrow(/no such user/);
  });

  it("applies an admin's edits and deletions behind the client's back", async () => {
    const ada = await createUser("ada@acme.com", { title: "Countess" });
    const group = await createGroup("Engineers", [ada.id]);
    const edited = emu.updateUserDirect(ada.id, { title: null, active: false, displayName: "Ada" });
    expect(edited).toMatchObject({ active: false, displayName: "Ada", meta: { version: 'W/"2"' } });
    expect(edited.title).toBeUndefined();
    expect((await call("GET", `/Users/${ada.id}`)).body.active).toBe(false);
    expect(emu.updateGroupDirect(group.id, { displayName: "Renamed", memberIds: [] })).toMatchObject({ displayName: "Renamed", members: [] });
    expect(emu.deleteGroupDirect(group.id)).toBe(true);
    expect(emu.deleteGroupDirect(group.id)).toBe(false);
    expect(emu.deleteUserDirect(ada.id)).toBe(true);
    expectScimError(await call("GET", `/Users/${ada.id}`), 404);
    expect(emu.writeCount()).toBe(2);
  });

  it("returns copies: changing them does not change the store", async () => {
    const ada = emu.seedUser({ userName: "ada@acme.com" });
    ada.userName = "mallory@acme.com";
    const listed = emu.users()[0]!;
    listed.active = false;
    expect(emu.getUser(ada.id)).toMatchObject({ userName: "ada@acme.com", active: true });
  });
});

describe("Command emulator: scale", () => {
  it("creates 10,000 users over HTTP, lists them all and looks each of 500 up by userName", { timeout: 300_000 }, async () => {
    emu = await start({ logRequests: false });
    const total = 10_000;
    const t0 = performance.now();
    let next = 0;
    // undici's request, as the tool's SCIM client uses: global fetch's own per-request cost
    // would dominate the measurement.
    const dispatcher = new Agent({ connections: 32 });
    const worker = async () => {
      while (next < total) {
        const i = next++;
        const res = await request(`${emu.url}/Users`, {
          dispatcher,
          method: "POST",
          headers: { Authorization: `Bearer ${TOKEN}`, "Content-Type": "application/scim+json" },
          body: JSON.stringify(userBody(`user${i}@acme.com`)),
        });
        await res.body.dump();
        if (res.statusCode !== 201) throw new Error(`create ${i}: ${res.statusCode}`);
      }
    };
    await Promise.all(Array.from({ length: 32 }, worker));
    await dispatcher.close();
    const created = performance.now() - t0;
    const seen = new Set<string>();
    for (let start = 1; start <= total; start += 1000) {
      const page = await call("GET", `/Users?startIndex=${start}&count=1000`);
      expect(page.body.totalResults).toBe(total);
      for (const u of page.body.Resources) seen.add(u.userName);
    }
    expect(seen.size).toBe(total);
    for (let i = 0; i < total; i += 20) {
      const found = await call("GET", `/Users?filter=${q(`userName eq "USER${i}@acme.com"`)}`);
      expect(found.body.totalResults).toBe(1);
    }
    const elapsed = performance.now() - t0;
    expect(emu.writeCount()).toBe(total);
    // One request each: every create, every page, every lookup; nothing retried or repeated.
    expect(emu.stats().requests).toBe(total + total / 1000 + total / 20);
    // Logged, not asserted: timing depends on the machine and its load.
    console.info(`scale: created ${total} in ${created.toFixed(0)} ms, total ${elapsed.toFixed(0)} ms`);
  });
});
