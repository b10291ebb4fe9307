/**
 * Run-log retention: runs older than `state.retention` go at the end of each run, so the
 * snapshot DB does not grow without bound on a job that runs every few minutes for years.
 */
import { count } from "../plural.js";
import type { Config } from "../config/types.js";
import { errorMessage } from "../errors.js";
import type { RunHistoryStore } from "./ports.js";
import type { Reporter } from "./reporter.js";


/** Runs started before this are due for deletion; undefined when every run is kept. */
export function retentionCutoff(config: { state: Pick<Config["state"], "retentionMs"> }, now: Date): Date | undefined {
  const ms = config.state.retentionMs;
  return ms === undefined ? undefined : new Date(now.getTime() - ms);
}

/**
 * Delete the runs (and their operations) that started more than `state.retention` before `now`.
 * The store keeps running runs and the newest succeeded run of each command whatever their age.
 * Returns how many runs were deleted (0 when retention is off). Call it while holding the run
 * lock, on a store opened for writing.
 */
export function pruneRunHistory(store: RunHistoryStore, config: { state: Pick<Config["state"], "retentionMs"> }, now: Date): number {
  const cutoff = retentionCutoff(config, now);
  return cutoff === undefined ? 0 : store.pruneRunsOlderThan(cutoff);
}

/** Run-log housekeeping at the end of a run, under its lock; a failure here must not fail the run. */
export function pruneHistory(store: RunHistoryStore, config: { state: Pick<Config["state"], "retentionMs"> }, reporter: Reporter): void {
  try {
    const deleted = pruneRunHistory(store, config, new Date());
    if (deleted > 0) reporter.debug(`deleted ${count(deleted, "run")} older than state.retention from the run log`);
  } catch (error) {
    reporter.warn(`could not prune the run log: ${errorMessage(error)}`);
  }
}
