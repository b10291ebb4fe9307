/**
 * Pull from Okta and turn the result into the desired state. What the pull read is kept in the
 * snapshot DB (the Okta cache) so the next pull reads only what moved: members of groups whose
 * lastMembershipUpdated did not change are reused, and `sync --incremental` re-reads only the
 * users the System Log names.
 */
import type { Config } from "../config/types.js";
import type { DesiredState } from "../model.js";
import type { ResponseListener } from "../metrics/http-event.js";
import { buildDesiredState } from "../okta/desired-state.js";
import { profileProjection } from "../okta/mapping.js";
import type { LogCheckpoint } from "../okta/system-log.js";
import type { IncrementalBase, OktaPullResult } from "../okta/types.js";
import type { SqliteSnapshotStore } from "../store/index.js";
import { type Reporter, reportWait } from "./reporter.js";

/** Meta keys of the Okta cache. */
const CACHE_KEY = "okta.cacheKey";
const CHECKPOINT_KEY = "okta.logCheckpoint";
const LAST_FULL_KEY = "okta.lastFullPullAt";
/** `groups.push` as the cached groups were read: the cache is the push list only for the same one. */
const PUSH_KEY = "okta.groupsPush";
/** When the cache was last brought up to date (local time). */
const LAST_PULL_KEY = "okta.lastPullAt";
const DAY_MS = 86_400_000;

export interface PullContext {
  /** The snapshot DB whose Okta cache the pull may start from (read-only is fine). */
  store?: SqliteSnapshotStore | undefined;
  /** `sync --incremental`: start from the cache and the System Log when they allow it. */
  incremental?: boolean | undefined;
  signal?: AbortSignal | undefined;
  onResponse?: ResponseListener | undefined;
  now?: Date;
  /** Okta user id -> userName of the users the snapshot links: in a userName collision they keep the name. */
  linked?: ReadonlyMap<string, string> | undefined;
}

/** How the pull went, for the result and the logs. */
export interface PullSummary {
  mode: "full" | "incremental";
  /** HTTP requests sent to Okta. */
  requests: number;
  /** Why a run asked to be incremental read everything instead. */
  fallback?: string | undefined;
  /** Incremental: new System Log events, users re-read, users no longer assigned. */
  events?: number | undefined;
  usersReread?: number | undefined;
  usersRemoved?: number | undefined;
  /** Groups whose members were reused because their lastMembershipUpdated did not move. */
  membersReused: number;
}

export interface Pulled {
  desired: DesiredState;
  /** CPU seconds spent mapping the pull to the desired state. */
  mappingCpuSeconds: number;
  pull: OktaPullResult;
  summary: PullSummary;
}

/** The cache holds only the attributes the mapping reads: another mapping needs another read. */
function cacheKeyOf(config: Config): string {
  return JSON.stringify([config.okta.orgUrl, config.okta.appId, projectionOf(config)]);
}

function projectionOf(config: Config): ReturnType<typeof profileProjection> {
  return profileProjection({ attributes: config.attributes, phoneType: config.users.phoneType });
}

function times(checkpoint: LogCheckpoint): (string | undefined)[] {
  return [checkpoint.published, checkpoint.coveredThrough, checkpoint.groupsThrough];
}

function incrementalBase(config: Config, store: SqliteSnapshotStore, now: Date): IncrementalBase | string {
  const checkpoint = store.getMeta(CHECKPOINT_KEY);
  const lastFull = store.getMeta(LAST_FULL_KEY);
  if (checkpoint === undefined || lastFull === undefined || store.oktaCache.countAppUsers() === 0) {
    return "no earlier full pull to start from";
  }
  if (store.getMeta(PUSH_KEY) !== JSON.stringify(config.groups.push)) return "groups.push changed since the last pull";
  const every = config.sync.fullEveryMs;
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
  return { appUsers: store.oktaCache.loadAppUsers(), checkpoint: parsed, groups: config.groups.push };
}

export async function pullDesiredState(config: Config, reporter: Reporter, context: PullContext = {}): Promise<Pulled> {
  reporter.step("Reading the app's users and groups from Okta");
  let users = 0;
  let groups = 0;
  let members = 0;
  const { store } = context;
  const cached = store !== undefined && store.getMeta(CACHE_KEY) === cacheKeyOf(config);
  const now = context.now ?? new Date();
  let incremental: IncrementalBase | undefined;
  let notIncremental: string | undefined;
  if (context.incremental === true) {
    const base = cached && store !== undefined ? incrementalBase(config, store, now) : "no earlier full pull to start from";
    if (typeof base === "string") notIncremental = base;
    else incremental = base;
  }
  try {
    // The Okta SDK takes most of the CLI's start-up: it is loaded only by runs that read Okta.
    const { pullFromOkta } = await import("../okta/pull.js");
    const pull = await pullFromOkta(
      {
        orgUrl: config.okta.orgUrl,
        appId: config.okta.appId,
        auth: config.okta.auth,
        groups: config.groups.push,
        projection: projectionOf(config),
        previousGroups: cached ? store?.oktaCache.loadGroups() : undefined,
        incremental,
        trackLog: context.incremental === true,
        onProgress: (event) => {
          if (event.kind === "appUsers") users = event.read;
          else if (event.kind === "groups") groups = event.read;
          else members = event.read;
          reporter.progress(`Reading from Okta: ${users} assigned users, ${groups} groups, ${members} memberships`);
        },
      },
      {
        retry: config.retry,
        maxRateShare: config.okta.maxRateShare,
        requestTimeoutMs: config.okta.timeoutMs,
        onWait: reportWait(reporter),
        ...(context.signal === undefined ? {} : { signal: context.signal }),
        ...(context.onResponse === undefined ? {} : { onResponse: context.onResponse }),
      },
    );
    const cpuBefore = process.cpuUsage();
    const desired = buildDesiredState(pull, {
      attributes: config.attributes,
      phoneType: config.users.phoneType,
      phoneRegion: config.users.phoneRegion,
      suspended: config.users.suspended,
      domains: config.command.domains,
      outsideDomains: config.users.outsideDomains,
      ...(context.linked === undefined ? {} : { linked: context.linked }),
    });
    const mappingCpuSeconds = cpuSecondsSince(cpuBefore);
    // The app users are needed past this point only to start following the log; let the others go.
    const keepUsers = context.incremental === true && pull.mode === "full";
    const kept: OktaPullResult = keepUsers ? pull : { ...pull, appUsers: [] };
    const summary: PullSummary = {
      mode: pull.mode,
      requests: pull.requests,
      fallback: pull.fallback ?? notIncremental,
      membersReused: pull.membersReused,
      ...(pull.mode === "incremental"
        ? { events: pull.events, usersReread: pull.changedUsers?.upserts.length ?? 0, usersRemoved: pull.changedUsers?.removed.length ?? 0 }
        : {}),
    };
    const how =
      pull.mode === "incremental"
        ? `incremental: ${summary.events} new System Log events, ${summary.usersReread} users re-read, ${summary.usersRemoved} no longer assigned; `
        : "";
    reporter.stepDone(`Read ${pull.appUsers.length} assigned users and ${pull.groups.length} groups from Okta (${how}${pull.requests} requests)`);
    if (context.incremental === true && summary.fallback !== undefined) {
      reporter.info(`read everything from Okta: ${summary.fallback}`, { fallback: summary.fallback });
    }
    return { desired, pull: kept, summary, mappingCpuSeconds };
  } catch (error) {
    reporter.stepFailed("Reading from Okta failed; nothing was planned or written");
    throw error;
  }
}

/**
 * Keep what the pull read for the next one. Only for runs that read the whole push list (not
 * narrowed ones), once the run has accepted the pull. The app users and the log checkpoint are
 * kept only while runs are incremental; a full run without `--incremental` drops them, since the
 * log is then no longer followed.
 */
export function savePullCache(store: SqliteSnapshotStore, config: Config, pull: OktaPullResult, incremental: boolean, now: Date = new Date()): void {
  store.transaction(() => {
    const cache = store.oktaCache;
    const key = cacheKeyOf(config);
    if (store.getMeta(CACHE_KEY) !== key) {
      cache.clear();
      store.deleteMeta(PUSH_KEY);
      store.deleteMeta(CHECKPOINT_KEY);
      store.deleteMeta(LAST_FULL_KEY);
      store.setMeta(CACHE_KEY, key);
    }
    cache.saveGroups(pull.groups);
    store.setMeta(PUSH_KEY, JSON.stringify(config.groups.push));
    store.setMeta(LAST_PULL_KEY, now.toISOString());
    if (pull.mode === "incremental" && pull.changedUsers !== undefined && pull.checkpoint !== undefined) {
      cache.updateAppUsers(pull.changedUsers.upserts, pull.changedUsers.removed);
      store.setMeta(CHECKPOINT_KEY, JSON.stringify(pull.checkpoint));
    } else if (incremental && pull.checkpoint !== undefined) {
      cache.saveAppUsers(pull.appUsers);
      store.setMeta(CHECKPOINT_KEY, JSON.stringify(pull.checkpoint));
      store.setMeta(LAST_FULL_KEY, now.toISOString());
    } else {
      cache.clearAppUsers();
      store.deleteMeta(CHECKPOINT_KEY);
      store.deleteMeta(LAST_FULL_KEY);
    }
  });
}

/** CPU seconds (user + system) this process used since `before`. */
export function cpuSecondsSince(before: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1e6;
}
