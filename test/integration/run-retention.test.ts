/**
 * Run-log retention against a real snapshot DB: runs placed at chosen times, pruned the way the
 * end of each run prunes them.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { validateConfig } from "../../src/config/validate.js";
import { pruneRunHistory, retentionCutoff } from "../../src/engine/retention.js";
import { SyncError } from "../../src/errors.js";
import { emptySummary, type Operation, type RunRecord, type RunStatus } from "../../src/model.js";
import { openSnapshotStore, type SqliteSnapshotStore } from "../../src/store/index.js";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const NOW = new Date("2026-11-29T05:00:00.000Z");
const NINETY_DAYS = { state: { retentionMs: 90 * DAY } };

let dir: string;
let dbPath: string;
let store: SqliteSnapshotStore;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "ocs-retention-"));
  dbPath = join(dir, "state.db");
  store = openSnapshotStore(dbPath);
});

afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

const op: Operation = { type: "createUser", oktaId: "00u1", userName: "ada@acme.com", after: { userName: "ada@acme.com" } };

/** A run of `command` that started `ageMs` before NOW, with two operations, ended with `status`. */
function runAt(ageMs: number, status: RunStatus, command = "sync"): string {
  const startedAt = new Date(NOW.getTime() - ageMs);
  const id = store.beginRun(command, startedAt);
  for (const index of [0, 1]) store.recordOperation(id, { index, type: "createUser", target: "ada@acme.com", outcome: "succeeded", detail: op });
  if (status !== "running") {
    store.finishRun(id, { status, finishedAt: new Date(startedAt.getTime() + 1000), summary: emptySummary(), failed: 0, warnings: [] });
  }
  return id;
}

/** A run by its full id, the way `runs show` finds it. */
function runById(store: SqliteSnapshotStore, id: string): RunRecord | undefined {
  return store.findRunsByPrefix(id, 2).find((run) => run.id === id);
}

function remaining(): string[] {
  return store.listRuns(1000).map((run) => run.id);
}

function operationRows(): number {
  const db = new Database(dbPath, { readonly: true });
  try {
    return Number(db.prepare("SELECT count(*) FROM run_operations").pluck().get());
  } finally {
    db.close();
  }
}

describe("pruneRunHistory", () => {
  it("deletes the runs older than the retention with their operations, and keeps the rest", () => {
    const old = [runAt(200 * DAY, "succeeded"), runAt(120 * DAY, "failed"), runAt(100 * DAY, "partial"), runAt(95 * DAY, "refused")];
    const recent = [runAt(30 * DAY, "succeeded"), runAt(2 * DAY, "failed"), runAt(HOUR, "partial")];
    expect(pruneRunHistory(store, NINETY_DAYS, NOW)).toBe(old.length);
    expect(remaining()).toEqual([...recent].reverse());
    for (const id of old) {
      expect(runById(store, id)).toBeUndefined();
      expect(store.getRunOperations(id)).toEqual([]);
    }
    expect(operationRows()).toBe(recent.length * 2);
    // Pruning again finds nothing more to do.
    expect(pruneRunHistory(store, NINETY_DAYS, NOW)).toBe(0);
  });

  it("keeps the newest succeeded run however old, and only that one", () => {
    const olderSuccess = runAt(300 * DAY, "succeeded");
    const newestSuccess = runAt(150 * DAY, "succeeded");
    const oldFailure = runAt(100 * DAY, "failed");
    const recentFailures = [runAt(2 * DAY, "failed"), runAt(DAY, "partial")];
    expect(pruneRunHistory(store, NINETY_DAYS, NOW)).toBe(2);
    expect(remaining()).toEqual([recentFailures[1], recentFailures[0], newestSuccess]);
    expect(runById(store, olderSuccess)).toBeUndefined();
    expect(runById(store, oldFailure)).toBeUndefined();
    expect(store.getRunOperations(newestSuccess)).toHaveLength(2);
  });

  it("keeps the newest succeeded run of each command", () => {
    const lastImport = runAt(400 * DAY, "succeeded", "import");
    runAt(300 * DAY, "succeeded", "sync");
    const lastSync = runAt(200 * DAY, "succeeded", "sync");
    runAt(150 * DAY, "succeeded", "backfill");
    const lastBackfill = runAt(120 * DAY, "succeeded", "backfill");
    expect(pruneRunHistory(store, NINETY_DAYS, NOW)).toBe(2);
    expect(remaining()).toEqual([lastBackfill, lastSync, lastImport]);
  });

  it("never deletes a running run; an interrupted one goes like any other", () => {
    const interrupted = runAt(100 * DAY, "running");
    // A later run found it dead.
    const dead = { token: "t", pid: 999_999, host: hostname(), command: "sync", acquiredAt: NOW.toISOString(), renewedAt: NOW.toISOString() };
    store.setMeta("run_lock", JSON.stringify(dead));
    const lock = store.acquireRunLock("sync", { heartbeat: false, now: new Date(NOW.getTime() - 98 * DAY), isAlive: () => false });
    expect(lock.interruptedRuns).toBe(1);
    lock.release();
    const running = runAt(99 * DAY, "running");
    expect(runById(store, interrupted)?.status).toBe("interrupted");
    expect(pruneRunHistory(store, NINETY_DAYS, NOW)).toBe(1);
    expect(remaining()).toEqual([running]);
    expect(store.getRunOperations(running)).toHaveLength(2);
  });

  it("cuts at exactly now minus the retention: a run started at the cutoff stays, one a millisecond earlier goes", () => {
    const before = runAt(90 * DAY + 1, "failed");
    const at = runAt(90 * DAY, "failed");
    expect(retentionCutoff(NINETY_DAYS, NOW)).toEqual(new Date(NOW.getTime() - 90 * DAY));
    expect(pruneRunHistory(store, NINETY_DAYS, NOW)).toBe(1);
    expect(remaining()).toEqual([at]);
    expect(runById(store, before)).toBeUndefined();
  });

  it("keeps everything when retention is off (0 or forever)", () => {
    const ids = [runAt(5000 * DAY, "failed"), runAt(400 * DAY, "partial")];
    const forever = validateConfig({ okta: { orgUrl: "https://acme.okta.com", appId: "0oa1", token: "t" }, command: { token: "c" }, state: { retention: "forever" } });
    expect(forever.config?.state.retentionMs).toBeUndefined();
    expect(retentionCutoff(forever.config!, NOW)).toBeUndefined();
    expect(pruneRunHistory(store, forever.config!, NOW)).toBe(0);
    expect(remaining()).toEqual([...ids].reverse());
  });

  it("follows state.retention from the configuration", () => {
    const config = validateConfig({ okta: { orgUrl: "https://acme.okta.com", appId: "0oa1", token: "t" }, command: { token: "c" }, state: { retention: "12h" } }).config!;
    const old = runAt(13 * HOUR, "failed");
    const fresh = runAt(11 * HOUR, "failed");
    runAt(30 * DAY, "succeeded");
    const keptSuccess = runAt(20 * HOUR, "succeeded");
    expect(pruneRunHistory(store, config, NOW)).toBe(2);
    expect(remaining()).toEqual([fresh, keptSuccess]);
    expect(runById(store, old)).toBeUndefined();
  });

  it("holds the log to the retention window on a job that runs every day for years", () => {
    const start = NOW.getTime() - 400 * DAY;
    for (let day = 0; day < 400; day += 1) {
      const at = new Date(start + day * DAY);
      const id = store.beginRun("sync", at);
      store.recordOperation(id, { index: 0, type: "createUser", target: "ada@acme.com", outcome: "succeeded", detail: op });
      store.finishRun(id, { status: day % 3 === 0 ? "partial" : "succeeded", finishedAt: at, summary: emptySummary(), failed: 0, warnings: [] });
      pruneRunHistory(store, NINETY_DAYS, at);
    }
    // Days 309..399 (the cutoff day itself is kept).
    expect(store.countRuns()).toBe(91);
    expect(operationRows()).toBe(91);
  });

  it("refuses a store opened read-only", () => {
    runAt(200 * DAY, "failed");
    store.close();
    store = openSnapshotStore(dbPath, { readonly: true });
    expect(() => pruneRunHistory(store, NINETY_DAYS, NOW)).toThrow(SyncError);
    expect(store.countRuns()).toBe(1);
  });
});
