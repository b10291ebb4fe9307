/**
 * Changes to groups, their members and their app assignments, as an admin makes them in Okta:
 * each moves the org clock on, keeps `lastUpdated` / `lastMembershipUpdated` honest and records
 * its System Log events, including those of users who gain or lose the app through the group.
 */
import { logAccessChange, logGroupAccessChanges, targetOf } from "./org-access-log.js";
import { appAccess, groupAccess } from "./org-assignments.js";
import { findGroup, findUser } from "./org-lookup.js";
import { type EmulatedGroup, type EmulatedGroupAssignment, type EmulatedOktaOrg, tick } from "./okta-org.js";
import { appendLogEvent, appTarget, groupTarget, userTarget } from "./okta-system-log.js";
import { oktaId } from "./seeded-random.js";

/**
 * Logs `group.user_membership.add`, and `application.user_membership.add` when the group is
 * assigned to the app and the user gets the app through it.
 */
export function addGroupMember(org: EmulatedOktaOrg, groupId: string, userId: string): boolean {
  const group = findGroup(org, groupId);
  const user = findUser(org, userId);
  if (group.members.includes(userId)) return false;
  const assigned = org.app.groups.some((ga) => ga.groupId === group.id);
  const before = assigned ? appAccess(org, userId) : undefined;
  group.members.push(userId);
  group.members.sort();
  const at = tick(org);
  group.lastMembershipUpdated = at;
  appendLogEvent(org, "group.user_membership.add", [userTarget(user), groupTarget(group)], at);
  if (assigned && before === undefined) logAccessChange(org, userId, undefined, appAccess(org, userId), at);
  return true;
}

/**
 * Logs `group.user_membership.remove`, and `application.user_membership.remove` when the user
 * loses the app with it.
 */
export function removeGroupMember(org: EmulatedOktaOrg, groupId: string, userId: string): boolean {
  const group = findGroup(org, groupId);
  const index = group.members.indexOf(userId);
  if (index < 0) return false;
  const assigned = org.app.groups.some((ga) => ga.groupId === group.id);
  const before = assigned ? appAccess(org, userId) : undefined;
  group.members.splice(index, 1);
  const at = tick(org);
  group.lastMembershipUpdated = at;
  appendLogEvent(org, "group.user_membership.remove", [targetOf(org, userId), groupTarget(group)], at);
  if (before !== undefined) {
    const after = appAccess(org, userId);
    if (after === undefined) logAccessChange(org, userId, before, after, at);
  }
  return true;
}

/** Logs `group.profile.update`. */
export function renameGroup(org: EmulatedOktaOrg, groupId: string, name: string): EmulatedGroup {
  const group = findGroup(org, groupId);
  group.name = name;
  const at = tick(org);
  group.lastUpdated = at;
  appendLogEvent(org, "group.profile.update", [groupTarget(group)], at);
  return group;
}

/** Logs `group.lifecycle.create`, then `group.user_membership.add` for each initial member. */
export function createGroup(
  org: EmulatedOktaOrg,
  name: string,
  init: { description?: string | null; members?: readonly string[] } = {},
): EmulatedGroup {
  const at = tick(org);
  for (const id of init.members ?? []) findUser(org, id);
  const group: EmulatedGroup = {
    id: oktaId("00g", org.seed, org.serial++),
    name,
    description: init.description ?? null,
    type: "OKTA_GROUP",
    created: at,
    lastUpdated: at,
    lastMembershipUpdated: at,
    members: [...new Set(init.members ?? [])].sort(),
  };
  org.groups.push(group);
  appendLogEvent(org, "group.lifecycle.create", [groupTarget(group)], at);
  for (const id of group.members) appendLogEvent(org, "group.user_membership.add", [targetOf(org, id), groupTarget(group)], at);
  return group;
}

/**
 * Assigns a group to the app: its members become app users with scope GROUP. Logs
 * `group.application_assignment.add` (`.update` when it was assigned already), then
 * `application.user_membership.add` for each member who gets the app through it, or
 * `.change_profile` for each whose group assignment changed.
 */
export function assignGroup(org: EmulatedOktaOrg, groupId: string, priority?: number): EmulatedGroupAssignment {
  const group = findGroup(org, groupId);
  const before = groupAccess(org);
  const at = tick(org);
  let assignment = org.app.groups.find((g) => g.groupId === group.id);
  const added = !assignment;
  if (!assignment) {
    assignment = { groupId: group.id, priority: priority ?? org.app.groups.length, lastUpdated: at, profile: {} };
    org.app.groups.push(assignment);
  } else {
    assignment.lastUpdated = at;
    if (priority !== undefined) assignment.priority = priority;
  }
  const type = added ? "group.application_assignment.add" : "group.application_assignment.update";
  appendLogEvent(org, type, [groupTarget(group), appTarget(org.app)], at);
  logGroupAccessChanges(org, group, before, at);
  return assignment;
}

/**
 * Logs `group.application_assignment.remove`, then `application.user_membership.remove` for each
 * member who loses the app with it (`.change_profile` for one who keeps it through another group).
 */
export function unassignGroup(org: EmulatedOktaOrg, groupId: string): boolean {
  const group = findGroup(org, groupId);
  const index = org.app.groups.findIndex((g) => g.groupId === group.id);
  if (index < 0) return false;
  const before = groupAccess(org);
  org.app.groups.splice(index, 1);
  const at = tick(org);
  appendLogEvent(org, "group.application_assignment.remove", [groupTarget(group), appTarget(org.app)], at);
  logGroupAccessChanges(org, group, before, at);
  return true;
}
