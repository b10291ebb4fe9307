/**
 * The groups to push, read from Okta in as few requests as the work allows: the configured names
 * and ids are resolved in batched searches (a page of up to 200 groups per request), and a group's
 * members are read again only when its `lastMembershipUpdated` moved since the last pull.
 */
import { ConfigError, ProtocolError } from "../errors.js";
import { getJson, type OktaConnection } from "./client.js";
import { forEachLimited, isNotFound, rawCollection, readPages } from "./pages.js";
import { oktaTime } from "./time.js";
import type { OktaGroupView } from "./types.js";

const APP_GROUPS_PAGE_SIZE = 200;
const GROUPS_PAGE_SIZE = 200;
const MEMBERS_PAGE_SIZE = 1000;
/** Clauses per search request, and a bound on the URL-encoded expression, to keep URLs short. */
const SEARCH_CLAUSES = 50;
const SEARCH_CHARS = 3500;
/** Okta object ids are 20 characters; groups start with 00g. */
export const GROUP_ID = /^00g[0-9A-Za-z]{17}$/;

export interface GroupRef {
  id: string;
  name: string;
  lastMembershipUpdated?: string | undefined;
}

export interface ReadGroupsOptions {
  appId: string;
  groups: readonly string[] | "assigned";
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
}

export function groupRef(value: unknown): GroupRef | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const { id, profile, lastMembershipUpdated } = value as { id?: unknown; profile?: { name?: unknown }; lastMembershipUpdated?: unknown };
  if (typeof id !== "string" || typeof profile?.name !== "string") return undefined;
  return { id, name: profile.name, lastMembershipUpdated: oktaTime(lastMembershipUpdated) };
}

/** Okta search values are double-quoted; backslash and quote are escaped. */
export function searchString(value: string): string {
  return `"${value.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

export async function getGroupRef(connection: OktaConnection, groupId: string, entry?: string): Promise<GroupRef> {
  let group: unknown;
  try {
    group = await getJson(connection, `/api/v1/groups/${encodeURIComponent(groupId)}`);
  } catch (error) {
    if (entry !== undefined && isNotFound(error)) {
      throw new ConfigError([`groups.push: Okta has no group with id ${entry}`], "check the id in the Okta admin console (Directory > Groups)");
    }
    throw error;
  }
  const ref = groupRef(group);
  if (!ref) throw new ProtocolError(`Okta answered GET /api/v1/groups/${groupId} without a group name`);
  return ref;
}

async function searchGroups(connection: OktaConnection, search: string): Promise<GroupRef[]> {
  const collection = rawCollection(connection, "/api/v1/groups", { search, limit: GROUPS_PAGE_SIZE });
  const found: GroupRef[] = [];
  await readPages(connection, collection, (page) => {
    for (const item of page) {
      const ref = groupRef(item);
      if (ref) found.push(ref);
    }
  });
  return found;
}

/** Splits search clauses into `or` expressions of bounded size. */
function batches(clauses: readonly string[]): string[] {
  const out: string[] = [];
  let current: string[] = [];
  let length = 0;
  for (const clause of clauses) {
    const size = encodeURIComponent(` or ${clause}`).length;
    if (current.length > 0 && (current.length >= SEARCH_CLAUSES || length + size > SEARCH_CHARS)) {
      out.push(current.join(" or "));
      current = [];
      length = 0;
    }
    current.push(clause);
    length += size;
  }
  if (current.length > 0) out.push(current.join(" or "));
  return out;
}

/**
 * Resolves `groups.push` entries (names, matched exactly, or 00g ids) in batched searches. Every
 * entry that cannot be resolved is reported at once.
 */
export async function resolveConfiguredGroups(connection: OktaConnection, entries: readonly string[]): Promise<GroupRef[]> {
  const wanted = entries.map((raw) => raw.trim());
  if (wanted.some((entry) => entry === "")) throw new ConfigError(["groups.push: an entry is empty"]);
  const unique = [...new Set(wanted)];
  const clauses = unique.map((entry) => (GROUP_ID.test(entry) ? `id eq ${searchString(entry)}` : `profile.name eq ${searchString(entry)}`));
  const byId = new Map<string, GroupRef>();
  const byName = new Map<string, GroupRef[]>();
  for (const search of batches(clauses)) {
    for (const ref of await searchGroups(connection, search)) {
      if (byId.has(ref.id)) continue;
      byId.set(ref.id, ref);
      const key = ref.name.toLowerCase();
      byName.set(key, [...(byName.get(key) ?? []), ref]);
    }
  }
  const problems: string[] = [];
  const hints: string[] = [];
  const resolved = new Map<string, GroupRef>();
  for (const entry of unique) {
    if (GROUP_ID.test(entry)) {
      const ref = byId.get(entry);
      if (ref) resolved.set(entry, ref);
      else problems.push(`groups.push: Okta has no group with id ${entry}`);
      continue;
    }
    // Okta's `eq` ignores case; the configured name must match exactly.
    const candidates = byName.get(entry.toLowerCase()) ?? [];
    const exact = candidates.filter((ref) => ref.name === entry);
    if (exact.length === 1) resolved.set(entry, exact[0]!);
    else if (exact.length > 1) {
      problems.push(`groups.push: ${exact.length} Okta groups are named "${entry}" (${exact.map((g) => g.id).join(", ")})`);
      hints.push("list such a group by its id instead of its name");
    } else {
      problems.push(`groups.push: Okta has no group named "${entry}"`);
      const nearly = candidates[0]?.name;
      hints.push(
        nearly !== undefined
          ? `did you mean "${nearly}"? Group names must match exactly, case included`
          : "check the name in the Okta admin console (Directory > Groups), or list the group by its id (00g...)",
      );
    }
  }
  if (problems.length > 0) throw new ConfigError(problems, [...new Set(hints)].join("; ") || undefined);
  return wanted.map((entry) => resolved.get(entry)!);
}

/** The groups assigned to the app (`groups.push: assigned`), with the group embedded where Okta sends it. */
export async function assignedGroups(connection: OktaConnection, appId: string): Promise<GroupRef[]> {
  const collection = rawCollection(connection, `/api/v1/apps/${encodeURIComponent(appId)}/groups`, { limit: APP_GROUPS_PAGE_SIZE, expand: "group" });
  const refs: (GroupRef | string)[] = [];
  await readPages(connection, collection, (page) => {
    for (const item of page as readonly { id?: unknown; _embedded?: { group?: unknown } }[]) {
      if (typeof item?.id !== "string") throw new ProtocolError("Okta listed a group assignment without a group id");
      const embedded = groupRef(item._embedded?.group);
      refs.push(embedded && embedded.id === item.id ? embedded : item.id);
    }
  });
  const groups: GroupRef[] = [];
  for (const ref of refs) groups.push(typeof ref === "string" ? await getGroupRef(connection, ref) : ref);
  return groups;
}

async function readMemberIds(connection: OktaConnection, groupId: string, onPage: (count: number) => void): Promise<string[]> {
  const collection = rawCollection(connection, `/api/v1/groups/${encodeURIComponent(groupId)}/users`, { limit: MEMBERS_PAGE_SIZE });
  const ids = new Set<string>();
  await readPages(connection, collection, (page) => {
    for (const user of page as readonly { id?: unknown }[]) {
      if (typeof user?.id !== "string") throw new ProtocolError(`Okta listed a member of group ${groupId} without an id`);
      ids.add(user.id);
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
  const resolved = options.groups === "assigned" ? await assignedGroups(connection, options.appId) : await resolveConfiguredGroups(connection, options.groups);
  return withMembers(connection, resolved, options);
}

/** Reads the members of each group whose lastMembershipUpdated moved; reuses the others'. */
async function withMembers(connection: OktaConnection, resolved: readonly GroupRef[], options: ReadGroupsOptions): Promise<ReadGroupsResult> {
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
  await forEachLimited(toRead, options.concurrency ?? 4, async (ref) => {
    members.set(
      ref.id,
      await readMemberIds(connection, ref.id, (count) => {
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
  return withMembers(connection, refs, options);
}
