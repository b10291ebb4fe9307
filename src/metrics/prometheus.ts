/**
 * A run's metrics as Prometheus text. Every value describes the last run only: the file is
 * rewritten (or the Pushgateway group replaced) at the end of each run, so counts are gauges
 * without `_total`, and a `rate()` over them would be meaningless.
 */
import { OPERATION_TYPES } from "../model.js";
import { type MetricFamily, renderExposition, type Sample } from "./exposition.js";
import { METRICS_RUN_STATUSES, OPERATION_OUTCOMES, type RunCounts, type RunSnapshotMetrics, SIDES } from "./types.js";

export const METRIC_PREFIX = "okta_command_sync_";

/** Always present, so a class that dropped to zero shows 0 rather than vanishing. */
export const STATUS_CLASSES: readonly string[] = ["2xx", "3xx", "4xx", "5xx", "network_error"];

const seconds = (date: Date) => date.getTime() / 1000;

function gauge(name: string, help: string, samples: readonly Sample[]): MetricFamily {
  return { name: `${METRIC_PREFIX}${name}`, help, type: "gauge", samples };
}

/** A single unlabelled sample, or none when the value is unknown. */
function single(value: number | undefined): Sample[] {
  return value === undefined ? [] : [{ value }];
}

function httpSamples(counts: RunCounts): Sample[] {
  const samples: Sample[] = [];
  for (const side of SIDES) {
    const byClass = counts.httpRequests[side];
    const extra = Object.keys(byClass)
      .filter((code) => !STATUS_CLASSES.includes(code))
      .sort();
    for (const code of [...STATUS_CLASSES, ...extra]) samples.push({ labels: { side, code }, value: byClass[code] ?? 0 });
  }
  return samples;
}

export function runMetricFamilies(run: RunSnapshotMetrics, counts: RunCounts): MetricFamily[] {
  const lastSuccess =
    run.status === "succeeded" && (run.lastSuccessAt === undefined || run.lastSuccessAt < run.finishedAt) ? run.finishedAt : run.lastSuccessAt;
  return [
    gauge("last_run_timestamp_seconds", "When the last run finished, in seconds since the epoch.", [{ value: seconds(run.finishedAt) }]),
    gauge(
      "last_success_timestamp_seconds",
      "When the last run with status succeeded finished, in seconds since the epoch; absent until a run succeeds (see last_run_success).",
      single(lastSuccess === undefined ? undefined : seconds(lastSuccess)),
    ),
    gauge("last_run_success", "1 if the last run succeeded (every operation applied), 0 otherwise.", [{ value: run.status === "succeeded" ? 1 : 0 }]),
    gauge("last_run_duration_seconds", "How long the last run took, in seconds.", [
      { value: Math.max(0, run.finishedAt.getTime() - run.startedAt.getTime()) / 1000 },
    ]),
    gauge(
      "last_run_status",
      "How the last run ended: 1 for its status, 0 for the others.",
      METRICS_RUN_STATUSES.map((status) => ({ labels: { status }, value: status === run.status ? 1 : 0 })),
    ),
    gauge("last_run_info", "The command that started the last run; always 1.", [{ labels: { command: run.command }, value: 1 }]),
    gauge("last_run_failed_operations", "Operations that failed in the last run.", [{ value: run.failedOperations }]),
    gauge(
      "operations",
      "Operations of the last run by type and outcome (a membership operation counts once, however many members).",
      OPERATION_TYPES.flatMap((type) => OPERATION_OUTCOMES.map((outcome) => ({ labels: { type, outcome }, value: counts.operations[type][outcome] }))),
    ),
    gauge(
      "changes_applied",
      "Changes Command confirmed in the last run by operation type (memberships count one per user in one group).",
      OPERATION_TYPES.map((type) => ({ labels: { type }, value: run.applied[type] })),
    ),
    gauge("http_requests", "HTTP requests of the last run by side and status class, retries included; network_error: no answer.", httpSamples(counts)),
    gauge(
      "http_rate_limited",
      "HTTP 429 answers in the last run by side.",
      SIDES.map((side) => ({ labels: { side }, value: counts.httpRateLimited[side] })),
    ),
    gauge("users_in_scope", "Users assigned to the app in Okta at the last run, active or not; absent when the pull failed.", single(run.usersInScope)),
    gauge("active_users_in_scope", "Users in scope that should be active in Command; absent when the pull failed.", single(run.activeUsersInScope)),
    gauge("groups_in_scope", "Groups pushed to Command at the last run; absent when the pull failed.", single(run.groupsInScope)),
    gauge(
      "skipped_users",
      "Users assigned to the app who could not be pushed at the last run (bad data, a userName collision) and are held as they are in Command; absent when the pull failed.",
      single(run.skippedUsers),
    ),
    gauge(
      "last_run_pull_incremental",
      "1 if the last run read Okta incrementally (System Log), 0 if it read everything; absent when the pull failed.",
      single(run.pullMode === undefined ? undefined : run.pullMode === "incremental" ? 1 : 0),
    ),
    gauge("last_run_cpu_seconds", "CPU time (user + system) of the process of the last run, in seconds.", single(run.process?.cpuSeconds)),
    gauge("last_run_max_rss_bytes", "Peak resident memory of the process of the last run, in bytes.", single(run.process?.maxRssBytes)),
    gauge("last_run_plan_cpu_seconds", "CPU time of the last run's plan step (mapping the pull and diffing it), in seconds.", single(run.planCpuSeconds)),
  ];
}

/** The exposition text of a run's metrics; deterministic for the same input. */
export function renderRunMetrics(run: RunSnapshotMetrics, counts: RunCounts): string {
  return renderExposition(runMetricFamilies(run, counts));
}
