/** Small builders for domain data, so tests read as the situation they describe. */
import type { DesiredGroup, DesiredState, DesiredUser, Operation, Plan, SkippedUser, Snapshot, SnapshotGroup, SnapshotUser } from "../../src/model.js";
import type { OktaAppUserView } from "../../src/okta/types.js";

export function desiredUser(oktaId: string, overrides: Partial<DesiredUser> & { attrs?: Record<string, string> } = {}): DesiredUser {
  const userName = overrides.userName ?? `${oktaId}@example.com`;
  const { attrs, ...rest } = overrides;
  return {
    oktaId,
    userName,
    active: true,
    ...rest,
    attributes: { userName, ...(attrs ?? overrides.attributes ?? {}) },
  };
}

export function snapshotUser(oktaId: string, overrides: Partial<SnapshotUser> & { attrs?: Record<string, string> } = {}): SnapshotUser {
  const userName = overrides.userName ?? `${oktaId}@example.com`;
  const { attrs, ...rest } = overrides;
  return {
    oktaId,
    scimId: `scim-${oktaId}`,
    userName,
    active: true,
    ...rest,
    attributes: { userName, ...(attrs ?? overrides.attributes ?? {}) },
  };
}

export function desiredGroup(oktaId: string, displayName: string, members: string[] = []): DesiredGroup {
  return { oktaId, displayName, members: [...members].sort() };
}

export function snapshotGroup(oktaId: string, displayName: string, members: string[] = []): SnapshotGroup {
  return { oktaId, scimId: `scim-${oktaId}`, displayName, members: [...members].sort() };
}

export function desired(users: DesiredUser[], groups: DesiredGroup[] = [], skipped: SkippedUser[] = []): DesiredState {
  return { users, groups, warnings: [], ...(skipped.length > 0 ? { skipped } : {}) };
}

/** An assigned Okta user who cannot be pushed, held as it is in Command. */
export function heldUser(oktaId: string, reason = "its email is not a valid address"): SkippedUser {
  return { oktaId, login: `${oktaId}@example.com`, reason };
}

export function snapshot(users: SnapshotUser[], groups: SnapshotGroup[] = []): Snapshot {
  return { users, groups };
}

/**
 * What the snapshot becomes when every operation of the plan succeeds: the same commits the
 * applier makes, without Command in between.
 */
export function applyToSnapshot(before: Snapshot, plan: Plan): Snapshot {
  const users = new Map(before.users.map((u) => [u.oktaId, { ...u }]));
  const groups = new Map(before.groups.map((g) => [g.oktaId, { ...g, members: new Set(g.members) }]));
  for (const op of plan.operations as Operation[]) {
    switch (op.type) {
      case "createUser":
        users.set(op.oktaId, { oktaId: op.oktaId, scimId: `scim-${op.oktaId}`, userName: op.userName, attributes: op.after, active: true });
        break;
      case "updateUser": {
        const user = users.get(op.oktaId)!;
        users.set(op.oktaId, { ...user, userName: op.userName, attributes: op.attributes });
        break;
      }
      case "deactivateUser":
      case "reactivateUser":
        users.get(op.oktaId)!.active = op.type === "reactivateUser";
        break;
      case "createGroup":
        groups.set(op.oktaGroupId, { oktaId: op.oktaGroupId, scimId: `scim-${op.oktaGroupId}`, displayName: op.displayName, members: new Set() });
        break;
      case "updateGroup":
        groups.get(op.oktaGroupId)!.displayName = op.after.displayName;
        break;
      case "deleteGroup":
        groups.delete(op.oktaGroupId);
        break;
      case "addMembers":
        for (const m of op.members) groups.get(op.oktaGroupId)!.members.add(m.oktaId);
        break;
      case "removeMembers":
        for (const m of op.members) groups.get(op.oktaGroupId)!.members.delete(m.oktaId);
        break;
    }
  }
  return {
    users: [...users.values()],
    groups: [...groups.values()].map((g) => ({ ...g, members: [...g.members].sort() })),
  };
}

/** An app user as the Okta pull hands it over: assigned as a user, with the given Okta status and profile. */
export function oktaAppUser(id: string, login: string, profile: Record<string, unknown> = {}, status = "ACTIVE"): OktaAppUserView {
  return { id, scope: "USER", status: "PROVISIONED", userName: login, profile: {}, user: { id, status, profile: { login, ...profile } } };
}
