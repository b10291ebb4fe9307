/**
 * Reads what the sync needs from Okta: every user assigned to the app (with the full Okta user)
 * and the groups to push with their members. It returns everything or throws: a partial read
 * must never reach the planner.
 */
import { ConfigError, ProtocolError } from "../errors.js";
import { createOktaClient, getJson, type OktaClientOptions, type OktaConnection } from "./client.js";
import { assignedGroups, type GroupRef, readGroups, readGroupsSince, resolvePushEntry } from "./groups.js";
import { forEachLimited, isNotFound, rawCollection, readPages } from "./pages.js";
import { LOG_OVERLAP_MS, type LogCheckpoint, logHead, readFrom, readLogSince } from "./system-log.js";
import { minus } from "./time.js";
import type { IncrementalBase, OktaAppUserView, OktaGroupView, OktaPullOptions, OktaPullResult, OktaUserView } from "./types.js";

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
  /** Users fetched at once when app users come without their embedded user, and groups whose members are read at once. Default 4. */
  userFetchConcurrency?: number;
}

export const DEFAULT_PAGE_SIZE = 500;

export async function pullFromOkta(options: OktaPullOptions, tuning: OktaPullTuning = {}): Promise<OktaPullResult> {
  const pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 500) {
    throw new ConfigError([`okta page size must be a whole number from 1 to 500 (got ${pageSize})`]);
  }
  const { userFetchConcurrency, ...clientTuning } = tuning;
  const concurrency = userFetchConcurrency ?? 4;
  const connection = createOktaClient({ ...clientTuning, orgUrl: options.orgUrl, auth: options.auth });
  try {
    let fallback: string | undefined;
    let logReadable = true;
    if (options.incremental !== undefined) {
      const outcome = await pullIncremental(connection, options, options.incremental, pageSize, concurrency);
      if (outcome.kind === "pulled") return outcome.result;
      ({ reason: fallback, logReadable } = outcome);
    }
    let checkpoint: LogCheckpoint | undefined;
    if (logReadable && (options.trackLog === true || options.incremental !== undefined)) {
      // Before the pull: whatever changes while it runs is then read again by the next one.
      try {
        checkpoint = await logHead(connection);
      } catch (error) {
        if (!isLogRefusal(error)) throw error;
        fallback ??= LOG_REFUSED;
      }
    }
    const { appUsers, read } = await readAppUsers(connection, options, pageSize, concurrency);
    const { groups, reused, warnings } = await readGroups(connection, {
      appId: options.appId,
      groups: options.groups,
      exclude: options.excludeGroups,
      previous: options.previousGroups,
      concurrency,
      onProgress: options.onProgress,
    });
    return {
      appUsers,
      appUsersRead: read,
      groups,
      requests: connection.requestCount(),
      membersReused: reused,
      mode: "full",
      fallback,
      checkpoint: covering(checkpoint, groups),
      warnings,
    };
  } catch (error) {
    throw connection.toSyncError(error);
  }
}

/**
 * The groups as read reflect every group change stamped up to the newest lastMembershipUpdated
 * among them (it was read, so it happened before the read): the next incremental run searches
 * for groups updated after that, even when the log has no event to go by.
 */
function covering(checkpoint: LogCheckpoint | undefined, groups: readonly OktaGroupView[]): LogCheckpoint | undefined {
  if (checkpoint === undefined) return undefined;
  let through = checkpoint.groupsThrough;
  for (const group of groups) {
    const stamp = group.lastMembershipUpdated;
    if (stamp !== undefined && (through === undefined || stamp > through)) through = stamp;
  }
  return through === undefined ? checkpoint : { ...checkpoint, groupsThrough: through };
}

/**
 * Where the search for changed groups starts: the later of the log's position and the groups'
 * own stamps, less the same margin as the log (a full read of many groups takes a while, and
 * Okta's search index can lag), so a rename read early in that read is not missed.
 */
function groupsFrom(checkpoint: LogCheckpoint): string | undefined {
  const log = readFrom(checkpoint);
  const groups = checkpoint.groupsThrough === undefined ? undefined : minus(checkpoint.groupsThrough, LOG_OVERLAP_MS);
  return log === undefined || (groups !== undefined && groups > log) ? groups : log;
}

function isLogRefusal(error: unknown): boolean {
  const status = typeof error === "object" && error !== null ? (error as { status?: unknown }).status : undefined;
  return status === 403;
}

type IncrementalOutcome = { kind: "pulled"; result: OktaPullResult } | { kind: "fallback"; reason: string; logReadable: boolean };

const LOG_REFUSED = "the System Log cannot be read (the token needs okta.logs.read)";

/**
 * App users from the last pull, with every user the System Log named since then re-read (one
 * request each, a 404 meaning no longer assigned), and the groups read as a full pull reads them.
 * Falls back when the log cannot be read or names more users than a full pull costs in requests.
 */
async function pullIncremental(
  connection: OktaConnection,
  options: OktaPullOptions,
  base: IncrementalBase,
  pageSize: number,
  concurrency: number,
): Promise<IncrementalOutcome> {
  const fullCost = Math.max(1, Math.ceil(base.appUsers.size / pageSize));
  let log: Awaited<ReturnType<typeof readLogSince>>;
  try {
    log = await readLogSince(connection, options.appId, base.checkpoint, fullCost, base.appUsers);
  } catch (error) {
    if (isLogRefusal(error)) return { kind: "fallback", reason: LOG_REFUSED, logReadable: false };
    const converted = connection.toSyncError(error);
    // A refused credential fails the run; anything else about the log means reading everything.
    if (converted.kind === "auth") throw converted;
    return { kind: "fallback", reason: `the System Log could not be read: ${converted.message}`, logReadable: true };
  }
  if (log === undefined) {
    return { kind: "fallback", reason: `the System Log names more than ${fullCost} users, more requests than a full pull`, logReadable: true };
  }

  const fetched: PartialAppUserView[] = [];
  const removed: string[] = [];
  await forEachLimited([...log.userIds].sort(), concurrency, async (userId) => {
    let item: unknown;
    try {
      item = await getJson(connection, `/api/v1/apps/${encodeURIComponent(options.appId)}/users/${encodeURIComponent(userId)}?expand=user`);
    } catch (error) {
      if (isNotFound(error)) {
        removed.push(userId);
        return;
      }
      throw error;
    }
    const view = appUserView(item, options.projection);
    if (view.id !== userId) throw new ProtocolError(`Okta answered GET /api/v1/apps/${options.appId}/users/${userId} with app user ${view.id}`);
    fetched.push(view);
  });
  const upserts = await fillMissingUsers(connection, fetched, concurrency, options.projection);
  let appUsers: OktaAppUserView[];
  let read: number;
  if (options.onAppUsers === undefined) {
    const current = new Map<string, OktaAppUserView>();
    for (const view of base.appUsers.values()) current.set(view.id, view);
    for (const id of removed) current.delete(id);
    for (const view of upserts) current.set(view.id, view);
    appUsers = [...current.values()];
    read = appUsers.length;
  } else {
    read = handOnKept(base, removed, upserts, options.onAppUsers, pageSize);
    appUsers = [];
  }
  options.onProgress?.({ kind: "appUsers", read });

  const groupOptions = { appId: options.appId, groups: options.groups, exclude: options.excludeGroups, concurrency, onProgress: options.onProgress };
  // From where the last run stood: a group change after its read may predate every event read now.
  const since = groupsFrom(base.checkpoint);
  const sameGroups = JSON.stringify(base.groups) === JSON.stringify(options.groups);
  const delta =
    options.previousGroups === undefined || since === undefined || !sameGroups
      ? "no earlier read of these groups to start from"
      : await readGroupsSince(connection, { ...groupOptions, previous: options.previousGroups }, { since, log: log.groups });
  const { groups, reused, warnings } =
    typeof delta === "string" ? await readGroups(connection, { ...groupOptions, previous: options.previousGroups }) : delta;
  removed.sort();
  upserts.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return {
    kind: "pulled",
    result: {
      appUsers,
      appUsersRead: read,
      groups,
      requests: connection.requestCount(),
      membersReused: reused,
      mode: "incremental",
      checkpoint: covering({ ...log.checkpoint, groupsThrough: base.checkpoint.groupsThrough }, groups),
      changedUsers: { upserts, removed },
      events: log.events,
      warnings,
    },
  };
}

// --- app users ----------------------------------------------------------------------------------

/** Which profile attributes to keep (the mapping's); undefined keeps every one. */
export interface ProfileProjection {
  user: readonly string[];
  app: readonly string[];
}

function plainProfile(value: unknown, keys: readonly string[] | undefined): Record<string, unknown> {
  if (typeof value !== "object" || value === null) return {};
  const profile: Record<string, unknown> = {};
  const source = value as Record<string, unknown>;
  // An attribute set to undefined counts as absent.
  if (keys !== undefined) {
    for (const key of keys) if (source[key] !== undefined && Object.hasOwn(source, key)) profile[key] = source[key];
    return profile;
  }
  for (const [key, entry] of Object.entries(source)) if (entry !== undefined) profile[key] = entry;
  return profile;
}

/** An Okta user from Okta's JSON (embedded in an app user, or fetched); undefined when it is not one. */
function userView(value: unknown, projection: ProfileProjection | undefined): OktaUserView | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const { id, status, profile } = value as { id?: unknown; status?: unknown; profile?: unknown };
  if (typeof id !== "string" || typeof status !== "string" || typeof profile !== "object" || profile === null) return undefined;
  return { id, status, profile: plainProfile(profile, projection?.user) };
}

interface AppUserLike {
  id?: unknown;
  scope?: unknown;
  status?: unknown;
  credentials?: { userName?: unknown };
  profile?: unknown;
  _embedded?: { user?: unknown };
}

export type PartialAppUserView = Omit<OktaAppUserView, "user"> & { user: OktaUserView | undefined };

/** An app user as Okta sends it (in a page, or alone) -> the view; `user` is undefined when not embedded. */
export function appUserView(value: unknown, projection: ProfileProjection | undefined): PartialAppUserView {
  const item = value as AppUserLike | null | undefined;
  if (typeof item?.id !== "string") throw new ProtocolError("Okta listed an app user without an id");
  const user = userView(item._embedded?.user, projection);
  if (user && user.id !== item.id) throw new ProtocolError(`Okta embedded user ${user.id} in app user ${item.id}`);
  const userName = item.credentials?.userName;
  return {
    id: item.id,
    scope: String(item.scope ?? ""),
    status: String(item.status ?? ""),
    userName: typeof userName === "string" && userName !== "" ? userName : undefined,
    profile: plainProfile(item.profile, projection?.app),
    user,
  };
}

/** Fetches the Okta user of every view that came without one (a page without embedded users must not read as users with empty profiles). */
export async function fillMissingUsers(
  connection: OktaConnection,
  views: readonly PartialAppUserView[],
  concurrency: number,
  projection: ProfileProjection | undefined,
): Promise<OktaAppUserView[]> {
  const missing = views.filter((view) => view.user === undefined);
  await forEachLimited(missing, concurrency, async (view) => {
    const fetched = userView(await getJson(connection, `/api/v1/users/${encodeURIComponent(view.id)}`), projection);
    if (!fetched || fetched.id !== view.id) throw new ProtocolError(`Okta answered GET /api/v1/users/${view.id} with another or no user`);
    view.user = fetched;
  });
  return views as OktaAppUserView[];
}

/**
 * The kept app users that are still current, then the users re-read, handed on a page at a time
 * (the kept ones may come from storage one by one). Returns how many were handed on.
 */
function handOnKept(
  base: IncrementalBase,
  removed: readonly string[],
  upserts: readonly OktaAppUserView[],
  onAppUsers: NonNullable<OktaPullOptions["onAppUsers"]>,
  pageSize: number,
): number {
  const replaced = new Set(removed);
  for (const view of upserts) replaced.add(view.id);
  let count = 0;
  let page: OktaAppUserView[] = [];
  for (const view of base.appUsers.values()) {
    if (replaced.has(view.id)) continue;
    page.push(view);
    if (page.length >= pageSize) {
      count += page.length;
      onAppUsers(page, "kept");
      page = [];
    }
  }
  if (page.length > 0) onAppUsers(page, "kept");
  if (upserts.length > 0) onAppUsers(upserts, "okta");
  return count + page.length + upserts.length;
}

async function readAppUsers(
  connection: OktaConnection,
  options: OktaPullOptions,
  pageSize: number,
  concurrency: number,
): Promise<{ appUsers: OktaAppUserView[]; read: number }> {
  const collection = rawCollection(connection, `/api/v1/apps/${encodeURIComponent(options.appId)}/users`, { limit: pageSize, expand: "user" });
  const { onAppUsers } = options;
  // Handed on as read: only the ids are kept (a listing may repeat an item), and the rare user
  // that came without its embedded user until it is fetched.
  const views = new Map<string, PartialAppUserView>();
  const handedOn = new Set<string>();
  const incomplete: PartialAppUserView[] = [];
  const appUsersPath = `/api/v1/apps/${encodeURIComponent(options.appId)}/users`;

  await readPages(
    connection,
    collection,
    (page) => {
      const complete: OktaAppUserView[] = [];
      for (const item of page) {
        const view = appUserView(item, options.projection);
        if (views.has(view.id) || handedOn.has(view.id)) continue;
        if (onAppUsers === undefined) views.set(view.id, view);
        else {
          handedOn.add(view.id);
          if (view.user === undefined) incomplete.push(view);
          else complete.push(view as OktaAppUserView);
        }
      }
      if (complete.length > 0) onAppUsers?.(complete, "okta");
      options.onProgress?.({ kind: "appUsers", read: views.size + handedOn.size });
    },
    // Okta SDK issue #439: next links of app users can lose `expand=user`; put it back.
    (next) => {
      if (!next.pathname.endsWith(appUsersPath) || next.searchParams.get("expand") === "user") return false;
      next.searchParams.set("expand", "user");
      return true;
    },
  );

  if (onAppUsers !== undefined) {
    const filled = await fillMissingUsers(connection, incomplete, concurrency, options.projection);
    if (filled.length > 0) onAppUsers(filled, "okta");
    return { appUsers: [], read: handedOn.size };
  }
  const appUsers = await fillMissingUsers(connection, [...views.values()], concurrency, options.projection);
  return { appUsers, read: appUsers.length };
}

// --- single lookups, for `check` ----------------------------------------------------------------

export type OktaGroupRef = GroupRef;

/** Finds one `groups.push` entry (a name, id, `assigned` or pattern) exactly as the pull does, with the same errors and warnings. */
export function resolvePushGroup(connection: OktaConnection, appId: string, entry: string): Promise<{ refs: GroupRef[]; warnings: string[] }> {
  return resolvePushEntry(connection, appId, entry);
}

/** The groups assigned to the app, as `groups.push: assigned` reads them. */
export function listAssignedGroups(connection: OktaConnection, appId: string): Promise<GroupRef[]> {
  return assignedGroups(connection, appId);
}
