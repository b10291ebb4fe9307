/**
 * Recording the emulated org's System Log: the events Okta records when users, groups and app
 * assignments change, with their targets and the admin they are attributed to. Reading it back
 * (`GET /api/v1/logs`) is okta-log-query.ts.
 */
import type { EmulatedApp, EmulatedGroup, EmulatedLogActor, EmulatedLogEvent, EmulatedLogTarget, EmulatedOktaOrg, EmulatedUser } from "./okta-org.js";

const DISPLAY_MESSAGES: Record<string, string> = {
  "user.lifecycle.create": "Create Okta user",
  "user.lifecycle.activate": "Activate Okta user",
  "user.lifecycle.reactivate": "Reactivate Okta user",
  "user.lifecycle.deactivate": "Deactivate Okta user",
  "user.lifecycle.suspend": "Suspend Okta user",
  "user.lifecycle.unsuspend": "Unsuspend Okta user",
  "user.account.update_profile": "Update user profile for Okta",
  "user.account.lock": "Max sign in attempts exceeded",
  "user.account.unlock": "User account unlocked",
  "user.account.expire_password": "Expire user password",
  "user.account.reset_password": "Reset user password",
  "user.account.update_password": "Update user password",
  "application.user_membership.add": "Add user to application membership",
  "application.user_membership.remove": "Remove users from application membership",
  "application.user_membership.change_profile": "Update user's application profile",
  "group.user_membership.add": "Add user to group membership",
  "group.user_membership.remove": "Remove user from group membership",
  "group.lifecycle.create": "Create Okta group",
  "group.profile.update": "Update group profile",
  "group.application_assignment.add": "Add assigned application to group",
  "group.application_assignment.update": "Update assigned application in group",
  "group.application_assignment.remove": "Remove assigned application from group",
};

export const userTarget = (user: EmulatedUser): EmulatedLogTarget => ({
  id: user.id,
  type: "User",
  alternateId: user.profile.login,
  displayName: `${user.profile.firstName} ${user.profile.lastName}`.trim() || user.profile.login,
});

export const groupTarget = (group: EmulatedGroup): EmulatedLogTarget => ({
  id: group.id,
  type: "UserGroup",
  alternateId: "unknown",
  displayName: group.name,
});

export const appTarget = (app: EmulatedApp): EmulatedLogTarget => ({
  id: app.id,
  type: "AppInstance",
  alternateId: app.label,
  displayName: app.label,
});

/** The administrator every change of the emulated org is attributed to. */
export function logActor(org: EmulatedOktaOrg): EmulatedLogActor {
  return { id: "00uemulatedadmin0001", type: "User", alternateId: `admin@${org.domain}`, displayName: "Okta Admin" };
}

const hex = (n: number, width: number) => (n >>> 0).toString(16).padStart(width, "0").slice(-width);

/** A deterministic uuid: the seed, then the event's serial in the log. */
function eventUuid(seed: number, serial: number): string {
  const s = hex(Math.imul(seed ^ 0x51ed270b, 0x9e3779b1), 8);
  return `${s}-${hex(serial / 2 ** 32, 4)}-4${hex(serial >>> 16, 3)}-8${hex(serial >>> 4, 3)}-${hex(seed, 8)}${hex(serial, 4)}`;
}

/** Records an event at `published` (the org clock's time of the change) and returns it. */
export function appendLogEvent(
  org: EmulatedOktaOrg,
  eventType: string,
  target: EmulatedLogTarget[],
  published: string,
): EmulatedLogEvent {
  if (!Array.isArray(org.systemLog)) org.systemLog = [];
  org.logSerial = (org.logSerial ?? org.systemLog.length) + 1;
  const event: EmulatedLogEvent = {
    uuid: eventUuid(org.seed, org.logSerial),
    published,
    eventType,
    displayMessage: DISPLAY_MESSAGES[eventType] ?? eventType,
    severity: "INFO",
    actor: logActor(org),
    outcome: { result: "SUCCESS" },
    target,
  };
  org.systemLog.push(event);
  return event;
}

/** The event type Okta records for a change of a user's status. */
export function statusEventType(from: string, to: string): string {
  switch (to) {
    case "DEPROVISIONED":
      return "user.lifecycle.deactivate";
    case "SUSPENDED":
      return "user.lifecycle.suspend";
    case "LOCKED_OUT":
      return "user.account.lock";
    case "PASSWORD_EXPIRED":
      return "user.account.expire_password";
    case "RECOVERY":
      return "user.account.reset_password";
  }
  switch (from) {
    case "SUSPENDED":
      return "user.lifecycle.unsuspend";
    case "LOCKED_OUT":
      return "user.account.unlock";
    case "DEPROVISIONED":
      return "user.lifecycle.reactivate";
    case "PASSWORD_EXPIRED":
    case "RECOVERY":
      return "user.account.update_password";
    default:
      return "user.lifecycle.activate";
  }
}
