/**
 * The planner: (desired, snapshot, options) -> Plan. Pure: no I/O, no clock, never mutates its
 * inputs; the same inputs give the same plan.
 *
 * Operations come out grouped by kind (group creates and renames; user creates, updates and
 * reactivations; memberships; deactivations; group deletions), sorted by Okta id inside each
 * kind. The applier runs them in its own phases (users before groups, so a new group is created
 * with its first members).
 */
import {
  compareStrings,
  type DesiredState,
  type DesiredUser,
  type MemberRef,
  type Operation,
  type Plan,
  type Snapshot,
  type SnapshotUser,
  type UserAttributes,
} from "../model.js";

export interface PlanOptions {
  /** What happens to a group in the snapshot that is no longer pushed. */
  onRemove: "keep" | "delete";
  /**
   * A changed userName: `update` sends it (Command may ignore it), `recreate` deactivates the
   * old Command user and creates a new one for the same Okta user, `skip` keeps the old one.
   */
  onUserNameChange?: "update" | "recreate" | "skip";
}

/** The attributes that differ: `before` and `after` hold only changed keys; a missing key is empty. */
export function diffAttributes(
  before: UserAttributes,
  after: UserAttributes,
): { before: Record<string, string>; after: Record<string, string> } | undefined {
  if (sameAttributes(before, after)) return undefined;
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort(compareStrings);
  const changedBefore: Record<string, string> = {};
  const changedAfter: Record<string, string> = {};
  let changed = false;
  for (const key of keys) {
    const was = before[key];
    const now = after[key];
    if (was === now) continue;
    changed = true;
    if (was !== undefined) changedBefore[key] = was;
    if (now !== undefined) changedAfter[key] = now;
  }
  return changed ? { before: changedBefore, after: changedAfter } : undefined;
}

/**
 * Whether both hold the same values under the same keys, without building anything: most users
 * of a large org did not change, and this is asked once per user.
 */
function sameAttributes(before: UserAttributes, after: UserAttributes): boolean {
  // An unchanged user's desired attributes are often the snapshot's own object.
  if (before === after) return true;
  let count = 0;
  for (const key in after) {
    if (!Object.hasOwn(after, key)) continue;
    if (!Object.hasOwn(before, key) || before[key] !== after[key]) return false;
    count += 1;
  }
  for (const key in before) if (Object.hasOwn(before, key)) count -= 1;
  return count === 0;
}

export function plan(desired: DesiredState, snapshot: Snapshot, options: PlanOptions): Plan {
  const skipped = [...(desired.skipped ?? [])].sort(byOktaId);
  // Held users: assigned in Okta but not pushable. Their Command user and its memberships stay
  // exactly as the snapshot has them; only leaving the app deactivates.
  const held = new Set(skipped.map((u) => u.oktaId));
  // Built in loops: no pair array per user on the way (an org of 100,000 users makes 200,000).
  const desiredUsers = new Map<string, DesiredUser>();
  for (const u of desired.users) if (!held.has(u.oktaId)) desiredUsers.set(u.oktaId, u);
  const snapshotUsers = new Map<string, SnapshotUser>();
  for (const u of snapshot.users) snapshotUsers.set(u.oktaId, u);
  const snapshotGroups = new Map(snapshot.groups.map((g) => [g.oktaId, g]));

  const warnings: string[] = [...desired.warnings];
  const groupChanges: Operation[] = [];
  const userChanges: Operation[] = [];
  const reactivations: Operation[] = [];
  const memberships: Operation[] = [];
  const deactivations: Operation[] = [];
  const groupDeletions: Operation[] = [];

  for (const user of [...desiredUsers.values()].sort(byOktaId)) {
    const known = snapshotUsers.get(user.oktaId);
    if (known === undefined) {
      // Users who are not active in Okta are not created just to be deactivated.
      if (user.active) userChanges.push({ type: "createUser", oktaId: user.oktaId, userName: user.userName, after: user.attributes });
      continue;
    }
    if (!user.active) {
      if (known.active) deactivations.push(deactivate(known));
      continue;
    }
    const renamed = known.userName !== user.userName;
    const mode = options.onUserNameChange ?? "update";
    if (renamed && mode === "recreate") {
      warnings.push(`${known.userName} -> ${user.userName}: userName changed; the old Command user is deactivated and a new one created (users.onUserNameChange: recreate)`);
      userChanges.push({ type: "createUser", oktaId: user.oktaId, userName: user.userName, after: user.attributes, replaces: { scimId: known.scimId, userName: known.userName } });
      continue;
    }
    const wanted = renamed && mode === "skip" ? { ...user.attributes, userName: known.userName } : user.attributes;
    if (renamed && mode === "skip") warnings.push(`${known.userName} -> ${user.userName}: userName change skipped (users.onUserNameChange: skip)`);
    if (renamed && mode === "update") {
      warnings.push(
        `${known.userName} -> ${user.userName}: userName changed; Command may not apply a changed userName (a known issue); users.onUserNameChange: recreate replaces the Command user instead`,
      );
    }
    const diff = diffAttributes(known.attributes, wanted);
    if (diff !== undefined) {
      userChanges.push({
        type: "updateUser",
        oktaId: user.oktaId,
        scimId: known.scimId,
        userName: wanted.userName ?? user.userName,
        before: diff.before,
        after: diff.after,
        attributes: wanted,
        // The update must not change `active` on its own; reactivation is its own operation.
        active: known.active,
      });
    }
    if (!known.active) reactivations.push({ type: "reactivateUser", oktaId: user.oktaId, scimId: known.scimId, userName: user.userName });
  }

  // A user who left the app is deactivated, never deleted.
  for (const known of [...snapshot.users].sort(byOktaId)) {
    if (!desiredUsers.has(known.oktaId) && !held.has(known.oktaId) && known.active) deactivations.push(deactivate(known));
  }

  const activeMember = (oktaId: string): boolean => desiredUsers.get(oktaId)?.active === true;
  // One reference per user, however many groups it is added to or removed from.
  const refs = new Map<string, MemberRef>();
  const memberRef = (oktaId: string): MemberRef => {
    let ref = refs.get(oktaId);
    if (ref === undefined) {
      ref = { oktaId, userName: desiredUsers.get(oktaId)?.userName ?? snapshotUsers.get(oktaId)?.userName ?? oktaId };
      refs.set(oktaId, ref);
    }
    return ref;
  };

  const desiredGroupIds = new Set<string>();
  for (const group of [...desired.groups].sort(byOktaId)) {
    desiredGroupIds.add(group.oktaId);
    // Deactivated users are taken out of pushed groups.
    const members = [...new Set(group.members.filter(activeMember))].sort(compareStrings);
    const known = snapshotGroups.get(group.oktaId);
    if (known === undefined) {
      groupChanges.push({ type: "createGroup", oktaGroupId: group.oktaId, displayName: group.displayName });
      if (members.length > 0) {
        memberships.push({ type: "addMembers", oktaGroupId: group.oktaId, displayName: group.displayName, members: members.map(memberRef) });
      }
      continue;
    }
    if (known.displayName !== group.displayName) {
      groupChanges.push({
        type: "updateGroup",
        oktaGroupId: group.oktaId,
        scimId: known.scimId,
        before: { displayName: known.displayName },
        after: { displayName: group.displayName },
      });
    }
    const had = new Set(known.members);
    const wanted = new Set(members);
    const added = members.filter((id) => !had.has(id));
    const removed = [...known.members].filter((id) => !wanted.has(id) && !held.has(id)).sort(compareStrings);
    if (added.length > 0) {
      memberships.push({ type: "addMembers", oktaGroupId: group.oktaId, displayName: group.displayName, members: added.map(memberRef) });
    }
    if (removed.length > 0) {
      memberships.push({ type: "removeMembers", oktaGroupId: group.oktaId, displayName: group.displayName, members: removed.map(memberRef) });
    }
  }

  if (options.onRemove === "delete") {
    for (const known of [...snapshot.groups].sort(byOktaId)) {
      if (!desiredGroupIds.has(known.oktaId)) {
        groupDeletions.push({ type: "deleteGroup", oktaGroupId: known.oktaId, scimId: known.scimId, displayName: known.displayName });
      }
    }
  }

  return {
    operations: [...groupChanges, ...userChanges, ...reactivations, ...memberships, ...deactivations, ...groupDeletions],
    warnings,
    skipped,
  };
}

function deactivate(user: SnapshotUser): Operation {
  return { type: "deactivateUser", oktaId: user.oktaId, scimId: user.scimId, userName: user.userName };
}

function byOktaId(a: DesiredUser | SnapshotUser | { oktaId: string }, b: { oktaId: string }): number {
  return compareStrings(a.oktaId, b.oktaId);
}
