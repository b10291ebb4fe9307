/**
 * Users, groups, the app and its assignments in the JSON shapes Okta's API answers with, links
 * absolute to `base` (the emulator's public URL).
 */
import type { EmulatedApp, EmulatedGroup, EmulatedGroupAssignment, EmulatedUser } from "./okta-org.js";
import { appProfileFor, type EffectiveAppUser } from "./org-assignments.js";

export function renderUser(base: string, user: EmulatedUser) {
  return {
    id: user.id,
    status: user.status,
    created: user.created,
    activated: user.activated,
    statusChanged: user.statusChanged,
    lastLogin: user.lastLogin,
    lastUpdated: user.lastUpdated,
    passwordChanged: user.passwordChanged,
    type: { id: "oty1emulatedusertype" },
    profile: { ...user.profile },
    credentials: { provider: { type: "OKTA", name: "OKTA" } },
    _links: { self: { href: `${base}/api/v1/users/${user.id}` } },
  };
}

export function renderGroup(base: string, group: EmulatedGroup) {
  return {
    id: group.id,
    created: group.created,
    lastUpdated: group.lastUpdated,
    lastMembershipUpdated: group.lastMembershipUpdated,
    objectClass: ["okta:user_group"],
    type: group.type,
    profile: { name: group.name, description: group.description },
    _links: {
      logo: [{ name: "medium", href: `${base}/img/logos/groups/okta-medium.png`, type: "image/png" }],
      users: { href: `${base}/api/v1/groups/${group.id}/users` },
      apps: { href: `${base}/api/v1/groups/${group.id}/apps` },
    },
  };
}

export function renderAppUser(base: string, app: EmulatedApp, entry: EffectiveAppUser, expandUser: boolean) {
  const { user, scope } = entry;
  // Through a group, the app data follows the user's profile as it is now.
  const assignment =
    scope === "GROUP" ? { ...entry.assignment, userName: user.profile.login, profile: appProfileFor(user.profile) } : entry.assignment;
  const appUser: Record<string, unknown> = {
    id: user.id,
    externalId: assignment.externalId,
    created: assignment.created,
    lastUpdated: assignment.lastUpdated,
    scope,
    status: assignment.status,
    statusChanged: assignment.statusChanged,
    passwordChanged: null,
    syncState: assignment.syncState,
    lastSync: assignment.lastUpdated,
    credentials: { userName: assignment.userName },
    profile: { ...assignment.profile },
    _links: {
      app: { href: `${base}/api/v1/apps/${app.id}` },
      user: { href: `${base}/api/v1/users/${user.id}` },
    },
  };
  if (expandUser) appUser._embedded = { user: renderUser(base, user) };
  return appUser;
}

export function renderGroupAssignment(
  base: string,
  app: EmulatedApp,
  assignment: EmulatedGroupAssignment,
  group: EmulatedGroup | undefined,
  expandGroup: boolean,
) {
  const rendered: Record<string, unknown> = {
    id: assignment.groupId,
    lastUpdated: assignment.lastUpdated,
    priority: assignment.priority,
    profile: { ...assignment.profile },
    _links: {
      app: { href: `${base}/api/v1/apps/${app.id}` },
      self: { href: `${base}/api/v1/apps/${app.id}/groups/${assignment.groupId}` },
      group: { href: `${base}/api/v1/groups/${assignment.groupId}` },
    },
  };
  if (expandGroup && group) rendered._embedded = { group: renderGroup(base, group) };
  return rendered;
}

export function renderApp(base: string, app: EmulatedApp) {
  return {
    id: app.id,
    name: app.name,
    label: app.label,
    status: app.status,
    created: app.created,
    lastUpdated: app.lastUpdated,
    signOnMode: app.signOnMode,
    features: ["PUSH_NEW_USERS", "PUSH_USER_DEACTIVATION", "PUSH_PROFILE_UPDATES", "GROUP_PUSH", "REACTIVATE_USERS"],
    accessibility: { selfService: false, errorRedirectUrl: null, loginRedirectUrl: null },
    visibility: { autoSubmitToolbar: false, hide: { iOS: false, web: false }, appLinks: { login: true } },
    credentials: { userNameTemplate: { template: `\${source.login}`, type: "BUILT_IN" }, signing: {} },
    settings: { app: {} },
    _links: {
      users: { href: `${base}/api/v1/apps/${app.id}/users` },
      groups: { href: `${base}/api/v1/apps/${app.id}/groups` },
    },
  };
}
