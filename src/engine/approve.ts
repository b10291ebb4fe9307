/**
 * `sync --approve <run>`: the plan a refused run kept, applied exactly as it was refused, once,
 * and only to the snapshot it was planned against. Anything else is refused with the reason and
 * the way forward (plan afresh).
 */
import type { Config } from "../config/types.js";
import { SyncError } from "../errors.js";
import type { Plan, RunRecord, Snapshot } from "../model.js";
import { snapshotFingerprint } from "../plan/fingerprint.js";
import type { Refusal } from "../plan/guard.js";
import { parseSavedPlan, type SavedPlan, savePlan } from "../plan/saved-plan.js";
import { planTarget } from "./plan-run.js";
import type { KeptPlans } from "./ports.js";

export interface Approval {
  /** The refused run whose plan is applied. */
  runId: string;
  saved: SavedPlan;
}

/** How many matches an ambiguous prefix error names. */
const SHOWN_MATCHES = 5;

export function approveCommand(runId: string): string {
  return `okta-command-sync sync --approve ${runId}`;
}

const AFRESH = "run `okta-command-sync sync` to plan afresh (it is refused again if it still breaks a safety limit, and can then be approved)";

/** Keep what a refused run would have applied, with the fingerprint of the snapshot it was planned against. */
export function keepRefusedPlan(store: KeptPlans, runId: string, plan: Plan, base: Snapshot, config: Config): void {
  store.keepPlan(runId, JSON.stringify(savePlan(plan, snapshotFingerprint(base), planTarget(config), new Date())));
}

/** The run with this id, or the only one whose id starts with it (the `r-` may be left out). */
export function findRun(store: Pick<KeptPlans, "findRunsByPrefix">, wanted: string): RunRecord {
  const prefix = wanted.trim();
  if (prefix === "") throw new SyncError("config", "--approve: the run id is empty", { hint: "`okta-command-sync runs` lists the run ids" });
  let matches = store.findRunsByPrefix(prefix, SHOWN_MATCHES + 1);
  if (matches.length === 0 && !prefix.startsWith("r-")) matches = store.findRunsByPrefix(`r-${prefix}`, SHOWN_MATCHES + 1);
  const exact = matches.find((run) => run.id === prefix);
  if (exact !== undefined) return exact;
  if (matches.length === 1) return matches[0]!;
  if (matches.length === 0) throw new SyncError("config", `no run matches ${prefix} in the run log`, { hint: "`okta-command-sync runs` lists the run ids" });
  const named = matches.slice(0, SHOWN_MATCHES).map((run) => run.id);
  throw new SyncError("config", `run id prefix ${prefix} is ambiguous: it matches ${named.join(", ")}${matches.length > SHOWN_MATCHES ? " and more" : ""}`, {
    hint: "give more of the run id",
  });
}

/** The refused run's kept plan; a clear error when there is none to approve. */
export function findApproval(store: KeptPlans, wanted: string): Approval {
  const run = findRun(store, wanted);
  if (run.status !== "refused") {
    throw new SyncError("config", `run ${run.id} was not refused (it is ${run.status}): only the plan of a refused run can be approved`, {
      hint: `\`okta-command-sync runs show ${run.id}\` shows what it did; \`okta-command-sync runs\` lists the refused runs`,
    });
  }
  const kept = store.keptPlan(run.id);
  if (kept === undefined) {
    throw new SyncError("config", `run ${run.id} was refused but kept no plan to approve (a refused approval keeps none)`, { hint: AFRESH });
  }
  return { runId: run.id, saved: parseSavedPlan(kept, `the plan kept by run ${run.id}`) };
}

/** An approving run that changed something (or may have): the approval is spent. */
export function approvalSpent(store: Pick<KeptPlans, "getRunOperations">, run: RunRecord): boolean {
  if (run.status === "succeeded" || run.status === "partial") return true;
  if (run.status === "refused") return false;
  return store.getRunOperations(run.id).length > 0;
}

function refusal(reason: Refusal["reason"], message: string): Refusal {
  return { limit: "approval", allowed: 0, planned: 0, reason, message };
}

/** Why this approval may not be applied now; empty when it may. */
export function approvalRefusals(store: KeptPlans, approval: Approval, snapshot: Snapshot, config: Config): Refusal[] {
  const applied = store.approvalsOf(approval.runId).find((run) => approvalSpent(store, run));
  if (applied !== undefined) {
    return [refusal("alreadyApplied", `run ${approval.runId} was already approved: run ${applied.id} applied its plan (${applied.status}); a refused plan is applied once; ${AFRESH}`)];
  }
  const target = planTarget(config);
  for (const key of ["oktaOrgUrl", "oktaAppId", "scimUrl"] as const) {
    if (approval.saved.target[key] !== target[key]) {
      return [refusal("otherTarget", `run ${approval.runId} planned for ${key} ${approval.saved.target[key]}, but this configuration has ${target[key]}; use the configuration it ran with`)];
    }
  }
  if (approval.saved.fingerprint !== snapshotFingerprint(snapshot)) {
    return [
      refusal(
        "snapshotChanged",
        `the snapshot changed since run ${approval.runId} was refused (${approval.saved.createdAt}): another run applied changes, so its plan no longer describes what would happen; ${AFRESH}`,
      ),
    ];
  }
  return [];
}
