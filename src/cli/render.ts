/** Plans and run results as text for people and as JSON for scripts (cli-contract.md). */
import type { FailedOperation } from "../apply/applier.js";
import { type Operation, OPERATION_TYPES, operationTarget, type Plan, type Summary, summarize } from "../model.js";
import type { Drift } from "../plan/refresh.js";
import type { Output } from "./output.js";

export function planJson(plan: Plan, drift: readonly Drift[] = []): Record<string, unknown> {
  return {
    changes: plan.operations.length > 0,
    summary: summarize(plan.operations),
    operations: plan.operations,
    warnings: plan.warnings,
    drift,
    skipped: plan.skipped ?? [],
  };
}

const SIGNS: Record<Operation["type"], string> = {
  createUser: "+",
  updateUser: "~",
  deactivateUser: "-",
  reactivateUser: "+",
  createGroup: "+",
  updateGroup: "~",
  deleteGroup: "-",
  addMembers: "+",
  removeMembers: "-",
};

const WIDTH = Math.max(...OPERATION_TYPES.map((t) => t.length));

function quote(value: string | undefined): string {
  return value === undefined ? "(empty)" : JSON.stringify(value);
}

export function describeOperation(op: Operation): string {
  switch (op.type) {
    case "createUser":
      return op.replaces === undefined ? op.userName : `${op.userName}  (replaces ${op.replaces.userName}, which is deactivated)`;
    case "deactivateUser":
    case "reactivateUser":
      return op.userName;
    case "createGroup":
    case "deleteGroup":
      return op.displayName;
    case "updateUser": {
      const keys = [...new Set([...Object.keys(op.before), ...Object.keys(op.after)])].sort();
      const changes = keys.map((k) => `${k}: ${quote(op.before[k])} -> ${quote(op.after[k])}`);
      return `${op.userName}  ${changes.join("; ")}`;
    }
    case "updateGroup":
      return `displayName: ${quote(op.before.displayName)} -> ${quote(op.after.displayName)}`;
    case "addMembers":
    case "removeMembers":
      return `${op.displayName}: ${op.members.map((m) => m.userName).join(", ")}`;
  }
}

export function summaryTable(summary: Summary, heading: string): string[] {
  const rows = OPERATION_TYPES.filter((t) => summary[t] > 0);
  if (rows.length === 0) return [];
  const lines = [`  ${heading.padEnd(WIDTH)}  count`];
  for (const type of rows) lines.push(`  ${type.padEnd(WIDTH)}  ${String(summary[type]).padStart(5)}`);
  return lines;
}

export function renderPlan(out: Output, plan: Plan, title = "Plan"): string {
  const lines: string[] = [];
  const summary = summarize(plan.operations);
  if (plan.operations.length === 0) {
    lines.push(out.style("green", "No changes: Command is in step with Okta."));
  } else {
    const total = Object.values(summary).reduce((a, b) => a + b, 0);
    lines.push(out.style("bold", `${title}: ${total} change${total === 1 ? "" : "s"} in ${plan.operations.length} operation${plan.operations.length === 1 ? "" : "s"}`));
    lines.push("", ...summaryTable(summary, "operation"), "");
    for (const op of plan.operations) {
      const sign = SIGNS[op.type];
      const color = sign === "+" ? "green" : sign === "-" ? "red" : "yellow";
      lines.push(`${out.style(color, `${sign} ${op.type.padEnd(WIDTH)}`)}  ${describeOperation(op)}`);
    }
  }
  lines.push(...renderWarnings(out, plan.warnings));
  return lines.join("\n");
}

export function renderWarnings(out: Output, warnings: readonly string[]): string[] {
  if (warnings.length === 0) return [];
  return ["", out.style("yellow", `Warnings (${warnings.length}):`), ...warnings.map((w) => `  ! ${w}`)];
}

/**
 * Warnings belong to the human report; when it is not printed (JSON logs, --quiet) and no --json
 * result carries them, each becomes a warn record, so a log collector still sees them.
 */
export function logWarnings(out: Output, warnings: readonly string[]): void {
  if (out.showsReport || out.options.json) return;
  for (const warning of warnings) out.log("warn", warning);
}

export function renderFailures(out: Output, failed: readonly FailedOperation[]): string[] {
  if (failed.length === 0) return [];
  return ["", out.style("red", `Failed (${failed.length}):`), ...failed.map((f) => `  x ${f.type} ${f.target}: ${f.error}`)];
}

/** The fields of an audit log line for one operation: what changed, never secrets. */
export function auditFields(op: Operation, outcome: string, error?: string): Record<string, unknown> {
  const fields: Record<string, unknown> = { operation: op.type, target: operationTarget(op), outcome };
  if (error !== undefined) fields.error = error;
  switch (op.type) {
    case "createUser":
      Object.assign(fields, { oktaId: op.oktaId, after: op.after });
      break;
    case "updateUser":
      Object.assign(fields, { oktaId: op.oktaId, scimId: op.scimId, before: op.before, after: op.after });
      break;
    case "deactivateUser":
    case "reactivateUser":
      Object.assign(fields, { oktaId: op.oktaId, scimId: op.scimId });
      break;
    case "createGroup":
    case "deleteGroup":
      Object.assign(fields, { oktaGroupId: op.oktaGroupId });
      break;
    case "updateGroup":
      Object.assign(fields, { oktaGroupId: op.oktaGroupId, before: op.before, after: op.after });
      break;
    case "addMembers":
    case "removeMembers":
      Object.assign(fields, { oktaGroupId: op.oktaGroupId, members: op.members.map((m) => m.userName) });
      break;
  }
  return fields;
}

export function driftJson(drift: readonly Drift[]): Drift[] {
  return [...drift];
}

/** Drift is shown apart from Okta's changes: it is Command that moved. */
export function renderDrift(out: Output, drift: readonly Drift[]): string[] {
  if (drift.length === 0) return [];
  return [out.style("magenta", `Drift: ${drift.length} change${drift.length === 1 ? "" : "s"} made in Command behind this tool (the plan repairs them)`), ...drift.map((d) => `  ! ${d.kind.padEnd(16)} ${d.target}: ${d.detail}`), ""];
}
