/**
 * Who has the app and how, as Okta works it out: directly (scope USER) or through an assigned
 * group (scope GROUP), with the app data Okta keeps for each.
 */
import type { EmulatedAppUser, EmulatedOktaOrg, EmulatedUser, EmulatedUserProfile } from "./okta-org.js";
import { findDirectAssignment, lookupUser } from "./org-lookup.js";

/** The app profile Okta's default mappings would build from a user profile. */
export function appProfileFor(profile: EmulatedUserProfile): Record<string, unknown> {
  return {
    email: profile.email,
    firstName: profile.firstName,
    lastName: profile.lastName,
    title: profile.title,
    department: profile.department,
    primaryPhone: profile.primaryPhone,
    mobilePhone: profile.mobilePhone,
    employeeNumber: profile.employeeNumber,
  };
}

/** The app data Okta keeps for a user assigned at `at` (directly, or through a group). */
export function directAssignment(user: EmulatedUser, at: string): EmulatedAppUser {
  return {
    userId: user.id,
    externalId: null,
    status: "PROVISIONED",
    syncState: "SYNCHRONIZED",
    userName: user.profile.login,
    profile: appProfileFor(user.profile),
    created: at,
    lastUpdated: at,
    statusChanged: at,
  };
}

/** A user assigned to the app, as Okta lists it: directly (USER) wins over through a group (GROUP). */
export interface EffectiveAppUser {
  user: EmulatedUser;
  scope: "USER" | "GROUP";
  assignment: EmulatedAppUser;
}

/** Every user assigned to the app, sorted by user id. */
export function listAssignedUsers(org: EmulatedOktaOrg): EffectiveAppUser[] {
  const usersById = new Map(org.users.map((u) => [u.id, u]));
  const result = new Map<string, EffectiveAppUser>();
  for (const assignment of org.app.users) {
    const user = usersById.get(assignment.userId);
    if (user) result.set(user.id, { user, scope: "USER", assignment });
  }
  for (const ga of org.app.groups) {
    const group = org.groups.find((g) => g.id === ga.groupId);
    if (!group) continue;
    for (const memberId of group.members) {
      if (result.has(memberId)) continue;
      const user = usersById.get(memberId);
      if (user) result.set(user.id, { user, scope: "GROUP", assignment: directAssignment(user, ga.lastUpdated) });
    }
  }
  return [...result.values()].sort((a, b) => (a.user.id < b.user.id ? -1 : a.user.id > b.user.id ? 1 : 0));
}

/** Whether a sorted list of ids holds one. */
function hasMember(members: readonly string[], userId: string): boolean {
  let lo = 0;
  let hi = members.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (members[mid]! < userId) lo = mid + 1;
    else hi = mid;
  }
  return members[lo] === userId;
}

/** How a user holds the app, as listAssignedUsers sees it: directly, through a group, or not at all. */
export type AppAccess = { scope: "USER" } | { scope: "GROUP"; groupId: string; since: string } | undefined;

/** The app access of one user (the first assigned group listing them, when not assigned directly). */
export function appAccess(org: EmulatedOktaOrg, userId: string): AppAccess {
  if (!lookupUser(org, userId)) return undefined;
  if (findDirectAssignment(org, userId)) return { scope: "USER" };
  for (const ga of org.app.groups) {
    const group = org.groups.find((g) => g.id === ga.groupId);
    if (group && hasMember(group.members, userId)) return { scope: "GROUP", groupId: group.id, since: ga.lastUpdated };
  }
  return undefined;
}

/** For every user assigned through a group, that group and its assignment time. */
export function groupAccess(org: EmulatedOktaOrg): Map<string, { groupId: string; since: string }> {
  const result = new Map<string, { groupId: string; since: string }>();
  for (const ga of org.app.groups) {
    const group = org.groups.find((g) => g.id === ga.groupId);
    if (!group) continue;
    for (const id of group.members) if (!result.has(id)) result.set(id, { groupId: group.id, since: ga.lastUpdated });
  }
  return result;
}

/** One user's entry as listAssignedUsers would list it, without listing them all. */
export function findAssignedUser(org: EmulatedOktaOrg, userId: string): EffectiveAppUser | undefined {
  const access = appAccess(org, userId);
  const user = lookupUser(org, userId);
  if (access === undefined || user === undefined) return undefined;
  if (access.scope === "USER") {
    const assignment = findDirectAssignment(org, userId)!;
    return { user, scope: "USER", assignment };
  }
  return { user, scope: "GROUP", assignment: directAssignment(user, access.since) };
}

/**
 * The app's users as listAssignedUsers lists them, worked out again only when the org changed:
 * the helpers move the org clock, and edits behind their back show in a list replaced or resized.
 * A page of 500 out of 100,000 app users must not cost a full recomputation.
 */
export function assignedUsersCache() {
  let key: unknown[] = [];
  let value: EffectiveAppUser[] = [];
  return (org: EmulatedOktaOrg): EffectiveAppUser[] => {
    const next: unknown[] = [org, org.clock, org.users, org.users.length, org.groups, org.groups.length, org.app, org.app.users, org.app.users.length, org.app.groups, org.app.groups.length];
    for (const ga of org.app.groups) {
      const group = org.groups.find((g) => g.id === ga.groupId);
      next.push(ga, ga.groupId, ga.lastUpdated, group, group?.members, group?.members.length);
    }
    if (next.length !== key.length || next.some((part, i) => part !== key[i])) {
      value = listAssignedUsers(org);
      key = next;
    }
    return value;
  };
}
