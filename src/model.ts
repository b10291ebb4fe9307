/**
 * Domain types shared by pull, plan, apply and the snapshot store.
 *
 * Users are keyed by Okta user id and groups by Okta group id everywhere: a changed email or
 * group name is an update, never a delete plus create.
 */

/** The SCIM core User schema and the enterprise extension, as used in attribute paths. */
export const CORE_USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User";
export const ENTERPRISE_USER_SCHEMA = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
export const CORE_GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group";
export const PATCH_OP_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
export const LIST_RESPONSE_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
export const ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error";

/**
 * The SCIM attributes of a user as a flat map from attribute path to a non-empty string.
 *
 * Paths are SCIM attribute paths as Okta's Profile Editor writes them:
 * - core simple or sub-attributes: `userName`, `title`, `name.givenName`
 * - multi-valued with a type filter: `emails[type eq "work"].value`
 * - extension attributes, prefixed with the schema URN: `urn:...:enterprise:2.0:User:department`
 *
 * An attribute that is empty in Okta is absent from the map. `externalId` and `active` are not
 * in the map: the first is the Okta id, the second is tracked on its own.
 */
export type UserAttributes = Readonly<Record<string, string>>;

export interface DesiredUser {
  oktaId: string;
  userName: string;
  /** Always contains `userName`. */
  attributes: UserAttributes;
  /** Whether the user should be active in Command. */
  active: boolean;
}

export interface DesiredGroup {
  oktaId: string;
  displayName: string;
  /** Okta user ids of the members that are assigned to the app; sorted, unique. */
  members: readonly string[];
}

/**
 * An Okta user assigned to the app who cannot be pushed (bad data, a userName another Okta user
 * holds, excluded by config). Held, never deactivated: its Command user stays exactly as it is.
 */
export interface SkippedUser {
  oktaId: string;
  /** The Okta login, for messages. */
  login: string;
  /** Why it cannot be pushed, one phrase. */
  reason: string;
}

/** What Okta says Command should hold. Only produced by a pull that read every page. */
export interface DesiredState {
  users: readonly DesiredUser[];
  groups: readonly DesiredGroup[];
  /** Assigned users that are held as they are in Command (see SkippedUser). */
  skipped?: readonly SkippedUser[];
  /** Problems found while pulling that did not stop the pull (shown to the user). */
  warnings: readonly string[];
}

export interface SnapshotUser {
  oktaId: string;
  scimId: string;
  userName: string;
  /** The attributes last pushed to Command. */
  attributes: UserAttributes;
  active: boolean;
}

export interface SnapshotGroup {
  oktaId: string;
  scimId: string;
  displayName: string;
  /** Okta user ids of the members last pushed; sorted, unique. */
  members: readonly string[];
}

/** What this tool last made Command hold, as recorded in the snapshot DB. */
export interface Snapshot {
  users: readonly SnapshotUser[];
  groups: readonly SnapshotGroup[];
}

export interface MemberRef {
  oktaId: string;
  userName: string;
}

export type Operation =
  | {
      type: "createUser";
      oktaId: string;
      userName: string;
      after: UserAttributes;
      /**
       * With `users.onUserNameChange: recreate`: the Command user this one replaces, deactivated
       * first (Command does not apply a changed userName).
       */
      replaces?: { scimId: string; userName: string };
    }
  | {
      type: "updateUser";
      oktaId: string;
      scimId: string;
      userName: string;
      /** Values before of the attributes that change; a missing key was empty. */
      before: UserAttributes;
      /** Values after of the attributes that change; a missing key is being removed. */
      after: UserAttributes;
      /** The full desired attributes (a PUT sends the full representation). */
      attributes: UserAttributes;
      /** Whether the user is active at the time of the update (a PUT carries `active`). */
      active: boolean;
    }
  | { type: "deactivateUser"; oktaId: string; scimId: string; userName: string }
  | { type: "reactivateUser"; oktaId: string; scimId: string; userName: string }
  | { type: "createGroup"; oktaGroupId: string; displayName: string }
  | {
      type: "updateGroup";
      oktaGroupId: string;
      scimId: string;
      before: { displayName: string };
      after: { displayName: string };
    }
  | { type: "deleteGroup"; oktaGroupId: string; scimId: string; displayName: string }
  | { type: "addMembers"; oktaGroupId: string; displayName: string; members: readonly MemberRef[] }
  | { type: "removeMembers"; oktaGroupId: string; displayName: string; members: readonly MemberRef[] };

export type OperationType = Operation["type"];

export const OPERATION_TYPES: readonly OperationType[] = [
  "createUser",
  "updateUser",
  "deactivateUser",
  "reactivateUser",
  "createGroup",
  "updateGroup",
  "deleteGroup",
  "addMembers",
  "removeMembers",
];

/** Counts by operation type; memberships count one per user in one group. */
export type Summary = Record<OperationType, number>;

export interface Plan {
  operations: readonly Operation[];
  warnings: readonly string[];
  /** Users held as they are in Command: neither updated, deactivated nor moved between groups. */
  skipped?: readonly SkippedUser[];
}

export function emptySummary(): Summary {
  return {
    createUser: 0,
    updateUser: 0,
    deactivateUser: 0,
    reactivateUser: 0,
    createGroup: 0,
    updateGroup: 0,
    deleteGroup: 0,
    addMembers: 0,
    removeMembers: 0,
  };
}

/** How many units an operation counts for in a summary. */
export function operationWeight(op: Operation): number {
  return op.type === "addMembers" || op.type === "removeMembers" ? op.members.length : 1;
}

export function summarize(operations: readonly Operation[]): Summary {
  const summary = emptySummary();
  for (const op of operations) summary[op.type] += operationWeight(op);
  return summary;
}

/** A short, human description of what an operation acts on (a userName or group name). */
export function operationTarget(op: Operation): string {
  switch (op.type) {
    case "createUser":
    case "updateUser":
    case "deactivateUser":
    case "reactivateUser":
      return op.userName;
    case "createGroup":
    case "deleteGroup":
    case "addMembers":
    case "removeMembers":
      return op.displayName;
    case "updateGroup":
      return op.before.displayName;
  }
}

/** A limit per run: a count, or a percent of what the snapshot holds. */
export type Limit = { kind: "count"; value: number } | { kind: "percent"; value: number };

// --- what Command holds, as read back over SCIM ---------------------------------------------------

/** A SCIM User as Command returned it, reduced to what the tool needs. */
export interface RemoteUser {
  id: string;
  userName: string;
  externalId: string | undefined;
  active: boolean;
  attributes: UserAttributes;
}

export interface RemoteGroup {
  id: string;
  displayName: string;
  externalId: string | undefined;
  /** SCIM ids of the members. */
  memberIds: string[];
}

// --- the run log and pending creates ------------------------------------------------------------

export type RunStatus = "running" | "succeeded" | "partial" | "failed" | "refused" | "interrupted";

export type OperationOutcome = "succeeded" | "failed" | "skipped";

export interface OperationRecord {
  /** Position of the operation in the plan. */
  index: number;
  type: Operation["type"];
  /** userName or group name. */
  target: string;
  outcome: OperationOutcome;
  /** Error or skip reason (already redacted). */
  error?: string | undefined;
  /** The operation as planned (JSON-safe, no secrets). */
  detail: Operation;
}

export interface RunRecord {
  id: string;
  command: string;
  startedAt: string;
  finishedAt: string | undefined;
  status: RunStatus;
  summary: Summary | undefined;
  failed: number;
  warnings: string[];
  /** The refused run whose kept plan this run applied (`sync --approve`). */
  approves?: string;
  /** A refused run kept its plan, which `sync --approve` can apply. */
  keptPlan?: boolean;
}

/** The kind of record a create makes in Command, as marked pending in the snapshot. */
export type PendingKind = "user" | "group";

/** Creates marked pending, by kind: Okta ids. */
export interface PendingCreates {
  users: Set<string>;
  groups: Set<string>;
}

// --- what the Okta pull read (before mapping), as the Okta cache keeps it -------------------------

/** An Okta user as embedded in an app user (`expand=user`) or listed as a group member. */
export interface OktaUserView {
  id: string;
  /** ACTIVE, STAGED, PROVISIONED, RECOVERY, PASSWORD_EXPIRED, LOCKED_OUT, SUSPENDED, DEPROVISIONED */
  status: string;
  profile: Readonly<Record<string, unknown>>;
}

/** A user assigned to the app, directly (scope USER) or through a group (scope GROUP). */
export interface OktaAppUserView {
  /** The Okta user id. */
  id: string;
  scope: string;
  /** The app user's status (ACTIVE, PROVISIONED, STAGED, INACTIVE, DEPROVISIONED, ...). */
  status: string;
  /** `credentials.userName`, when Okta has one. */
  userName: string | undefined;
  /** The app user profile. */
  profile: Readonly<Record<string, unknown>>;
  /** The full Okta user (always present: a page without it fails the pull). */
  user: OktaUserView;
}

export interface OktaGroupView {
  id: string;
  name: string;
  /** When Okta last changed the group's members; a group whose value did not move need not be re-read. */
  lastMembershipUpdated?: string | undefined;
  /** Okta user ids of every member (assigned to the app or not); sorted, unique. */
  memberIds: string[];
}

/** Code-unit order of ids and names: the same on every machine and in every locale. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
