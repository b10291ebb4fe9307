/** A plan as Markdown, for pasting a reviewed change into a ticket or a pull request. */
import { type Operation, OPERATION_TYPES, operationTarget, type Plan, summarize } from "../model.js";
import type { Drift } from "../plan/refresh.js";
import { describeOperation } from "./render.js";

/** Table cells: pipes would end the cell and newlines the row. */
function cell(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/\|/g, "\\|").replace(/\r?\n/g, " ");
}

function change(op: Operation): string {
  const target = operationTarget(op);
  const description = describeOperation(op);
  // describeOperation leads with the target; the table has a column for it.
  const rest = description.startsWith(target) ? description.slice(target.length).replace(/^[:\s]+/, "") : description;
  return rest;
}

export function renderPlanMarkdown(plan: Plan, drift: readonly Drift[] = [], heading = "okta-command-sync plan"): string {
  const summary = summarize(plan.operations);
  const lines = [`## ${heading}`, ""];
  if (drift.length > 0) {
    lines.push(`### Drift in Command (${drift.length})`, "", ...drift.map((d) => `- **${d.kind}** ${cell(d.target)}: ${cell(d.detail)}`), "");
  }
  if (plan.operations.length === 0) {
    lines.push("No changes: Command is in step with Okta.");
  } else {
    const total = Object.values(summary).reduce((a, b) => a + b, 0);
    lines.push(`**${total} change${total === 1 ? "" : "s"}** in ${plan.operations.length} operation${plan.operations.length === 1 ? "" : "s"}.`, "");
    lines.push("| operation | count |", "|---|---:|");
    for (const type of OPERATION_TYPES) if (summary[type] > 0) lines.push(`| ${type} | ${summary[type]} |`);
    lines.push("", "| # | operation | target | change |", "|---:|---|---|---|");
    plan.operations.forEach((op, i) => {
      lines.push(`| ${i + 1} | ${op.type} | ${cell(operationTarget(op))} | ${cell(change(op))} |`);
    });
  }
  if (plan.warnings.length > 0) {
    lines.push("", `### Warnings (${plan.warnings.length})`, "", ...plan.warnings.map((w) => `- ${cell(w)}`));
  }
  return lines.join("\n");
}
