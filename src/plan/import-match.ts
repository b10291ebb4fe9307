/**
 * Matching what Command already holds to Okta, for `import` and refreshes: pure.
 *
 * Users match by externalId (the Okta id Okta's own provisioning writes too), then by userName
 * ignoring case; groups by externalId, then by displayName ignoring case. A match that is not
 * unique on both sides is ambiguous and left unlinked: guessing would point the tool at the
 * wrong person.
 */
import { compareStrings, type DesiredState, type RemoteGroup, type RemoteUser, type Snapshot, type SnapshotGroup, type SnapshotUser } from "../model.js";

export interface Ambiguity {
  kind: "user" | "group";
  /** The Okta id, or the Command id when the ambiguity is on Okta's side. */
  key: string;
  name: string;
  candidates: string[];
  reason: string;
}

export interface ImportMatch {
  /** The links, as snapshot records holding what Command holds now. */
  snapshot: Snapshot;
  matchedUsers: { oktaId: string; scimId: string; userName: string; by: "externalId" | "userName" }[];
  matchedGroups: { oktaId: string; scimId: string; displayName: string; by: "externalId" | "displayName" }[];
  /** In Okta (assigned or pushed) but not found in Command: sync creates them. */
  unmatchedOkta: { users: { oktaId: string; userName: string }[]; groups: { oktaId: string; displayName: string }[] };
  /** In Command but not matched to Okta: the tool leaves them alone. */
  unmatchedCommand: { users: { scimId: string; userName: string }[]; groups: { scimId: string; displayName: string }[] };
  ambiguous: Ambiguity[];
}

function index<T>(items: readonly T[], key: (item: T) => string | undefined): Map<string, T[]> {
  const map = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    if (k === undefined || k === "") continue;
    const list = map.get(k) ?? [];
    list.push(item);
    map.set(k, list);
  }
  return map;
}

export function matchImport(desired: DesiredState, users: readonly RemoteUser[], groups: readonly RemoteGroup[]): ImportMatch {
  const ambiguous: Ambiguity[] = [];
  const byExternal = index(users, (u) => u.externalId);
  const byName = index(users, (u) => u.userName.toLowerCase());
  const taken = new Set<string>();
  const links: SnapshotUser[] = [];
  const matchedUsers: ImportMatch["matchedUsers"] = [];
  const unmatchedOktaUsers: ImportMatch["unmatchedOkta"]["users"] = [];

  const sortedDesired = [...desired.users].sort((a, b) => compareStrings(a.oktaId, b.oktaId));
  // First pass by externalId, so a userName match never takes a user that belongs to someone else.
  const pending: typeof sortedDesired = [];
  for (const user of sortedDesired) {
    const found = byExternal.get(user.oktaId) ?? [];
    if (found.length === 1) {
      const remote = found[0]!;
      taken.add(remote.id);
      links.push(link(user.oktaId, remote));
      matchedUsers.push({ oktaId: user.oktaId, scimId: remote.id, userName: remote.userName, by: "externalId" });
    } else if (found.length > 1) {
      for (const r of found) taken.add(r.id);
      ambiguous.push({ kind: "user", key: user.oktaId, name: user.userName, candidates: found.map((r) => r.id).sort(), reason: `${found.length} Command users have externalId ${user.oktaId}` });
    } else pending.push(user);
  }
  for (const user of pending) {
    const found = (byName.get(user.userName.toLowerCase()) ?? []).filter((r) => !taken.has(r.id));
    const foreign = found.filter((r) => r.externalId !== undefined && r.externalId !== "" && r.externalId !== user.oktaId);
    if (found.length === 1 && foreign.length === 0) {
      const remote = found[0]!;
      taken.add(remote.id);
      links.push(link(user.oktaId, remote));
      matchedUsers.push({ oktaId: user.oktaId, scimId: remote.id, userName: remote.userName, by: "userName" });
    } else if (found.length > 0) {
      for (const r of found) taken.add(r.id);
      const reason =
        found.length > 1
          ? `${found.length} Command users have the userName ${user.userName} (ignoring case)`
          : `Command user ${found[0]!.userName} has the same userName but is linked to another source (externalId ${found[0]!.externalId})`;
      ambiguous.push({ kind: "user", key: user.oktaId, name: user.userName, candidates: found.map((r) => r.id).sort(), reason });
    } else unmatchedOktaUsers.push({ oktaId: user.oktaId, userName: user.userName });
  }

  const oktaIdOfScim = new Map(links.map((l) => [l.scimId, l.oktaId]));
  const groupLinks: SnapshotGroup[] = [];
  const matchedGroups: ImportMatch["matchedGroups"] = [];
  const unmatchedOktaGroups: ImportMatch["unmatchedOkta"]["groups"] = [];
  const groupsByExternal = index(groups, (g) => g.externalId);
  const groupsByName = index(groups, (g) => g.displayName.toLowerCase());
  const takenGroups = new Set<string>();
  for (const group of [...desired.groups].sort((a, b) => compareStrings(a.oktaId, b.oktaId))) {
    let found = groupsByExternal.get(group.oktaId) ?? [];
    let by: "externalId" | "displayName" = "externalId";
    if (found.length === 0) {
      found = (groupsByName.get(group.displayName.toLowerCase()) ?? []).filter((g) => !takenGroups.has(g.id));
      by = "displayName";
    }
    const foreign = by === "displayName" && found.some((g) => g.externalId !== undefined && g.externalId !== "" && g.externalId !== group.oktaId);
    if (found.length === 1 && !foreign) {
      const remote = found[0]!;
      takenGroups.add(remote.id);
      const members = remote.memberIds.map((id) => oktaIdOfScim.get(id)).filter((id): id is string => id !== undefined);
      groupLinks.push({ oktaId: group.oktaId, scimId: remote.id, displayName: remote.displayName, members: [...new Set(members)].sort(compareStrings) });
      matchedGroups.push({ oktaId: group.oktaId, scimId: remote.id, displayName: remote.displayName, by });
    } else if (found.length > 0) {
      for (const g of found) takenGroups.add(g.id);
      const reason = found.length > 1 ? `${found.length} Command groups match ${by === "externalId" ? `externalId ${group.oktaId}` : `the name ${group.displayName}`}` : `Command group ${found[0]!.displayName} is linked to another source (externalId ${found[0]!.externalId})`;
      ambiguous.push({ kind: "group", key: group.oktaId, name: group.displayName, candidates: found.map((g) => g.id).sort(), reason });
    } else unmatchedOktaGroups.push({ oktaId: group.oktaId, displayName: group.displayName });
  }

  return {
    snapshot: { users: links.sort((a, b) => compareStrings(a.oktaId, b.oktaId)), groups: groupLinks },
    matchedUsers,
    matchedGroups,
    unmatchedOkta: { users: unmatchedOktaUsers, groups: unmatchedOktaGroups },
    unmatchedCommand: {
      users: users.filter((u) => !taken.has(u.id)).map((u) => ({ scimId: u.id, userName: u.userName })),
      groups: groups.filter((g) => !takenGroups.has(g.id)).map((g) => ({ scimId: g.id, displayName: g.displayName })),
    },
    ambiguous,
  };
}

function link(oktaId: string, remote: RemoteUser): SnapshotUser {
  return { oktaId, scimId: remote.id, userName: remote.userName, attributes: { ...remote.attributes, userName: remote.userName }, active: remote.active };
}
