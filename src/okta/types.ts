/**
 * What the Okta pull returns: plain data read from the Management API, before mapping. Mapping
 * to SCIM attributes (src/okta/mapping.ts) and building the desired state are pure functions
 * over these.
 */

import type { LogCheckpoint } from "./system-log.js";

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

export interface OktaPullResult {
  appUsers: OktaAppUserView[];
  /** The groups to push, in the order of `groups.push` (or as Okta lists assigned groups). */
  groups: OktaGroupView[];
  /** Requests made, for progress and benchmarks. */
  requests: number;
  /** Groups whose members were reused from the last pull (their lastMembershipUpdated did not move). */
  membersReused: number;
  /** "incremental": app users from the last pull, with the users the System Log named re-read. */
  mode: "full" | "incremental";
  /** Why an incremental pull was asked for but a full one was done. */
  fallback?: string | undefined;
  /** Where the System Log stood (full pull with `trackLog`) or was read up to (incremental). */
  checkpoint?: LogCheckpoint | undefined;
  /** Incremental: the app users re-read (still assigned) and the ids no longer assigned. */
  changedUsers?: { upserts: OktaAppUserView[]; removed: string[] } | undefined;
  /** Incremental: new System Log events read. */
  events?: number | undefined;
}

/** What an incremental pull starts from: the last pull's app users and where the log was read to. */
export interface IncrementalBase {
  appUsers: ReadonlyMap<string, OktaAppUserView>;
  checkpoint: LogCheckpoint;
  /** The `groups` the last pull read; with another list the groups are read in full. */
  groups: readonly string[] | "assigned";
}

export interface OktaPullOptions {
  orgUrl: string;
  appId: string;
  auth: import("../config/types.js").OktaAuth;
  /** Okta group names or ids, or every group assigned to the app. */
  groups: string[] | "assigned";
  /** Page size of app users (1..500). Default 500. */
  pageSize?: number;
  /** The groups as the last pull read them: members of a group whose lastMembershipUpdated did not move are reused. */
  previousGroups?: ReadonlyMap<string, OktaGroupView> | undefined;
  /** Pull incrementally from this base; falls back to a full pull when that is cheaper or the log cannot be read. */
  incremental?: IncrementalBase | undefined;
  /** Read the System Log's head before a full pull, so the next pull can be incremental. */
  trackLog?: boolean | undefined;
  /** Keep only these profile attributes (the mapping's); default every one. */
  projection?: { user: readonly string[]; app: readonly string[] } | undefined;
  /** Called after each page, for progress. */
  onProgress?: (event: { kind: "appUsers" | "groups" | "members"; read: number }) => void;
}
