/**
 * Reads what the sync needs from Okta: every user assigned to the app (with the full Okta user)
 * and the groups to push with their members. It returns everything or throws: a partial read
 * must never reach the planner.
 */
import type { Collection } from "@okta/okta-sdk-nodejs";
import { ConfigError, ProtocolError } from "../errors.js";
import { createOktaClient, type OktaClientOptions, type OktaConnection } from "./client.js";
import type { OktaAppUserView, OktaGroupView, OktaPullOptions, OktaPullResult, OktaUserView } from "./types.js";

/** How the pull talks to Okta; see OktaClientOptions. The engine passes `retry` and `maxRateShare` from the config. */
export interface OktaPullTuning {
  /** `config.retry`. Default: one attempt, no retries. */
  retry?: OktaClientOptions["retry"];
  /** `config.okta.maxRateShare`. Default: no pacing. */
  maxRateShare?: OktaClientOptions["maxRateShare"];
  /** Deadline of one attempt (ms). Default 60 000. */
  requestTimeoutMs?: OktaClientOptions["requestTimeoutMs"];
  /** Told about waits of the pull: Okta's rate limit, backoff before a retry. */
  onWait?: OktaClientOptions["onWait"];
  /** Told about every HTTP attempt of the pull (status 0: no answer), for metrics. */
  onResponse?: OktaClientOptions["onResponse"];
  /** Cuts waits short when the run is stopping. */
  signal?: OktaClientOptions["signal"];
  /** Clock and randomness (tests). */
  now?: OktaClientOptions["now"];
  sleep?: OktaClientOptions["sleep"];
  random?: OktaClientOptions["random"];
  /** Users fetched at once when app users come without their embedded user. Default 4. */
  userFetchConcurrency?: number;
}

export const DEFAULT_PAGE_SIZE = 500;
const APP_GROUPS_PAGE_SIZE = 200;
const GROUPS_PAGE_SIZE = 200;
const MEMBERS_PAGE_SIZE = 1000;
/** Okta object ids are 20 characters; groups start with 00g. */
const GROUP_ID = /^00g[0-9A-Za-z]{17}$/;

export async function pullFromOkta(options: OktaPullOptions, tuning: OktaPullTuning = {}): Promise<OktaPullResult> {
  const pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 500) {
    throw new ConfigError([`okta page size must be a whole number from 1 to 500 (got ${pageSize})`]);
  }
  const { userFetchConcurrency, ...clientTuning } = tuning;
  const connection = createOktaClient({ ...clientTuning, orgUrl: options.orgUrl, auth: options.auth });
  try {
    const appUsers = await readAppUsers(connection, options, pageSize, userFetchConcurrency ?? 4);
    const groups = await readGroups(connection, options);
    return { appUsers, groups, requests: connection.requestCount() };
  } catch (error) {
    throw connection.toSyncError(error);
  }
}

// --- pages --------------------------------------------------------------------------------------

/**
 * Reads a collection page by page (the SDK's item iterator hides page boundaries and yields a null
 * item for an empty page that has a next link). Each next link must stay on the org's origin, since
 * the SDK would send the credentials wherever it points, and must not repeat.
 */
async function readPages<T>(
  connection: OktaConnection,
  collection: Collection<T>,
  onPage: (items: readonly T[]) => void,
  repairNext?: (next: URL) => boolean,
): Promise<void> {
  const origin = new URL(connection.orgUrl).origin;
  const seen = new Set<string>();
  while (collection.nextUri) {
    const current = collection.nextUri;
    if (seen.has(current)) throw new ProtocolError(`Okta sent the same next link twice: ${current}`);
    seen.add(current);
    const page: unknown = await collection.getNextPage();
    if (!Array.isArray(page)) throw new ProtocolError(`Okta answered ${current} with something that is not a list`);
    onPage(page as T[]);
    const next = collection.nextUri;
    if (!next) break;
    let nextUrl: URL;
    try {
      nextUrl = new URL(next, current);
    } catch {
      throw new ProtocolError(`Okta sent a next link that is not a URL: ${next}`);
    }
    if (nextUrl.origin !== origin) {
      throw new ProtocolError(`Okta's next link points to ${nextUrl.origin}, not ${origin}; refusing to follow it`);
    }
    const repaired = repairNext?.(nextUrl) ?? false;
    if (repaired || nextUrl.href !== next) collection.nextUri = nextUrl.href;
  }
}

// --- app users ----------------------------------------------------------------------------------

function plainProfile(value: unknown): Record<string, unknown> {
  if (typeof value !== "object" || value === null) return {};
  const profile: Record<string, unknown> = {};
  for (const [key, entry] of Object.entries(value)) {
    // The SDK's models set every known attribute, present or not: absent ones are undefined.
    if (entry !== undefined) profile[key] = entry;
  }
  return profile;
}

/** An Okta user from raw JSON (embedded) or an SDK model (fetched); undefined when it is not one. */
function userView(value: unknown): OktaUserView | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const { id, status, profile } = value as { id?: unknown; status?: unknown; profile?: unknown };
  if (typeof id !== "string" || typeof status !== "string" || typeof profile !== "object" || profile === null) return undefined;
  return { id, status, profile: plainProfile(profile) };
}

interface AppUserLike {
  id?: unknown;
  scope?: unknown;
  status?: unknown;
  credentials?: { userName?: unknown };
  profile?: unknown;
  _embedded?: { user?: unknown };
}

async function readAppUsers(
  connection: OktaConnection,
  options: OktaPullOptions,
  pageSize: number,
  concurrency: number,
): Promise<OktaAppUserView[]> {
  const { client } = connection;
  const collection = await client.applicationApi.listApplicationUsers({ appId: options.appId, limit: pageSize, expand: "user" });
  const views = new Map<string, Omit<OktaAppUserView, "user"> & { user: OktaUserView | undefined }>();
  const appUsersPath = `/api/v1/apps/${encodeURIComponent(options.appId)}/users`;

  await readPages(
    connection,
    collection,
    (page) => {
      for (const item of page as readonly AppUserLike[]) {
        if (typeof item?.id !== "string") throw new ProtocolError("Okta listed an app user without an id");
        if (views.has(item.id)) continue;
        const embedded = item._embedded?.user;
        const user = userView(embedded);
        if (user && user.id !== item.id) {
          throw new ProtocolError(`Okta embedded user ${user.id} in app user ${item.id}`);
        }
        const userName = item.credentials?.userName;
        views.set(item.id, {
          id: item.id,
          scope: String(item.scope ?? ""),
          status: String(item.status ?? ""),
          userName: typeof userName === "string" && userName !== "" ? userName : undefined,
          profile: plainProfile(item.profile),
          user,
        });
      }
      options.onProgress?.({ kind: "appUsers", read: views.size });
    },
    // Okta SDK issue #439: next links of app users can lose `expand=user`; put it back.
    (next) => {
      if (!next.pathname.endsWith(appUsersPath) || next.searchParams.get("expand") === "user") return false;
      next.searchParams.set("expand", "user");
      return true;
    },
  );

  // A page without embedded users must not read as users with empty profiles: fetch each one.
  const missing = [...views.values()].filter((view) => view.user === undefined);
  await forEachLimited(missing, concurrency, async (view) => {
    const fetched = userView(await client.userApi.getUser({ userId: view.id }));
    if (!fetched || fetched.id !== view.id) throw new ProtocolError(`Okta answered GET /api/v1/users/${view.id} with another or no user`);
    view.user = fetched;
  });

  return [...views.values()].map((view) => ({ ...view, user: view.user! }));
}

/** Runs `task` over `items`, at most `limit` at a time; the first failure stops new tasks. */
async function forEachLimited<T>(items: readonly T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (!failed && next < items.length) {
      const item = items[next++]!;
      try {
        await task(item);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
}

// --- groups -------------------------------------------------------------------------------------

interface GroupRef {
  id: string;
  name: string;
}

function groupRef(value: unknown): GroupRef | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const { id, profile } = value as { id?: unknown; profile?: { name?: unknown } };
  if (typeof id !== "string" || typeof profile?.name !== "string") return undefined;
  return { id, name: profile.name };
}

function isNotFound(error: unknown): boolean {
  return typeof error === "object" && error !== null && (error as { status?: unknown }).status === 404;
}

async function getGroupRef(connection: OktaConnection, groupId: string, entry?: string): Promise<GroupRef> {
  let group: unknown;
  try {
    group = await connection.client.groupApi.getGroup({ groupId });
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

/** Okta search values are double-quoted; backslash and quote are escaped. */
export function searchString(value: string): string {
  return `"${value.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

async function findGroupByName(connection: OktaConnection, name: string): Promise<GroupRef> {
  const collection = await connection.client.groupApi.listGroups({
    search: `profile.name eq ${searchString(name)}`,
    limit: GROUPS_PAGE_SIZE,
  });
  const found: GroupRef[] = [];
  await readPages(connection, collection, (page) => {
    for (const item of page) {
      const ref = groupRef(item);
      if (ref) found.push(ref);
    }
  });
  // Okta's `eq` ignores case; the configured name must match exactly.
  const exact = found.filter((group) => group.name === name);
  if (exact.length === 1) return exact[0]!;
  if (exact.length > 1) {
    throw new ConfigError(
      [`groups.push: ${exact.length} Okta groups are named "${name}" (${exact.map((g) => g.id).join(", ")})`],
      "list the group by its id instead of its name",
    );
  }
  const nearly = found[0]?.name;
  throw new ConfigError(
    [`groups.push: Okta has no group named "${name}"`],
    nearly !== undefined
      ? `did you mean "${nearly}"? Group names must match exactly, case included`
      : "check the name in the Okta admin console (Directory > Groups), or list the group by its id (00g...)",
  );
}

async function assignedGroups(connection: OktaConnection, appId: string): Promise<GroupRef[]> {
  const collection = await connection.client.applicationApi.listApplicationGroupAssignments({
    appId,
    limit: APP_GROUPS_PAGE_SIZE,
    expand: "group",
  });
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
  const collection = await connection.client.groupApi.listGroupUsers({ groupId, limit: MEMBERS_PAGE_SIZE });
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

async function readGroups(connection: OktaConnection, options: OktaPullOptions): Promise<OktaGroupView[]> {
  const refs: GroupRef[] = [];
  const seen = new Set<string>();
  const add = (ref: GroupRef) => {
    if (seen.has(ref.id)) return;
    seen.add(ref.id);
    refs.push(ref);
    options.onProgress?.({ kind: "groups", read: refs.length });
  };
  if (options.groups === "assigned") {
    for (const ref of await assignedGroups(connection, options.appId)) add(ref);
  } else {
    for (const raw of options.groups) {
      const entry = raw.trim();
      if (entry === "") throw new ConfigError(["groups.push: an entry is empty"]);
      add(GROUP_ID.test(entry) ? await getGroupRef(connection, entry, entry) : await findGroupByName(connection, entry));
    }
  }

  const groups: OktaGroupView[] = [];
  let members = 0;
  for (const ref of refs) {
    const memberIds = await readMemberIds(connection, ref.id, (count) => {
      members += count;
      options.onProgress?.({ kind: "members", read: members });
    });
    groups.push({ id: ref.id, name: ref.name, memberIds });
  }
  return groups;
}

// --- single lookups, for `check` ----------------------------------------------------------------

export type OktaGroupRef = GroupRef;

/** Finds one `groups.push` entry (a group name or id) exactly as the pull does, with the same errors. */
export function resolvePushGroup(connection: OktaConnection, entry: string): Promise<GroupRef> {
  const trimmed = entry.trim();
  if (trimmed === "") return Promise.reject(new ConfigError(["groups.push: an entry is empty"]));
  return GROUP_ID.test(trimmed) ? getGroupRef(connection, trimmed, trimmed) : findGroupByName(connection, trimmed);
}

/** The groups assigned to the app, as `groups.push: assigned` reads them. */
export function listAssignedGroups(connection: OktaConnection, appId: string): Promise<GroupRef[]> {
  return assignedGroups(connection, appId);
}
