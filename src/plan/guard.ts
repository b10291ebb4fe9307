/**
 * Safety rules over a plan: pure. A violation refuses the whole plan before anything is written,
 * because a bad Okta read or a wrong config can otherwise deactivate half the company.
 */
import type { Limit } from "../config/types.js";
import type { DesiredState, Plan, Snapshot } from "../model.js";

export type SafetyRule = "maxDeactivations" | "maxGroupDeletes" | "maxMemberRemovals";

export interface Violation {
  rule: SafetyRule;
  /** One line for the user: the limit, the planned amount, and how to override. */
  message: string;
  limit: number;
  planned: number;
}

export interface SafetyLimits {
  maxDeactivations: Limit;
  maxGroupDeletes: Limit;
  maxMemberRemovals: Limit;
}

/** A percent limit never allows fewer than this, so a small org can still lose a couple. */
export const FLOORS: Record<SafetyRule, number> = { maxDeactivations: 2, maxGroupDeletes: 1, maxMemberRemovals: 10 };

export function allowed(rule: SafetyRule, limit: Limit, base: number): number {
  if (limit.kind === "count") return limit.value;
  return Math.max(FLOORS[rule], Math.floor((limit.value / 100) * base));
}

const NOUNS: Record<SafetyRule, { verb: string; base: string }> = {
  maxDeactivations: { verb: "deactivates", base: "active users" },
  maxGroupDeletes: { verb: "deletes", base: "groups" },
  maxMemberRemovals: { verb: "removes", base: "memberships" },
};

export function checkSafety(plan: Plan, snapshot: Snapshot, limits: SafetyLimits): Violation[] {
  const bases: Record<SafetyRule, number> = {
    maxDeactivations: snapshot.users.filter((u) => u.active).length,
    maxGroupDeletes: snapshot.groups.length,
    maxMemberRemovals: snapshot.groups.reduce((sum, g) => sum + g.members.length, 0),
  };
  const planned: Record<SafetyRule, number> = { maxDeactivations: 0, maxGroupDeletes: 0, maxMemberRemovals: 0 };
  for (const op of plan.operations) {
    if (op.type === "deactivateUser" || (op.type === "createUser" && op.replaces !== undefined)) planned.maxDeactivations += 1;
    else if (op.type === "deleteGroup") planned.maxGroupDeletes += 1;
    else if (op.type === "removeMembers") planned.maxMemberRemovals += op.members.length;
  }
  const violations: Violation[] = [];
  for (const rule of Object.keys(NOUNS) as SafetyRule[]) {
    const limit = limits[rule];
    const max = allowed(rule, limit, bases[rule]);
    if (planned[rule] <= max) continue;
    const noun = NOUNS[rule];
    const setting = limit.kind === "percent" ? `${limit.value}% of ${bases[rule]} ${noun.base} = ${max}` : `${max}`;
    const count = rule === "maxDeactivations" ? `${planned[rule]} users` : rule === "maxGroupDeletes" ? `${planned[rule]} groups` : `${planned[rule]} memberships`;
    const override = rule === "maxDeactivations" ? `--max-deactivations ${planned[rule]} or --force` : "--force";
    violations.push({
      rule,
      limit: max,
      planned: planned[rule],
      message: `the plan ${noun.verb} ${count}, over safety.${rule} (${setting}) by ${planned[rule] - max}; review the plan, then rerun with ${override}`,
    });
  }
  return violations;
}

/** Below this many active users in the snapshot, a small pull is not suspicious. */
export const SUSPECT_PULL_MIN_SNAPSHOT = 10;

/**
 * A pull that returns far fewer active users than the snapshot holds is much more likely a bad
 * read (a wrong app id, a token that lost a permission, an Okta incident) than half the company
 * leaving at once. Returns the reason to refuse, or undefined.
 */
export function suspectPull(desired: DesiredState, snapshot: Snapshot, minFraction: number): string | undefined {
  const before = snapshot.users.filter((u) => u.active).length;
  if (before < SUSPECT_PULL_MIN_SNAPSHOT) return undefined;
  const now = desired.users.filter((u) => u.active).length;
  if (now >= minFraction * before) return undefined;
  return `Okta returned ${now} active users assigned to the app, but ${before} are active in the snapshot (under safety.minPullFraction ${minFraction}); this looks like a failed or partial read, so nothing was planned or written`;
}
