/**
 * Drift: what changed in Command behind the tool's back. Pure: the snapshot and a fresh read of
 * Command's users and groups give the snapshot as Command really holds it, and the differences
 * as a list to show apart from Okta's changes.
 */
import { compareStrings, type RemoteGroup, type RemoteUser, type Snapshot, type SnapshotGroup, type SnapshotUser } from "../model.js";
import { diffAttributes } from "./planner.js";

export type DriftKind =
  | "userDeleted"
  | "userChanged"
  | "userReactivated"
  | "userDeactivated"
  | "groupDeleted"
  | "groupRenamed"
  | "membersAdded"
  | "membersRemoved"
  | "unmanagedMembers";

export interface Drift {
  kind: DriftKind;
  /** userName or group name. */
  target: string;
  detail: string;
}

export function refreshSnapshot(snapshot: Snapshot, users: readonly RemoteUser[], groups: readonly RemoteGroup[]): { snapshot: Snapshot; drift: Drift[] } {
  const drift: Drift[] = [];
  const remoteUsers = new Map(users.map((u) => [u.id, u]));
  const refreshedUsers: SnapshotUser[] = [];
  for (const known of snapshot.users) {
    const remote = remoteUsers.get(known.scimId);
    if (remote === undefined) {
      drift.push({ kind: "userDeleted", target: known.userName, detail: "deleted in Command" });
      continue;
    }
    const attributes = { ...remote.attributes, userName: remote.userName };
    const diff = diffAttributes(known.attributes, attributes);
    if (diff !== undefined) {
      const keys = [...new Set([...Object.keys(diff.before), ...Object.keys(diff.after)])].sort(compareStrings);
      const changes = keys.map((k) => `${k}: ${JSON.stringify(diff.before[k] ?? null)} -> ${JSON.stringify(diff.after[k] ?? null)}`);
      drift.push({ kind: "userChanged", target: known.userName, detail: `changed in Command: ${changes.join("; ")}` });
    }
    if (remote.active !== known.active) {
      drift.push(
        remote.active
          ? { kind: "userReactivated", target: known.userName, detail: "reactivated in Command" }
          : { kind: "userDeactivated", target: known.userName, detail: "deactivated in Command" },
      );
    }
    refreshedUsers.push({ ...known, userName: remote.userName, attributes, active: remote.active });
  }

  const oktaIdOf = new Map(refreshedUsers.map((u) => [u.scimId, u.oktaId]));
  const userNameOf = new Map(refreshedUsers.map((u) => [u.oktaId, u.userName]));
  const remoteGroups = new Map(groups.map((g) => [g.id, g]));
  const refreshedGroups: SnapshotGroup[] = [];
  for (const known of snapshot.groups) {
    const remote = remoteGroups.get(known.scimId);
    if (remote === undefined) {
      drift.push({ kind: "groupDeleted", target: known.displayName, detail: "deleted in Command" });
      continue;
    }
    if (remote.displayName !== known.displayName) {
      drift.push({ kind: "groupRenamed", target: known.displayName, detail: `renamed in Command to ${JSON.stringify(remote.displayName)}` });
    }
    const members = new Set<string>();
    let unmanaged = 0;
    for (const id of remote.memberIds) {
      const oktaId = oktaIdOf.get(id);
      if (oktaId === undefined) unmanaged += 1;
      else members.add(oktaId);
    }
    const had = new Set(known.members);
    const added = [...members].filter((id) => !had.has(id)).sort(compareStrings);
    const removed = known.members.filter((id) => !members.has(id));
    const names = (ids: readonly string[]) => ids.map((id) => userNameOf.get(id) ?? id).join(", ");
    if (added.length > 0) drift.push({ kind: "membersAdded", target: known.displayName, detail: `added in Command: ${names(added)}` });
    if (removed.length > 0) drift.push({ kind: "membersRemoved", target: known.displayName, detail: `removed in Command: ${names(removed)}` });
    if (unmanaged > 0) {
      drift.push({ kind: "unmanagedMembers", target: known.displayName, detail: `${unmanaged} member(s) in Command that this tool does not manage (left alone)` });
    }
    refreshedGroups.push({ ...known, displayName: remote.displayName, members: [...members].sort(compareStrings) });
  }
  return { snapshot: { users: refreshedUsers, groups: refreshedGroups }, drift };
}
