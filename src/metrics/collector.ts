/**
 * Counts what happens during a run (HTTP attempts, operation outcomes) and renders them, with what
 * is known at the end, as Prometheus text.
 */
import type { OperationOutcome } from "../model.js";
import type { Side } from "../errors.js";
import { type DesiredState, OPERATION_TYPES, type Operation, type OperationType } from "../model.js";
import type { HttpResponseEvent, ResponseListener } from "../http/http-event.js";
import { renderRunMetrics } from "./prometheus.js";
import { OPERATION_OUTCOMES, type RunCounts, type RunSnapshotMetrics, SIDES } from "./types.js";

export type { HttpResponseEvent, ResponseListener } from "../http/http-event.js";
export type { MetricsRunStatus, RunCounts, RunSnapshotMetrics } from "./types.js";

/** `2xx` ... `5xx`; `network_error` when no answer arrived; `other` for a status outside 100-599. */
export function statusClass(status: number): string {
  if (status === 0) return "network_error";
  if (Number.isInteger(status) && status >= 100 && status <= 599) return `${Math.floor(status / 100)}xx`;
  return "other";
}

export class RunMetrics {
  private readonly requests: Record<Side, Record<string, number>> = { okta: {}, command: {} };
  private readonly rateLimited: Record<Side, number> = { okta: 0, command: 0 };
  private readonly outcomes = Object.fromEntries(
    OPERATION_TYPES.map((type) => [type, Object.fromEntries(OPERATION_OUTCOMES.map((outcome) => [outcome, 0]))]),
  ) as Record<OperationType, Record<OperationOutcome, number>>;
  private finished: RunSnapshotMetrics | undefined;

  /** `recordHttp`, bound: pass it as a client's `onResponse`. */
  readonly onResponse: ResponseListener = (event) => this.recordHttp(event);

  /** `recordOperation` with weight 1, bound: pass it as `onOutcome` of runSync or applyPlan. */
  readonly onOutcome = (event: { operation: Operation; outcome: OperationOutcome }): void => {
    this.recordOperation(event.operation.type, event.outcome);
  };

  recordHttp(event: HttpResponseEvent): void {
    if (!SIDES.includes(event.side)) return;
    const byClass = this.requests[event.side];
    const code = statusClass(event.status);
    byClass[code] = (byClass[code] ?? 0) + 1;
    if (event.status === 429) this.rateLimited[event.side] += 1;
  }

  recordOperation(type: OperationType, outcome: OperationOutcome, weight = 1): void {
    const byOutcome = this.outcomes[type];
    if (byOutcome === undefined || !OPERATION_OUTCOMES.includes(outcome)) return;
    byOutcome[outcome] += weight;
  }

  /** Records how the run ended (the engine calls it where it finishes the run in the run log). */
  finish(run: RunSnapshotMetrics): void {
    this.finished = run;
  }

  /** The finished run's metrics as text; undefined when the run never finished (a lock held, bad config). */
  text(): string | undefined {
    return this.finished === undefined ? undefined : this.render(this.finished);
  }

  /** A copy of the counts so far. */
  counts(): RunCounts {
    return {
      httpRequests: { okta: { ...this.requests.okta }, command: { ...this.requests.command } },
      httpRateLimited: { ...this.rateLimited },
      operations: Object.fromEntries(OPERATION_TYPES.map((type) => [type, { ...this.outcomes[type] }])) as RunCounts["operations"],
    };
  }

  /** The run's metrics as Prometheus text (exposition format 0.0.4). */
  render(run: RunSnapshotMetrics): string {
    return renderRunMetrics(run, this.counts());
  }
}

/** The scope figures of a completed pull. */
export function scopeOf(desired: DesiredState): Pick<RunSnapshotMetrics, "usersInScope" | "activeUsersInScope" | "groupsInScope" | "skippedUsers"> {
  return {
    usersInScope: desired.users.length,
    activeUsersInScope: desired.users.filter((user) => user.active).length,
    groupsInScope: desired.groups.length,
    skippedUsers: desired.skipped?.length ?? 0,
  };
}

/**
 * When the newest succeeded run of `commands` in the log finished (`partial` is not a success,
 * as for `check --max-age`). Pass enough of the log to reach past a streak of failed runs.
 */
export function lastSuccessAt(
  runs: readonly { command: string; status: string; finishedAt: string | undefined }[],
  commands: readonly string[] = ["sync"],
): Date | undefined {
  let newest: Date | undefined;
  for (const run of runs) {
    if (run.status !== "succeeded" || run.finishedAt === undefined || !commands.includes(run.command)) continue;
    const at = new Date(run.finishedAt);
    if (Number.isNaN(at.getTime())) continue;
    if (newest === undefined || at > newest) newest = at;
  }
  return newest;
}
