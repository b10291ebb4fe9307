/**
 * The ports the applier drives: Command's SCIM API (ScimTarget, ScimLookups), the snapshot
 * (SnapshotStore) and the run log it records each operation in (RunLog). Adapters (src/scim,
 * src/store) fit them by shape; the composition root (src/cli/compose.ts) passes them in.
 */
import type {
  OperationRecord,
  PendingCreates,
  PendingKind,
  RemoteGroup,
  RemoteUser,
  RunRecord,
  RunStatus,
  Snapshot,
  SnapshotUser,
  Summary,
  UserAttributes,
} from "../model.js";

/**
 * Command's SCIM API. Every method throws a SyncError (RemoteError, NetworkError, ProtocolError)
 * on failure and resolves only when Command confirmed the change.
 */
export interface ScimTarget {
  /** POST /Users with the full representation; returns Command's id. */
  createUser(externalId: string, attributes: UserAttributes, active: boolean): Promise<{ id: string }>;
  /**
   * Update a user to `attributes`: PUT of the full representation, or with updateMethod patch a
   * PATCH that replaces `after` and removes the keys of `before` missing from `after`.
   */
  updateUser(
    id: string,
    externalId: string,
    change: { attributes: UserAttributes; before: UserAttributes; after: UserAttributes; active: boolean },
  ): Promise<void>;
  /** PATCH /Users/{id} replace active. */
  setUserActive(id: string, active: boolean): Promise<void>;
  /** GET /Users?filter=userName eq "x"; undefined when there is no such user. */
  findUserByUserName(userName: string): Promise<RemoteUser | undefined>;
  /**
   * POST /Groups with displayName, externalId and `members` holding these user SCIM ids (none
   * when left out); resolves once Command created the group with all of them.
   */
  createGroup(externalId: string, displayName: string, memberIds?: readonly string[]): Promise<{ id: string }>;
  /** PATCH /Groups/{id} replace displayName. */
  renameGroup(id: string, displayName: string): Promise<void>;
  /** PATCH /Groups/{id} add members (the caller chunks). */
  addMembers(id: string, userIds: readonly string[]): Promise<void>;
  /** PATCH /Groups/{id} remove members[value eq "x"] (the caller chunks). */
  removeMembers(id: string, userIds: readonly string[]): Promise<void>;
  /** DELETE /Groups/{id}. */
  deleteGroup(id: string): Promise<void>;
}

/** Lookups of resources that may already exist in Command (adoption instead of duplicates). */
export interface ScimLookups {
  /** The user whose externalId is this Okta user id. */
  findUserByExternalId(externalId: string): Promise<RemoteUser | undefined>;
  /** The group whose externalId is this Okta group id. */
  findGroupByExternalId(externalId: string): Promise<RemoteGroup | undefined>;
  /** A group with this displayName (case-insensitive). */
  findGroupByName(displayName: string): Promise<RemoteGroup | undefined>;
  /** GET /Groups/{id} with its members; undefined when Command says there is no such group. */
  getGroup(id: string): Promise<RemoteGroup | undefined>;
}

/**
 * The local snapshot. Each mutating method is a single statement or group of statements; the
 * applier wraps the mutation and its operation record in `transaction` so each confirmed
 * operation is committed on its own.
 */
export interface SnapshotStore {
  load(): Snapshot;
  transaction<T>(fn: () => T): T;

  saveUser(user: SnapshotUser): void;
  /** Record that a linked user is now active or deactivated in Command. */
  setUserActive(oktaId: string, active: boolean): void;
  /** Forget the link of an Okta user (e.g. the user vanished in Command). Also drops memberships. */
  unlinkUser(oktaId: string): void;
  saveGroup(group: { oktaId: string; scimId: string; displayName: string }): void;
  /** Forget a group and its member set. */
  deleteGroup(oktaId: string): void;
  addGroupMembers(groupOktaId: string, userOktaIds: readonly string[]): void;
  removeGroupMembers(groupOktaId: string, userOktaIds: readonly string[]): void;

  /** Mark creates about to be sent, so a crash before their commit leads to a lookup, not a duplicate. */
  markPendingCreates(kind: PendingKind, oktaIds: readonly string[], runId: string): void;
  /** Command refused the create: nothing was made. */
  clearPendingCreate(kind: PendingKind, oktaId: string): void;
  /** Creates that may have reached Command without being recorded (a run died in between). */
  pendingCreates(): PendingCreates;
}

/** The run log: one entry per run of a writing command, and one per operation it attempted. */
export interface RunLog {
  beginRun(command: string, startedAt: Date): string;
  /** Called inside the snapshot's transaction of the operation it records. */
  recordOperation(runId: string, record: OperationRecord): void;
  finishRun(
    runId: string,
    result: { status: RunStatus; finishedAt: Date; summary: Summary; failed: number; warnings: readonly string[] },
  ): void;
  /** Newest first. */
  listRuns(limit: number): RunRecord[];
}
