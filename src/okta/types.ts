/**
 * What the Okta pull returns: plain data read from the Management API, before mapping. Mapping
 * to SCIM attributes (src/okta/mapping.ts) and building the desired state are pure functions
 * over these.
 */

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
}

export interface OktaPullOptions {
  orgUrl: string;
  appId: string;
  auth: import("../config/types.js").OktaAuth;
  /** Okta group names or ids, or every group assigned to the app. */
  groups: string[] | "assigned";
  /** Page size of app users (1..500). Default 500. */
  pageSize?: number;
  /** Called after each page, for progress. */
  onProgress?: (event: { kind: "appUsers" | "groups" | "members"; read: number }) => void;
}
