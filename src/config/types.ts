import type { CountryCode } from "libphonenumber-js";
import type { RetryConfig } from "../http/retry-policy.js";
import type { Limit } from "../model.js";

/** The run outcomes `notify.on` picks from (an interrupted run counts as failed). */
export type NotifyStatus = "succeeded" | "partial" | "failed" | "refused";

export type { Limit, RetryConfig };

/** The resolved configuration: every default filled in, every secret read, every URL checked. */

export interface AttributeMapping {
  /** Okta expression: `user.<profile attribute>` (Okta user profile) or `appuser.<attribute>` (app user profile). */
  okta: string;
  /** SCIM attribute path in the namespace: `title`, `name.givenName`, `phoneNumbers[type eq "mobile"].value`. */
  externalName: string;
  /** Schema URN: the core User schema or an extension such as the enterprise User. */
  externalNamespace: string;
}

export type OktaAuth =
  | { mode: "token"; token: string }
  | { mode: "privateKey"; clientId: string; privateKey: string; keyId: string | undefined; scopes: string[] };


export interface Config {
  okta: {
    orgUrl: string;
    appId: string;
    auth: OktaAuth;
    /** Share of each Okta rate-limit bucket this tool may use, from X-Rate-Limit-Limit (0 < share <= 1). */
    maxRateShare: number;
    /** Deadline of each request to Okta, response body included (ms). */
    timeoutMs: number;
  };
  command: {
    /** Base URL of the SCIM API, without a trailing slash. */
    scimUrl: string;
    token: string;
    /** 0 = no pacing. */
    requestsPerMinute: number;
    /** Requests in flight at once (>= 1). */
    concurrency: number;
    updateMethod: "put" | "patch";
    /** Members per membership PATCH (>= 1). */
    membersPerRequest: number;
    /** Per-request timeout (ms). */
    timeoutMs: number;
    /** Email domains registered for SCIM/SSO in Command (lower case); empty: not checked. */
    domains: string[];
  };
  groups: {
    /** Okta group names, ids, `assigned`, globs or `regex:` patterns, or every group assigned to the app. */
    push: string[] | "assigned";
    /** Groups taken out of what `push` selects, in the same forms (see name-patterns.ts). */
    exclude: string[];
    onRemove: "keep" | "delete";
  };
  users: {
    /** What an Okta SUSPENDED user becomes in Command: `active` follows Okta (stays active in the app). */
    suspended: "active" | "deactivate";
    /** The `type` of the phone number the default mapping of primaryPhone writes. */
    phoneType: string;
    /** Region of phone numbers without a country code, for E.164 (ISO 3166 alpha-2, e.g. US, GB). */
    phoneRegion: CountryCode;
    /**
     * A changed userName: `update` sends it (Command may not apply it, a known issue), `recreate`
     * deactivates the old Command user and creates a new one, `skip` keeps the old userName.
     */
    onUserNameChange: "update" | "recreate" | "skip";
    /** A user whose email domain is not in `command.domains`: pushed with a warning, or skipped. */
    outsideDomains: "warn" | "skip";
    /** Okta logins, user ids, globs or `regex:` patterns of users never pushed (held when already in Command). */
    exclude: string[];
  };
  sync: {
    /** Re-read Command and repair drift on a scheduled sync this often (ms); undefined: only with --refresh. */
    refreshEveryMs: number | undefined;
    /**
     * A `sync --incremental` run pulls everything from Okta when the last full pull is older than
     * this (ms); undefined (`never`): only when the System Log cannot serve. Default 24 h.
     */
    fullEveryMs: number | undefined;
  };
  safety: {
    /** Percent of the snapshot's active users (never fewer than 2). */
    maxDeactivations: Limit;
    /** Percent of the snapshot's groups (never fewer than 1). */
    maxGroupDeletes: Limit;
    /** Percent of the snapshot's memberships (never fewer than 10). */
    maxMemberRemovals: Limit;
    /**
     * A pull returning fewer users than this fraction of the snapshot's active users (when the
     * snapshot has at least 10) is treated as a failed read, not as mass unassignment (0..1).
     */
    minPullFraction: number;
  };
  retry: RetryConfig;
  state: {
    path: string;
    /** How long the run log keeps a run, by its start (ms); undefined keeps every run. */
    retentionMs: number | undefined;
  };
  /** Extra mappings, applied after the defaults; an entry with the same target replaces a default. */
  attributes: AttributeMapping[];
  notify: {
    /** Where to POST a run's end (a secret: a Slack webhook URL carries a token); undefined: no notifications. */
    webhook: string | undefined;
    /** The run outcomes that are posted. */
    on: NotifyStatus[];
    /** Deadline of the POST, connection included (ms). */
    timeoutMs: number;
  };
}
