/**
 * Safety rules over a plan: pure. A violation refuses the whole plan before anything is written,
 * because a bad Okta read or a wrong config can otherwise deactivate half the company.
 */
import type { DeactivationLimit } from "../config/types.js";
import type { Plan, Snapshot } from "../model.js";

export interface Violation {
  rule: "maxDeactivations";
  /** One line for the user: the limit, the planned amount, and how to override. */
  message: string;
  limit: number;
  planned: number;
}

/** A percent limit never allows fewer than this many, so a small org can still lose a couple. */
export const DEACTIVATION_FLOOR = 2;

export function allowedDeactivations(limit: DeactivationLimit, activeUsers: number): number {
  if (limit.kind === "count") return limit.value;
  return Math.max(DEACTIVATION_FLOOR, Math.floor((limit.value / 100) * activeUsers));
}

export function checkSafety(plan: Plan, snapshot: Snapshot, limits: { maxDeactivations: DeactivationLimit }): Violation[] {
  const violations: Violation[] = [];
  const active = snapshot.users.filter((u) => u.active).length;
  const planned = plan.operations.filter((op) => op.type === "deactivateUser").length;
  const allowed = allowedDeactivations(limits.maxDeactivations, active);
  if (planned > allowed) {
    const setting = limits.maxDeactivations.kind === "percent" ? `${limits.maxDeactivations.value}% of ${active} active users = ${allowed}` : `${allowed}`;
    violations.push({
      rule: "maxDeactivations",
      limit: allowed,
      planned,
      message: `the plan deactivates ${planned} users, over safety.maxDeactivations (${setting}) by ${planned - allowed}; review the plan, then rerun with --max-deactivations ${planned} or --force`,
    });
  }
  return violations;
}
