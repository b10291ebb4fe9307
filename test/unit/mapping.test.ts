import { describe, expect, it } from "vitest";
import { ENTERPRISE_USER_SCHEMA } from "../../src/model.js";
import { buildDesiredState } from "../../src/okta/desired-state.js";
import { type MappingOptions, mappedPaths, mapUser } from "../../src/okta/mapping.js";
import type { OktaAppUserView } from "../../src/okta/types.js";

const CORE = "urn:ietf:params:scim:schemas:core:2.0:User";
const defaults: MappingOptions = { attributes: [], phoneType: "work", suspended: "active" };

function appUser(profile: Record<string, unknown>, overrides: Partial<OktaAppUserView> = {}): OktaAppUserView {
  const id = overrides.id ?? "00u1";
  return {
    id,
    scope: "USER",
    status: "PROVISIONED",
    userName: "ada@example.com",
    profile: {},
    ...overrides,
    user: overrides.user ?? { id, status: "ACTIVE", profile: { login: "ada@example.com", ...profile } },
  };
}

const ada = {
  firstName: "Ada",
  lastName: "Lovelace",
  email: "ada@example.com",
  title: "Engineer",
  primaryPhone: "+1 415 555 0100",
};

describe("default mapping", () => {
  it("maps every attribute of the contract's default table", () => {
    const result = mapUser(appUser(ada), defaults);
    expect(result).toEqual({
      ok: true,
      userName: "ada@example.com",
      active: true,
      warnings: [],
      attributes: {
        userName: "ada@example.com",
        "name.givenName": "Ada",
        "name.familyName": "Lovelace",
        displayName: "Ada Lovelace",
        'emails[type eq "work"].value': "ada@example.com",
        title: "Engineer",
        'phoneNumbers[type eq "work"].value': "+14155550100",
      },
    });
  });

  it("uses the app username, falling back to the Okta login", () => {
    const withAppName = mapUser(appUser(ada, { userName: "a.lovelace@example.com" }), defaults);
    expect(withAppName.ok && withAppName.userName).toBe("a.lovelace@example.com");
    const without = mapUser(appUser(ada, { userName: undefined }), defaults);
    expect(without.ok && without.userName).toBe("ada@example.com");
  });

  it("omits attributes that are empty in Okta (empty, blank or null)", () => {
    const result = mapUser(appUser({ ...ada, title: "  ", primaryPhone: null, lastName: "" }), defaults);
    expect(result.ok && result.attributes).toEqual({
      userName: "ada@example.com",
      "name.givenName": "Ada",
      displayName: "Ada",
      'emails[type eq "work"].value': "ada@example.com",
    });
  });

  it("writes primaryPhone to the configured phone type", () => {
    const result = mapUser(appUser(ada), { ...defaults, phoneType: "mobile" });
    expect(result.ok && result.attributes['phoneNumbers[type eq "mobile"].value']).toBe("+14155550100");
    expect(result.ok && result.attributes['phoneNumbers[type eq "work"].value']).toBeUndefined();
  });

  it("skips a user with an invalid email, with the reason", () => {
    const result = mapUser(appUser({ ...ada, email: "not-an-email" }), defaults);
    expect(result).toEqual({ ok: false, reason: 'its email "not-an-email" is not a valid address' });
  });
});

describe("custom mappings (Profile Editor style)", () => {
  it("maps enterprise extension, multi-valued with a type filter, and app profile attributes", () => {
    const options: MappingOptions = {
      ...defaults,
      attributes: [
        { okta: "user.department", externalName: "department", externalNamespace: ENTERPRISE_USER_SCHEMA },
        { okta: "user.mobilePhone", externalName: 'phoneNumbers[type eq "mobile"].value', externalNamespace: CORE },
        { okta: "appuser.costCenter", externalName: "costCenter", externalNamespace: ENTERPRISE_USER_SCHEMA },
        { okta: "user.employeeNumber", externalName: "employeeNumber", externalNamespace: ENTERPRISE_USER_SCHEMA },
      ],
    };
    const result = mapUser(appUser({ ...ada, department: "R&D", mobilePhone: "+1 415 555 0199", employeeNumber: 42 }, { profile: { costCenter: "CC-7" } }), options);
    expect(result.ok && result.attributes).toMatchObject({
      [`${ENTERPRISE_USER_SCHEMA}:department`]: "R&D",
      [`${ENTERPRISE_USER_SCHEMA}:costCenter`]: "CC-7",
      [`${ENTERPRISE_USER_SCHEMA}:employeeNumber`]: "42",
      'phoneNumbers[type eq "mobile"].value': "+14155550199",
      'phoneNumbers[type eq "work"].value': "+14155550100",
    });
    expect(mappedPaths(options)).toContain(`${ENTERPRISE_USER_SCHEMA}:department`);
  });

  it("replaces a default mapping of the same target", () => {
    const options: MappingOptions = { ...defaults, attributes: [{ okta: "user.nickName", externalName: "displayName", externalNamespace: CORE }] };
    const result = mapUser(appUser({ ...ada, nickName: "Countess" }), options);
    expect(result.ok && result.attributes.displayName).toBe("Countess");
  });

  it("leaves out a list-valued attribute with a warning but keeps the user", () => {
    const options: MappingOptions = { ...defaults, attributes: [{ okta: "user.badges", externalName: "nickName", externalNamespace: CORE }] };
    const result = mapUser(appUser({ ...ada, badges: ["a", "b"] }), options);
    expect(result.ok).toBe(true);
    expect(result.ok && result.warnings).toEqual(["user.badges is not a single value (a list); nickName left out"]);
    expect(result.ok && result.attributes.nickName).toBeUndefined();
  });
});

describe("active", () => {
  const status = (userStatus: string, options = defaults, appStatus = "PROVISIONED") => {
    const result = mapUser(appUser(ada, { status: appStatus, user: { id: "00u1", status: userStatus, profile: { login: "ada@example.com", ...ada } } }), options);
    return result.ok && result.active;
  };
  it("is active for ACTIVE and other non-deactivated statuses", () => {
    for (const s of ["ACTIVE", "STAGED", "PROVISIONED", "RECOVERY", "PASSWORD_EXPIRED", "LOCKED_OUT"]) expect(status(s)).toBe(true);
  });
  it("is inactive for DEPROVISIONED users and deprovisioned or inactive app users", () => {
    expect(status("DEPROVISIONED")).toBe(false);
    expect(status("ACTIVE", defaults, "DEPROVISIONED")).toBe(false);
    expect(status("ACTIVE", defaults, "INACTIVE")).toBe(false);
  });
  it("follows Okta for SUSPENDED by default (stays active), and deactivates when configured", () => {
    expect(status("SUSPENDED")).toBe(true);
    expect(status("SUSPENDED", { ...defaults, suspended: "deactivate" })).toBe(false);
  });
});

describe("desired state", () => {
  it("keeps only app-assigned members in groups and skips duplicate userNames deterministically", () => {
    const state = buildDesiredState(
      {
        appUsers: [
          appUser(ada, { id: "00u2", userName: "ada@example.com" }),
          appUser(ada, { id: "00u1", userName: "ADA@example.com" }),
          appUser({ ...ada, email: "bob@example.com", login: "bob@example.com" }, { id: "00u3", userName: "bob@example.com" }),
        ],
        groups: [{ id: "00g1", name: "Eng", memberIds: ["00u9", "00u3", "00u1", "00u2"] }],
      },
      defaults,
    );
    expect(state.users.map((u) => u.oktaId)).toEqual(["00u1", "00u3"]);
    expect(state.groups).toEqual([{ oktaId: "00g1", displayName: "Eng", members: ["00u1", "00u3"] }]);
    expect(state.skipped).toEqual([{ oktaId: "00u2", login: "ada@example.com", reason: "its userName ada@example.com is also the userName of Okta user 00u1 (the lower Okta id)" }]);
    expect(state.warnings).toEqual([
      "skipped Okta user ada@example.com (00u2): its userName ada@example.com is also the userName of Okta user 00u1 (the lower Okta id); it is not created in Command until this is fixed in Okta",
    ]);
  });

  it("in a userName collision the user linked under that name keeps it, whatever the ids", () => {
    const state = buildDesiredState(
      {
        appUsers: [
          appUser({ ...ada, login: "Ada@example.com" }, { id: "00u1", userName: "Ada@example.com" }),
          appUser(ada, { id: "00u7", userName: "ada@example.com" }),
        ],
        groups: [{ id: "00g1", name: "Eng", memberIds: ["00u1", "00u7"] }],
      },
      { ...defaults, linked: new Map([["00u7", "ada@example.com"]]) },
    );
    expect(state.users.map((u) => u.oktaId)).toEqual(["00u7"]);
    expect(state.skipped).toEqual([{ oktaId: "00u1", login: "Ada@example.com", reason: "its userName Ada@example.com is also the userName of Okta user 00u7 (the one linked to it in Command)" }]);
    expect(state.groups[0]?.members).toEqual(["00u7"]);
  });

  it("a link under another userName gives no claim: the lower id keeps the contested name", () => {
    const state = buildDesiredState(
      { appUsers: [appUser(ada, { id: "00u1" }), appUser(ada, { id: "00u7" })], groups: [] },
      { ...defaults, linked: new Map([["00u7", "old.name@example.com"]]) },
    );
    expect(state.users.map((u) => u.oktaId)).toEqual(["00u1"]);
    expect(state.skipped?.map((u) => u.oktaId)).toEqual(["00u7"]);
    expect(state.warnings[0]).toMatch(/^skipped Okta user ada@example.com \(00u7\): .*; its Command user is held as it is until this is fixed in Okta$/);
  });

  it("holds an active user with bad data, and lets one who left Okta go (to be deactivated)", () => {
    const typo = appUser({ ...ada, email: "bob at acme.example", login: "bob@example.com" }, { id: "00u2", userName: "bob@example.com" });
    const gone = appUser({ ...ada, email: "carol at acme.example", login: "carol@example.com" }, { id: "00u3", userName: "carol@example.com" });
    const state = buildDesiredState(
      { appUsers: [appUser(ada), typo, { ...gone, user: { ...gone.user, status: "DEPROVISIONED" } }], groups: [{ id: "00g1", name: "Eng", memberIds: ["00u1", "00u2", "00u3"] }] },
      { ...defaults, linked: new Map([["00u2", "bob@example.com"], ["00u3", "carol@example.com"]]) },
    );
    expect(state.users.map((u) => u.oktaId)).toEqual(["00u1"]);
    expect(state.skipped).toEqual([{ oktaId: "00u2", login: "bob@example.com", reason: 'its email "bob at acme.example" is not a valid address' }]);
    expect(state.groups[0]?.members).toEqual(["00u1"]);
    expect(state.warnings).toEqual([
      'skipped Okta user bob@example.com (00u2): its email "bob at acme.example" is not a valid address; its Command user is held as it is until this is fixed in Okta',
    ]);
  });

  it("holds active users outside command.domains with outsideDomains: skip; an inactive one stays, to be deactivated", () => {
    const guest = (id: string, status: string) =>
      appUser({ ...ada, email: `${id}@partner.example`, login: `${id}@partner.example` }, { id, userName: `${id}@partner.example`, status });
    const state = buildDesiredState(
      { appUsers: [appUser(ada), guest("00u2", "PROVISIONED"), guest("00u3", "INACTIVE")], groups: [] },
      { ...defaults, domains: ["example.com"], outsideDomains: "skip" },
    );
    expect(state.users.map((u) => [u.oktaId, u.active])).toEqual([
      ["00u1", true],
      ["00u3", false],
    ]);
    expect(state.skipped).toEqual([{ oktaId: "00u2", login: "00u2@partner.example", reason: "its domain partner.example is not in command.domains (users.outsideDomains: skip)" }]);
  });
});
