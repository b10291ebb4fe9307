/**
 * Mapping page by page: whatever order the app users arrive in (pages, repeats, the kept users of
 * an incremental pull before the re-read ones), the desired state is the one mapping the whole
 * pull gives: the same users, the same holder of a shared userName, the same warnings in the same
 * order. Sharing an unchanged user's objects with the snapshot changes nothing either.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { buildDesiredState, type DesiredStateOptions, desiredStateBuilder } from "../../src/okta/desired-state.js";
import { mapUser } from "../../src/okta/mapping.js";
import type { OktaAppUserView, OktaGroupView } from "../../src/okta/types.js";
import { oktaAppUser } from "../support/builders.js";

const options: DesiredStateOptions = { attributes: [], phoneType: "work", suspended: "active", exclude: ["svc-*"] };

/** A small org where userNames collide, data is bad, users are excluded and some have left. */
const appUserArb = fc
  .record({
    n: fc.integer({ min: 1, max: 30 }),
    name: fc.constantFrom("ada", "bob", "Ada", "svc-backup", "carol"),
    email: fc.constantFrom("ok", "bad", "none"),
    title: fc.constantFrom("Engineer", "", "Lead"),
    status: fc.constantFrom("ACTIVE", "ACTIVE", "DEPROVISIONED", "SUSPENDED"),
  })
  .map(({ n, name, email, title, status }): OktaAppUserView => {
    const id = `00u${String(n).padStart(17, "0")}`;
    const login = `${name}@acme.example`;
    const mail = email === "ok" ? login : email === "bad" ? `${name} at acme` : undefined;
    return oktaAppUser(id, login, { firstName: name, lastName: "Test", ...(mail === undefined ? {} : { email: mail }), ...(title === "" ? {} : { title }) }, status);
  });

function groupsOf(users: readonly OktaAppUserView[]): OktaGroupView[] {
  const ids = [...new Set(users.map((u) => u.id))].sort();
  return [
    { id: "00g1", name: "Even", memberIds: ids.filter((_, i) => i % 2 === 0) },
    { id: "00g2", name: "All", memberIds: ids },
  ];
}

describe("desired state built page by page", () => {
  it("equals the state of the whole pull, in any order of arrival", () => {
    fc.assert(
      fc.property(fc.array(appUserArb, { maxLength: 40 }), fc.integer({ min: 1, max: 7 }), fc.array(fc.nat(), { maxLength: 40 }), (users, pageSize, swaps) => {
        // The first view of an id counts: shuffle, then keep the first of each id as the whole pull's.
        const arrived = [...users];
        for (const [i, s] of swaps.entries()) {
          if (arrived.length === 0) break;
          const a = i % arrived.length;
          const b = s % arrived.length;
          [arrived[a], arrived[b]] = [arrived[b]!, arrived[a]!];
        }
        const firstOfEach = arrived.filter((u, i) => arrived.findIndex((v) => v.id === u.id) === i);
        const groups = groupsOf(users);
        const linked = new Map(firstOfEach.filter((_, i) => i % 3 === 0).map((u) => [u.id, String(u.user.profile.login)]));
        const whole = buildDesiredState({ appUsers: firstOfEach, groups }, { ...options, linked });

        const builder = desiredStateBuilder({ ...options, linked });
        for (let i = 0; i < arrived.length; i += pageSize) for (const u of arrived.slice(i, i + pageSize)) builder.add(u);
        expect(builder.finish(groups)).toEqual(whole);
      }),
      { numRuns: 300 },
    );
  });

  it("an unchanged user takes the snapshot's attributes; a changed one its own, as mapped", () => {
    const users = [
      { id: "00u1", name: "ada", title: "Engineer" },
      { id: "00u2", name: "bob", title: "Lead" },
    ].map(
      ({ id, name, title }): OktaAppUserView => ({
        id,
        scope: "USER",
        status: "PROVISIONED",
        userName: `${name}@acme.example`,
        profile: {},
        user: { id, status: "ACTIVE", profile: { login: `${name}@acme.example`, firstName: name, lastName: "Test", email: `${name}@acme.example`, title } },
      }),
    );
    const mapped = (u: OktaAppUserView) => {
      const result = mapUser(u, options);
      if (!result.ok) throw new Error(result.reason);
      return result;
    };
    const snapshot = new Map([
      ["00u1", { oktaId: "00u1", userName: "ada@acme.example", attributes: { ...mapped(users[0]!).attributes } }],
      ["00u2", { oktaId: "00u2", userName: "bob@acme.example", attributes: { ...mapped(users[1]!).attributes, title: "Intern" } }],
    ]);
    const builder = desiredStateBuilder({ ...options, known: (id) => snapshot.get(id) });
    for (const u of users) builder.add(u);
    const state = builder.finish([]);
    expect(state).toEqual(buildDesiredState({ appUsers: users, groups: [] }, options));
    expect(state.users[0]!.attributes).toBe(snapshot.get("00u1")!.attributes);
    expect(state.users[1]!.attributes).not.toBe(snapshot.get("00u2")!.attributes);
    expect(state.users[1]!.attributes.title).toBe("Lead");
  });
});
