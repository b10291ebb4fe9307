/**
 * Okta groups by reference (id, name, lastMembershipUpdated): reading one, searching, and the
 * groups assigned to the app. What the group selection and the member reads build on.
 */
import { ConfigError, ProtocolError } from "../errors.js";
import { getJson, type OktaConnection } from "./client.js";
import { isNotFound, rawCollection, readPages } from "./pages.js";
import { oktaTime } from "./time.js";

const APP_GROUPS_PAGE_SIZE = 200;
const GROUPS_PAGE_SIZE = 200;
/** Clauses per search request, and a bound on the URL-encoded expression, to keep URLs short. */
const SEARCH_CLAUSES = 50;
const SEARCH_CHARS = 3500;

export interface GroupRef {
  id: string;
  name: string;
  lastMembershipUpdated?: string | undefined;
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

/** The groups a search finds (every page); without a search, every group of the org. */
export async function searchGroups(connection: OktaConnection, search: string | undefined): Promise<GroupRef[]> {
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
export function batches(clauses: readonly string[]): string[] {
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
