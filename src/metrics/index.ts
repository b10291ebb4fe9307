/** Run metrics: collect during a run, render as Prometheus text, write a file or push. */
export { lastSuccessAt, RunMetrics, scopeOf, statusClass } from "./collector.js";
export { type HttpResponseEvent, notifyResponse, type ResponseListener } from "../http/http-event.js";
export { METRIC_PREFIX, renderRunMetrics } from "./prometheus.js";
export type { MetricsRunStatus, RunCounts, RunSnapshotMetrics } from "./types.js";
export {
  checkMetricsDirectory,
  DEFAULT_PUSH_JOB,
  DEFAULT_PUSH_TIMEOUT_MS,
  type MetricsTargets,
  type PushOptions,
  publishMetrics,
  pushMetrics,
  writeMetricsFile,
} from "./write.js";
