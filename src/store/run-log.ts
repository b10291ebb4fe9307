/**
 * The run log: one row per run of a writing command and one per operation it attempted, so
 * `runs` and `runs show` can tell what happened long after the output scrolled away.
 */
import { randomBytes } from "node:crypto";
import type Database from "better-sqlite3";
import { SyncError } from "../errors.js";
import type { Operation, OperationOutcome, OperationRecord, OperationType, RunRecord, RunStatus, Summary } from "../model.js";

interface RunRow {
  id: string;
  command: string;
  started_at: string;
  finished_at: string | null;
  status: RunStatus;
  summary: string | null;
  failed: number;
  warnings: string;
  approves: string | null;
  has_plan: number;
}

interface OperationRow {
  idx: number;
  type: OperationType;
  target: string;
  outcome: OperationOutcome;
  error: string | null;
  detail: string;
}

export interface RunResult {
  status: RunStatus;
  finishedAt: Date;
  summary: Summary;
  failed: number;
  warnings: readonly string[];
}

/**
 * A run id that sorts by start time and says when the run started: `r-20261129T051200Z-3fa9c1`.
 * The random tail keeps two runs started in the same second apart.
 */
export function newRunId(startedAt: Date): string {
  const stamp = startedAt.toISOString().replace(/\.\d{3}Z$/, "Z").replace(/[-:]/g, "");
  return `r-${stamp}-${randomBytes(3).toString("hex")}`;
}

function toRunRecord(row: RunRow): RunRecord {
  return {
    id: row.id,
    command: row.command,
    startedAt: row.started_at,
    finishedAt: row.finished_at ?? undefined,
    status: row.status,
    summary: row.summary === null ? undefined : (JSON.parse(row.summary) as Summary),
    failed: row.failed,
    warnings: JSON.parse(row.warnings) as string[],
    ...(row.approves === null ? {} : { approves: row.approves }),
    ...(row.has_plan === 1 ? { keptPlan: true } : {}),
  };
}

function toOperationRecord(row: OperationRow): OperationRecord {
  const record: OperationRecord = {
    index: row.idx,
    type: row.type,
    target: row.target,
    outcome: row.outcome,
    detail: JSON.parse(row.detail) as Operation,
  };
  if (row.error !== null) record.error = row.error;
  return record;
}

const RUN_COLUMNS = "id, command, started_at, finished_at, status, summary, failed, warnings, approves, kept_plan IS NOT NULL AS has_plan";

export class RunLog {
  private readonly insertRun: Database.Statement<[string, string, string, string | null]>;
  private readonly setKeptPlan: Database.Statement<[string, string]>;
  private readonly selectKeptPlan: Database.Statement<[string], string | null>;
  private readonly selectApprovals: Database.Statement<[string], RunRow>;
  private readonly finish: Database.Statement<[string | null, string, string, number, string, string]>;
  private readonly upsertOperation: Database.Statement<
    [string, number, string, string, string, string | null, string]
  >;
  private readonly selectRuns: Database.Statement<[number], RunRow>;
  private readonly selectOperations: Database.Statement<[string], OperationRow>;
  private readonly interruptRunning: Database.Statement<[string]>;
  private readonly deleteStartedBefore: Database.Statement<[string]>;
  private readonly selectByPrefix: Database.Statement<[{ prefix: string; limit: number }], RunRow>;
  private readonly countAll: Database.Statement<[], number>;

  constructor(private readonly db: Database.Database) {
    this.insertRun = db.prepare(
      "INSERT INTO runs (id, command, started_at, status, approves) VALUES (?, ?, ?, 'running', ?)",
    );
    this.setKeptPlan = db.prepare("UPDATE runs SET kept_plan = ? WHERE id = ?");
    this.selectKeptPlan = db.prepare<[string], string | null>("SELECT kept_plan FROM runs WHERE id = ?").pluck();
    this.selectApprovals = db.prepare(`SELECT ${RUN_COLUMNS} FROM runs WHERE approves = ? ORDER BY started_at, rowid`);
    this.finish = db.prepare(
      "UPDATE runs SET finished_at = ?, status = ?, summary = ?, failed = ?, warnings = ? WHERE id = ?",
    );
    // Recording an operation again (a retry in the same run) keeps its last outcome.
    this.upsertOperation = db.prepare(
      `INSERT INTO run_operations (run_id, idx, type, target, outcome, error, detail)
       VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (run_id, idx) DO UPDATE SET
         type = excluded.type, target = excluded.target, outcome = excluded.outcome,
         error = excluded.error, detail = excluded.detail`,
    );
    // rowid breaks ties between runs started in the same millisecond, in insertion order.
    this.selectRuns = db.prepare(`SELECT ${RUN_COLUMNS} FROM runs ORDER BY started_at DESC, rowid DESC LIMIT ?`);
    this.selectOperations = db.prepare(
      "SELECT idx, type, target, outcome, error, detail FROM run_operations WHERE run_id = ? ORDER BY idx",
    );
    this.interruptRunning = db.prepare(
      "UPDATE runs SET status = 'interrupted', finished_at = ? WHERE status = 'running'",
    );
    // The newest succeeded run of each command stays whatever its age: it is what "when did
    // this last work" (staleness checks) is answered from. A running run is never touched.
    this.deleteStartedBefore = db.prepare(
      `DELETE FROM runs
       WHERE started_at < ? AND status <> 'running'
         AND id NOT IN (
           SELECT id FROM (
             SELECT id, row_number() OVER (PARTITION BY command ORDER BY started_at DESC, rowid DESC) AS n
             FROM runs WHERE status = 'succeeded'
           ) WHERE n = 1
         )`,
    );
    this.selectByPrefix = db.prepare(
      `SELECT ${RUN_COLUMNS} FROM runs WHERE substr(id, 1, length(@prefix)) = @prefix ORDER BY started_at DESC, rowid DESC LIMIT @limit`,
    );
    this.countAll = db.prepare<[], number>("SELECT count(*) FROM runs").pluck();
  }

  /** `approves`: the refused run whose kept plan this run applies (`sync --approve`). */
  begin(command: string, startedAt: Date, approves?: string): string {
    for (let attempt = 0; ; attempt += 1) {
      const id = newRunId(startedAt);
      try {
        this.insertRun.run(id, command, startedAt.toISOString(), approves ?? null);
        return id;
      } catch (error) {
        if (attempt < 3 && isConstraint(error, "SQLITE_CONSTRAINT_PRIMARYKEY")) continue;
        throw error;
      }
    }
  }

  record(runId: string, record: OperationRecord): void {
    try {
      this.upsertOperation.run(
        runId,
        record.index,
        record.type,
        record.target,
        record.outcome,
        record.error ?? null,
        JSON.stringify(record.detail),
      );
    } catch (error) {
      if (isConstraint(error, "SQLITE_CONSTRAINT_FOREIGNKEY")) throw unknownRun(runId);
      throw error;
    }
  }

  finishRun(runId: string, result: RunResult): void {
    const changed = this.finish.run(
      result.finishedAt.toISOString(),
      result.status,
      JSON.stringify(result.summary),
      result.failed,
      JSON.stringify(result.warnings),
      runId,
    ).changes;
    if (changed === 0) throw unknownRun(runId);
  }

  /** Keep the plan a run refused (a saved plan's JSON), for `runs show` and `sync --approve`. */
  keepPlan(runId: string, plan: string): void {
    if (this.setKeptPlan.run(plan, runId).changes === 0) throw unknownRun(runId);
  }

  /** The plan a refused run kept, as stored; undefined when it kept none. */
  keptPlan(runId: string): string | undefined {
    return this.selectKeptPlan.get(runId) ?? undefined;
  }

  /** The runs that approved this run's kept plan, oldest first. */
  approvalsOf(runId: string): RunRecord[] {
    return this.selectApprovals.all(runId).map(toRunRecord);
  }

  list(limit: number): RunRecord[] {
    if (!Number.isInteger(limit) || limit < 0) throw new SyncError("internal", `invalid run limit ${limit}`);
    return this.selectRuns.all(limit).map(toRunRecord);
  }

  /** Runs whose id starts with `prefix`, newest first, at most `limit`. */
  findByPrefix(prefix: string, limit: number): RunRecord[] {
    if (!Number.isInteger(limit) || limit < 0) throw new SyncError("internal", `invalid run limit ${limit}`);
    return this.selectByPrefix.all({ prefix, limit }).map(toRunRecord);
  }

  count(): number {
    return this.countAll.get() ?? 0;
  }

  operations(runId: string): OperationRecord[] {
    return this.selectOperations.all(runId).map(toOperationRecord);
  }

  /** Mark runs left `running` by a process that died. Only safe while holding the run lock. */
  markInterrupted(at: Date): number {
    return this.interruptRunning.run(at.toISOString()).changes;
  }

  /**
   * Delete runs (with their operations) started before `cutoff`, except running ones and the
   * newest succeeded run of each command; returns how many runs were deleted.
   */
  pruneStartedBefore(cutoff: Date): number {
    if (Number.isNaN(cutoff.getTime())) throw new SyncError("internal", "invalid run retention cutoff");
    return this.db.transaction(() => this.deleteStartedBefore.run(cutoff.toISOString()).changes).immediate();
  }
}

function unknownRun(runId: string): SyncError {
  return new SyncError("internal", `run ${runId} is not in the run log`);
}

export function isConstraint(error: unknown, code: string): boolean {
  return typeof error === "object" && error !== null && (error as { code?: unknown }).code === code;
}
