/**
 * The data of an emulated Okta org: users, groups, the Verkada app with its assignments, and the
 * System Log, as plain mutable data. org-generator.ts builds one, the Okta emulator serves it, and
 * the helpers of org-user-changes.ts and org-group-changes.ts change it as an admin would in Okta.
 */

export type OktaUserStatus =
  | "ACTIVE"
  | "STAGED"
  | "PROVISIONED"
  | "RECOVERY"
  | "PASSWORD_EXPIRED"
  | "LOCKED_OUT"
  | "SUSPENDED"
  | "DEPROVISIONED";

export interface EmulatedUserProfile {
  login: string;
  email: string;
  firstName: string;
  lastName: string;
  title: string | null;
  primaryPhone: string | null;
  mobilePhone: string | null;
  department: string | null;
  employeeNumber: string | null;
  /** Custom attributes ride along, as in Okta. */
  [attribute: string]: unknown;
}

export interface EmulatedUser {
  id: string;
  status: OktaUserStatus;
  created: string;
  activated: string | null;
  statusChanged: string | null;
  lastLogin: string | null;
  lastUpdated: string;
  passwordChanged: string | null;
  profile: EmulatedUserProfile;
}

export interface EmulatedGroup {
  id: string;
  name: string;
  description: string | null;
  type: "OKTA_GROUP" | "APP_GROUP" | "BUILT_IN";
  created: string;
  lastUpdated: string;
  lastMembershipUpdated: string;
  /** Okta user ids, sorted, unique. */
  members: string[];
}

/** A direct assignment of a user to the app (scope USER), with the app-level data Okta keeps. */
export interface EmulatedAppUser {
  userId: string;
  /** The id in the target app, once Okta provisioned the user there. */
  externalId: string | null;
  status: string;
  syncState: string;
  /** `credentials.userName`: the app username. */
  userName: string;
  /** The app user profile built by Okta's profile mappings. */
  profile: Record<string, unknown>;
  created: string;
  lastUpdated: string;
  statusChanged: string;
}

export interface EmulatedGroupAssignment {
  groupId: string;
  priority: number;
  lastUpdated: string;
  profile: Record<string, unknown>;
}

export interface EmulatedApp {
  id: string;
  name: string;
  label: string;
  status: "ACTIVE" | "INACTIVE";
  signOnMode: string;
  created: string;
  lastUpdated: string;
  /** Direct assignments. Members of `groups` are assigned too, with scope GROUP. */
  users: EmulatedAppUser[];
  groups: EmulatedGroupAssignment[];
}

export interface EmulatedOktaOrg {
  seed: number;
  domain: string;
  /** Epoch ms of the latest change; every mutation moves it on by one second. */
  clock: number;
  /** Serial number of the next id to mint. */
  serial: number;
  users: EmulatedUser[];
  groups: EmulatedGroup[];
  app: EmulatedApp;
  /**
   * The System Log, oldest first. A generated org starts with an empty log; every change helper
   * (org-user-changes.ts, org-group-changes.ts) appends the events Okta records for the change,
   * `published` at the org clock's tick.
   */
  systemLog: EmulatedLogEvent[];
  /** Serial of the last log event recorded; event uuids derive from it. */
  logSerial?: number;
}

export interface EmulatedLogTarget {
  id: string;
  type: "User" | "UserGroup" | "AppInstance";
  alternateId: string;
  displayName: string;
}

export interface EmulatedLogActor {
  id: string;
  type: "User";
  alternateId: string;
  displayName: string;
}

/** A System Log event as Okta returns it (the fields a sync reads; the rest is added when served). */
export interface EmulatedLogEvent {
  uuid: string;
  /** ISO 8601, the org clock's time of the change. */
  published: string;
  eventType: string;
  displayMessage: string;
  severity: "INFO";
  actor: EmulatedLogActor;
  outcome: { result: "SUCCESS" };
  target: EmulatedLogTarget[];
}

/** An epoch-ms time as Okta writes timestamps. */
export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** Moves the org's clock on and returns the new time, so every change gets a later timestamp. */
export function tick(org: EmulatedOktaOrg): string {
  org.clock += 1000;
  return iso(org.clock);
}
