/** The run log as text for people and as JSON for scripts (`runs`, `runs show`). */
import { formatDuration } from "../duration.js";
import { emptySummary, type OperationOutcome, type OperationRecord, type OperationType, operationWeight, type RunRecord, type RunStatus, type Summary } from "../model.js";
import type { Output } from "./output.js";
import { describeOperation, renderWarnings } from "./render.js";

/** A run as `runs --json` prints it. */
export interface RunView {
  id: string;
  command: string;
  startedAt: string;
  /** For an interrupted run, when the next run found it interrupted. */
  finishedAt: string | null;
  /** Null while running, and for an interrupted run (its end is unknown). */
  durationMs: number | null;
  status: RunStatus;
  /** Applied changes by type, memberships counted one per user in one group. */
  summary: Summary;
  failed: number;
  warnings: string[];
  /** The refused run whose kept plan this run applied. */
  approves?: string;
}

export interface OperationView {
  index: number;
  type: OperationType;
  target: string;
  outcome: OperationOutcome;
  error: string | null;
  detail: OperationRecord["detail"];
}

/**
 * A run that never finished (running, interrupted) has no stored summary or failure count:
 * they are counted from the operations it recorded, which is exactly what it applied.
 */
export function runView(run: RunRecord, operations: () => readonly OperationRecord[]): RunView {
  let summary = run.summary;
  let failed = run.failed;
  if (summary === undefined) {
    summary = emptySummary();
    failed = 0;
    for (const op of operations()) {
      if (op.outcome === "succeeded") summary[op.type] += operationWeight(op.detail);
      else if (op.outcome === "failed") failed += 1;
    }
  }
  const ended = run.finishedAt === undefined ? Number.NaN : Date.parse(run.finishedAt) - Date.parse(run.startedAt);
  const known = run.status !== "running" && run.status !== "interrupted" && Number.isFinite(ended);
  return {
    id: run.id,
    command: run.command,
    startedAt: run.startedAt,
    finishedAt: run.finishedAt ?? null,
    durationMs: known ? Math.max(0, ended) : null,
    status: run.status,
    summary,
    failed,
    warnings: run.warnings,
    ...(run.approves === undefined ? {} : { approves: run.approves }),
  };
}

export function operationView(op: OperationRecord): OperationView {
  return { index: op.index, type: op.type, target: op.target, outcome: op.outcome, error: op.error ?? null, detail: op.detail };
}

const STATUS_STYLE: Record<RunStatus, Parameters<Output["style"]>[0]> = {
  succeeded: "green",
  partial: "yellow",
  interrupted: "yellow",
  failed: "red",
  refused: "magenta",
  running: "cyan",
};

/** `2026-11-29T05:12:00.250Z` -> `2026-11-29 05:12:00Z`: UTC, like the run ids. */
export function formatTime(iso: string): string {
  return iso.replace("T", " ").replace(/\.\d+Z$/, "Z");
}

function durationText(run: RunView): string {
  if (run.durationMs !== null) return formatDuration(run.durationMs, { round: "nearest" });
  return run.status === "running" ? "running" : "-";
}

/** Each kind of thing changed, with a sign per change: `users +12 ~3 -1`. */
const GROUPS: readonly (readonly [string, readonly (readonly [OperationType, string])[]])[] = [
  ["users", [["createUser", "+"], ["updateUser", "~"], ["reactivateUser", "^"], ["deactivateUser", "-"]]],
  ["groups", [["createGroup", "+"], ["updateGroup", "~"], ["deleteGroup", "-"]]],
  ["members", [["addMembers", "+"], ["removeMembers", "-"]]],
];

export const CHANGES_LEGEND = "changes: + created or added, ~ updated, ^ reactivated, - deactivated, deleted or removed";

export function compactSummary(summary: Summary): string {
  const parts: string[] = [];
  for (const [noun, types] of GROUPS) {
    const counts = types.filter(([type]) => summary[type] > 0).map(([type, sign]) => `${sign}${summary[type]}`);
    if (counts.length > 0) parts.push(`${noun} ${counts.join(" ")}`);
  }
  return parts.length === 0 ? "no changes" : parts.join(", ");
}

function table(rows: readonly (readonly string[])[], styles: readonly ((cell: string, row: number) => string)[]): string[] {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows.map((row, index) =>
    `  ${row
      .map((cell, column) => {
        const padded = column === row.length - 1 ? cell : cell.padEnd(widths[column]!);
        return index === 0 ? padded : (styles[column]?.(padded, index - 1) ?? padded);
      })
      .join("  ")}`.trimEnd(),
  );
}

export interface RunListContext {
  path: string;
  /** Runs in the log, of which `runs` are the newest. */
  total: number;
  /** `90d`, or undefined when every run is kept. */
  retention: string | undefined;
}

export function renderRunList(out: Output, runs: readonly RunView[], context: RunListContext): string {
  const kept = context.retention === undefined ? "kept forever" : `kept for ${context.retention}`;
  const shown = runs.length < context.total ? `newest ${runs.length} of ${context.total} (--limit for more)` : `${runs.length}`;
  const lines = [out.style("bold", `Runs in ${context.path}: ${shown}, newest first, times in UTC, ${kept}`), ""];
  const header = ["run", "started (UTC)", "took", "command", "status", "failed", "warnings", "changes"];
  const rows = runs.map((run) => [
    run.id,
    formatTime(run.startedAt),
    durationText(run),
    run.command,
    run.status,
    String(run.failed),
    String(run.warnings.length),
    compactSummary(run.summary),
  ]);
  const counted = (style: Parameters<Output["style"]>[0]) => (cell: string) => (cell.trim() === "0" ? cell : out.style(style, cell));
  lines.push(
    ...table(
      [header, ...rows],
      [
        (cell) => cell,
        (cell) => cell,
        (cell) => cell,
        (cell) => cell,
        (cell, row) => out.style(STATUS_STYLE[runs[row]!.status], cell),
        counted("red"),
        counted("yellow"),
      ],
    ),
  );
  lines.push("", out.style("gray", `${CHANGES_LEGEND}; details: runs show <run id or a unique prefix>`));
  return lines.join("\n");
}

const OUTCOME_STYLE: Record<OperationOutcome, Parameters<Output["style"]>[0]> = { succeeded: "green", failed: "red", skipped: "yellow" };

/** The text after the operation type: the target, and for updates what changed. */
function operationText(op: OperationRecord): string {
  const described = describeOperation(op.detail);
  return described.startsWith(op.target) ? described : `${op.target}  ${described}`;
}

export function renderRun(out: Output, run: RunView, operations: readonly OperationRecord[], options: { onlyFailed: boolean }): string {
  const lines = [`${out.style("bold", `Run ${run.id}`)}  ${out.style(STATUS_STYLE[run.status], run.status)}`];
  const field = (name: string, value: string) => lines.push(`  ${name.padEnd(9)} ${value}`);
  field("command", run.command);
  if (run.approves !== undefined) field("approves", `the plan kept by run ${run.approves}`);
  field("started", `${formatTime(run.startedAt)} (UTC)`);
  if (run.finishedAt !== null) field(run.status === "interrupted" ? "found" : "finished", `${formatTime(run.finishedAt)}${run.status === "interrupted" ? " (interrupted before this)" : ""}`);
  field("took", durationText(run));
  field("changes", compactSummary(run.summary));
  field("failed", run.failed === 0 ? "0" : out.style("red", String(run.failed)));
  lines.push(...renderWarnings(out, run.warnings));

  const failedCount = operations.filter((op) => op.outcome === "failed").length;
  const shown = options.onlyFailed ? operations.filter((op) => op.outcome === "failed") : operations;
  lines.push("");
  if (operations.length === 0 && run.status === "refused") {
    lines.push("Nothing was applied: the run was refused.");
    return lines.join("\n");
  }
  if (operations.length === 0) {
    lines.push("No operations recorded (nothing to change, or the run stopped before applying).");
    return lines.join("\n");
  }
  if (shown.length === 0) {
    lines.push(`No failed operations (of ${operations.length}).`);
    return lines.join("\n");
  }
  const heading = options.onlyFailed
    ? `Failed operations (${failedCount} of ${operations.length}):`
    : `Operations (${operations.length}${failedCount > 0 ? `, ${failedCount} failed` : ""}):`;
  lines.push(out.style("bold", heading));
  const indexWidth = Math.max(1, ...shown.map((op) => String(op.index).length));
  const typeWidth = Math.max(...shown.map((op) => op.type.length), 0);
  for (const op of shown) {
    const outcome = out.style(OUTCOME_STYLE[op.outcome], op.outcome.padEnd(9));
    const text = `${op.type.padEnd(typeWidth)}  ${operationText(op)}`;
    const row = `  ${String(op.index).padStart(indexWidth)}  ${outcome}  ${op.outcome === "failed" ? out.style("red", text) : text}`;
    lines.push(row);
    if (op.error !== undefined) {
      const mark = op.outcome === "failed" ? out.style("red", "x") : "-";
      lines.push(`  ${" ".repeat(indexWidth)}  ${mark} ${op.error}`);
    }
  }
  if (run.status === "interrupted" || run.status === "running") {
    lines.push("", out.style("gray", "Operations of the plan that are not listed were not attempted in this run."));
  }
  return lines.join("\n");
}
