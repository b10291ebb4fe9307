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

export type DeactivationLimit = { kind: "count"; value: number } | { kind: "percent"; value: number };

export interface Config {
  okta: {
    orgUrl: string;
    appId: string;
    auth: OktaAuth;
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
  };
  groups: {
    /** Okta group names or ids, or every group assigned to the app. */
    push: string[] | "assigned";
    onRemove: "keep" | "delete";
  };
  users: {
    /** What an Okta SUSPENDED user becomes in Command: `active` follows Okta (stays active in the app). */
    suspended: "active" | "deactivate";
    /** The `type` of the phone number the default mapping of primaryPhone writes. */
    phoneType: string;
  };
  safety: {
    maxDeactivations: DeactivationLimit;
  };
  state: {
    path: string;
  };
  /** Extra mappings, applied after the defaults; an entry with the same target replaces a default. */
  attributes: AttributeMapping[];
}
