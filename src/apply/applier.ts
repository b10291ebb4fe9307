/**
 * The applier: runs a plan against Command (ScimTarget) and records each confirmed operation in
 * the snapshot (SnapshotStore) in its own transaction, so a crash at any moment loses nothing and
 * a rerun converges. Phases run in order; inside a phase, operations run with bounded
 * concurrency. A failed operation is recorded and does not stop the others; it is planned again
 * next run because the snapshot does not record it. An authentication failure stops the run.
 *
 * A normal run reads nothing from Command: one request per user create, update, deactivation or
 * reactivation, one POST per new group (carrying its first members), and member add/remove
 * PATCHes chunked per group. The snapshot proves a create is new, except for creates a run sent
 * without living to record their answer: those are marked pending (a few at a time, just ahead
 * of the sends) before they are sent, and a create still marked when a run starts is looked up
 * first and adopted if Command has it.
 *
 * Nothing is taken as done unless Command confirmed it (the SCIM client checks every answer);
 * a resource counts as gone only when Command said so in SCIM (GoneError).
 */
import { count } from "../plural.js";
import pLimit from "p-limit";
import { errorMessage, GoneError, RemoteError, SyncError } from "../errors.js";
import {
  emptySummary,
  type MemberRef,
  type Operation,
  type OperationOutcome,
  operationTarget,
  type Plan,
  type Snapshot,
  type Summary,
} from "../model.js";
import { Creates } from "./creates.js";
import type { RunLog, ScimLookups, ScimTarget, SnapshotStore } from "./ports.js";

/** What the applier needs from Command: the writes, and lookups to adopt instead of duplicating. */
export type ApplyTarget = ScimTarget & ScimLookups;

/** Where the applier commits: the snapshot, and the run log each operation is recorded in. */
export type ApplyStore = SnapshotStore & Pick<RunLog, "recordOperation">;

export interface ApplyOptions {
  runId: string;
  concurrency: number;
  membersPerRequest: number;
  /** Called after each operation (or membership chunk) finishes, for progress display. */
  onProgress?: (progress: { done: number; total: number; operation: Operation }) => void;
  /** Called with each finished operation, for audit logs. */
  onOutcome?: (event: { operation: Operation; outcome: OperationOutcome; error?: string }) => void;
  /** When aborted, operations not yet started are skipped; in-flight ones finish. */
  signal?: AbortSignal;
  /**
   * Look each user up by userName before creating it and adopt a match, as Okta's own client
   * does: for a first run against a Command org that already has users.
   */
  lookupBeforeCreate?: boolean;
  /**
   * Look each group up (by externalId, then by name) before creating it and adopt a match: for a
   * run whose snapshot has no groups while Command already has some.
   */
  lookupGroupsBeforeCreate?: boolean;
}

export interface FailedOperation {
  type: Operation["type"];
  target: string;
  error: string;
}

export interface ApplyResult {
  status: "succeeded" | "partial" | "failed";
  /** Units applied, by type (memberships count one per user in one group). */
  applied: Summary;
  failed: FailedOperation[];
  warnings: string[];
  /** An error that stopped the run (authentication refused, interrupted). */
  fatal: SyncError | undefined;
}

type Phase = readonly Operation["type"][];
type Entry = { operation: Operation; index: number };
type AddMembers = Extract<Operation, { type: "addMembers" }>;

const PHASES: readonly Phase[] = [
  // Users first, so a new group can be created with its first members in the same request.
  ["createUser", "updateUser"],
  // After updates, so a PUT and a reactivation of the same user never race.
  ["reactivateUser"],
  ["createGroup", "updateGroup"],
  ["addMembers", "removeMembers"],
  ["deactivateUser"],
  ["deleteGroup"],
];

export async function applyPlan(plan: Plan, snapshot: Snapshot, target: ApplyTarget, store: ApplyStore, options: ApplyOptions): Promise<ApplyResult> {
  const run = new ApplyRun(plan, snapshot, target, store, options);
  const indexed = plan.operations.map((operation, index) => ({ operation, index }));
  for (const phase of PHASES) {
    const ops = indexed.filter((entry) => phase.includes(entry.operation.type));
    if (ops.length === 0) continue;
    if (phase.includes("addMembers")) await run.membershipPhase(ops);
    else await run.phase(ops);
  }
  return run.result();
}

/** A create that was never sent leaves nothing in Command; one sent may have made something. */
class ApplyRun {
  readonly limit;
  private readonly userScimIds = new Map<string, string>();
  private readonly groupScimIds = new Map<string, string>();
  private readonly applied = emptySummary();
  private readonly failed: FailedOperation[] = [];
  private readonly warnings: string[] = [];
  private fatal: SyncError | undefined;
  private succeededUnits = 0;
  private done = 0;
  private readonly total: number;
  /** Creates: pending marks, and adoption of what Command already holds. */
  private readonly creates: Creates;
  /** The addMembers operation of each group the plan creates, for the members sent inline. */
  private readonly addsOfNewGroups = new Map<string, AddMembers>();
  /** Members each new group was created with, by group then user Okta id. */
  private readonly inlined = new Map<string, Set<string>>();
  /** Users whose removal from a group did not go through: not deactivated this run. */
  private readonly unsettled = new Set<string>();
  /** Users whose reactivation did not go through: not added to groups this run. */
  private readonly notReactivated = new Set<string>();
  /** Command ids of users held as they are (plan.skipped): never removed from a group. */
  private readonly heldScimIds: string[];

  constructor(
    plan: Plan,
    private readonly snapshot: Snapshot,
    private readonly target: ApplyTarget,
    private readonly store: ApplyStore,
    private readonly options: ApplyOptions,
  ) {
    this.limit = pLimit(Math.max(1, options.concurrency));
    this.total = plan.operations.length;
    for (const user of snapshot.users) this.userScimIds.set(user.oktaId, user.scimId);
    for (const group of snapshot.groups) this.groupScimIds.set(group.oktaId, group.scimId);
    this.heldScimIds = (plan.skipped ?? []).flatMap((user) => {
      const scimId = this.userScimIds.get(user.oktaId);
      return scimId === undefined ? [] : [scimId];
    });
    this.creates = new Creates(target, store, options, (warning) => this.warnings.push(warning));
    const created = new Set(plan.operations.flatMap((op) => (op.type === "createGroup" ? [op.oktaGroupId] : [])));
    for (const op of plan.operations) {
      if (op.type === "addMembers" && created.has(op.oktaGroupId) && !this.addsOfNewGroups.has(op.oktaGroupId)) this.addsOfNewGroups.set(op.oktaGroupId, op);
    }
  }

  private stopped(): boolean {
    return this.fatal !== undefined || this.options.signal?.aborted === true;
  }

  /**
   * One phase of single operations. Its creates are marked pending a few at a time (at most
   * `concurrency` past the ones sent) before they are sent; afterwards the marks of creates
   * never sent (skipped, or stopped before their POST) are dropped, unless an earlier run had
   * left them.
   */
  async phase(entries: Entry[]): Promise<void> {
    const marks = this.creates.window(entries.map((entry) => entry.operation), this.options.concurrency);
    // A fixed set of workers takes the operations in turn: a promise per operation up front would
    // hold 80,000 of them for a first sync of a large org.
    let next = 0;
    const worker = async () => {
      while (next < entries.length) {
        const entry = entries[next++]!;
        if (!this.stopped()) marks.ensure(entry.operation);
        await this.single(entry.operation, entry.index);
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(this.options.concurrency, entries.length)) }, worker));
    this.creates.clearUnsent(marks.marked);
  }

  async single(op: Operation, index: number): Promise<void> {
    if (this.stopped()) return this.finish(op, index, "skipped", this.stopReason());
    try {
      await this.execute(op, index);
    } catch (error) {
      this.onError(op, index, error);
    }
  }

  /** Membership changes: groups in parallel, the chunks of one group one after another. */
  async membershipPhase(entries: Entry[]): Promise<void> {
    const byGroup = new Map<string, Entry[]>();
    for (const entry of entries) {
      if (entry.operation.type !== "addMembers" && entry.operation.type !== "removeMembers") continue;
      const list = byGroup.get(entry.operation.oktaGroupId) ?? [];
      list.push(entry);
      byGroup.set(entry.operation.oktaGroupId, list);
    }
    await Promise.all(
      [...byGroup.values()].map(async (list) => {
        for (const entry of list) await this.membership(entry.operation, entry.index);
      }),
    );
  }

  private async membership(op: Operation, index: number): Promise<void> {
    if (op.type !== "addMembers" && op.type !== "removeMembers") return;
    // Members the group was created with are in Command and in the snapshot already.
    const inlined = op.type === "addMembers" ? this.inlined.get(op.oktaGroupId) : undefined;
    const members = inlined === undefined ? op.members : op.members.filter((m) => !inlined.has(m.oktaId));
    const already = op.members.length - members.length;
    if (members.length === 0) return this.finish(op, index, "succeeded");
    if (this.stopped() && already === 0) {
      if (op.type === "removeMembers") for (const m of members) this.unsettled.add(m.oktaId);
      return this.finish(op, index, "skipped", this.stopReason());
    }
    const groupId = this.groupScimIds.get(op.oktaGroupId);
    if (groupId === undefined) return this.finish(op, index, "skipped", `group ${op.displayName} is not in Command yet`);
    const ready: MemberRef[] = [];
    const missing: MemberRef[] = [];
    const inactive: MemberRef[] = [];
    for (const member of members) {
      if (!this.userScimIds.has(member.oktaId)) missing.push(member);
      // Command refuses to change a deactivated user's groups: one whose reactivation failed waits.
      else if (op.type === "addMembers" && this.notReactivated.has(member.oktaId)) inactive.push(member);
      else ready.push(member);
    }
    const removed = new Set<string>();
    let gone = false;
    let done = already;
    const errors: string[] = [];
    for (let start = 0; start < ready.length; start += this.options.membersPerRequest) {
      const chunk = ready.slice(start, start + this.options.membersPerRequest);
      if (this.stopped()) {
        errors.push(this.stopReason());
        break;
      }
      const ids = chunk.map((m) => this.userScimIds.get(m.oktaId)!);
      try {
        await this.limit(() => (op.type === "addMembers" ? this.target.addMembers(groupId, ids) : this.target.removeMembers(groupId, ids)));
      } catch (error) {
        if (error instanceof GoneError) {
          this.forgetGroup(op.oktaGroupId, `group ${op.displayName} no longer exists in Command; it will be created again next run, with its whole membership`);
          errors.push("group not found in Command");
          gone = true;
          break;
        }
        if (this.isFatal(error)) {
          errors.push(errorMessage(error));
          break;
        }
        errors.push(errorMessage(error));
        continue;
      }
      const oktaIds = chunk.map((m) => m.oktaId);
      this.store.transaction(() => {
        if (op.type === "addMembers") this.store.addGroupMembers(op.oktaGroupId, oktaIds);
        else this.store.removeGroupMembers(op.oktaGroupId, oktaIds);
      });
      for (const oktaId of oktaIds) removed.add(oktaId);
      done += chunk.length;
      this.applied[op.type] += chunk.length;
      this.succeededUnits += chunk.length;
    }
    if (op.type === "removeMembers" && !gone) {
      // A member still in the group in Command must not be deactivated this run.
      for (const member of ready) if (!removed.has(member.oktaId)) this.unsettled.add(member.oktaId);
    }
    if (missing.length > 0 && op.type === "addMembers") {
      errors.push(`${missing.length} member(s) not in Command yet: ${missing.map((m) => m.userName).join(", ")}`);
    }
    if (inactive.length > 0) {
      errors.push(`${inactive.length} member(s) not reactivated in Command, so not added: ${inactive.map((m) => m.userName).join(", ")}`);
    }
    if (missing.length > 0 && op.type === "removeMembers") {
      // Users without a link are not in Command, so they are not members there either.
      this.store.transaction(() => this.store.removeGroupMembers(op.oktaGroupId, missing.map((m) => m.oktaId)));
    }
    if (errors.length === 0) return this.finish(op, index, "succeeded");
    const detail = done > 0 ? `${done} of ${op.members.length} applied; ${errors.join("; ")}` : errors.join("; ");
    this.finish(op, index, "failed", detail);
  }

  private async execute(op: Operation, index: number): Promise<void> {
    switch (op.type) {
      case "createUser": {
        // Command cannot change a deactivated user's groups: the replaced user leaves its groups
        // first, and the new one joins them once it exists.
        const groups = op.replaces === undefined ? [] : this.groupsOf(op.oktaId);
        if (op.replaces !== undefined) await this.retire(op.replaces.scimId, groups);
        const id = await this.creates.user(op.oktaId, op.userName, op.after, op.replaces?.scimId);
        this.userScimIds.set(op.oktaId, id);
        this.commit(op, index, () => this.store.saveUser({ oktaId: op.oktaId, scimId: id, userName: op.userName, attributes: op.after, active: true }));
        for (const group of groups) {
          try {
            await this.target.addMembers(group.scimId, [id]);
          } catch (error) {
            // Not a member in Command yet: the snapshot says so, and the next run adds it.
            this.store.transaction(() => this.store.removeGroupMembers(group.oktaId, [op.oktaId]));
            this.warnings.push(`${op.userName} was not added back to group ${group.displayName}: ${errorMessage(error)}; the next run adds it`);
          }
        }
        return;
      }
      case "updateUser":
        await this.target.updateUser(op.scimId, op.oktaId, { attributes: op.attributes, before: op.before, after: op.after, active: op.active });
        return this.commit(op, index, () =>
          this.store.saveUser({ oktaId: op.oktaId, scimId: op.scimId, userName: op.userName, attributes: op.attributes, active: op.active }),
        );
      case "deactivateUser":
      case "reactivateUser": {
        const active = op.type === "reactivateUser";
        if (!active && this.unsettled.has(op.oktaId)) {
          throw new SyncError(
            "remote",
            "not deactivated: removing it from a group failed this run, and Command cannot change a deactivated user's groups; the next run tries both again",
          );
        }
        await this.target.setUserActive(op.scimId, active);
        return this.commit(op, index, () => this.store.setUserActive(op.oktaId, active));
      }
      case "createGroup": {
        const created = await this.creates.group(op.oktaGroupId, op.displayName, () => this.postGroup(op.oktaGroupId, op.displayName));
        const { id } = created;
        // An adopted group's membership is made exact first: members Okta does not list go now.
        const members = created.adopted ? await this.reconcileAdopted(op.oktaGroupId, op.displayName, id) : created.members;
        this.groupScimIds.set(op.oktaGroupId, id);
        const memberIds = members.map((m) => m.oktaId);
        // The link and the members it was created with are committed together.
        this.commit(op, index, () => {
          this.store.saveGroup({ oktaId: op.oktaGroupId, scimId: id, displayName: op.displayName });
          if (memberIds.length > 0) this.store.addGroupMembers(op.oktaGroupId, memberIds);
        });
        if (memberIds.length > 0) {
          this.inlined.set(op.oktaGroupId, new Set(memberIds));
          this.applied.addMembers += memberIds.length;
          this.succeededUnits += memberIds.length;
        }
        return;
      }
      case "updateGroup":
        await this.target.renameGroup(op.scimId, op.after.displayName);
        return this.commit(op, index, () =>
          this.store.saveGroup({ oktaId: op.oktaGroupId, scimId: op.scimId, displayName: op.after.displayName }),
        );
      case "deleteGroup":
        await this.target.deleteGroup(op.scimId);
        this.groupScimIds.delete(op.oktaGroupId);
        return this.commit(op, index, () => this.store.deleteGroup(op.oktaGroupId));
      case "addMembers":
      case "removeMembers":
        return this.membership(op, index);
    }
  }

  /** The snapshot's groups an Okta user is a member of. */
  private groupsOf(oktaId: string): { oktaId: string; scimId: string; displayName: string }[] {
    return this.snapshot.groups.filter((g) => g.members.includes(oktaId));
  }

  /**
   * Deactivate the Command user a recreate replaces, after taking it out of its groups (Command
   * cannot change a deactivated user's memberships); one already gone needs nothing.
   */
  private async retire(scimId: string, groups: readonly { scimId: string }[]): Promise<void> {
    for (const group of groups) {
      try {
        await this.target.removeMembers(group.scimId, [scimId]);
      } catch (error) {
        if (!(error instanceof GoneError)) throw error;
      }
    }
    try {
      await this.target.setUserActive(scimId, false);
    } catch (error) {
      if (!(error instanceof GoneError)) throw error;
    }
  }

  /**
   * A group that already existed in Command (an earlier run's create, Okta's own provisioning, or
   * one re-adopted after it went missing) holds whatever members it holds: read them, remove
   * those Okta does not list (held users stay), and return the planned members already there,
   * which need no PATCH.
   */
  private async reconcileAdopted(oktaGroupId: string, displayName: string, id: string): Promise<MemberRef[]> {
    const remote = await this.target.getGroup(id);
    if (remote === undefined) throw new GoneError({ side: "command", method: "GET", url: `/Groups/${id}`, detail: `group ${displayName} vanished while it was adopted` });
    const planned = this.addsOfNewGroups.get(oktaGroupId)?.members ?? [];
    const present = new Set(remote.memberIds);
    const keep = new Set(this.heldScimIds);
    const already: MemberRef[] = [];
    for (const member of planned) {
      const scimId = this.userScimIds.get(member.oktaId);
      if (scimId === undefined) continue;
      keep.add(scimId);
      if (present.has(scimId)) already.push(member);
    }
    const extra = [...present].filter((scimId) => !keep.has(scimId));
    const chunk = Math.max(1, this.options.membersPerRequest);
    for (let start = 0; start < extra.length; start += chunk) await this.target.removeMembers(id, extra.slice(start, start + chunk));
    if (extra.length > 0) {
      this.applied.removeMembers += extra.length;
      this.succeededUnits += extra.length;
      this.warnings.push(`group ${displayName} already existed in Command with ${extra.length} member(s) Okta does not list there; removed them`);
    }
    return already;
  }

  /**
   * POST /Groups with the first `membersPerRequest` planned members that have a SCIM id. Should
   * Command refuse that body (400: say a linked user was deleted in Command), nothing was made,
   * and the group is created empty instead; its members then go by PATCH.
   */
  private async postGroup(oktaGroupId: string, displayName: string): Promise<{ id: string; members: MemberRef[] }> {
    const planned = this.addsOfNewGroups.get(oktaGroupId)?.members ?? [];
    const members = planned.filter((m) => this.userScimIds.has(m.oktaId)).slice(0, Math.max(0, this.options.membersPerRequest));
    if (members.length === 0) return { id: (await this.target.createGroup(oktaGroupId, displayName)).id, members: [] };
    try {
      const { id } = await this.target.createGroup(oktaGroupId, displayName, members.map((m) => this.userScimIds.get(m.oktaId)!));
      return { id, members };
    } catch (error) {
      if (!(error instanceof RemoteError) || error.status !== 400) throw error;
      return { id: (await this.target.createGroup(oktaGroupId, displayName)).id, members: [] };
    }
  }

  private commit(op: Operation, index: number, mutate: () => void): void {
    this.store.transaction(() => {
      mutate();
      this.record(op, index, "succeeded");
    });
    this.applied[op.type] += 1;
    this.succeededUnits += 1;
    this.progress(op);
    this.options.onOutcome?.({ operation: op, outcome: "succeeded" });
  }

  private onError(op: Operation, index: number, error: unknown): void {
    if (error instanceof GoneError && op.type !== "createUser" && op.type !== "createGroup") {
      this.vanished(op, index);
      return;
    }
    this.isFatal(error);
    this.finish(op, index, "failed", errorMessage(error));
  }

  /** Something the plan acts on is gone from Command: forget the link so the next run converges. */
  private vanished(op: Operation, index: number): void {
    switch (op.type) {
      case "updateUser":
      case "reactivateUser":
        this.forgetUser(op.oktaId, `${op.userName} no longer exists in Command; it will be created again next run`);
        this.finish(op, index, "skipped", "user not found in Command");
        return;
      case "deactivateUser":
        // Command said it has no such user: nothing is left that could sign in, so this is done.
        this.forgetUser(op.oktaId, `${op.userName} no longer exists in Command; nothing to deactivate`);
        this.finish(op, index, "succeeded");
        this.applied.deactivateUser += 1;
        this.succeededUnits += 1;
        return;
      case "updateGroup":
      case "deleteGroup":
        this.forgetGroup(op.oktaGroupId, `group ${operationTarget(op)} no longer exists in Command${op.type === "updateGroup" ? "; it will be created again next run" : ""}`);
        this.finish(op, index, "skipped", "group not found in Command");
        return;
      default:
        this.finish(op, index, "failed", "not found in Command");
    }
  }

  private forgetUser(oktaId: string, warning: string): void {
    this.userScimIds.delete(oktaId);
    this.store.transaction(() => this.store.unlinkUser(oktaId));
    this.warnings.push(warning);
  }

  private forgetGroup(oktaId: string, warning: string): void {
    this.groupScimIds.delete(oktaId);
    this.store.transaction(() => this.store.deleteGroup(oktaId));
    this.warnings.push(warning);
  }

  /** Authentication refused: every further request would be refused too. */
  private isFatal(error: unknown): boolean {
    if (error instanceof SyncError && error.kind === "auth") {
      this.fatal ??= error;
      return true;
    }
    return false;
  }

  private stopReason(): string {
    return this.fatal !== undefined ? "not attempted: the run stopped after an authentication failure" : "not attempted: the run was interrupted";
  }

  private finish(op: Operation, index: number, outcome: OperationOutcome, error?: string): void {
    if (op.type === "reactivateUser" && outcome !== "succeeded") this.notReactivated.add(op.oktaId);
    if (outcome === "failed") this.failed.push({ type: op.type, target: operationTarget(op), error: error ?? "failed" });
    this.store.transaction(() => this.record(op, index, outcome, error));
    this.progress(op);
    this.options.onOutcome?.({ operation: op, outcome, ...(error === undefined ? {} : { error }) });
  }

  private record(op: Operation, index: number, outcome: OperationOutcome, error?: string): void {
    this.store.recordOperation(this.options.runId, { index, type: op.type, target: operationTarget(op), outcome, error, detail: op });
  }

  private progress(op: Operation): void {
    this.done += 1;
    this.options.onProgress?.({ done: this.done, total: this.total, operation: op });
  }

  result(): ApplyResult {
    let status: ApplyResult["status"] = "succeeded";
    if (this.failed.length > 0 || this.fatal !== undefined) status = this.succeededUnits > 0 ? "partial" : "failed";
    if (this.options.signal?.aborted && this.fatal === undefined) status = this.succeededUnits > 0 ? "partial" : "failed";
    const adopted = this.creates.adopted;
    const warnings = adopted > 0 ? [`linked ${count(adopted, "user")} that already existed in Command (matched by userName) instead of creating them`, ...this.warnings] : this.warnings;
    return { status, applied: this.applied, failed: this.failed, warnings, fatal: this.fatal };
  }
}
