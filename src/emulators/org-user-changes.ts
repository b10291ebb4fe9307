/**
 * Changes to users and their direct app assignments, as an admin makes them in Okta: each moves
 * the org clock on, keeps `lastUpdated` honest and records its System Log events.
 */
import { logAccessChange } from "./org-access-log.js";
import { appAccess, appProfileFor, directAssignment } from "./org-assignments.js";
import { findDirectAssignment, findUser } from "./org-lookup.js";
import { type EmulatedAppUser, type EmulatedOktaOrg, type EmulatedUser, type EmulatedUserProfile, type OktaUserStatus, tick } from "./okta-org.js";
import { appendLogEvent, appTarget, statusEventType, userTarget } from "./okta-system-log.js";
import { oktaId } from "./seeded-random.js";

/** Logs `user.lifecycle.create`. */
export function createUser(
  org: EmulatedOktaOrg,
  profile: Partial<EmulatedUserProfile> & { login: string },
  status: OktaUserStatus = "ACTIVE",
): EmulatedUser {
  const at = tick(org);
  const user: EmulatedUser = {
    id: oktaId("00u", org.seed, org.serial++),
    status,
    created: at,
    activated: status === "STAGED" ? null : at,
    statusChanged: at,
    lastLogin: null,
    lastUpdated: at,
    passwordChanged: null,
    profile: {
      email: profile.login,
      firstName: "",
      lastName: "",
      title: null,
      primaryPhone: null,
      mobilePhone: null,
      department: null,
      employeeNumber: null,
      ...profile,
    },
  };
  org.users.push(user);
  appendLogEvent(org, "user.lifecycle.create", [userTarget(user)], at);
  return user;
}

/**
 * Assigns a user to the app directly (scope USER); an existing direct assignment is updated.
 * Logs `application.user_membership.add` for a new direct assignment (also when the user had the
 * app through a group), `application.user_membership.change_profile` for an update.
 */
export function assignUser(
  org: EmulatedOktaOrg,
  userId: string,
  init: Partial<Pick<EmulatedAppUser, "externalId" | "status" | "userName" | "profile">> = {},
): EmulatedAppUser {
  const user = findUser(org, userId);
  const at = tick(org);
  let assignment = findDirectAssignment(org, userId);
  const added = !assignment;
  if (!assignment) {
    assignment = directAssignment(user, at);
    org.app.users.push(assignment);
  }
  Object.assign(assignment, init, { lastUpdated: at });
  const type = added ? "application.user_membership.add" : "application.user_membership.change_profile";
  appendLogEvent(org, type, [userTarget(user), appTarget(org.app)], at);
  return assignment;
}

/**
 * Removes a direct assignment. A user who is also in an assigned group stays assigned with scope
 * GROUP, as in Okta. Returns whether there was a direct assignment. Logs
 * `application.user_membership.remove`, or `.change_profile` when the user keeps the app through a group.
 */
export function unassignUser(org: EmulatedOktaOrg, userId: string): boolean {
  const index = org.app.users.findIndex((a) => a.userId === userId);
  if (index < 0) return false;
  org.app.users.splice(index, 1);
  const at = tick(org);
  logAccessChange(org, userId, { scope: "USER" }, appAccess(org, userId), at);
  return true;
}

/** Logs the lifecycle event of the change: deactivate, suspend, unsuspend, activate, reactivate, lock... */
export function setUserStatus(org: EmulatedOktaOrg, userId: string, status: OktaUserStatus): EmulatedUser {
  const user = findUser(org, userId);
  const at = tick(org);
  const from = user.status;
  user.status = status;
  user.statusChanged = at;
  user.lastUpdated = at;
  if (status === "ACTIVE" && user.activated === null) user.activated = at;
  appendLogEvent(org, statusEventType(from, status), [userTarget(user)], at);
  return user;
}

const MAPPED_ATTRIBUTES = new Set(Object.keys(appProfileFor({} as EmulatedUserProfile)));

/**
 * Changes profile attributes (null clears one); the direct assignment's app data follows, like
 * Okta's mappings. Logs `user.account.update_profile`, and `application.user_membership.change_profile`
 * when the user has the app and a mapped attribute or the login changed.
 */
export function updateProfile(
  org: EmulatedOktaOrg,
  userId: string,
  changes: Partial<EmulatedUserProfile>,
): EmulatedUser {
  const user = findUser(org, userId);
  const at = tick(org);
  const oldLogin = user.profile.login;
  Object.assign(user.profile, changes);
  user.lastUpdated = at;
  const assignment = findDirectAssignment(org, userId);
  if (assignment) {
    const mapped = appProfileFor(user.profile);
    for (const key of Object.keys(mapped)) {
      if (key in changes) assignment.profile[key] = mapped[key];
    }
    if (assignment.userName === oldLogin) assignment.userName = user.profile.login;
    assignment.lastUpdated = at;
  }
  appendLogEvent(org, "user.account.update_profile", [userTarget(user)], at);
  const appProfileChanged = Object.keys(changes).some((key) => key === "login" || MAPPED_ATTRIBUTES.has(key));
  if (appProfileChanged && (assignment || appAccess(org, userId))) {
    appendLogEvent(org, "application.user_membership.change_profile", [userTarget(user), appTarget(org.app)], at);
  }
  return user;
}
