import { describe, expect, it } from "vitest";
import { ProtocolError } from "../../src/errors.js";
import { CORE_GROUP_SCHEMA, CORE_USER_SCHEMA, ENTERPRISE_USER_SCHEMA, PATCH_OP_SCHEMA } from "../../src/model.js";
import { AttributePathError, filterLiteral, parseAttributePath } from "../../src/scim/attribute-path.js";
import { describeErrorBody, redact } from "../../src/scim/failures.js";
import {
  addMembersBody,
  fromScimGroup,
  groupCreateBody,
  groupRenameBody,
  removeMembersBody,
} from "../../src/scim/group-resource.js";
import { activePatchBody, userPatchBody, userPatchOperations } from "../../src/scim/user-patch.js";
import { fromScimUser, toScimUser } from "../../src/scim/user-resource.js";

const E = ENTERPRISE_USER_SCHEMA;
const WORK_EMAIL = 'emails[type eq "work"].value';
const WORK_PHONE = 'phoneNumbers[type eq "work"].value';
const MOBILE_PHONE = 'phoneNumbers[type eq "mobile"].value';

/** Every attribute of the default mapping table. */
const defaults = {
  userName: "ada@acme.com",
  "name.givenName": "Ada",
  "name.familyName": "Lovelace",
  displayName: "Ada Lovelace",
  [WORK_EMAIL]: "ada@acme.com",
  title: "Analyst",
  [WORK_PHONE]: "+1 555 0100",
};

const everything = {
  ...defaults,
  [MOBILE_PHONE]: "+1 555 0199",
  [`${E}:department`]: "Engines",
  [`${E}:employeeNumber`]: "1815",
  [`${E}:manager.value`]: "scim-babbage",
  "urn:example:params:scim:schemas:extension:acme:2.0:User:badge": "B-42",
};

describe("parseAttributePath", () => {
  it("reads the forms the Profile Editor writes", () => {
    expect(parseAttributePath("title")).toEqual({ kind: "simple", schema: undefined, name: "title" });
    expect(parseAttributePath("name.givenName")).toEqual({ kind: "complex", schema: undefined, name: "name", sub: "givenName" });
    expect(parseAttributePath(WORK_EMAIL)).toEqual({
      kind: "multi",
      schema: undefined,
      name: "emails",
      filterAttr: "type",
      filterValue: "work",
      sub: "value",
    });
    expect(parseAttributePath(`${E}:department`)).toEqual({ kind: "simple", schema: E, name: "department" });
    expect(parseAttributePath(`${E}:manager.value`)).toEqual({ kind: "complex", schema: E, name: "manager", sub: "value" });
    expect(parseAttributePath(`${CORE_USER_SCHEMA}:title`)).toEqual({ kind: "simple", schema: undefined, name: "title" });
    expect(parseAttributePath('urn:x:y:User:addresses[type eq "a:b"].locality')).toMatchObject({
      schema: "urn:x:y:User",
      filterValue: "a:b",
    });
  });

  it("unescapes filter literals and escapes them back", () => {
    const path = parseAttributePath('emails[type eq "we\\"ird\\\\"].value');
    expect(path).toMatchObject({ filterValue: 'we"ird\\' });
    expect(filterLiteral('we"ird\\')).toBe('"we\\"ird\\\\"');
  });

  it("refuses paths it cannot place", () => {
    for (const bad of ["", "a.b.c", 'emails[type eq "work"]', "emails[type co \"w\"].value", "name..x", "urn:only"]) {
      expect(() => parseAttributePath(bad), bad).toThrow(AttributePathError);
    }
  });
});

describe("toScimUser", () => {
  it("expands the default mapping into the SCIM User Okta sends", () => {
    expect(toScimUser("00u1", defaults, true)).toEqual({
      schemas: [CORE_USER_SCHEMA],
      externalId: "00u1",
      userName: "ada@acme.com",
      displayName: "Ada Lovelace",
      emails: [{ type: "work", value: "ada@acme.com", primary: true }],
      name: { familyName: "Lovelace", givenName: "Ada" },
      phoneNumbers: [{ type: "work", value: "+1 555 0100", primary: true }],
      title: "Analyst",
      active: true,
    });
  });

  it("places extension attributes under their schema URN and lists the URNs, enterprise first", () => {
    const user = toScimUser("00u1", everything, false);
    expect(user.schemas).toEqual([CORE_USER_SCHEMA, E, "urn:example:params:scim:schemas:extension:acme:2.0:User"]);
    expect(user[E]).toEqual({ department: "Engines", employeeNumber: "1815", manager: { value: "scim-babbage" } });
    expect(user["urn:example:params:scim:schemas:extension:acme:2.0:User"]).toEqual({ badge: "B-42" });
    expect(user.active).toBe(false);
    expect(user.phoneNumbers).toEqual([
      { type: "work", value: "+1 555 0100", primary: true },
      { type: "mobile", value: "+1 555 0199", primary: false },
    ]);
  });

  it("keeps only the core schema when no extension attribute has a value", () => {
    const user = toScimUser("00u1", { userName: "a@b.c", [`${E}:department`]: "" }, true);
    expect(user.schemas).toEqual([CORE_USER_SCHEMA]);
    expect(user[E]).toBeUndefined();
  });

  it("omits empty attributes", () => {
    const user = toScimUser("00u1", { userName: "a@b.c", title: "", [WORK_PHONE]: "", "name.givenName": "" }, true);
    expect(user).toEqual({ schemas: [CORE_USER_SCHEMA], externalId: "00u1", userName: "a@b.c", active: true });
  });

  it("orders entries the same whatever the key order: work first, then by type", () => {
    const a = toScimUser("00u1", { userName: "u", [MOBILE_PHONE]: "2", 'phoneNumbers[type eq "fax"].value': "3", [WORK_PHONE]: "1" }, true);
    const b = toScimUser("00u1", { [WORK_PHONE]: "1", userName: "u", 'phoneNumbers[type eq "fax"].value': "3", [MOBILE_PHONE]: "2" }, true);
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    expect((a.phoneNumbers as Array<{ type: string }>).map((p) => p.type)).toEqual(["work", "fax", "mobile"]);
  });

  it("makes the entry of the first mapped path primary when the mapping order is given", () => {
    const user = toScimUser("00u1", { userName: "u", [WORK_PHONE]: "1", [MOBILE_PHONE]: "2" }, true, {
      pathOrder: ["userName", MOBILE_PHONE, WORK_PHONE],
    });
    expect(user.phoneNumbers).toEqual([
      { type: "mobile", value: "2", primary: true },
      { type: "work", value: "1", primary: false },
    ]);
  });

  it("puts several sub-attributes of one entry together", () => {
    const user = toScimUser(
      "00u1",
      { userName: "u", 'addresses[type eq "work"].locality': "Paris", 'addresses[type eq "work"].country': "FR" },
      true,
    );
    expect(user.addresses).toEqual([{ type: "work", country: "FR", locality: "Paris", primary: true }]);
  });
});

describe("fromScimUser", () => {
  it("round-trips every attribute exactly when given the mapped paths", () => {
    for (const attrs of [defaults, everything]) {
      const remote = fromScimUser({ id: "s1", ...toScimUser("00u1", attrs, true) }, Object.keys(attrs));
      expect(remote).toEqual({ id: "s1", userName: "ada@acme.com", externalId: "00u1", active: true, attributes: attrs });
    }
  });

  it("round-trips without paths too, reading every core and extension attribute", () => {
    const remote = fromScimUser({ id: "s1", meta: { resourceType: "User" }, ...toScimUser("00u1", everything, false) });
    expect(remote.attributes).toEqual(everything);
    expect(remote.active).toBe(false);
  });

  it("reads only the requested paths, plus userName", () => {
    const remote = fromScimUser({ id: "s1", ...toScimUser("00u1", everything, true) }, [WORK_PHONE, `${E}:manager.value`, "nickName"]);
    expect(remote.attributes).toEqual({ userName: "ada@acme.com", [WORK_PHONE]: "+1 555 0100", [`${E}:manager.value`]: "scim-babbage" });
  });

  it("is lenient about what servers send: case, string booleans, numbers, no active, the primary duplicate", () => {
    const remote = fromScimUser(
      {
        id: 42,
        USERNAME: "u@x.y",
        Name: { GivenName: "U" },
        active: "False",
        phoneNumbers: [
          { type: "Work", value: "old" },
          { type: "work", value: "new", primary: true },
        ],
        [E.toLowerCase()]: { employeeNumber: 7 },
      },
      ["name.givenName", WORK_PHONE, `${E}:employeeNumber`],
    );
    expect(remote).toEqual({
      id: "42",
      userName: "u@x.y",
      externalId: undefined,
      active: false,
      attributes: { userName: "u@x.y", "name.givenName": "U", [WORK_PHONE]: "new", [`${E}:employeeNumber`]: "7" },
    });
    expect(fromScimUser({ id: "1", userName: "u" }).active).toBe(true);
  });

  it("rejects what is not a User", () => {
    expect(() => fromScimUser("nope")).toThrow(ProtocolError);
    expect(() => fromScimUser({ userName: "u" })).toThrow(/without an id/);
    expect(() => fromScimUser({ id: "1" })).toThrow(/without a userName/);
  });
});

describe("PATCH bodies", () => {
  it("deactivates and reactivates exactly as Okta does", () => {
    expect(JSON.stringify(activePatchBody(false))).toBe(
      '{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"active":false}}]}',
    );
    expect(JSON.stringify(activePatchBody(true))).toBe(
      '{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"active":true}}]}',
    );
  });

  it("renames a group with Okta's path-less replace", () => {
    expect(JSON.stringify(groupRenameBody("g1", "Engineering"))).toBe(
      '{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"id":"g1","displayName":"Engineering"}}]}',
    );
  });

  it("adds members in one op on path members", () => {
    expect(JSON.stringify(addMembersBody(["u1", "u2"]))).toBe(
      '{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","path":"members","value":[{"value":"u1"},{"value":"u2"}]}]}',
    );
  });

  it("removes members with one op per member, filter literals escaped", () => {
    expect(removeMembersBody(["u1", 'od"d\\id'])).toEqual({
      schemas: [PATCH_OP_SCHEMA],
      Operations: [
        { op: "remove", path: 'members[value eq "u1"]' },
        { op: "remove", path: 'members[value eq "od\\"d\\\\id"]' },
      ],
    });
  });

  it("creates a group empty, with its Okta id", () => {
    expect(JSON.stringify(groupCreateBody("00g1", "Eng"))).toBe(
      `{"schemas":["${CORE_GROUP_SCHEMA}"],"displayName":"Eng","externalId":"00g1","members":[]}`,
    );
  });

  it("creates a group with its first members inline, by SCIM id", () => {
    expect(JSON.stringify(groupCreateBody("00g1", "Eng", ["u1", "u2"]))).toBe(
      `{"schemas":["${CORE_GROUP_SCHEMA}"],"displayName":"Eng","externalId":"00g1","members":[{"value":"u1"},{"value":"u2"}]}`,
    );
    expect(groupCreateBody("00g1", "Eng", []).members).toEqual([]);
  });

  it("replaces changed values by path: filter paths for existing entries, whole complex attributes", () => {
    const after = { ...everything, title: "Countess", "name.familyName": "King", [WORK_EMAIL]: "ada@king.com", [`${E}:manager.value`]: "m2" };
    const body = userPatchBody(
      { title: "Analyst", "name.familyName": "Lovelace", [WORK_EMAIL]: "ada@acme.com", [`${E}:manager.value`]: "scim-babbage" },
      { title: "Countess", "name.familyName": "King", [WORK_EMAIL]: "ada@king.com", [`${E}:manager.value`]: "m2" },
      after,
    );
    expect(body).toEqual({
      schemas: [PATCH_OP_SCHEMA],
      Operations: [
        { op: "replace", path: WORK_EMAIL, value: "ada@king.com" },
        { op: "replace", path: "name", value: { familyName: "King", givenName: "Ada" } },
        { op: "replace", path: "title", value: "Countess" },
        { op: "replace", path: `${E}:manager`, value: { value: "m2" } },
      ],
    });
  });

  it("removes attributes missing from after, and whole entries that lose their last value", () => {
    const attributes = { ...everything } as Record<string, string>;
    delete attributes.title;
    delete attributes[`${E}:department`];
    delete attributes[MOBILE_PHONE];
    const ops = userPatchOperations({ title: "Analyst", [`${E}:department`]: "Engines", [MOBILE_PHONE]: "+1 555 0199" }, {}, attributes);
    expect(ops).toEqual([
      { op: "remove", path: 'phoneNumbers[type eq "mobile"]' },
      { op: "remove", path: "title" },
      { op: "remove", path: `${E}:department` },
    ]);
  });

  it("adds a new entry whole (a replace on a filter that matches nothing fails)", () => {
    const ops = userPatchOperations({}, { [MOBILE_PHONE]: "+1 555 0199" }, { ...defaults, [MOBILE_PHONE]: "+1 555 0199" });
    expect(ops).toEqual([{ op: "add", path: "phoneNumbers", value: [{ type: "mobile", value: "+1 555 0199", primary: false }] }]);
    const first = userPatchOperations({}, { [MOBILE_PHONE]: "9" }, { userName: "u", [MOBILE_PHONE]: "9" });
    expect(first).toEqual([{ op: "add", path: "phoneNumbers", value: [{ type: "mobile", value: "9", primary: true }] }]);
  });

  it("moves primary to the entry that is first afterwards", () => {
    // The work phone goes: the mobile one becomes primary, as a PUT would make it.
    const gone = userPatchOperations({ [WORK_PHONE]: "1" }, {}, { userName: "u", [MOBILE_PHONE]: "2" });
    expect(gone).toEqual([
      { op: "remove", path: 'phoneNumbers[type eq "work"]' },
      { op: "replace", path: 'phoneNumbers[type eq "mobile"].primary', value: true },
    ]);
    // A work phone arrives before an existing mobile one: it is added primary, mobile loses it.
    const arrives = userPatchOperations({}, { [WORK_PHONE]: "1" }, { userName: "u", [WORK_PHONE]: "1", [MOBILE_PHONE]: "2" });
    expect(arrives).toEqual([
      { op: "add", path: "phoneNumbers", value: [{ type: "work", value: "1", primary: true }] },
      { op: "replace", path: 'phoneNumbers[type eq "mobile"].primary', value: false },
    ]);
  });

  it("removes a sub-attribute by path and replaces the complex attribute with what remains", () => {
    const ops = userPatchOperations(
      { "name.familyName": "Lovelace", "name.givenName": "Ada" },
      { "name.givenName": "Augusta" },
      { userName: "u", "name.givenName": "Augusta", "name.middleName": "Ada" },
    );
    expect(ops).toEqual([
      { op: "remove", path: "name.familyName" },
      { op: "replace", path: "name", value: { givenName: "Augusta", middleName: "Ada" } },
    ]);
  });

  it("has nothing to send when nothing changes, and treats empty strings as absent", () => {
    expect(userPatchOperations({ title: "A" }, { title: "A" }, defaults)).toEqual([]);
    expect(userPatchOperations({ title: "A" }, { title: "" })).toEqual([{ op: "remove", path: "title" }]);
  });
});

describe("fromScimGroup", () => {
  it("reads id, name, external id and member ids", () => {
    expect(
      fromScimGroup({ id: "g1", displayName: "Eng", externalId: "00g1", members: [{ value: "u1", display: "a" }, { value: 2 }, {}] }),
    ).toEqual({ id: "g1", displayName: "Eng", externalId: "00g1", memberIds: ["u1", "2"] });
    expect(fromScimGroup({ id: "g1", displayName: "Eng" }).memberIds).toEqual([]);
    expect(() => fromScimGroup({ displayName: "Eng" })).toThrow(ProtocolError);
  });
});

describe("error bodies", () => {
  it("takes detail and scimType from a SCIM error", () => {
    expect(
      describeErrorBody('{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"409","scimType":"uniqueness","detail":"taken"}', "application/scim+json"),
    ).toEqual({ detail: "taken", code: "uniqueness" });
  });

  it("summarises an HTML page by its title and plain text by its first characters", () => {
    expect(describeErrorBody("<html><head><title>502 Bad Gateway</title></head><body><h1>nginx</h1></body></html>", "text/html")).toEqual({
      detail: 'HTML error page "502 Bad Gateway"',
    });
    expect(describeErrorBody("<!doctype html><p>oops</p>", undefined)).toEqual({ detail: "HTML error page" });
    expect(describeErrorBody(`upstream\n\tfailed ${"x".repeat(500)}`, "text/plain").detail).toMatch(/^upstream failed x+…$/);
    expect(describeErrorBody("", undefined)).toEqual({});
  });

  it("redacts secrets wherever they appear", () => {
    expect(redact("token s3cr3t-token and s3cr3t-token", ["s3cr3t-token"])).toBe("token [redacted] and [redacted]");
  });
});
