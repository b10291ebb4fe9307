/**
 * The groups to push, read from Okta in as few requests as the work allows: which groups is
 * group-selection.ts's call, and a group's members are read again only when its
 * `lastMembershipUpdated` moved since the last pull.
 */
import { GROUP_ID, isPattern } from "../config/name-patterns.js";
import { ProtocolError } from "../errors.js";
import type { OktaConnection } from "./client.js";
import { assignedGroups, type GroupRef, getGroupRef, searchGroups, searchString } from "./group-refs.js";
import { selectGroups } from "./group-selection.js";
import { forEachLimited, rawCollection, readPages } from "./pages.js";
import type { OktaGroupView } from "./types.js";

export { assignedGroups, type GroupRef } from "./group-refs.js";
export { GROUP_ID } from "../config/name-patterns.js";

const MEMBERS_PAGE_SIZE = 1000;

export interface ReadGroupsOptions {
  appId: string;
  groups: readonly string[] | "assigned";
  /** `groups.exclude`: taken out of what `groups` selects. */
  exclude?: readonly string[] | undefined;
  /** The groups as the last pull read them: members of an unmoved group are reused. */
  previous?: ReadonlyMap<string, OktaGroupView> | undefined;
  /** Groups whose members are read at once. Default 4. */
  concurrency?: number;
  onProgress?: ((event: { kind: "groups" | "members"; read: number }) => void) | undefined;
}

export interface ReadGroupsResult {
  groups: OktaGroupView[];
  /** Groups whose members were reused from the last pull. */
  reused: number;
  /** A pattern that matched no group, an exclusion that took nothing out. */
  warnings: string[];
}

/** Resolves one `groups.push` entry as the pull does, with the same errors (`check`). */
export async function resolvePushEntry(connection: OktaConnection, appId: string, entry: string): Promise<{ refs: GroupRef[]; warnings: string[] }> {
  return selectGroups(connection, { appId, push: entry === "assigned" ? "assigned" : [entry] });
}

/**
 * `shared`: one string per user id across the groups read (most users are in several), so the
 * member lists of a large org do not hold a copy of an id per membership.
 */
async function readMemberIds(connection: OktaConnection, groupId: string, shared: Map<string, string>, onPage: (count: number) => void): Promise<string[]> {
  const collection = rawCollection(connection, `/api/v1/groups/${encodeURIComponent(groupId)}/users`, { limit: MEMBERS_PAGE_SIZE });
  const ids = new Set<string>();
  await readPages(connection, collection, (page) => {
    for (const user of page as readonly { id?: unknown }[]) {
      if (typeof user?.id !== "string") throw new ProtocolError(`Okta listed a member of group ${groupId} without an id`);
      let id = shared.get(user.id);
      if (id === undefined) {
        id = user.id;
        shared.set(id, id);
      }
      ids.add(id);
    }
    onPage(page.length);
  });
  return [...ids].sort();
}

/**
 * The groups to push with their members. A group's metadata is always read before its members,
 * so a change racing the read moves `lastMembershipUpdated` past what is kept, and the next pull
 * reads the members again.
 */
export async function readGroups(connection: OktaConnection, options: ReadGroupsOptions): Promise<ReadGroupsResult> {
  const { refs, warnings } = await selectGroups(connection, { appId: options.appId, push: options.groups, exclude: options.exclude });
  return { ...(await withMembers(connection, refs, options)), warnings };
}

/** Reads the members of each group whose lastMembershipUpdated moved; reuses the others'. */
async function withMembers(connection: OktaConnection, resolved: readonly GroupRef[], options: ReadGroupsOptions): Promise<Omit<ReadGroupsResult, "warnings">> {
  const refs: GroupRef[] = [];
  const seen = new Set<string>();
  for (const ref of resolved) {
    if (seen.has(ref.id)) continue;
    seen.add(ref.id);
    refs.push(ref);
  }
  options.onProgress?.({ kind: "groups", read: refs.length });

  const members = new Map<string, string[]>();
  let reused = 0;
  const toRead: GroupRef[] = [];
  for (const ref of refs) {
    const previous = options.previous?.get(ref.id);
    if (previous !== undefined && ref.lastMembershipUpdated !== undefined && previous.lastMembershipUpdated === ref.lastMembershipUpdated) {
      members.set(ref.id, previous.memberIds);
      reused += 1;
    } else toRead.push(ref);
  }
  let read = 0;
  const shared = new Map<string, string>();
  await forEachLimited(toRead, options.concurrency ?? 4, async (ref) => {
    members.set(
      ref.id,
      await readMemberIds(connection, ref.id, shared, (count) => {
        read += count;
        options.onProgress?.({ kind: "members", read });
      }),
    );
  });
  return {
    groups: refs.map((ref) => ({ id: ref.id, name: ref.name, lastMembershipUpdated: ref.lastMembershipUpdated, memberIds: members.get(ref.id)! })),
    reused,
  };
}

export interface GroupDelta {
  /** By Okta's clock: groups updated after this are read again (a margin before the log checkpoint). */
  since: string;
  /** Groups the System Log named since then. */
  log: { assignment: ReadonlySet<string>; renamed: ReadonlySet<string>; deleted: ReadonlySet<string> };
}

/**
 * The groups as the last pull read them, brought up to date with one search for the groups
 * updated (renamed, or members changed) since `delta.since`. Returns a reason instead when only
 * a full read can answer: `groups.push` changed, or a group it names by name was renamed or
 * deleted (the full read reports that as a configuration problem).
 */
export async function readGroupsSince(
  connection: OktaConnection,
  options: ReadGroupsOptions & { previous: ReadonlyMap<string, OktaGroupView> },
  delta: GroupDelta,
): Promise<ReadGroupsResult | string> {
  const { previous } = options;
  // A new or renamed group may now match a pattern, or an exclusion: only a full read can tell.
  if ((options.exclude?.length ?? 0) > 0 || (options.groups !== "assigned" && options.groups.some((e) => e.trim() === "assigned" || isPattern(e.trim())))) {
    return "groups.push or groups.exclude has patterns or exclusions";
  }
  let refs: GroupRef[];
  if (options.groups === "assigned") {
    const changed = delta.log.assignment.size > 0 || [...delta.log.deleted].some((id) => previous.has(id));
    refs = changed
      ? await assignedGroups(connection, options.appId)
      : [...previous.values()].map((g) => ({ id: g.id, name: g.name, lastMembershipUpdated: g.lastMembershipUpdated }));
  } else {
    const byName = new Map<string, OktaGroupView>();
    for (const group of previous.values()) byName.set(group.name, group);
    refs = [];
    for (const raw of options.groups) {
      const entry = raw.trim();
      const group = GROUP_ID.test(entry) ? previous.get(entry) : byName.get(entry);
      if (group === undefined) return "groups.push changed since the last pull";
      if (delta.log.deleted.has(group.id) || (!GROUP_ID.test(entry) && delta.log.renamed.has(group.id))) {
        return `group ${group.name} was renamed or deleted in Okta`;
      }
      refs.push({ id: group.id, name: group.name, lastMembershipUpdated: group.lastMembershipUpdated });
    }
  }
  const byId = new Map(refs.map((ref) => [ref.id, ref]));
  const names = new Set(options.groups === "assigned" ? [] : options.groups.map((entry) => entry.trim()).filter((entry) => !GROUP_ID.test(entry)));
  const search = `lastUpdated gt ${searchString(delta.since)} or lastMembershipUpdated gt ${searchString(delta.since)}`;
  const found = new Set<string>();
  const update = (group: GroupRef): string | undefined => {
    const ref = byId.get(group.id);
    if (ref === undefined) {
      // Another group now carries a pushed name: the full read reports it as ambiguous.
      return names.has(group.name) ? `another Okta group is now named "${group.name}"` : undefined;
    }
    found.add(group.id);
    if (ref.name !== group.name && names.has(ref.name)) return `group ${ref.name} was renamed in Okta`;
    ref.name = group.name;
    ref.lastMembershipUpdated = group.lastMembershipUpdated;
    return undefined;
  };
  for (const group of await searchGroups(connection, search)) {
    const reason = update(group);
    if (reason !== undefined) return reason;
  }
  // A rename the log reports but the search missed (its index lags): read that group itself.
  for (const id of delta.log.renamed) {
    if (!byId.has(id) || found.has(id) || delta.log.deleted.has(id)) continue;
    const reason = update(await getGroupRef(connection, id));
    if (reason !== undefined) return reason;
  }
  return { ...(await withMembers(connection, refs, options)), warnings: [] };
}
