/**
 * Narrowing a plan to some users or groups, for `backfill --group` and `sync --user`: pure.
 * Both sides are narrowed the same way, so the planner sees nothing outside the scope and can
 * neither deactivate nor delete anything there.
 */
import type { DesiredState, Snapshot } from "../model.js";

export interface Scope {
  /** Only these Okta users (undefined: every user). */
  userIds?: ReadonlySet<string>;
  /** Only these Okta groups (undefined: every group). */
  groupIds?: ReadonlySet<string>;
}

export function scopeInputs(desired: DesiredState, snapshot: Snapshot, scope: Scope): { desired: DesiredState; snapshot: Snapshot } {
  const inUsers = (id: string) => scope.userIds === undefined || scope.userIds.has(id);
  const inGroups = (id: string) => scope.groupIds === undefined || scope.groupIds.has(id);
  return {
    desired: {
      users: desired.users.filter((u) => inUsers(u.oktaId)),
      groups: desired.groups.filter((g) => inGroups(g.oktaId)).map((g) => ({ ...g, members: g.members.filter(inUsers) })),
      skipped: (desired.skipped ?? []).filter((u) => inUsers(u.oktaId)),
      warnings: desired.warnings,
    },
    snapshot: {
      users: snapshot.users.filter((u) => inUsers(u.oktaId)),
      groups: snapshot.groups.filter((g) => inGroups(g.oktaId)).map((g) => ({ ...g, members: g.members.filter(inUsers) })),
    },
  };
}

/**
 * The users a backfill of these groups pushes: their members who are assigned to the app. Held
 * members (in `oktaGroups`, the groups as Okta lists them) are in scope too, so the plan names
 * them and keeps their memberships as they are.
 */
export function membersOf(
  desired: DesiredState,
  groupIds: ReadonlySet<string>,
  oktaGroups: readonly { id: string; memberIds: readonly string[] }[] = [],
): Set<string> {
  const assigned = new Set(desired.users.map((u) => u.oktaId));
  const members = new Set<string>();
  for (const group of desired.groups) if (groupIds.has(group.oktaId)) for (const m of group.members) if (assigned.has(m)) members.add(m);
  const held = new Set((desired.skipped ?? []).map((u) => u.oktaId));
  for (const group of oktaGroups) if (groupIds.has(group.id)) for (const m of group.memberIds) if (held.has(m)) members.add(m);
  return members;
}
