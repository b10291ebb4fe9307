/**
 * When a pull may start from what the last one read (the Okta cache in the snapshot DB), and
 * what is kept for the next one. The cache holds only what the mapping reads, so another mapping,
 * org or app starts over; `sync --incremental` follows the System Log from the last pull only
 * while the log still covers the time since.
 */
import type { OktaAppUserView, OktaGroupView } from "../model.js";
import type { LogCheckpoint } from "./system-log.js";
import type { IncrementalBase, KeptAppUsers, OktaPullResult } from "./types.js";

/**
 * A pull as kept for the next one. The app users of a full pull are not in it: they were staged in
 * the cache's DB page by page as they were read (`appUsersStaged`), and are kept only if the run
 * accepts the pull.
 */
export type KeptPull = Omit<OktaPullResult, "appUsers"> & { appUsersStaged: boolean };

/** The cache tables (the SQLite store's `oktaCache` has this shape). */
export interface OktaCacheTables {
  /** `shared`: the caller's own string for a user id, used instead of a copy. */
  loadGroups(shared?: (id: string) => string | undefined): Map<string, OktaGroupView>;
  saveGroups(groups: readonly OktaGroupView[]): void;
  loadAppUsers(): Map<string, OktaAppUserView>;
  /** The kept app users, read lazily (see KeptAppUsers). */
  keptAppUsers(): KeptAppUsers;
  countAppUsers(): number;
  /** Start staging the app users of a pull (see acceptStagedAppUsers); forgets what was staged before. */
  beginStagingAppUsers(): void;
  stageAppUsers(users: readonly OktaAppUserView[]): void;
  /** Replace the kept app users with the staged ones. */
  acceptStagedAppUsers(): void;
  updateAppUsers(upserts: readonly OktaAppUserView[], removed: readonly string[]): void;
  clearAppUsers(): void;
  clear(): void;
}

/** Where the Okta cache lives: its tables and a few meta keys, written in one transaction. */
export interface OktaCacheStore {
  readonly oktaCache: OktaCacheTables;
  /** Opened read-only: nothing can be staged or kept. */
  readonly readonly?: boolean;
  getMeta(key: string): string | undefined;
  setMeta(key: string, value: string): void;
  deleteMeta(key: string): void;
  transaction<T>(fn: () => T): T;
}

/** What decides whether the cache can serve a pull. */
export interface CacheSettings {
  orgUrl: string;
  appId: string;
  groups: readonly string[] | "assigned";
  /** `groups.exclude`: part of what the cached groups were read for. */
  excludeGroups?: readonly string[] | undefined;
  /** The profile attributes the mapping reads. */
  projection: { user: readonly string[]; app: readonly string[] };
  /** `sync.fullEvery` (ms); undefined: never forced. */
  fullEveryMs: number | undefined;
}

/** Meta keys of the Okta cache. */
const CACHE_KEY = "okta.cacheKey";
const CHECKPOINT_KEY = "okta.logCheckpoint";
const LAST_FULL_KEY = "okta.lastFullPullAt";
/** `groups.push` as the cached groups were read: the cache is the push list only for the same one. */
const PUSH_KEY = "okta.groupsPush";
/** When the cache was last brought up to date (local time). */
const LAST_PULL_KEY = "okta.lastPullAt";
const DAY_MS = 86_400_000;

/** What PUSH_KEY holds: `groups.push`, and `groups.exclude` when there is one (so older caches still match). */
function pushKeyOf(settings: CacheSettings): string {
  const exclude = settings.excludeGroups ?? [];
  return JSON.stringify(exclude.length === 0 ? settings.groups : { push: settings.groups, exclude });
}

/** The cache holds only the attributes the mapping reads: another mapping needs another read. */
function cacheKeyOf(settings: CacheSettings): string {
  return JSON.stringify([settings.orgUrl, settings.appId, settings.projection]);
}

/** Whether the cache was written for this org, app and mapping. */
export function cacheMatches(store: OktaCacheStore, settings: CacheSettings): boolean {
  return store.getMeta(CACHE_KEY) === cacheKeyOf(settings);
}

function times(checkpoint: LogCheckpoint): (string | undefined)[] {
  return [checkpoint.published, checkpoint.coveredThrough, checkpoint.groupsThrough];
}

/** Where an incremental pull starts from, or why it cannot (then it reads everything). */
export function incrementalBase(store: OktaCacheStore, settings: CacheSettings, now: Date): IncrementalBase | string {
  const checkpoint = store.getMeta(CHECKPOINT_KEY);
  const lastFull = store.getMeta(LAST_FULL_KEY);
  if (checkpoint === undefined || lastFull === undefined || store.oktaCache.countAppUsers() === 0) {
    return "no earlier full pull to start from";
  }
  if (store.getMeta(PUSH_KEY) !== pushKeyOf(settings)) return "groups.push changed since the last pull";
  const every = settings.fullEveryMs;
  if (every !== undefined && now.getTime() - Date.parse(lastFull) >= every) return "the last full pull is older than sync.fullEvery";
  const idle = now.getTime() - Date.parse(store.getMeta(LAST_PULL_KEY) ?? lastFull);
  // Okta keeps the System Log 90 days.
  if (idle >= 89 * DAY_MS) return "the last pull is older than the System Log's retention";
  let parsed: LogCheckpoint;
  try {
    parsed = JSON.parse(checkpoint) as LogCheckpoint;
    if (!Array.isArray(parsed.seen) || times(parsed).some((t) => t !== undefined && (typeof t !== "string" || Number.isNaN(Date.parse(t))))) throw new Error("bad");
  } catch {
    return "the stored System Log checkpoint is unreadable";
  }
  // With no time to start from, a read covers only Okta's default window of 7 days.
  if (times(parsed).every((t) => t === undefined) && idle >= 6 * DAY_MS) return "the System Log gave no position to start from and the last pull is older than 6 days";
  return { appUsers: store.oktaCache.keptAppUsers(), checkpoint: parsed, groups: settings.groups };
}

/**
 * Keep what the pull read for the next one. Only for runs that read the whole push list (not
 * narrowed ones), once the run has accepted the pull. The app users and the log checkpoint are
 * kept only while runs are incremental; a full run without `--incremental` drops them, since the
 * log is then no longer followed.
 */
export function savePullCache(store: OktaCacheStore, settings: CacheSettings, pull: KeptPull, incremental: boolean, now: Date = new Date()): void {
  store.transaction(() => {
    const cache = store.oktaCache;
    const key = cacheKeyOf(settings);
    if (store.getMeta(CACHE_KEY) !== key) {
      cache.clear();
      store.deleteMeta(PUSH_KEY);
      store.deleteMeta(CHECKPOINT_KEY);
      store.deleteMeta(LAST_FULL_KEY);
      store.setMeta(CACHE_KEY, key);
    }
    cache.saveGroups(pull.groups);
    store.setMeta(PUSH_KEY, pushKeyOf(settings));
    store.setMeta(LAST_PULL_KEY, now.toISOString());
    if (pull.mode === "incremental" && pull.changedUsers !== undefined && pull.checkpoint !== undefined) {
      cache.updateAppUsers(pull.changedUsers.upserts, pull.changedUsers.removed);
      store.setMeta(CHECKPOINT_KEY, JSON.stringify(pull.checkpoint));
    } else if (incremental && pull.checkpoint !== undefined && pull.appUsersStaged) {
      cache.acceptStagedAppUsers();
      store.setMeta(CHECKPOINT_KEY, JSON.stringify(pull.checkpoint));
      store.setMeta(LAST_FULL_KEY, now.toISOString());
    } else {
      cache.clearAppUsers();
      store.deleteMeta(CHECKPOINT_KEY);
      store.deleteMeta(LAST_FULL_KEY);
    }
  });
}
