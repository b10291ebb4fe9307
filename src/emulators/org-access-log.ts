/**
 * The `application.user_membership.*` events Okta records when a change gives a user the app,
 * takes it away, or changes how they hold it.
 */
import type { EmulatedGroup, EmulatedLogTarget, EmulatedOktaOrg } from "./okta-org.js";
import { appendLogEvent, appTarget, userTarget } from "./okta-system-log.js";
import { type AppAccess, groupAccess } from "./org-assignments.js";
import { lookupUser } from "./org-lookup.js";

/** The log target of a user, also of one no longer in the org. */
export const targetOf = (org: EmulatedOktaOrg, userId: string): EmulatedLogTarget => {
  const user = lookupUser(org, userId);
  return user ? userTarget(user) : { id: userId, type: "User", alternateId: userId, displayName: userId };
};

/** application.user_membership.* for a user whose access went from `before` to `after`, if it changed. */
export function logAccessChange(org: EmulatedOktaOrg, userId: string, before: AppAccess, after: AppAccess, at: string): void {
  let type: string | undefined;
  if (before === undefined) type = after === undefined ? undefined : "application.user_membership.add";
  else if (after === undefined) type = "application.user_membership.remove";
  else if (before.scope !== after.scope) type = "application.user_membership.change_profile";
  else if (before.scope === "GROUP" && after.scope === "GROUP" && (before.groupId !== after.groupId || before.since !== after.since)) {
    type = "application.user_membership.change_profile";
  }
  if (type) appendLogEvent(org, type, [targetOf(org, userId), appTarget(org.app)], at);
}

/**
 * Logs the app access changes of a group's members after a change of the group's assignment,
 * given who had access through groups before it.
 */
export function logGroupAccessChanges(
  org: EmulatedOktaOrg,
  group: EmulatedGroup,
  before: Map<string, { groupId: string; since: string }>,
  at: string,
): void {
  const direct = new Set(org.app.users.map((a) => a.userId));
  const after = groupAccess(org);
  for (const id of group.members) {
    if (direct.has(id) || !lookupUser(org, id)) continue;
    const was = before.get(id);
    const now = after.get(id);
    logAccessChange(org, id, was && { scope: "GROUP", ...was }, now && { scope: "GROUP", ...now }, at);
  }
}
