/**
 * Pull -> (refresh) -> plan -> guard, shared by `plan`, `sync` and `backfill`: what a run would
 * do, computed against the snapshot without writing anything.
 */
import type { SnapshotStore } from "../apply/ports.js";
import type { Config } from "../config/types.js";
import { SyncError } from "../errors.js";
import type { DesiredState, Limit, Plan, Snapshot, SnapshotUser } from "../model.js";
import { EXCLUDED_REASON } from "../okta/desired-state.js";
import { cpuSecondsSince } from "../okta/source.js";
import { snapshotFingerprint } from "../plan/fingerprint.js";
import { type Refusal, refusalsFor, type SafetyLimits } from "../plan/guard.js";
import { plan as computePlan } from "../plan/planner.js";
import { type Drift, refreshSnapshot } from "../plan/refresh.js";
import { type SavedPlan, type SavedPlanTarget, savedPlanMismatch } from "../plan/saved-plan.js";
import { membersOf, type Scope, scopeInputs } from "../plan/scope.js";
import { readCommand } from "./command-state.js";
import type { Pulled, PullSummary, RunPorts } from "./ports.js";
import { pullDesiredState } from "./pull-desired.js";
import type { Reporter } from "./reporter.js";

/** Narrowing a run: `backfill --group` or `sync --user`. */
export interface Selection {
  /** Okta group names or ids to push now, in or outside `groups.push`. */
  groups?: readonly string[];
  /** Okta logins, userNames or ids of users to provision now. */
  users?: readonly string[];
}

export interface PlanOptions {
  /** Re-read Command first and plan against what it really holds. */
  refresh?: boolean;
  /** Pull from the last pull plus the System Log (`sync --incremental`). */
  incremental?: boolean;
  selection?: Selection;
  /** Apply whatever the safety limits say (`--force`): nothing is refused. */
  force?: boolean;
  /** `--max-deactivations` for this run, over `safety.maxDeactivations`. */
  maxDeactivations?: Limit | undefined;
}

export interface PlanResult {
  plan: Plan;
  /** The snapshot as stored (before any refresh). */
  snapshot: Snapshot;
  /** Its fingerprint, for saved plans. */
  fingerprint: string;
  /** Changes made in Command behind the tool's back (with refresh). */
  drift: Drift[];
  /** How the Okta pull went (mode, requests); undefined for a saved plan. */
  pullSummary?: PullSummary | undefined;
  /** Why `sync` would refuse this plan (with the same flags); empty when it would apply it. */
  refusals: Refusal[];
}

export function planTarget(config: Config): SavedPlanTarget {
  return { oktaOrgUrl: config.okta.orgUrl, oktaAppId: config.okta.appId, scimUrl: config.command.scimUrl };
}

export interface Computed extends Omit<PlanResult, "fingerprint" | "refusals"> {
  desired: DesiredState;
  pulled: Pulled;
  /** CPU seconds of mapping the pull and diffing it. */
  planCpuSeconds: number;
  /** The snapshot after the refresh, to be stored before applying. */
  refreshed: Snapshot | undefined;
  scoped: boolean;
}

/** Pull, (refresh,) and plan against `snapshot`; writes nothing. */
export async function compute(
  config: Config,
  ports: Pick<RunPorts, "okta" | "command">,
  snapshot: Snapshot,
  reporter: Reporter,
  options: PlanOptions,
): Promise<Computed> {
  const selection = options.selection ?? {};
  const known = new Map<string, SnapshotUser>();
  for (const u of snapshot.users) known.set(u.oktaId, u);
  const pulled = await pullDesiredState(ports.okta, reporter, {
    ...(selection.groups === undefined ? {} : { groups: selection.groups }),
    // In a userName collision the Okta user already linked keeps the name (`known` says who is).
    known,
    incremental: options.incremental === true && selection.groups === undefined && selection.users === undefined,
  });
  // Only the pull looked users up by id: the planner builds its own index, without this one beside it.
  known.clear();
  const { desired, summary, mappingCpuSeconds } = pulled;
  let base = snapshot;
  let drift: Drift[] = [];
  let refreshed: Snapshot | undefined;
  if (options.refresh) {
    const remote = await readCommand(ports.command(), reporter);
    ({ snapshot: refreshed, drift } = refreshSnapshot(snapshot, remote.users, remote.groups));
    base = refreshed;
  }
  const scope = resolveScope(desired, selection, pulled.groups);
  const inputs = scope === undefined ? { desired, snapshot: base } : scopeInputs(desired, base, scope);
  const cpuBefore = process.cpuUsage();
  const plan = computePlan(inputs.desired, inputs.snapshot, {
    // A narrowed run never deletes: groups outside the selection are simply not in view.
    onRemove: scope === undefined ? config.groups.onRemove : "keep",
    onUserNameChange: config.users.onUserNameChange,
  });
  const planCpuSeconds = mappingCpuSeconds + cpuSecondsSince(cpuBefore);
  return { plan, snapshot, drift, desired, refreshed, scoped: scope !== undefined, pulled, pullSummary: summary, planCpuSeconds };
}

function resolveScope(desired: DesiredState, selection: Selection, oktaGroups: Pulled["groups"]): Scope | undefined {
  if (selection.groups !== undefined) {
    const groupIds = new Set(desired.groups.map((g) => g.oktaId));
    return { groupIds, userIds: membersOf(desired, groupIds, oktaGroups) };
  }
  if (selection.users !== undefined) {
    const userIds = new Set<string>();
    const missing: string[] = [];
    for (const wanted of selection.users) {
      const lower = wanted.toLowerCase();
      const match = desired.users.find((u) => u.oktaId === wanted || u.userName.toLowerCase() === lower);
      const held = desired.skipped?.find((u) => u.oktaId === wanted || u.login.toLowerCase() === lower);
      if (match !== undefined) userIds.add(match.oktaId);
      else if (held !== undefined) {
        throw new SyncError("config", `Okta user ${held.login} (${held.oktaId}) cannot be pushed: ${held.reason}`, {
          hint:
            held.reason === EXCLUDED_REASON
              ? "take the user out of users.exclude to push it; until then its Command user is held as it is"
              : "fix the user in Okta, then run again; until then its Command user is held as it is",
        });
      } else missing.push(wanted);
    }
    if (missing.length > 0) {
      throw new SyncError("config", `not assigned to the app in Okta (or skipped while mapping, or in users.exclude): ${missing.join(", ")}`, {
        hint: "give an Okta user id or the app username of a user assigned to the app",
      });
    }
    return { userIds };
  }
  return undefined;
}

/** The plan limits of a run: the config's, with `--max-deactivations` over its own. */
export function limitsOf(config: Config, options: PlanOptions): SafetyLimits & { minPullFraction: number } {
  return { ...config.safety, maxDeactivations: options.maxDeactivations ?? config.safety.maxDeactivations };
}

/** Why `sync` would refuse what was computed: the one check `sync`, `sync --dry-run` and `plan` share. */
export function refusalsOf(config: Config, computed: Computed, snapshot: Snapshot, options: PlanOptions): Refusal[] {
  return refusalsFor({
    desired: computed.desired,
    plan: computed.plan,
    snapshot: computed.refreshed ?? snapshot,
    limits: limitsOf(config, options),
    force: options.force === true,
    scoped: computed.scoped,
  });
}

/** `plan` and `sync --dry-run`: pull and diff against a snapshot opened read-only; never writes anything. */
export async function runPlan(config: Config, reporter: Reporter, options: PlanOptions, ports: Pick<RunPorts, "okta" | "command"> & { snapshot: Pick<SnapshotStore, "load"> }): Promise<PlanResult> {
  const snapshot = ports.snapshot.load();
  const result = await compute(config, ports, snapshot, reporter, options);
  const refusals = refusalsOf(config, result, snapshot, options);
  return { plan: result.plan, snapshot, fingerprint: snapshotFingerprint(snapshot), drift: result.drift, pullSummary: result.pullSummary, refusals };
}

/** A saved plan is applied only to the snapshot and the org it was made against. */
export function refuseMismatch(saved: SavedPlan, snapshot: Snapshot, config: Config): void {
  const mismatch = savedPlanMismatch(saved, snapshotFingerprint(snapshot), planTarget(config));
  if (mismatch !== undefined) throw new SyncError("config", `refusing the saved plan: ${mismatch}`, { hint: "make and review a new plan with `plan --out FILE`" });
}
