/**
 * One run of `plan`, `sync` or `backfill`: pull -> (refresh) -> plan -> guard -> apply, with the
 * run recorded in the snapshot's run log. Nothing here writes to stdout or stderr.
 */
import { applyPlan, type FailedOperation } from "../apply/applier.js";
import type { OperationOutcome, RunStatus } from "../apply/ports.js";
import type { Config, Limit } from "../config/types.js";
import { errorMessage, SyncError } from "../errors.js";
import { type DesiredState, emptySummary, type Operation, type Plan, type Snapshot, type Summary } from "../model.js";
import { snapshotFingerprint } from "../plan/fingerprint.js";
import { checkSafety, type Refusal, refusalsFor, type SafetyLimits } from "../plan/guard.js";
import { plan as computePlan } from "../plan/planner.js";
import { type Drift, refreshSnapshot } from "../plan/refresh.js";
import { type SavedPlan, type SavedPlanTarget, savedPlanMismatch } from "../plan/saved-plan.js";
import { membersOf, type Scope, scopeInputs } from "../plan/scope.js";
import { lastSuccessAt, type RunMetrics, scopeOf } from "../metrics/index.js";
import type { OktaPullResult } from "../okta/types.js";
import { openSnapshotStore, type SqliteSnapshotStore } from "../store/index.js";
import { pruneRunHistory } from "./retention.js";
import { type CommandClient, openCommand, readCommand, writeSnapshot } from "./command-state.js";
import { cpuSecondsSince, type PullSummary, pullDesiredState, savePullCache } from "./pull-desired.js";
import type { Reporter } from "./reporter.js";

/** Narrowing a run: `backfill --group` or `sync --user`. */
export interface Selection {
  /** Okta group names or ids to push now, in or outside `groups.push`. */
  groups?: readonly string[];
  /** Okta logins, userNames or ids of users to provision now. */
  users?: readonly string[];
}

export interface PlanOptions {
  /** Re-read Command first and plan against what it really holds. */
  refresh?: boolean;
  /** Pull from the last pull plus the System Log (`sync --incremental`). */
  incremental?: boolean;
  selection?: Selection;
  signal?: AbortSignal;
  /** Apply whatever the safety limits say (`--force`): nothing is refused. */
  force?: boolean;
  /** `--max-deactivations` for this run, over `safety.maxDeactivations`. */
  maxDeactivations?: Limit | undefined;
}

export interface PlanResult {
  plan: Plan;
  /** The snapshot as stored (before any refresh). */
  snapshot: Snapshot;
  /** Its fingerprint, for saved plans. */
  fingerprint: string;
  /** Changes made in Command behind the tool's back (with refresh). */
  drift: Drift[];
  /** How the Okta pull went (mode, requests); undefined for a saved plan. */
  pullSummary?: PullSummary | undefined;
  /** Why `sync` would refuse this plan (with the same flags); empty when it would apply it. */
  refusals: Refusal[];
}

export function planTarget(config: Config): SavedPlanTarget {
  return { oktaOrgUrl: config.okta.orgUrl, oktaAppId: config.okta.appId, scimUrl: config.command.scimUrl };
}

interface Computed extends Omit<PlanResult, "fingerprint" | "refusals"> {
  desired: DesiredState;
  pull: OktaPullResult;
  /** CPU seconds of mapping the pull and diffing it. */
  planCpuSeconds: number;
  /** The snapshot after the refresh, to be stored before applying. */
  refreshed: Snapshot | undefined;
  scoped: boolean;
}

async function compute(
  config: Config,
  store: SqliteSnapshotStore,
  snapshot: Snapshot,
  reporter: Reporter,
  options: PlanOptions & { metrics?: RunMetrics },
  command: () => CommandClient,
): Promise<Computed> {
  const selection = options.selection ?? {};
  const pullConfig = selection.groups === undefined ? config : { ...config, groups: { ...config.groups, push: [...selection.groups] } };
  const { desired, pull, summary, mappingCpuSeconds } = await pullDesiredState(pullConfig, reporter, {
    store,
    // In a userName collision the Okta user already linked keeps the name.
    linked: new Map(snapshot.users.map((u) => [u.oktaId, u.userName])),
    incremental: options.incremental === true && selection.groups === undefined && selection.users === undefined,
    signal: options.signal,
    onResponse: options.metrics?.onResponse,
  });
  let base = snapshot;
  let drift: Drift[] = [];
  let refreshed: Snapshot | undefined;
  if (options.refresh) {
    const remote = await readCommand(command(), reporter);
    ({ snapshot: refreshed, drift } = refreshSnapshot(snapshot, remote.users, remote.groups));
    base = refreshed;
  }
  const scope = resolveScope(desired, selection, pull.groups);
  const inputs = scope === undefined ? { desired, snapshot: base } : scopeInputs(desired, base, scope);
  const cpuBefore = process.cpuUsage();
  const plan = computePlan(inputs.desired, inputs.snapshot, {
    // A narrowed run never deletes: groups outside the selection are simply not in view.
    onRemove: scope === undefined ? config.groups.onRemove : "keep",
    onUserNameChange: config.users.onUserNameChange,
  });
  const planCpuSeconds = mappingCpuSeconds + cpuSecondsSince(cpuBefore);
  return { plan, snapshot, drift, desired, refreshed, scoped: scope !== undefined, pull, pullSummary: summary, planCpuSeconds };
}

function resolveScope(desired: DesiredState, selection: Selection, oktaGroups: OktaPullResult["groups"]): Scope | undefined {
  if (selection.groups !== undefined) {
    const groupIds = new Set(desired.groups.map((g) => g.oktaId));
    return { groupIds, userIds: membersOf(desired, groupIds, oktaGroups) };
  }
  if (selection.users !== undefined) {
    const userIds = new Set<string>();
    const missing: string[] = [];
    for (const wanted of selection.users) {
      const lower = wanted.toLowerCase();
      const match = desired.users.find((u) => u.oktaId === wanted || u.userName.toLowerCase() === lower);
      const held = desired.skipped?.find((u) => u.oktaId === wanted || u.login.toLowerCase() === lower);
      if (match !== undefined) userIds.add(match.oktaId);
      else if (held !== undefined) {
        throw new SyncError("config", `Okta user ${held.login} (${held.oktaId}) cannot be pushed: ${held.reason}`, {
          hint: "fix the user in Okta, then run again; until then its Command user is held as it is",
        });
      } else missing.push(wanted);
    }
    if (missing.length > 0) {
      throw new SyncError("config", `not assigned to the app in Okta (or skipped while mapping): ${missing.join(", ")}`, {
        hint: "give an Okta user id or the app username of a user assigned to the app",
      });
    }
    return { userIds };
  }
  return undefined;
}

/** The plan limits of a run: the config's, with `--max-deactivations` over its own. */
function limitsOf(config: Config, options: PlanOptions): SafetyLimits & { minPullFraction: number } {
  return { ...config.safety, maxDeactivations: options.maxDeactivations ?? config.safety.maxDeactivations };
}

/** Why `sync` would refuse what was computed: the one check `sync`, `sync --dry-run` and `plan` share. */
function refusalsOf(config: Config, computed: Computed, snapshot: Snapshot, options: PlanOptions): Refusal[] {
  return refusalsFor({
    desired: computed.desired,
    plan: computed.plan,
    snapshot: computed.refreshed ?? snapshot,
    limits: limitsOf(config, options),
    force: options.force === true,
    scoped: computed.scoped,
  });
}

/** `plan` and `sync --dry-run`: pull and diff; opens the snapshot read-only and never writes anything. */
export async function runPlan(config: Config, reporter: Reporter, options: PlanOptions = {}): Promise<PlanResult> {
  const store = openSnapshotStore(config.state.path, { readonly: true });
  let client: CommandClient | undefined;
  try {
    const snapshot = store.load();
    const result = await compute(config, store, snapshot, reporter, options, () => (client ??= openCommand(config, reporter, options.signal)));
    const refusals = refusalsOf(config, result, snapshot, options);
    return { plan: result.plan, snapshot, fingerprint: snapshotFingerprint(snapshot), drift: result.drift, pullSummary: result.pullSummary, refusals };
  } finally {
    store.close();
    await client?.close();
  }
}

export interface SyncOptions extends PlanOptions {
  /** The command that started the run, for the run log. */
  command: string;
  dryRun: boolean;
  force: boolean;
  /** Apply this reviewed plan instead of pulling from Okta. */
  saved?: SavedPlan;
  /** Called once the run is in the run log, before anything is read. */
  onRunStarted?: (runId: string) => void;
  /** Collects this run's metrics (HTTP requests, operations, the run's end). */
  metrics?: RunMetrics;
  onOutcome?: (event: { operation: Operation; outcome: OperationOutcome; error?: string }) => void;
}

export type SyncResult =
  /** `refusals` non-empty: `sync` would refuse this plan (and the dry run says so). */
  | { kind: "dry-run"; plan: Plan; snapshot: Snapshot; drift: Drift[]; pull?: PullSummary | undefined; refusals: Refusal[] }
  | { kind: "refused"; runId: string; plan: Plan; refusals: Refusal[]; drift: Drift[]; pull?: PullSummary | undefined }
  | {
      kind: "applied";
      runId: string;
      /** How the Okta pull went; undefined when a saved plan was applied. */
      pull?: PullSummary | undefined;
      plan: Plan;
      drift: Drift[];
      status: "succeeded" | "partial" | "failed" | "interrupted";
      applied: Summary;
      failed: FailedOperation[];
      warnings: string[];
      /** The error that stopped the run early (authentication refused). */
      fatal: SyncError | undefined;
    };

/** The meta key holding when Command was last re-read (for `sync.refreshEvery`). */
export const LAST_REFRESH_KEY = "lastRefreshAt";
/** When a probe found Command with no users (groups) while the snapshot had none. */
const SEEN_NO_USERS_KEY = "commandSeenWithoutUsersAt";
const SEEN_NO_GROUPS_KEY = "commandSeenWithoutGroupsAt";

export async function runSync(config: Config, options: SyncOptions, reporter: Reporter): Promise<SyncResult> {
  if (options.dryRun && options.saved === undefined) {
    const { plan, snapshot, drift, pullSummary, refusals } = await runPlan(config, reporter, options);
    return { kind: "dry-run", plan, snapshot, drift, pull: pullSummary, refusals };
  }
  if (options.dryRun && options.saved !== undefined) {
    const readonly = openSnapshotStore(config.state.path, { readonly: true });
    try {
      const snapshot = readonly.load();
      refuseMismatch(options.saved, snapshot, config);
      const refusals = options.force ? [] : checkSafety(options.saved.plan, snapshot, limitsOf(config, options));
      return { kind: "dry-run", plan: options.saved.plan, snapshot, drift: [], refusals };
    } finally {
      readonly.close();
    }
  }
  const store = openSnapshotStore(config.state.path);
  try {
    // One run at a time on a state DB: a second one fails here, before reading anything.
    const lock = store.acquireRunLock(options.command);
    if (lock.takenOverFrom !== undefined) {
      const from = lock.takenOverFrom;
      reporter.warn(`took over the lock of a run that is no longer alive (${from.command}, pid ${from.pid} on ${from.host})`);
    }
    try {
      return await syncWithStore(config, options, reporter, store);
    } finally {
      pruneHistory(store, config, reporter);
      lock.release();
    }
  } finally {
    store.close();
  }
}

/** Run-log housekeeping under the lock; a failure here must not fail the run. */
export function pruneHistory(store: ReturnType<typeof openSnapshotStore>, config: Config, reporter: Reporter): void {
  try {
    const deleted = pruneRunHistory(store, config, new Date());
    if (deleted > 0) reporter.debug(`deleted ${deleted} runs older than state.retention from the run log`);
  } catch (error) {
    reporter.warn(`could not prune the run log: ${errorMessage(error)}`);
  }
}

function refreshDue(config: Config, store: ReturnType<typeof openSnapshotStore>, now: Date): boolean {
  const every = config.sync.refreshEveryMs;
  if (every === undefined) return false;
  const last = store.getMeta(LAST_REFRESH_KEY);
  return last === undefined || now.getTime() - Date.parse(last) >= every;
}

async function syncWithStore(config: Config, options: SyncOptions, reporter: Reporter, store: ReturnType<typeof openSnapshotStore>): Promise<SyncResult> {
  const startedAt = new Date();
  const runId = store.beginRun(options.command, startedAt);
  options.onRunStarted?.(runId);
  let finished = false;
  let scope: ReturnType<typeof scopeOf> = { usersInScope: undefined, activeUsersInScope: undefined, groupsInScope: undefined, skippedUsers: undefined };
  let pullSummary: PullSummary | undefined;
  let planCpuSeconds: number | undefined;
  const finish = (status: Exclude<RunStatus, "running">, summary: Summary, failed: number, warnings: readonly string[]) => {
    finished = true;
    const finishedAt = new Date();
    store.finishRun(runId, { status, finishedAt, summary, failed, warnings });
    const usage = process.resourceUsage();
    options.metrics?.finish({
      command: options.command,
      status,
      startedAt,
      finishedAt,
      lastSuccessAt: lastSuccessAt(store.listRuns(200)),
      ...scope,
      applied: summary,
      failedOperations: failed,
      process: { cpuSeconds: (usage.userCPUTime + usage.systemCPUTime) / 1e6, maxRssBytes: usage.maxRSS * 1024 },
      planCpuSeconds,
      pullMode: pullSummary?.mode,
    });
  };
  const client = openCommand(config, reporter, options.signal, options.metrics?.onResponse);
  try {
    let plan: Plan;
    let snapshot: Snapshot;
    let drift: Drift[] = [];
    let lookupBeforeCreate = false;
    let lookupGroupsBeforeCreate = false;
    let refusals: Refusal[] = [];
    const refuse = (): SyncResult => {
      finish("refused", emptySummary(), 0, [...plan.warnings, ...refusals.map((r) => r.message)]);
      return { kind: "refused", runId, plan, refusals, drift, pull: pullSummary };
    };
    try {
      snapshot = store.load();
      if (options.saved !== undefined) {
        refuseMismatch(options.saved, snapshot, config);
        plan = options.saved.plan;
        refusals = options.force ? [] : checkSafety(plan, snapshot, limitsOf(config, options));
      } else {
        const refresh = options.refresh === true || (options.selection === undefined && refreshDue(config, store, new Date()));
        const computed = await compute(config, store, snapshot, reporter, { ...options, refresh }, () => client);
        pullSummary = computed.pullSummary;
        planCpuSeconds = computed.planCpuSeconds;
        scope = scopeOf(computed.desired);
        plan = computed.plan;
        drift = computed.drift;
        refusals = refusalsOf(config, computed, snapshot, options);
        // A refused run writes nothing: not the pull cache, not the refreshed snapshot.
        if (refusals.length > 0) return refuse();
        // The pull is accepted: keep it for the next one (a narrowed run read only part of it).
        if (!computed.scoped && options.selection === undefined) savePullCache(store, config, computed.pull, options.incremental === true);
        if (computed.refreshed !== undefined) {
          // What Command really holds is the truth to apply against, whatever happens next.
          writeSnapshot(store, snapshot, computed.refreshed);
          store.setMeta(LAST_REFRESH_KEY, new Date().toISOString());
          snapshot = computed.refreshed;
        }
        // An empty snapshot proves nothing about Command: one probe per kind says whether
        // creates must look first (an org Okta already provisioned) or can go straight to POST.
        if (snapshot.users.length === 0 && plan.operations.some((op) => op.type === "createUser")) {
          lookupBeforeCreate = await commandStillEmpty(store, client, "users");
          if (lookupBeforeCreate) {
            plan = {
              ...plan,
              warnings: [
                ...plan.warnings,
                "the snapshot is empty but Command already has users: each user is looked up by userName before it is created, so none is duplicated; `import` links them all at once and is the faster path",
              ],
            };
          }
        }
        if (snapshot.groups.length === 0 && plan.operations.some((op) => op.type === "createGroup")) {
          lookupGroupsBeforeCreate = await commandStillEmpty(store, client, "groups");
        }
      }
    } catch (error) {
      finish("failed", emptySummary(), 0, [errorMessage(error)]);
      throw error;
    }

    if (refusals.length > 0) return refuse();

    if (plan.operations.length > 0) reporter.step(`Applying ${plan.operations.length} operations to Command`);
    let doneUnits = 0;
    const applyStarted = Date.now();
    const result = await applyPlan(plan, snapshot, client, store, {
      runId,
      concurrency: config.command.concurrency,
      membersPerRequest: config.command.membersPerRequest,
      lookupBeforeCreate,
      lookupGroupsBeforeCreate,
      ...(options.signal === undefined ? {} : { signal: options.signal }),
      onProgress: ({ done, total }) => {
        doneUnits = done;
        const seconds = (Date.now() - applyStarted) / 1000;
        const rate = seconds >= 1 ? `, ${Math.round((done / seconds) * 60)}/min` : "";
        reporter.progress(`Applying to Command: ${done} of ${total} operations${rate}`);
      },
      onOutcome: (event) => {
        options.metrics?.onOutcome(event);
        options.onOutcome?.(event);
      },
    });
    const interrupted = options.signal?.aborted === true && result.fatal === undefined;
    const status = interrupted ? "interrupted" : result.status;
    const warnings = [...plan.warnings, ...result.warnings];
    if (plan.operations.length > 0) {
      if (status === "succeeded") reporter.stepDone(`Applied ${doneUnits} operations to Command`);
      else reporter.stepFailed(`Applied with problems: ${result.failed.length} operations failed`);
    }
    finish(status, result.applied, result.failed.length, [...warnings, ...(result.fatal ? [result.fatal.message] : [])]);
    return { kind: "applied", runId, pull: pullSummary, plan, drift, status, applied: result.applied, failed: result.failed, warnings, fatal: result.fatal };
  } catch (error) {
    if (!finished) finish("failed", emptySummary(), 0, [errorMessage(error)]);
    throw error;
  } finally {
    await client.close();
  }
}

function refuseMismatch(saved: SavedPlan, snapshot: Snapshot, config: Config): void {
  const mismatch = savedPlanMismatch(saved, snapshotFingerprint(snapshot), planTarget(config));
  if (mismatch !== undefined) throw new SyncError("config", `refusing the saved plan: ${mismatch}`, { hint: "make and review a new plan with `plan --out FILE`" });
}

/**
 * Whether creates of this kind must look first. Once a probe found Command without any, what it
 * holds later came from this snapshot's own runs, and those creates are marked pending: a run
 * that resumes after a kill looks up only those, not everyone. (Anything another system created
 * in between still answers the POST with a 409, which is adopted.)
 */
async function commandStillEmpty(store: ReturnType<typeof openSnapshotStore>, client: CommandClient, kind: "users" | "groups"): Promise<boolean> {
  const key = kind === "users" ? SEEN_NO_USERS_KEY : SEEN_NO_GROUPS_KEY;
  if (store.getMeta(key) !== undefined) return false;
  const has = await commandHas(client, kind);
  if (!has) store.setMeta(key, new Date().toISOString());
  return has;
}

async function commandHas(client: CommandClient, kind: "users" | "groups"): Promise<boolean> {
  const listing = kind === "users" ? client.listUsers({ pageSize: 1 }) : client.listGroups({ pageSize: 1 });
  for await (const _record of listing) return true;
  return false;
}
