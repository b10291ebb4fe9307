/** The data a run's metrics are rendered from. */
import type { OperationOutcome } from "../model.js";
import type { Side } from "../errors.js";
import type { OperationType, Summary } from "../model.js";

/** How a run that reached the run log ended. */
export type MetricsRunStatus = "succeeded" | "partial" | "failed" | "refused" | "interrupted";

export const METRICS_RUN_STATUSES: readonly MetricsRunStatus[] = ["succeeded", "partial", "failed", "refused", "interrupted"];

export const OPERATION_OUTCOMES: readonly OperationOutcome[] = ["succeeded", "failed", "skipped"];

export const SIDES: readonly Side[] = ["okta", "command"];

/** What is known once the run has ended; the engine fills it in. */
export interface RunSnapshotMetrics {
  /** The command that started the run (`sync`). */
  command: string;
  status: MetricsRunStatus;
  startedAt: Date;
  finishedAt: Date;
  /**
   * When the newest successful run finished (from the run log), this one included; undefined
   * when no run ever succeeded. A succeeded run counts as the last success whatever is passed.
   */
  lastSuccessAt: Date | undefined;
  /** Users the pull put in scope (desired users), active or not; undefined when the pull did not complete. */
  usersInScope: number | undefined;
  activeUsersInScope: number | undefined;
  /** Groups to push; undefined when the pull did not complete. */
  groupsInScope: number | undefined;
  /** Assigned users held as they are in Command (cannot be pushed); undefined when the pull did not complete. */
  skippedUsers?: number | undefined;
  /** Units applied by type (memberships count one per user in one group). */
  applied: Summary;
  /** Operations that failed in this run. */
  failedOperations: number;
  /** The process: CPU seconds (user + system) and peak resident memory, at the run's end. */
  process?: { cpuSeconds: number; maxRssBytes: number } | undefined;
  /** CPU seconds of turning the pull into the desired state and diffing it (the plan step). */
  planCpuSeconds?: number | undefined;
  /** How Okta was read: full, or incremental from the System Log. */
  pullMode?: "full" | "incremental" | undefined;
}

/** What was counted while the run went on. */
export interface RunCounts {
  /** Requests (every attempt) by side and status class: `2xx` ... `5xx`, `network_error`. */
  httpRequests: Readonly<Record<Side, Readonly<Record<string, number>>>>;
  /** 429 answers by side. */
  httpRateLimited: Readonly<Record<Side, number>>;
  /** Finished operations by type and outcome. */
  operations: Readonly<Record<OperationType, Readonly<Record<OperationOutcome, number>>>>;
}
