/**
 * What the use cases (sync, plan, backfill, import, check) need from the outside, as small
 * interfaces. The adapters (src/okta, src/scim, src/store) fit them by shape and are built in one
 * place, the composition root (src/cli/compose.ts); nothing in src/engine builds one.
 */
import type { SyncError } from "../errors.js";
import type { RunLog, ScimLookups, ScimTarget, SnapshotStore } from "../apply/ports.js";
import type { CheckResult } from "../checklist.js";
import type { OperationRecord, RemoteGroup, RemoteUser, RunRecord } from "../model.js";
import type { RunNotice } from "../notify/webhook.js";
import type { OktaSource } from "../okta/source.js";
import type { SnapshotInspection } from "../store/inspect.js";

export type { OktaSource, Pulled, PullRequest, PullSummary } from "../okta/source.js";

/** Small values kept beside the snapshot (when Command was last re-read, the Okta cache's keys). */
export interface MetaStore {
  getMeta(key: string): string | undefined;
  setMeta(key: string, value: string): void;
  deleteMeta(key: string): void;
}

/** One run at a time on a snapshot DB. */
export interface RunLocks {
  /** Take the lock or throw a SyncError of kind `conflict`. */
  acquireRunLock(command: string): { takenOverFrom?: { command: string; pid: number; host: string } | undefined; release(): void };
}

/** Run-log housekeeping (`state.retention`). */
export interface RunHistoryStore {
  pruneRunsOlderThan(cutoff: Date): number;
}

/** Plans kept by refused runs, and the runs that approved them (`sync --approve`). */
export interface KeptPlans {
  /** `approves`: the refused run whose kept plan the new run applies. */
  beginRun(command: string, startedAt: Date, approves?: string): string;
  keepPlan(runId: string, plan: string): void;
  keptPlan(runId: string): string | undefined;
  approvalsOf(runId: string): RunRecord[];
  findRunsByPrefix(prefix: string, limit: number): RunRecord[];
  getRunOperations(runId: string): OperationRecord[];
}

/** The snapshot DB of a run: the snapshot, its run log, its meta and its lock. */
export type SnapshotDb = SnapshotStore & RunLog & KeptPlans & MetaStore & RunLocks & RunHistoryStore;

/** Told how a run ended (a webhook); returns a problem to log as a warning, and never throws. */
export interface Notifier {
  notify(notice: RunNotice): Promise<string | undefined>;
}

/** Command as the use cases see it: the applier's port, plus full reads for refreshes and `import`. */
export interface CommandClient extends ScimTarget, ScimLookups {
  listUsers(options?: { pageSize?: number }): AsyncIterable<RemoteUser>;
  listGroups(options?: { pageSize?: number }): AsyncIterable<RemoteGroup>;
}

/** The adapters of a run. */
export interface RunPorts {
  snapshot: SnapshotDb;
  okta: OktaSource;
  /** Command's client, built on first use (a run that never talks to Command never builds it). */
  command: () => CommandClient;
  /** Told how the run ended; undefined: nobody to tell. */
  notifier?: Notifier | undefined;
}

/** The adapters of `check`. */
export interface CheckPorts {
  okta: Pick<OktaSource, "probe" | "pullDesired">;
  command: { probe(timeoutMs: number): Promise<CheckResult[]> };
  snapshot: {
    path: string;
    inspect(): SnapshotInspection;
    /** What would stop a run from writing the snapshot DB (tried without changing it), or undefined. */
    writeProblem?(): SyncError | undefined;
  };
}
