/** How `check` reads a failed Okta request: its error, status, and whether it named a missing scope. */
import { RemoteError, type SyncError } from "../errors.js";
import type { OktaConnection } from "./client.js";
import { OktaHttpFailure } from "./request-executor.js";

export interface OktaFailure {
  error: SyncError;
  status: number | undefined;
  /** The 403 said the token lacks a scope (`WWW-Authenticate: ... error="insufficient_scope"`). */
  insufficientScope: boolean;
}

export function oktaFailure(connection: OktaConnection, raw: unknown): OktaFailure {
  const error = connection.toSyncError(raw);
  return {
    error,
    status: error instanceof RemoteError ? error.status : undefined,
    insufficientScope: raw instanceof OktaHttpFailure && /insufficient_scope/.test(raw.headers?.get("www-authenticate") ?? ""),
  };
}

export const OKTA_UNREACHABLE_FIX =
  "check okta.orgUrl (your org's URL, such as https://acme.okta.com, not the -admin one), DNS, and any firewall or proxy between this host and Okta";

export function scopeConsoleFix(scopes: readonly string[]): string {
  return `grant ${scopes.join(", ")} to the service app in the Okta admin console (Applications > the service app > Okta API Scopes) and list ${scopes.length === 1 ? "it" : "them"} in okta.scopes`;
}
