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
    const members = sortedUnique(group.members.filter(activeMember));
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
    const { added, removed } = memberChanges(sorted(known.members), members, held);
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

/** Sorted and unique; lists that already are (the pull's and the snapshot's) are only checked. */
function sortedUnique(ids: string[]): string[] {
  for (let i = 1; i < ids.length; i++) if (compareStrings(ids[i - 1]!, ids[i]!) >= 0) return [...new Set(ids)].sort(compareStrings);
  return ids;
}

/** In order (repeats kept); a list that already is (the snapshot's) is only checked. */
function sorted(ids: readonly string[]): readonly string[] {
  for (let i = 1; i < ids.length; i++) if (compareStrings(ids[i - 1]!, ids[i]!) > 0) return [...ids].sort(compareStrings);
  return ids;
}

/**
 * Members to add and to remove (held users never are), in one walk of the two sorted lists:
 * `had` may repeat an id (each repeat is removed, as listed), `wanted` is unique.
 */
function memberChanges(had: readonly string[], wanted: readonly string[], held: ReadonlySet<string>): { added: string[]; removed: string[] } {
  const added: string[] = [];
  const removed: string[] = [];
  let i = 0;
  let j = 0;
  let matched = false;
  while (i < had.length || j < wanted.length) {
    const order = i === had.length ? 1 : j === wanted.length ? -1 : compareStrings(had[i]!, wanted[j]!);
    if (order === 0) {
      matched = true;
      i += 1;
    } else if (order < 0) {
      if (!held.has(had[i]!)) removed.push(had[i]!);
      i += 1;
    } else {
      if (!matched) added.push(wanted[j]!);
      matched = false;
      j += 1;
    }
  }
  return { added, removed };
}

function deactivate(user: SnapshotUser): Operation {
  return { type: "deactivateUser", oktaId: user.oktaId, scimId: user.scimId, userName: user.userName };
}

function byOktaId(a: DesiredUser | SnapshotUser | { oktaId: string }, b: { oktaId: string }): number {
  return compareStrings(a.oktaId, b.oktaId);
}
