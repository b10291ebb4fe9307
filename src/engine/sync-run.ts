/**
 * One run of `sync` or `backfill`: pull -> (refresh) -> plan -> guard -> apply, with the run
 * recorded in the snapshot's run log. Nothing here writes to stdout or stderr.
 */
import { applyPlan, type FailedOperation } from "../apply/applier.js";
import type { Config } from "../config/types.js";
import { count } from "../plural.js";
import { errorMessage, type SyncError } from "../errors.js";
import { emptySummary, type Operation, type OperationOutcome, type Plan, type RunStatus, type Snapshot, type Summary } from "../model.js";
import { lastSuccessAt, type RunMetrics, scopeOf } from "../metrics/index.js";
import { checkSafety, type Refusal } from "../plan/guard.js";
import type { Drift } from "../plan/refresh.js";
import type { SavedPlan } from "../plan/saved-plan.js";
import type { RunNotice } from "../notify/webhook.js";
import { type Approval, approvalRefusals, approveCommand, findApproval, keepRefusedPlan } from "./approve.js";
import { LAST_REFRESH_KEY, writeSnapshot } from "./command-state.js";
import { limitsOf, type PlanOptions, refuseMismatch, refusalsOf, runPlan, compute } from "./plan-run.js";
import type { CommandClient, MetaStore, PullSummary, RunPorts } from "./ports.js";
import type { Reporter } from "./reporter.js";
import { pruneHistory } from "./retention.js";

export { type PlanOptions, type PlanResult, planTarget, runPlan, type Selection } from "./plan-run.js";

export interface SyncOptions extends PlanOptions {
  /** The command that started the run, for the run log. */
  command: string;
  dryRun: boolean;
  force: boolean;
  /** Apply this reviewed plan instead of pulling from Okta. */
  saved?: SavedPlan;
  /** Apply the plan this refused run kept (`sync --approve`): a run id or a unique prefix of it. */
  approve?: string;
  /** When aborted, operations not yet started are skipped (the adapters are told by the caller). */
  signal?: AbortSignal;
  /** Called once the run is in the run log, before anything is read. */
  onRunStarted?: (runId: string) => void;
  /** Collects this run's metrics (HTTP requests, operations, the run's end). */
  metrics?: RunMetrics;
  onOutcome?: (event: { operation: Operation; outcome: OperationOutcome; error?: string }) => void;
}

export type SyncResult =
  /** `refusals` non-empty: `sync` would refuse this plan (and the dry run says so). */
  | { kind: "dry-run"; plan: Plan; snapshot: Snapshot; drift: Drift[]; pull?: PullSummary | undefined; refusals: Refusal[] }
  | {
      kind: "refused";
      runId: string;
      plan: Plan;
      refusals: Refusal[];
      drift: Drift[];
      pull?: PullSummary | undefined;
      /** The command that applies this refused plan once reviewed; undefined when it kept none. */
      approveCommand?: string | undefined;
      /** The refused run this run tried to approve. */
      approves?: string | undefined;
    }
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
      /** The refused run whose kept plan this run applied. */
      approves?: string | undefined;
    };

/** When a probe found Command with no users (groups) while the snapshot had none. */
const SEEN_NO_USERS_KEY = "commandSeenWithoutUsersAt";
const SEEN_NO_GROUPS_KEY = "commandSeenWithoutGroupsAt";

/**
 * `sync` and `backfill` (and their dry runs) against the ports of a run. The snapshot DB is opened
 * by the caller: read-only for a dry run, for writing otherwise.
 */
export async function runSync(config: Config, options: SyncOptions, reporter: Reporter, ports: RunPorts): Promise<SyncResult> {
  if (options.dryRun && options.saved === undefined) {
    const { plan, snapshot, drift, pullSummary, refusals } = await runPlan(config, reporter, options, ports);
    return { kind: "dry-run", plan, snapshot, drift, pull: pullSummary, refusals };
  }
  const store = ports.snapshot;
  if (options.dryRun && options.saved !== undefined) {
    const snapshot = store.load();
    refuseMismatch(options.saved, snapshot, config);
    const refusals = options.force ? [] : checkSafety(options.saved.plan, snapshot, limitsOf(config, options));
    return { kind: "dry-run", plan: options.saved.plan, snapshot, drift: [], refusals };
  }
  // One run at a time on a state DB: a second one fails here, before reading anything.
  const lock = store.acquireRunLock(options.command);
  if (lock.takenOverFrom !== undefined) {
    const from = lock.takenOverFrom;
    reporter.warn(`took over the lock of a run that is no longer alive (${from.command}, pid ${from.pid} on ${from.host})`);
  }
  let ended: RunNotice | undefined;
  try {
    // The refused run is looked up under the lock: no other run can spend its approval meanwhile.
    const approval = options.approve === undefined ? undefined : findApproval(store, options.approve);
    return await syncWithStore(config, options, reporter, ports, approval, (notice) => {
      ended = notice;
    });
  } finally {
    pruneHistory(store, config, reporter);
    lock.release();
    // After the run is recorded and the lock released: a slow receiver holds up nothing else.
    if (ended !== undefined && ports.notifier !== undefined) {
      const problem = await ports.notifier.notify(ended).catch((error: unknown) => `notification failed: ${errorMessage(error)}`);
      if (problem !== undefined) reporter.warn(problem);
    }
  }
}

function refreshDue(config: Config, store: MetaStore, now: Date): boolean {
  const every = config.sync.refreshEveryMs;
  if (every === undefined) return false;
  const last = store.getMeta(LAST_REFRESH_KEY);
  return last === undefined || now.getTime() - Date.parse(last) >= every;
}

async function syncWithStore(
  config: Config,
  options: SyncOptions,
  reporter: Reporter,
  ports: RunPorts,
  approval: Approval | undefined,
  onEnd: (notice: RunNotice) => void,
): Promise<SyncResult> {
  const store = ports.snapshot;
  const startedAt = new Date();
  const runId = store.beginRun(options.command, startedAt, approval?.runId);
  options.onRunStarted?.(runId);
  let finished = false;
  let scope: ReturnType<typeof scopeOf> = { usersInScope: undefined, activeUsersInScope: undefined, groupsInScope: undefined, skippedUsers: undefined };
  let pullSummary: PullSummary | undefined;
  let planCpuSeconds: number | undefined;
  const finish = (status: Exclude<RunStatus, "running">, summary: Summary, failed: number, warnings: readonly string[], notice: Pick<RunNotice, "reasons" | "approveCommand"> = { reasons: [] }) => {
    finished = true;
    const finishedAt = new Date();
    store.finishRun(runId, { status, finishedAt, summary, failed, warnings });
    onEnd({ runId, command: options.command, status, summary, failed, ...notice });
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
  try {
    const client = ports.command();
    let plan: Plan;
    let snapshot: Snapshot;
    let drift: Drift[] = [];
    let lookupBeforeCreate = false;
    let lookupGroupsBeforeCreate = false;
    let refusals: Refusal[] = [];
    /** The snapshot the plan was computed against (re-read from Command with a refresh). */
    let planBase: Snapshot;
    const refuse = (): SyncResult => {
      // A refused approval keeps nothing: its plan is the one already kept by the run it names.
      const approvable = approval === undefined;
      if (approvable) keepRefusedPlan(store, runId, plan, planBase, config);
      const command = approvable ? approveCommand(runId) : undefined;
      const reasons = refusals.map((r) => r.message);
      finish("refused", emptySummary(), 0, [...plan.warnings, ...reasons], { reasons, approveCommand: command });
      return { kind: "refused", runId, plan, refusals, drift, pull: pullSummary, approveCommand: command, approves: approval?.runId };
    };
    try {
      snapshot = store.load();
      planBase = snapshot;
      if (approval !== undefined) {
        // The approval is the override: no safety limit is asked again, only whether the plan
        // still describes what would happen.
        plan = approval.saved.plan;
        refusals = approvalRefusals(store, approval, snapshot, config);
      } else if (options.saved !== undefined) {
        refuseMismatch(options.saved, snapshot, config);
        plan = options.saved.plan;
        refusals = options.force ? [] : checkSafety(plan, snapshot, limitsOf(config, options));
      } else {
        const planned = await planAndKeep(config, options, reporter, ports, snapshot, (done) => {
          // Known to the run's end (and its metrics) even when keeping the pull fails.
          ({ pullSummary, planCpuSeconds, scope } = done);
        });
        ({ plan, drift, refusals } = planned);
        planBase = planned.refreshed ?? snapshot;
        // A refused run writes nothing: not the pull cache, not the refreshed snapshot.
        if (refusals.length > 0) return refuse();
        if (planned.refreshed !== undefined) {
          // What Command really holds is the truth to apply against, whatever happens next.
          writeSnapshot(store, snapshot, planned.refreshed);
          store.setMeta(LAST_REFRESH_KEY, new Date().toISOString());
          snapshot = planned.refreshed;
        }
      }
      // A saved plan is no exception: it may have been made before Command had anyone.
      if (refusals.length === 0) {
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
      finish("failed", emptySummary(), 0, [errorMessage(error)], { reasons: [errorMessage(error)] });
      throw error;
    }

    if (refusals.length > 0) return refuse();

    if (plan.operations.length > 0) reporter.step(`Applying ${count(plan.operations.length, "operation")} to Command`);
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
        reporter.progress(`Applying to Command: ${done} of ${count(total, "operation")}${rate}`);
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
      if (status === "succeeded") reporter.stepDone(`Applied ${count(doneUnits, "operation")} to Command`);
      else reporter.stepFailed(`Applied with problems: ${count(result.failed.length, "operation")} failed`);
    }
    const reasons = result.fatal ? [result.fatal.message] : interrupted ? ["the run was interrupted before every operation was applied"] : [];
    finish(status, result.applied, result.failed.length, [...warnings, ...(result.fatal ? [result.fatal.message] : [])], { reasons });
    return {
      kind: "applied",
      runId,
      pull: pullSummary,
      plan,
      drift,
      status,
      applied: result.applied,
      failed: result.failed,
      warnings,
      fatal: result.fatal,
      approves: approval?.runId,
    };
  } catch (error) {
    if (!finished) finish("failed", emptySummary(), 0, [errorMessage(error)], { reasons: [errorMessage(error)] });
    throw error;
  }
}

/**
 * Pull, plan and guard; an accepted pull is kept for the next one. In a function of its own so
 * that the pull and the desired state are let go before the plan is applied: only the plan and
 * what the run reports of it come out.
 */
async function planAndKeep(
  config: Config,
  options: SyncOptions,
  reporter: Reporter,
  ports: RunPorts,
  snapshot: Snapshot,
  onComputed: (done: { pullSummary: PullSummary | undefined; planCpuSeconds: number; scope: ReturnType<typeof scopeOf> }) => void,
) {
  const refresh = options.refresh === true || (options.selection === undefined && refreshDue(config, ports.snapshot, new Date()));
  const computed = await compute(config, ports, snapshot, reporter, { ...options, refresh });
  onComputed({ pullSummary: computed.pullSummary, planCpuSeconds: computed.planCpuSeconds, scope: scopeOf(computed.desired) });
  const refusals = refusalsOf(config, computed, snapshot, options);
  // The pull is accepted: keep it for the next one (a narrowed run read only part of it).
  if (refusals.length === 0 && !computed.scoped && options.selection === undefined) ports.okta.keep(computed.pulled, options.incremental === true);
  return {
    plan: computed.plan,
    drift: computed.drift,
    refreshed: computed.refreshed,
    refusals,
  };
}

/**
 * Whether creates of this kind must look first. Once a probe found Command without any, what it
 * holds later came from this snapshot's own runs, and those creates are marked pending: a run
 * that resumes after a kill looks up only those, not everyone. (Anything another system created
 * in between still answers the POST with a 409, which is adopted.)
 */
async function commandStillEmpty(store: MetaStore, client: Pick<CommandClient, "listUsers" | "listGroups">, kind: "users" | "groups"): Promise<boolean> {
  const key = kind === "users" ? SEEN_NO_USERS_KEY : SEEN_NO_GROUPS_KEY;
  if (store.getMeta(key) !== undefined) return false;
  const has = await commandHas(client, kind);
  if (!has) store.setMeta(key, new Date().toISOString());
  return has;
}

async function commandHas(client: Pick<CommandClient, "listUsers" | "listGroups">, kind: "users" | "groups"): Promise<boolean> {
  const listing = kind === "users" ? client.listUsers({ pageSize: 1 }) : client.listGroups({ pageSize: 1 });
  for await (const _record of listing) return true;
  return false;
}
