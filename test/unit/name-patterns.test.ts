import { describe, expect, it } from "vitest";
import { groupExcludedBy, parseGroupEntry, regexProblem, userExcluder } from "../../src/config/name-patterns.js";
import { buildDesiredState, EXCLUDED_REASON } from "../../src/okta/desired-state.js";
import type { OktaAppUserView } from "../../src/okta/types.js";
import { plan } from "../../src/plan/planner.js";
import { oktaAppUser, snapshot, snapshotGroup, snapshotUser } from "../support/builders.js";

const matches = (entry: string, name: string) => {
  const parsed = parseGroupEntry(entry);
  if (parsed.kind !== "pattern") throw new Error(`${entry} is not a pattern`);
  return parsed.test(name);
};

describe("group entries", () => {
  it("tells names, ids, assigned, globs and regexes apart", () => {
    expect(parseGroupEntry("Engineering").kind).toBe("name");
    expect(parseGroupEntry(" Door Access ").kind).toBe("name");
    expect(parseGroupEntry("00g1abcdefghijklmnop").kind).toBe("id");
    // Not 20 characters: a name that happens to start with 00g.
    expect(parseGroupEntry("00gshort").kind).toBe("name");
    expect(parseGroupEntry("assigned").kind).toBe("assigned");
    expect(parseGroupEntry("Door-*").kind).toBe("pattern");
    expect(parseGroupEntry("Team-?").kind).toBe("pattern");
    expect(parseGroupEntry("regex:^door-").kind).toBe("pattern");
  });

  it("resolves only a trailing-star glob with a literal head by Okta's sw search", () => {
    const prefix = (entry: string) => {
      const parsed = parseGroupEntry(entry);
      return parsed.kind === "pattern" ? parsed.prefix : undefined;
    };
    expect(prefix("Door-*")).toBe("Door-");
    expect(prefix("*-Admins")).toBeUndefined();
    expect(prefix("Door-*-Old")).toBeUndefined();
    expect(prefix("Do?r-*")).toBeUndefined();
    expect(prefix("*")).toBeUndefined();
    expect(prefix("regex:^Door-")).toBeUndefined();
  });

  it("matches globs on the whole name, ignoring case, with * and ? only as wildcards", () => {
    expect(matches("Door-*", "Door-Lobby")).toBe(true);
    expect(matches("Door-*", "door-lobby")).toBe(true);
    expect(matches("Door-*", "Door-")).toBe(true);
    expect(matches("Door-*", "Front Door-Lobby")).toBe(false);
    expect(matches("*-Admins", "Ops-Admins")).toBe(true);
    expect(matches("*-Admins", "Ops-Admins-Old")).toBe(false);
    expect(matches("Team-?", "Team-A")).toBe(true);
    expect(matches("Team-?", "Team-AB")).toBe(false);
    expect(matches("*", "anything at all")).toBe(true);
    // Regex characters in a glob are literal.
    expect(matches("R&D (EU).*", "R&D (EU).x")).toBe(true);
    expect(matches("R&D (EU).*", "R&D (EU)x")).toBe(false);
    expect(matches("a+b*", "aab")).toBe(false);
    expect(matches("a+b*", "a+bc")).toBe(true);
  });

  it("matches regexes anywhere in the name unless anchored, ignoring case", () => {
    expect(matches("regex:^door-", "Door-Lobby")).toBe(true);
    expect(matches("regex:^door-", "Front-Door-Lobby")).toBe(false);
    expect(matches("regex:lab", "Door-Lab-2")).toBe(true);
    expect(matches("regex:^(ops|sec)-admins$", "SEC-Admins")).toBe(true);
    expect(matches("regex:^(ops|sec)-admins$", "SEC-Admins-Old")).toBe(false);
  });

  it("says why a regex does not compile, and accepts one that does", () => {
    expect(regexProblem("regex:(door")).toBe("is not a valid JavaScript regular expression: Unterminated group");
    expect(regexProblem("regex:")).toContain("needs a pattern");
    expect(regexProblem("regex:^door-")).toBeUndefined();
    expect(regexProblem("Door-(*")).toBeUndefined();
  });

  it("excludes by id, exact name, pattern or assignment", () => {
    const group = { id: "00g1abcdefghijklmnop", name: "Door-Lobby" };
    const by = (entries: string[], assigned: string[] = []) => groupExcludedBy(entries.map(parseGroupEntry), group, new Set(assigned))?.entry;
    expect(by(["00g1abcdefghijklmnop"])).toBe("00g1abcdefghijklmnop");
    expect(by(["Door-Lobby"])).toBe("Door-Lobby");
    // A plain name matches exactly, as in groups.push.
    expect(by(["door-lobby"])).toBeUndefined();
    expect(by(["door-*"])).toBe("door-*");
    expect(by(["regex:lobby$"])).toBe("regex:lobby$");
    expect(by(["assigned"], [group.id])).toBe("assigned");
    expect(by(["assigned"], [])).toBeUndefined();
    expect(by(["Door-Lab", "*-Lab"])).toBeUndefined();
  });
});

describe("users.exclude", () => {
  const excluded = userExcluder(["breakglass@acme.com", "00u9abcdefghijklmnop", "svc-*@acme.com", "regex:^bot\\d+@"]);

  it("matches logins and globs ignoring case, ids exactly", () => {
    expect(excluded({ id: "00u1", names: ["BreakGlass@Acme.com"] })).toBe("breakglass@acme.com");
    expect(excluded({ id: "00u1", names: ["SVC-backup@ACME.com"] })).toBe("svc-*@acme.com");
    expect(excluded({ id: "00u1", names: ["svc-backup@acme.com.evil"] })).toBeUndefined();
    expect(excluded({ id: "00u9abcdefghijklmnop", names: ["ada@acme.com"] })).toBe("00u9abcdefghijklmnop");
    expect(excluded({ id: "00U9ABCDEFGHIJKLMNOP", names: ["ada@acme.com"] })).toBeUndefined();
    expect(excluded({ id: "00u1", names: ["bot42@acme.com"] })).toBe("regex:^bot\\d+@");
    expect(excluded({ id: "00u1", names: ["ada@acme.com", "svc-ada@acme.com"] })).toBe("svc-*@acme.com");
    expect(excluded({ id: "00u1", names: ["ada@acme.com"] })).toBeUndefined();
    expect(userExcluder([])({ id: "00u1", names: ["ada@acme.com"] })).toBeUndefined();
  });
});

function appUser(id: string, login: string, status = "ACTIVE"): OktaAppUserView {
  return oktaAppUser(id, login, { email: login, firstName: "A", lastName: "B" }, status);
}

describe("excluded users in the desired state", () => {
  const pull = {
    appUsers: [appUser("00u1", "ada@acme.com"), appUser("00u2", "svc-backup@acme.com"), appUser("00u3", "breakglass@acme.com"), appUser("00u4", "svc-old@acme.com", "DEPROVISIONED")],
    groups: [{ id: "00g1", name: "Door-Lobby", memberIds: ["00u1", "00u2", "00u3", "00u4"] }],
  };
  const options = { attributes: [], phoneType: "work", suspended: "active" as const, exclude: ["svc-*@acme.com", "BreakGlass@acme.com"] };

  it("leaves a new excluded user out, and out of every group, without a warning", () => {
    const desired = buildDesiredState(pull, options);
    expect(desired.users.map((u) => u.oktaId)).toEqual(["00u1"]);
    expect(desired.groups[0]!.members).toEqual(["00u1"]);
    expect(desired.skipped).toEqual([]);
    expect(desired.warnings).toEqual([]);
  });

  it("holds an excluded user already in Command, even one who left the app, with a warning each", () => {
    const linked = new Map([
      ["00u1", "ada@acme.com"],
      ["00u3", "breakglass@acme.com"],
      ["00u4", "svc-old@acme.com"],
      // Unassigned in Okta since: not in the pull, but excluded by its Command userName.
      ["00u5", "svc-gone@acme.com"],
    ]);
    const desired = buildDesiredState(pull, { ...options, linked });
    expect(desired.skipped).toEqual([
      { oktaId: "00u3", login: "breakglass@acme.com", reason: EXCLUDED_REASON },
      { oktaId: "00u4", login: "svc-old@acme.com", reason: EXCLUDED_REASON },
      { oktaId: "00u5", login: "svc-gone@acme.com", reason: EXCLUDED_REASON },
    ]);
    expect(desired.warnings).toHaveLength(3);
    expect(desired.warnings[0]).toBe(
      'Okta user breakglass@acme.com (00u3) is excluded by users.exclude ("BreakGlass@acme.com"): its Command user is held as it is, never updated or deactivated by this tool',
    );

    // Against a snapshot where they are active members: nothing is deactivated, removed or added.
    const known = snapshot(
      [snapshotUser("00u1", { userName: "ada@acme.com" }), snapshotUser("00u3", { userName: "breakglass@acme.com" }), snapshotUser("00u4"), snapshotUser("00u5")],
      [snapshotGroup("00g1", "Door-Lobby", ["00u1", "00u3", "00u4"])],
    );
    const result = plan(desired, known, { onRemove: "keep" });
    expect(result.operations.filter((op) => op.type === "deactivateUser" || op.type === "removeMembers" || op.type === "addMembers")).toEqual([]);
  });
});
