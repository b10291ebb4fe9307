/** `runs show` of a refused run: the plan it kept, why it was refused, and how to approve it. */
import { summarize } from "../model.js";
import type { SavedPlan } from "../plan/saved-plan.js";
import type { Output } from "./output.js";
import { renderPlan } from "./render.js";
import type { RunView } from "./render-runs.js";

/** What `runs show` knows about a kept plan and the runs that approved it. */
export interface KeptPlanView {
  createdAt: string;
  fingerprint: string;
  /** Why the run was refused (its warnings that are not the plan's own). */
  reasons: string[];
  /** `okta-command-sync sync --approve <id>`, while it can still be approved. */
  approveCommand: string | null;
  /** The runs that approved it, oldest first. */
  approvedBy: { id: string; status: string; applied: boolean }[];
  plan: SavedPlan["plan"];
}

export function keptPlanView(run: RunView, saved: SavedPlan, approvedBy: KeptPlanView["approvedBy"], approveCommand: string): KeptPlanView {
  const own = new Set(saved.plan.warnings);
  const spent = approvedBy.some((a) => a.applied);
  return {
    createdAt: saved.createdAt,
    fingerprint: saved.fingerprint,
    reasons: run.warnings.filter((w) => !own.has(w)),
    approveCommand: spent ? null : approveCommand,
    approvedBy,
    plan: saved.plan,
  };
}

export function keptPlanJson(view: KeptPlanView): Record<string, unknown> {
  return {
    createdAt: view.createdAt,
    fingerprint: view.fingerprint,
    reasons: view.reasons,
    approveCommand: view.approveCommand,
    approvedBy: view.approvedBy,
    summary: summarize(view.plan.operations),
    operations: view.plan.operations,
    warnings: view.plan.warnings,
  };
}

export function renderKeptPlan(out: Output, view: KeptPlanView): string {
  const lines = ["", renderPlan(out, view.plan, "Kept plan (refused: nothing of it was applied)")];
  if (view.reasons.length > 0) lines.push("", out.style("red", "Refused because:"), ...view.reasons.map((r) => `  ${r}`));
  lines.push("");
  for (const approval of view.approvedBy) {
    lines.push(
      approval.applied
        ? `Approved: run ${approval.id} applied this plan (${approval.status}).`
        : `Approval by run ${approval.id} did not apply it (${approval.status}).`,
    );
  }
  if (view.approveCommand !== null) {
    lines.push(
      "To apply exactly this plan, once, while the snapshot is as it was when the run was refused:",
      `  ${out.style("cyan", view.approveCommand)}`,
      out.style("gray", `(a change to the snapshot since then refuses the approval; run sync again to plan afresh)`),
    );
  }
  return lines.join("\n");
}
