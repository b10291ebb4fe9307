/**
 * What the Okta pull returns: plain data read from the Management API, before mapping. Mapping
 * to SCIM attributes (src/okta/mapping.ts) and building the desired state are pure functions
 * over these.
 */

import type { OktaAuth } from "../config/types.js";
import type { OktaAppUserView, OktaGroupView } from "../model.js";
import type { LogCheckpoint } from "./system-log.js";

export type { OktaAppUserView, OktaGroupView, OktaUserView } from "../model.js";

export interface OktaPullResult {
  /** Every assigned app user; empty when they were handed to `onAppUsers` as read. */
  appUsers: OktaAppUserView[];
  /** How many assigned app users the pull read (with `onAppUsers`, the only trace of them here). */
  appUsersRead: number;
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
  /** About the group selection: a pattern that matched no group, an exclusion that took nothing out. */
  warnings?: string[] | undefined;
}

/** The app users the last pull kept, by Okta user id; `values()` may read them from storage one at a time. */
export interface KeptAppUsers {
  readonly size: number;
  has(id: string): boolean;
  values(): Iterable<OktaAppUserView>;
}

/** What an incremental pull starts from: the last pull's app users and where the log was read to. */
export interface IncrementalBase {
  appUsers: KeptAppUsers;
  checkpoint: LogCheckpoint;
  /** The `groups` the last pull read; with another list the groups are read in full. */
  groups: readonly string[] | "assigned";
}

export interface OktaPullOptions {
  orgUrl: string;
  appId: string;
  auth: OktaAuth;
  /** Okta group names or ids, or every group assigned to the app. */
  groups: string[] | "assigned";
  /** `groups.exclude`: taken out of what `groups` selects. */
  excludeGroups?: readonly string[] | undefined;
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
  /**
   * Takes the assigned app users a page at a time as they are read, each complete (incremental:
   * the kept users still current, then those re-read). The result's `appUsers` is then empty, so
   * a run maps each page and lets it go instead of holding every raw user until the pull ends.
   * `from`: read from Okta now, or kept from the last pull.
   */
  onAppUsers?: ((views: readonly OktaAppUserView[], from: "okta" | "kept") => void) | undefined;
  /** Called after each page, for progress. */
  onProgress?: (event: { kind: "appUsers" | "groups" | "members"; read: number }) => void;
}
