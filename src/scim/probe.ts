/**
 * `check`'s Command probes: the SCIM URL answers, the token is accepted (the read Okta's own SCIM
 * client starts with), and what the ServiceProviderConfig says. Each only reads.
 */
import { type CheckResult, Checklist } from "../checklist.js";
import { errorMessage, NetworkError, RemoteError, SyncError } from "../errors.js";
import { unreachableFix } from "../http/connect-fix.js";
import { createScimClient, type ScimClient } from "./client.js";

export interface CommandProbeSettings {
  /** `command.scimUrl`. */
  scimUrl: string;
  token: string;
  /** `command.requestsPerMinute`: check's few requests are paced like any run's. */
  requestsPerMinute: number;
}

const COMMAND_UNREACHABLE_FIX =
  "check command.region or command.scimUrl, DNS, and any firewall or proxy between this host and Command";

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Support for the features of a ServiceProviderConfig (RFC 7643 section 5), in one line. */
export function describeServiceProviderConfig(spc: Record<string, unknown>): string {
  const feature = (key: string, extra?: (value: Record<string, unknown>) => string | undefined) => {
    const value = spc[key];
    if (!isObject(value) || typeof value.supported !== "boolean") return `${key} not stated`;
    const more = value.supported ? extra?.(value) : undefined;
    return `${key} ${value.supported ? "yes" : "no"}${more ? ` (${more})` : ""}`;
  };
  const number = (name: string) => (value: Record<string, unknown>) => (typeof value[name] === "number" ? `${name} ${value[name]}` : undefined);
  const parts = [
    feature("patch"),
    feature("filter", number("maxResults")),
    feature("sort"),
    feature("etag"),
    feature("changePassword"),
    feature("bulk", number("maxOperations")),
  ];
  // RFC 9865 adds cursor paging; index paging (startIndex/count) is what this tool uses.
  const pagination = spc.pagination;
  if (isObject(pagination)) {
    const kinds = ["index", "cursor"].filter((k) => pagination[k] === true);
    parts.push(`pagination ${kinds.length > 0 ? kinds.join(" and ") : "not stated"}`);
  }
  return parts.join("; ");
}

export async function probeCommand(settings: CommandProbeSettings, timeoutMs: number): Promise<CheckResult[]> {
  const list = new Checklist("command", [
    { id: "command.reachable", name: "SCIM URL reachable" },
    { id: "command.token", name: "SCIM token accepted" },
    { id: "command.serviceProviderConfig", name: "ServiceProviderConfig" },
  ]);
  let client: ScimClient;
  const base = new URL(settings.scimUrl);
  try {
    client = createScimClient({
      baseUrl: settings.scimUrl,
      token: settings.token,
      timeoutMs,
      connectTimeoutMs: Math.min(10_000, timeoutMs),
      connections: 1,
      requestsPerMinute: settings.requestsPerMinute,
    });
  } catch (error) {
    list.fail("command.reachable", `cannot use ${settings.scimUrl}: ${errorMessage(error)}`, COMMAND_UNREACHABLE_FIX);
    return list.results("Command could not be reached");
  }
  const basePath = base.pathname.replace(/\/+$/, "");
  try {
    // The read Okta's SCIM client starts with: one page of one user, changing nothing.
    try {
      const users = client.listUsers({ pageSize: 1 });
      const first = await users.next();
      await users.return(undefined);
      list.pass("command.reachable", `${base.origin} answered`);
      list.pass("command.token", `GET ${basePath}/Users?startIndex=1&count=1 answered${first.done ? " (no users in Command yet)" : ""}`);
    } catch (error) {
      if (error instanceof NetworkError) {
        list.fail("command.reachable", error.message, unreachableFix(error, COMMAND_UNREACHABLE_FIX));
        return list.results("Command could not be reached");
      }
      const status = error instanceof RemoteError ? error.status : undefined;
      list.pass("command.reachable", `${base.origin} answered${status === undefined ? "" : ` (HTTP ${status})`}`);
      const failure = error instanceof SyncError ? error : new SyncError("internal", errorMessage(error));
      let fix = failure.hint;
      if (status === 404 || status === 405) {
        fix = `check command.scimUrl (or command.region): Command's SCIM base URL ends in /scim, such as https://api.command.verkada.com/scim (now ${settings.scimUrl})`;
      } else if (status !== undefined && status >= 500) {
        fix = "Command had a problem; try again later";
      }
      list.fail("command.token", failure.message, fix);
      return list.results(status === 401 || status === 403 ? "needs an accepted SCIM token" : "needs a working read of /Users");
    }

    try {
      const spc = await client.getServiceProviderConfig();
      list.pass(
        "command.serviceProviderConfig",
        spc === undefined
          ? "not offered (404); filters and paging are discovered as the sync goes"
          : describeServiceProviderConfig(spc),
      );
    } catch (error) {
      const status = error instanceof RemoteError ? error.status : undefined;
      if (status === 405 || status === 501) {
        list.pass("command.serviceProviderConfig", `not offered (${status}); filters and paging are discovered as the sync goes`);
      } else {
        const failure = error instanceof SyncError ? error : new SyncError("internal", errorMessage(error));
        list.fail("command.serviceProviderConfig", failure.message, failure.hint ?? "Command answered the discovery endpoint with an error; try again later");
      }
    }
    return list.results("not run");
  } finally {
    await client.close().catch(() => undefined);
  }
}
