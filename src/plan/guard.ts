/**
 * Safety rules over a pull and a plan: pure. A refusal stops the whole plan before anything is
 * written, because a bad Okta read or a wrong config can otherwise deactivate half the company.
 * `sync`, `sync --dry-run` and `plan` all ask the same questions here and get the same answers.
 */
import { count } from "../plural.js";
import type { DesiredState, Limit, Plan, Snapshot } from "../model.js";

export type SafetyRule = "maxDeactivations" | "maxGroupDeletes" | "maxMemberRemovals";

/** The setting a refusal is about: a limit on the plan, or the suspicious-pull check. */
export type RefusalLimit = SafetyRule | "minPullFraction" | "approval";

/** Why an approval (`sync --approve`) was refused. */
export type ApprovalRefusal = "alreadyApplied" | "snapshotChanged" | "otherTarget";

/** Why `sync` would not apply a plan. */
export interface Refusal {
  limit: RefusalLimit;
  /**
   * For plan limits, the most the setting allows; for minPullFraction, the fewest active users
   * a pull must return.
   */
  allowed: number;
  /** What the plan would do (or, for minPullFraction, the active users pulled). */
  planned: number;
  /** One line for the user: the setting, the amounts, and how to override. */
  message: string;
  /** For `approval`: what stood in the way (allowed and planned are 0). */
  reason?: ApprovalRefusal;
}

/** A refusal as JSON results show it (`plan --json`, `sync --json`). */
export function refusalJson(refusal: Refusal): { limit: RefusalLimit; allowed: number; planned: number } | { limit: "approval"; reason: ApprovalRefusal } {
  if (refusal.limit === "approval") return { limit: "approval", reason: refusal.reason ?? "snapshotChanged" };
  return { limit: refusal.limit, allowed: refusal.allowed, planned: refusal.planned };
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

export function checkSafety(plan: Plan, snapshot: Snapshot, limits: SafetyLimits): Refusal[] {
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
  const refusals: Refusal[] = [];
  for (const rule of Object.keys(NOUNS) as SafetyRule[]) {
    const limit = limits[rule];
    const max = allowed(rule, limit, bases[rule]);
    if (planned[rule] <= max) continue;
    const noun = NOUNS[rule];
    const setting = limit.kind === "percent" ? `${limit.value}% of ${bases[rule]} ${noun.base} = ${max}` : `${max}`;
    const what = count(planned[rule], rule === "maxDeactivations" ? "user" : rule === "maxGroupDeletes" ? "group" : "membership");
    const override = rule === "maxDeactivations" ? `--max-deactivations ${planned[rule]} or --force` : "--force";
    refusals.push({
      limit: rule,
      allowed: max,
      planned: planned[rule],
      message: `the plan ${noun.verb} ${what}, over safety.${rule} (${setting}) by ${planned[rule] - max}; review the plan, then rerun with ${override}`,
    });
  }
  return refusals;
}

/** Below this many active users in the snapshot, a small pull is not suspicious. */
export const SUSPECT_PULL_MIN_SNAPSHOT = 10;

/**
 * A pull that returns far fewer active users than the snapshot holds is much more likely a bad
 * read (a wrong app id, a token that lost a permission, an Okta incident) than half the company
 * leaving at once. Held users were read as assigned and active, so they count as pulled.
 */
export function suspectPull(desired: DesiredState, snapshot: Snapshot, minFraction: number): Refusal | undefined {
  const before = snapshot.users.filter((u) => u.active).length;
  if (before < SUSPECT_PULL_MIN_SNAPSHOT) return undefined;
  const now = desired.users.filter((u) => u.active).length + (desired.skipped?.length ?? 0);
  // The fewest users that pass; rounded first so that 0.3 of 10 asks for 3, not 4.
  const allowed = Math.ceil(Math.round(minFraction * before * 1e6) / 1e6);
  if (now >= allowed) return undefined;
  return {
    limit: "minPullFraction",
    allowed,
    planned: now,
    message: `Okta returned ${now} active users assigned to the app, but ${before} are active in the snapshot (under safety.minPullFraction ${minFraction}: at least ${allowed}); this looks like a failed or partial read; check okta.appId and the token's permissions, and if this many users really left the app, rerun with --force`,
  };
}

export interface RefusalInputs {
  desired: DesiredState | undefined;
  plan: Plan;
  /** The snapshot the plan was made against (after any refresh). */
  snapshot: Snapshot;
  limits: SafetyLimits & { minPullFraction: number };
  /** `--force`: apply whatever the limits say. */
  force: boolean;
  /** A narrowed run (`backfill`, `sync --user`) reads only part of Okta: its pull is not judged. */
  scoped: boolean;
}

/** Every reason `sync` would refuse this plan; empty when it would apply it. */
export function refusalsFor(inputs: RefusalInputs): Refusal[] {
  if (inputs.force) return [];
  const pull = inputs.desired === undefined || inputs.scoped ? undefined : suspectPull(inputs.desired, inputs.snapshot, inputs.limits.minPullFraction);
  return [...(pull === undefined ? [] : [pull]), ...checkSafety(inputs.plan, inputs.snapshot, inputs.limits)];
}
