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
  /** About the group selection: a pattern that matched no group, an exclusion that took nothing out. */
  warnings?: string[] | undefined;
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
  /** Called after each page, for progress. */
  onProgress?: (event: { kind: "appUsers" | "groups" | "members"; read: number }) => void;
}
