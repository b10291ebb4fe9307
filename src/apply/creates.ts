/**
 * Creates, and how they never make a duplicate. Before a phase sends its creates they are marked
 * pending in the snapshot (one transaction); a create still marked when a run starts was sent by
 * a run that died before recording the answer, so that user or group is looked up first and
 * adopted if Command has it. Every other create is a plain POST: the snapshot proves it is new,
 * and a 409 (the record exists after all) is answered by adoption.
 */
import { RemoteError, SyncError } from "../errors.js";
import type { Operation, PendingCreates, PendingKind, RemoteGroup, UserAttributes } from "../model.js";
import type { ScimLookups, ScimTarget, SnapshotStore } from "./ports.js";

type CreateKey = `${PendingKind}:${string}`;

export interface Marked {
  kind: PendingKind;
  oktaId: string;
}

export interface MarkWindow {
  /** Every create marked so far. */
  readonly marked: Marked[];
  /** Called before an operation is sent: marks it (and the next few creates) when it is a create not yet marked. */
  ensure(op: Operation): void;
}

export interface CreateOptions {
  runId: string;
  /** Look every user up by userName before creating it (the snapshot is empty, Command is not). */
  lookupBeforeCreate?: boolean | undefined;
  /** The same for groups, by externalId then name. */
  lookupGroupsBeforeCreate?: boolean | undefined;
}

/**
 * Command refused the create for good: nothing was made. A 409 means something exists already;
 * 408 and 429 may come after an earlier attempt that did create it.
 */
function definitiveRefusal(error: unknown): boolean {
  return error instanceof RemoteError && error.status >= 400 && error.status < 500 && error.status !== 408 && error.status !== 409 && error.status !== 429;
}

export class Creates {
  /** Users linked to a record Command already had, found by `lookupBeforeCreate`. */
  adopted = 0;
  /** Creates an earlier run may have sent without recording their answer: looked up first. */
  private readonly pending: PendingCreates;
  /** Creates this run sent to Command (whatever the answer). */
  private readonly sent = new Set<CreateKey>();

  constructor(
    private readonly target: ScimTarget & ScimLookups,
    private readonly store: SnapshotStore,
    private readonly options: CreateOptions,
    private readonly warn: (warning: string) => void,
  ) {
    this.pending = store.pendingCreates();
  }

  /**
   * Marks for the creates among `operations`, taken in order: `ensure(i)` marks pending, in one
   * transaction, the creates from the i-th on up to `ahead` of them whenever the i-th is not
   * marked yet. So marks run at most `ahead` creates past what was sent, and a run that dies
   * leaves at most that many (plus those in flight) to look up first.
   */
  window(operations: readonly Operation[], ahead: number): MarkWindow {
    const creates: Marked[] = [];
    for (const op of operations) {
      if (op.type === "createUser") creates.push({ kind: "user", oktaId: op.oktaId });
      if (op.type === "createGroup") creates.push({ kind: "group", oktaId: op.oktaGroupId });
    }
    const positions = new Map(creates.map((c, i) => [`${c.kind}:${c.oktaId}`, i]));
    const marked: Marked[] = [];
    let through = 0;
    return {
      marked,
      ensure: (op: Operation) => {
        const key = op.type === "createUser" ? `user:${op.oktaId}` : op.type === "createGroup" ? `group:${op.oktaGroupId}` : undefined;
        const at = key === undefined ? undefined : positions.get(key);
        if (at === undefined || at < through) return;
        const batch = creates.slice(at, at + Math.max(1, ahead));
        through = at + batch.length;
        this.markNow(batch);
        marked.push(...batch);
      },
    };
  }

  private markNow(batch: readonly Marked[]): void {
    this.store.transaction(() => {
      for (const kind of ["user", "group"] as const) {
        const ids = batch.filter((c) => c.kind === kind).map((c) => c.oktaId);
        if (ids.length > 0) this.store.markPendingCreates(kind, ids, this.options.runId);
      }
    });
  }

  /** Drop the marks of creates never sent (skipped, or stopped before their POST), unless an earlier run had left them. */
  clearUnsent(marked: readonly Marked[]): void {
    const unsent = marked.filter((c) => !this.sent.has(`${c.kind}:${c.oktaId}`) && !this.pendingSet(c.kind).has(c.oktaId));
    if (unsent.length === 0) return;
    this.store.transaction(() => {
      for (const c of unsent) this.store.clearPendingCreate(c.kind, c.oktaId);
    });
  }

  private pendingSet(kind: PendingKind): Set<string> {
    return kind === "user" ? this.pending.users : this.pending.groups;
  }

  /** Send a create: from here on Command may hold the record, whatever the answer says. */
  private async sendCreate<T>(kind: PendingKind, oktaId: string, send: () => Promise<T>): Promise<T> {
    this.sent.add(`${kind}:${oktaId}`);
    try {
      return await send();
    } catch (error) {
      if (definitiveRefusal(error)) this.store.clearPendingCreate(kind, oktaId);
      throw error;
    }
  }

  /**
   * POST the user. A user whose create an earlier run may have sent (marked pending) is looked up
   * first, by userName then by externalId, and taken over with a full update if Command has it;
   * with `lookupBeforeCreate` every user is looked up by userName. On 409 (the userName already
   * exists in Command) that user is found the same way and taken over instead of failing or
   * making a duplicate.
   */
  async user(oktaId: string, userName: string, attributes: UserAttributes, replaced?: string): Promise<string> {
    const pending = this.pending.users.has(oktaId);
    if (pending || this.options.lookupBeforeCreate) {
      const byName = await this.target.findUserByUserName(userName);
      if (byName !== undefined) refuseForeign(byName, oktaId, userName);
      let existing = byName !== undefined && byName.id !== replaced ? byName : undefined;
      if (existing === undefined && pending) {
        const linked = await this.target.findUserByExternalId(oktaId);
        if (linked !== undefined && linked.id !== replaced) existing = linked;
      }
      if (existing !== undefined) {
        await this.target.updateUser(existing.id, oktaId, { attributes, before: existing.attributes, after: attributes, active: true });
        if (pending) this.warn(`${userName} already existed in Command (an earlier run created it and stopped before recording it); linked to it and updated it`);
        else this.adopted += 1;
        return existing.id;
      }
    }
    try {
      return (await this.sendCreate("user", oktaId, () => this.target.createUser(oktaId, attributes, true))).id;
    } catch (error) {
      if (!(error instanceof RemoteError) || error.status !== 409) throw error;
      const byName = await this.target.findUserByUserName(userName);
      // The user being replaced carries the same externalId: it must not be adopted back.
      const byExternalId = byName === undefined ? await this.target.findUserByExternalId(oktaId) : undefined;
      const existing = byName ?? (byExternalId?.id === replaced ? undefined : byExternalId);
      if (existing === undefined) throw error;
      refuseForeign(existing, oktaId, userName);
      await this.target.updateUser(existing.id, oktaId, { attributes, before: existing.attributes, after: attributes, active: true });
      this.warn(`${userName} already existed in Command; linked to it and updated it`);
      return existing.id;
    }
  }

  /**
   * Create a group with `post` (which sends its first members along), or adopt the
   * one Command already holds: from a run that stopped before recording its create (marked
   * pending), or from Okta's own provisioning (found on 409, or looked up first with
   * `lookupGroupsBeforeCreate`). A group with this Okta id is adopted; so is one with the same
   * name and no other Okta id. Duplicates are never made. No member of an adopted group is
   * taken for granted: `adopted` tells the caller to reconcile its whole membership.
   */
  async group<M>(
    oktaGroupId: string,
    displayName: string,
    post: () => Promise<{ id: string; members: M[] }>,
  ): Promise<{ id: string; members: M[]; adopted: boolean }> {
    const adopt = async (group: RemoteGroup): Promise<string> => {
      if (group.displayName !== displayName) await this.target.renameGroup(group.id, displayName);
      if (group.externalId !== oktaGroupId) this.warn(`group ${displayName} already existed in Command; linked to it`);
      return group.id;
    };
    const lookup = async (): Promise<RemoteGroup | undefined> => {
      const linked = await this.target.findGroupByExternalId(oktaGroupId);
      if (linked !== undefined) return linked;
      const named = await this.target.findGroupByName(displayName);
      if (named !== undefined && named.externalId !== undefined && named.externalId !== "" && named.externalId !== oktaGroupId) {
        // Found by a lookup, not answered to a request: no group was sent for it.
        throw new SyncError(
          "conflict",
          `group ${displayName} is not created: a group named "${displayName}" already exists in Command for another source (externalId ${named.externalId}); rename one of them`,
        );
      }
      return named;
    };
    if (this.pending.groups.has(oktaGroupId) || this.options.lookupGroupsBeforeCreate) {
      const existing = await lookup();
      if (existing !== undefined) return { id: await adopt(existing), members: [], adopted: true };
    }
    try {
      return { ...(await this.sendCreate("group", oktaGroupId, post)), adopted: false };
    } catch (error) {
      if (!(error instanceof RemoteError) || error.status !== 409) throw error;
      const raced = await lookup();
      if (raced === undefined) throw error;
      return { id: await adopt(raced), members: [], adopted: true };
    }
  }
}

/**
 * A Command user whose externalId names another source is someone else's record: taking it over
 * could hand one person's access to another, so it is refused, never guessed.
 */
function refuseForeign(existing: { externalId: string | undefined; userName: string }, oktaId: string, userName: string): void {
  if (existing.externalId === undefined || existing.externalId === "" || existing.externalId === oktaId) return;
  throw new SyncError(
    "conflict",
    `${userName} is not created: it already exists in Command as ${existing.userName}, linked to another source (externalId ${existing.externalId}); resolve it in Command, then rerun`,
  );
}
