/**
 * One run of `plan` or `sync`: pull -> plan -> guard -> apply, with the run recorded in the
 * snapshot's run log. Nothing here writes to stdout or stderr.
 */
import { applyPlan, type FailedOperation } from "../apply/applier.js";
import type { OperationOutcome, RunStatus, SnapshotStore } from "../apply/ports.js";
import type { Config, Limit } from "../config/types.js";
import { errorMessage, SyncError } from "../errors.js";
import { emptySummary, type Operation, type Plan, type Snapshot, type Summary, summarize } from "../model.js";
import { mappedPaths } from "../okta/mapping.js";
import { checkSafety, suspectPull, type Violation } from "../plan/guard.js";
import { plan as computePlan } from "../plan/planner.js";
import { createScimClient } from "../scim/client.js";
import { withLookups } from "../scim/lookups.js";
import { openSnapshotStore } from "../store/index.js";
import { pullDesiredState } from "./pull-desired.js";
import type { Reporter } from "./reporter.js";

export interface PlanResult {
  plan: Plan;
  snapshot: Snapshot;
}

/** `plan`: pull and diff; opens the snapshot read-only, so it never writes anything. */
export async function runPlan(config: Config, reporter: Reporter): Promise<PlanResult> {
  const store = openSnapshotStore(config.state.path, { readonly: true });
  try {
    const snapshot = store.load();
    const desired = await pullDesiredState(config, reporter);
    const plan = computePlan(desired, snapshot, { onRemove: config.groups.onRemove });
    const suspect = suspectPull(desired, snapshot, config.safety.minPullFraction);
    const warnings = suspect === undefined ? plan.warnings : [...plan.warnings, `sync would refuse this: ${suspect}`];
    return { plan: { ...plan, warnings }, snapshot };
  } finally {
    store.close();
  }
}

export interface SyncOptions {
  /** The command that started the run, for the run log. */
  command: string;
  dryRun: boolean;
  force: boolean;
  maxDeactivations: Limit | undefined;
  signal?: AbortSignal;
  /** Called once the run is in the run log, before anything is read. */
  onRunStarted?: (runId: string) => void;
  onOutcome?: (event: { operation: Operation; outcome: OperationOutcome; error?: string }) => void;
}

export type SyncResult =
  | { kind: "dry-run"; plan: Plan; snapshot: Snapshot }
  | { kind: "refused"; runId: string; plan: Plan; violations: Violation[] }
  | {
      kind: "applied";
      runId: string;
      plan: Plan;
      status: "succeeded" | "partial" | "failed" | "interrupted";
      applied: Summary;
      failed: FailedOperation[];
      warnings: string[];
      /** The error that stopped the run early (authentication refused). */
      fatal: SyncError | undefined;
    };

export async function runSync(config: Config, options: SyncOptions, reporter: Reporter): Promise<SyncResult> {
  if (options.dryRun) {
    const { plan, snapshot } = await runPlan(config, reporter);
    return { kind: "dry-run", plan, snapshot };
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
      lock.release();
    }
  } finally {
    store.close();
  }
}

async function syncWithStore(config: Config, options: SyncOptions, reporter: Reporter, store: SnapshotStore): Promise<SyncResult> {
  const runId = store.beginRun(options.command, new Date());
  options.onRunStarted?.(runId);
  const finish = (status: RunStatus, summary: Summary, failed: number, warnings: readonly string[]) =>
    store.finishRun(runId, { status, finishedAt: new Date(), summary, failed, warnings });
  let plan: Plan;
  let snapshot: Snapshot;
  try {
    snapshot = store.load();
    const desired = await pullDesiredState(config, reporter, options.signal);
    const suspect = options.force ? undefined : suspectPull(desired, snapshot, config.safety.minPullFraction);
    if (suspect !== undefined) {
      throw new SyncError("remote", suspect, {
        hint: "check okta.appId and the token's permissions; if this many users really left the app, rerun with --force",
      });
    }
    plan = computePlan(desired, snapshot, { onRemove: config.groups.onRemove });
  } catch (error) {
    finish("failed", emptySummary(), 0, [errorMessage(error)]);
    throw error;
  }

  const limits = { ...config.safety, maxDeactivations: options.maxDeactivations ?? config.safety.maxDeactivations };
  const violations = options.force ? [] : checkSafety(plan, snapshot, limits);
  if (violations.length > 0) {
    finish("refused", emptySummary(), 0, [...plan.warnings, ...violations.map((v) => v.message)]);
    return { kind: "refused", runId, plan, violations };
  }

  const total = summarize(plan.operations);
  const units = Object.values(total).reduce((a, b) => a + b, 0);
  const target = withLookups(createScimClient({
    baseUrl: config.command.scimUrl,
    token: config.command.token,
    timeoutMs: config.command.timeoutMs,
    connections: config.command.concurrency,
    updateMethod: config.command.updateMethod,
    attributePaths: mappedPaths({ attributes: config.attributes, phoneType: config.users.phoneType }),
    retry: config.retry,
    requestsPerMinute: config.command.requestsPerMinute,
    onWait: (event) => {
      reporter.progress(event.message);
      reporter.debug(event.message);
    },
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  }));
  try {
    if (plan.operations.length > 0) reporter.step(`Applying ${plan.operations.length} operations to Command`);
    let doneUnits = 0;
    const result = await applyPlan(plan, snapshot, target, store, {
      runId,
      concurrency: config.command.concurrency,
      membersPerRequest: config.command.membersPerRequest,
      ...(options.signal === undefined ? {} : { signal: options.signal }),
      onProgress: ({ done, total: count }) => {
        doneUnits = done;
        reporter.progress(`Applying to Command: ${done} of ${count} operations (${units} changes)`);
      },
      ...(options.onOutcome === undefined ? {} : { onOutcome: options.onOutcome }),
    });
    const interrupted = options.signal?.aborted === true && result.fatal === undefined;
    const status = interrupted ? "interrupted" : result.status;
    const warnings = [...plan.warnings, ...result.warnings];
    if (plan.operations.length > 0) {
      if (status === "succeeded") reporter.stepDone(`Applied ${doneUnits} operations to Command`);
      else reporter.stepFailed(`Applied with problems: ${result.failed.length} operations failed`);
    }
    finish(status, result.applied, result.failed.length, [...warnings, ...(result.fatal ? [result.fatal.message] : [])]);
    return { kind: "applied", runId, plan, status, applied: result.applied, failed: result.failed, warnings, fatal: result.fatal };
  } catch (error) {
    finish("failed", emptySummary(), 0, [errorMessage(error)]);
    throw error;
  } finally {
    await target.close();
  }
}
