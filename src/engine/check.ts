/**
 * `check`: tests the configuration, both APIs and the snapshot DB the way Okta's "Test API
 * Credentials" does, and returns each outcome as plain data. Every request only reads, and the
 * snapshot is opened read-only: nothing is written to Command or to the snapshot.
 *
 * Checks are independent: one failing does not stop the others, except those that need what
 * failed (a reachable org, a working credential, an app that exists), which are skipped with
 * the reason.
 */
import { existsSync, statSync } from "node:fs";
import type { RunRecord } from "../apply/ports.js";
import { DEFAULT_SCOPES } from "../config/schema.js";
import { formatDuration } from "../duration.js";
import type { Config } from "../config/types.js";
import { ConfigError, errorMessage, NetworkError, RemoteError, SyncError } from "../errors.js";
import { createOktaClient, type OktaConnection } from "../okta/client.js";
import { proxyCheck, proxyFix } from "./check-proxy.js";
import { pullDesiredState } from "./pull-desired.js";
import { silentReporter } from "./reporter.js";
import { listAssignedGroups, resolvePushGroup } from "../okta/pull.js";
import { OktaTokenError } from "../okta/request-executor.js";
import { logHead } from "../okta/system-log.js";
import { createScimClient, type ScimClient } from "../scim/client.js";
import { openSnapshotStore, SCHEMA_VERSION, type SqliteSnapshotStore } from "../store/index.js";

export type CheckSide = "config" | "okta" | "command" | "snapshot";
/** `warn`: works, but something deserves a look (it does not fail the check run). */
export type CheckStatus = "pass" | "warn" | "fail" | "skip";

export interface CheckResult {
  /** Stable identifier, e.g. `okta.app` or `okta.group:Engineering`. */
  id: string;
  side: CheckSide;
  name: string;
  status: CheckStatus;
  /** What was found; for a skip, why the check did not run. Never a secret. */
  detail: string;
  /** What to do about a failure. */
  fix?: string;
}

export interface CheckOptions {
  /** Only the snapshot checks: no request leaves the host. */
  skipRemote?: boolean;
  /** Also fail when the last successful sync finished longer ago than this (ms). */
  maxAgeMs?: number;
  /** Deadline of each request (ms). Default 15 000. */
  timeoutMs?: number;
  /** Epoch ms (tests). */
  now?: () => number;
}

/** The scopes a pull reads with, which are the defaults of `okta.scopes`. */
const REQUIRED_SCOPES: readonly string[] = DEFAULT_SCOPES;
const DEFAULT_TIMEOUT_MS = 15_000;
/** Commands whose success means Command was brought in step with Okta. */
const SYNC_COMMANDS = new Set(["sync"]);

export function allPassed(checks: readonly CheckResult[]): boolean {
  return checks.every((check) => check.status === "pass" || check.status === "warn");
}

function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

// --- building results ---------------------------------------------------------------------------

interface Planned {
  id: string;
  name: string;
}

/** The checks of one side in display order; those never decided are skipped with one reason. */
class Checklist {
  private readonly outcomes = new Map<string, CheckResult>();

  constructor(
    private readonly side: CheckSide,
    private readonly planned: readonly Planned[],
  ) {}

  private set(id: string, status: CheckStatus, detail: string, fix?: string): void {
    const entry = this.planned.find((p) => p.id === id);
    if (entry === undefined) throw new SyncError("internal", `check ${id} is not planned`);
    this.outcomes.set(id, { id, side: this.side, name: entry.name, status, detail, ...(fix === undefined ? {} : { fix }) });
  }

  pass(id: string, detail: string): void {
    this.set(id, "pass", detail);
  }

  fail(id: string, detail: string, fix?: string): void {
    this.set(id, "fail", detail, fix);
  }

  warn(id: string, detail: string, fix?: string): void {
    this.set(id, "warn", detail, fix);
  }

  skip(id: string, reason: string): void {
    this.set(id, "skip", reason);
  }

  isDecided(id: string): boolean {
    return this.outcomes.has(id);
  }

  results(reason: string): CheckResult[] {
    return this.planned.map((p) => this.outcomes.get(p.id) ?? { id: p.id, side: this.side, name: p.name, status: "skip", detail: reason });
  }
}

// --- the configuration --------------------------------------------------------------------------

function describeAuth(config: Config): string {
  const auth = config.okta.auth;
  return auth.mode === "token" ? "Okta API token" : `Okta service app ${auth.clientId}${auth.keyId ? ` (key ${auth.keyId})` : ""}`;
}

export function configPassed(config: Config, source: string | undefined, warnings: readonly string[]): CheckResult {
  const from = source === undefined ? "the environment (no config file)" : source;
  const notes = warnings.length === 0 ? "" : `; ${warnings.length} warning${warnings.length === 1 ? "" : "s"} (see the log)`;
  return {
    id: "config",
    side: "config",
    name: "configuration valid",
    status: "pass",
    detail: `read ${from}: ${config.okta.orgUrl} with an ${describeAuth(config)}, Command at ${config.command.scimUrl}${notes}`,
  };
}

export function configFailed(error: unknown): CheckResult {
  const problems = error instanceof ConfigError ? error.problems : [errorMessage(error)];
  const hint = error instanceof SyncError ? error.hint : undefined;
  return {
    id: "config",
    side: "config",
    name: "configuration valid",
    status: "fail",
    detail: problems.join("; "),
    ...(hint === undefined ? {} : { fix: hint }),
  };
}

// --- everything ---------------------------------------------------------------------------------

/** The checks after the configuration's: Okta, Command (unless skipped), then the snapshot. */
export async function runChecks(config: Config, options: CheckOptions = {}): Promise<CheckResult[]> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const now = options.now ?? Date.now;
  const remote = options.skipRemote === true ? [] : await Promise.all([checkOkta(config, timeoutMs), checkCommand(config, timeoutMs)]);
  const okta = remote[0] ?? [];
  const domains = options.skipRemote === true || config.command.domains.length === 0 || okta.some((c) => c.status === "fail") ? [] : [await checkDomains(config)];
  const proxies = options.skipRemote === true ? { okta: [], command: [] } : { okta: proxyCheck("okta", config.okta.orgUrl), command: proxyCheck("command", config.command.scimUrl) };
  return [...proxies.okta, ...okta, ...domains, ...proxies.command, ...(remote[1] ?? []), ...checkSnapshot(config, options.maxAgeMs, now)];
}

// --- SSO domains --------------------------------------------------------------------------------

/** Users whose email domain is not registered in Command cannot sign in with SSO. */
async function checkDomains(config: Config): Promise<CheckResult> {
  const base = { id: "okta.domains", side: "okta" as const, name: "users in SSO domains" };
  try {
    const { desired } = await pullDesiredState({ ...config, users: { ...config.users, outsideDomains: "warn" } }, silentReporter);
    const allowed = new Set(config.command.domains);
    const outside = desired.users.filter((u) => !allowed.has(u.userName.slice(u.userName.lastIndexOf("@") + 1).toLowerCase()));
    if (outside.length === 0) return { ...base, status: "pass", detail: `all ${desired.users.length} assigned users are in ${config.command.domains.join(", ")}` };
    const shown = outside.slice(0, 5).map((u) => u.userName).join(", ") + (outside.length > 5 ? `, and ${outside.length - 5} more` : "");
    return {
      ...base,
      status: "warn",
      detail: `${outside.length} of ${desired.users.length} assigned users are outside ${config.command.domains.join(", ")} and cannot sign in to Command with SSO: ${shown}`,
      fix: "register their domains for the org in Command, correct their emails in Okta, or set users.outsideDomains: skip",
    };
  } catch (error) {
    return { ...base, status: "fail", detail: `could not read the app's users: ${error instanceof Error ? error.message : String(error)}` };
  }
}

// --- Okta ---------------------------------------------------------------------------------------

interface OktaFailure {
  error: SyncError;
  status: number | undefined;
  /** The 403 said the token lacks a scope (`WWW-Authenticate: ... error="insufficient_scope"`). */
  insufficientScope: boolean;
}

function headerOf(raw: unknown, name: string): string | undefined {
  const headers = typeof raw === "object" && raw !== null ? (raw as { headers?: unknown }).headers : undefined;
  if (typeof headers !== "object" || headers === null) return undefined;
  const get = (headers as { get?: unknown }).get;
  const value = typeof get === "function" ? (get as (n: string) => unknown).call(headers, name) : (headers as Record<string, unknown>)[name];
  return typeof value === "string" ? value : undefined;
}

function oktaFailure(connection: OktaConnection, raw: unknown): OktaFailure {
  const error = connection.toSyncError(raw);
  return {
    error,
    status: error instanceof RemoteError ? error.status : undefined,
    insufficientScope: /insufficient_scope/.test(headerOf(raw, "www-authenticate") ?? ""),
  };
}

const OKTA_UNREACHABLE_FIX =
  "check okta.orgUrl (your org's URL, such as https://acme.okta.com, not the -admin one), DNS, and any firewall or proxy between this host and Okta";
const TLS_FIX =
  "the TLS handshake failed: a proxy that inspects TLS needs its CA certificate in NODE_EXTRA_CA_CERTS; otherwise check the system clock and the URL's host name";

/** A proxy's own failure and a TLS failure have their own fixes; any other failure to connect, the side's. */
function unreachableFix(error: SyncError, fix: string): string {
  const viaProxy = proxyFix(error);
  if (viaProxy !== undefined) return viaProxy;
  return /CERT_|_CERT|ERR_TLS|ERR_SSL|certificate/i.test(error.message) ? TLS_FIX : fix;
}

function scopeConsoleFix(scopes: readonly string[]): string {
  return `grant ${scopes.join(", ")} to the service app in the Okta admin console (Applications > the service app > Okta API Scopes) and list ${scopes.length === 1 ? "it" : "them"} in okta.scopes`;
}

async function checkOkta(config: Config, timeoutMs: number): Promise<CheckResult[]> {
  const { okta } = config;
  const auth = okta.auth;
  const oauth = auth.mode === "privateKey";
  const push = config.groups.push;
  const groupChecks: Planned[] =
    push === "assigned"
      ? [{ id: "okta.groups", name: "groups assigned to the app" }]
      : push.length === 0
        ? [{ id: "okta.groups", name: "push groups" }]
        : push.map((entry) => ({ id: `okta.group:${entry}`, name: `push group "${entry}"` }));
  const list = new Checklist("okta", [
    { id: "okta.reachable", name: "org reachable" },
    { id: "okta.credential", name: oauth ? "service app credentials" : "API token" },
    ...(oauth ? [{ id: "okta.scopes", name: "OAuth scopes" }] : []),
    { id: "okta.app", name: "Verkada app readable" },
    { id: "okta.appUsers", name: "app's users readable" },
    { id: "okta.systemLog", name: "System Log readable (for sync --incremental)" },
    ...groupChecks,
  ]);

  let connection: OktaConnection;
  try {
    connection = createOktaClient({ orgUrl: okta.orgUrl, auth, requestTimeoutMs: timeoutMs });
  } catch (error) {
    const failure = error instanceof SyncError ? error : new SyncError("internal", errorMessage(error));
    list.skip("okta.reachable", "the Okta client could not be set up");
    list.fail("okta.credential", failure.message, failure.hint);
    return list.results("needs working Okta credentials");
  }
  const origin = new URL(connection.orgUrl).origin;
  const reached = () => list.pass("okta.reachable", `${origin} answered`);
  const unreachable = (error: SyncError) => {
    list.fail("okta.reachable", error.message, unreachableFix(error, OKTA_UNREACHABLE_FIX));
    return list.results("Okta could not be reached");
  };

  /** Scopes found missing, each with how it was found. */
  const missing = new Map<string, string>();
  let granted: string[] | undefined;

  // The first request: the token request of a service app, the app itself with an API token.
  if (auth.mode === "privateKey") {
    try {
      if (connection.serviceApp === undefined) throw new SyncError("internal", "the Okta client has no service app credentials");
      const token = await connection.serviceApp.token();
      reached();
      const keyNote = auth.keyId ? `, key ${auth.keyId}` : "";
      const mode = token.type === "DPoP" ? "service app, DPoP-bound token" : "service app, Bearer token";
      list.pass("okta.credential", `service app ${auth.clientId} got an access token (private_key_jwt${keyNote}): ${mode}`);
      granted = token.scopes;
    } catch (raw) {
      const { error } = oktaFailure(connection, raw);
      if (error instanceof NetworkError) return unreachable(error);
      reached();
      if (raw instanceof OktaTokenError && raw.error === "invalid_scope") {
        // Okta authenticates the client before it looks at the scopes: the key is fine.
        list.pass("okta.credential", `service app ${auth.clientId} authenticated, but Okta refused the scopes it asked for`);
        const named = [...new Set(raw.description.match(/okta\.[a-z]+\.[a-z]+/gi) ?? [])];
        const refused = named.length > 0 ? named : auth.scopes;
        list.fail("okta.scopes", `Okta refused ${refused.join(", ")}: ${raw.description}`, scopeConsoleFix(refused));
        return list.results("needs an access token (Okta refused the scopes)");
      }
      list.fail("okta.credential", error.message, error.hint);
      return list.results("needs working Okta credentials");
    }
  }

  const noteForbidden = (failure: OktaFailure, scope: string, what: string) => {
    if (!oauth || failure.status !== 403) return;
    // A 403 that does not name a scope may be the admin role instead, when the scope was granted.
    if (failure.insufficientScope || granted === undefined || !granted.includes(scope)) missing.set(scope, `Okta answered 403 to ${what}`);
  };
  const failRemote = (id: string, failure: OktaFailure, scope: string, what: string) => {
    noteForbidden(failure, scope, what);
    let fix = failure.error.hint;
    if (failure.status === 403) {
      fix = oauth
        ? `${scopeConsoleFix([scope])}${failure.insufficientScope ? "" : "; the service app also needs an admin role that can read it (such as Read-only Administrator)"}`
        : `the API token acts with its admin's rights, which must include reading ${what} (${scope}): create the token as an admin with such a role (such as Read-only Administrator)`;
    } else if (failure.error instanceof NetworkError) {
      fix = unreachableFix(failure.error, OKTA_UNREACHABLE_FIX);
    }
    list.fail(id, failure.error.message, fix);
  };

  /** An API token is proven by the first answer that got past authentication (2xx, 403, 404). */
  const tokenShown = (failure: OktaFailure | undefined) => {
    if (oauth || list.isDecided("okta.credential")) return;
    const status = failure?.status;
    if (failure === undefined || status === 403 || status === 404) list.pass("okta.credential", "Okta accepted the API token (SSWS)");
    else if (status === 401) list.fail("okta.credential", failure.error.message, failure.error.hint);
  };

  // The app.
  let appMissing = false;
  try {
    const app = (await connection.client.applicationApi.getApplication({ appId: okta.appId })) as { id?: unknown; label?: unknown; status?: unknown };
    if (!oauth) reached();
    tokenShown(undefined);
    const label = typeof app.label === "string" ? app.label : "(no label)";
    const status = typeof app.status === "string" ? app.status : "status unknown";
    const inactive = status === "INACTIVE" ? "; the app is inactive in Okta" : "";
    list.pass("okta.app", `"${label}" (${okta.appId}, ${status})${inactive}`);
  } catch (raw) {
    const failure = oktaFailure(connection, raw);
    if (!oauth) {
      if (failure.error instanceof NetworkError) return unreachable(failure.error);
      reached();
      if (failure.status === 401) {
        list.fail("okta.credential", failure.error.message, failure.error.hint);
        return list.results("needs a working API token");
      }
      tokenShown(failure);
    }
    appMissing = failure.status === 404;
    failRemote("okta.app", failure, "okta.apps.read", "apps");
  }

  // One page of the app's users, as the pull reads them.
  if (appMissing) {
    list.skip("okta.appUsers", "the app was not found");
  } else {
    try {
      const collection = await connection.client.applicationApi.listApplicationUsers({ appId: okta.appId, limit: 1, expand: "user" });
      const page = await collection.getNextPage();
      tokenShown(undefined);
      list.pass(
        "okta.appUsers",
        page.length === 0 ? "readable, but no users are assigned to the app yet" : "read the first page of assigned users (limit 1, with their Okta user)",
      );
    } catch (raw) {
      const failure = oktaFailure(connection, raw);
      tokenShown(failure);
      failRemote("okta.appUsers", failure, "okta.apps.read", "the app's users");
    }
  }

  // The System Log, which `sync --incremental` follows; without it such runs read everything.
  try {
    await logHead(connection);
    tokenShown(undefined);
    list.pass("okta.systemLog", "readable: sync --incremental can follow it");
  } catch (raw) {
    const failure = oktaFailure(connection, raw);
    tokenShown(failure);
    list.warn(
      "okta.systemLog",
      `${failure.error.message}: sync --incremental will read everything on every run`,
      failure.status === 403
        ? oauth
          ? "grant the service app okta.logs.read and add it to okta.scopes"
          : "the token's admin needs to read the System Log (okta.logs.read); plain sync does not need it"
        : failure.error.hint,
    );
  }

  // The groups to push.
  if (push === "assigned") {
    if (appMissing) list.skip("okta.groups", "the app was not found");
    else {
      try {
        const groups = await listAssignedGroups(connection, okta.appId);
        tokenShown(undefined);
        const shown = groups.slice(0, 10).map((g) => `${g.name} (${g.id})`);
        const more = groups.length > shown.length ? `, and ${groups.length - shown.length} more` : "";
        list.pass(
          "okta.groups",
          groups.length === 0 ? "no groups are assigned to the app: none will be pushed" : `${groups.length} group${groups.length === 1 ? "" : "s"}: ${shown.join(", ")}${more}`,
        );
      } catch (raw) {
        const failure = oktaFailure(connection, raw);
        tokenShown(failure);
        failRemote("okta.groups", failure, "okta.apps.read", "the app's group assignments");
      }
    }
  } else if (push.length === 0) {
    list.pass("okta.groups", "groups.push is empty: no groups are pushed");
  } else {
    for (const entry of push) {
      const id = `okta.group:${entry}`;
      try {
        const group = await resolvePushGroup(connection, entry);
        tokenShown(undefined);
        list.pass(id, `${group.name} (${group.id})`);
      } catch (raw) {
        if (raw instanceof SyncError && raw.kind === "config") {
          // Okta answered the lookup: no such group, or several with that name.
          tokenShown(undefined);
          list.fail(id, raw.message.replace(/^invalid configuration: /, ""), raw.hint);
        } else {
          const failure = oktaFailure(connection, raw);
          tokenShown(failure);
          failRemote(id, failure, "okta.groups.read", "groups");
        }
      }
    }
  }

  if (auth.mode === "privateKey") {
    for (const scope of REQUIRED_SCOPES) {
      if (!auth.scopes.includes(scope)) missing.set(scope, "not listed in okta.scopes");
      else if (granted !== undefined && !granted.includes(scope) && !missing.has(scope)) missing.set(scope, "not in the access token");
    }
    if (missing.size === 0) list.pass("okta.scopes", `granted: ${(granted ?? auth.scopes).join(", ")}`);
    else {
      const scopes = [...missing.keys()];
      list.fail("okta.scopes", `missing ${[...missing].map(([scope, why]) => `${scope} (${why})`).join(", ")}`, scopeConsoleFix(scopes));
    }
  }
  if (!list.isDecided("okta.credential")) list.skip("okta.credential", "no answer from Okta showed whether the API token works (see the failures below)");
  return list.results("not run");
}

// --- Command ------------------------------------------------------------------------------------

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

async function checkCommand(config: Config, timeoutMs: number): Promise<CheckResult[]> {
  const list = new Checklist("command", [
    { id: "command.reachable", name: "SCIM URL reachable" },
    { id: "command.token", name: "SCIM token accepted" },
    { id: "command.serviceProviderConfig", name: "ServiceProviderConfig" },
  ]);
  let client: ScimClient;
  const base = new URL(config.command.scimUrl);
  try {
    client = createScimClient({
      baseUrl: config.command.scimUrl,
      token: config.command.token,
      timeoutMs,
      connectTimeoutMs: Math.min(10_000, timeoutMs),
      connections: 1,
      requestsPerMinute: config.command.requestsPerMinute,
    });
  } catch (error) {
    list.fail("command.reachable", `cannot use ${config.command.scimUrl}: ${errorMessage(error)}`, COMMAND_UNREACHABLE_FIX);
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
        fix = `check command.scimUrl (or command.region): Command's SCIM base URL ends in /scim, such as https://api.command.verkada.com/scim (now ${config.command.scimUrl})`;
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

// --- the snapshot -------------------------------------------------------------------------------

function runTime(run: RunRecord): number {
  return Date.parse(run.finishedAt ?? run.startedAt);
}

/** The newest succeeded sync; `partial` is not a success. Recent runs first, the whole log only when needed. */
function lastSuccessfulSync(store: SqliteSnapshotStore): RunRecord | undefined {
  const isSuccess = (run: RunRecord) => SYNC_COMMANDS.has(run.command) && run.status === "succeeded";
  const firstLook = 200;
  const recent = store.listRuns(firstLook);
  const found = recent.find(isSuccess);
  if (found !== undefined || recent.length < firstLook) return found;
  return store.listRuns(Number.MAX_SAFE_INTEGER).find(isSuccess);
}

function checkSnapshot(config: Config, maxAgeMs: number | undefined, now: () => number): CheckResult[] {
  const path = config.state.path;
  const maxAgeName = maxAgeMs === undefined ? undefined : `last successful sync within ${formatDuration(maxAgeMs)}`;
  const list = new Checklist("snapshot", [
    { id: "snapshot.db", name: "snapshot DB" },
    { id: "snapshot.runs", name: "last runs" },
    ...(maxAgeName === undefined ? [] : [{ id: "snapshot.maxAge", name: maxAgeName }]),
  ]);
  const runSyncFix = "run `okta-command-sync sync` (or check that its schedule runs), and see `okta-command-sync runs` and the logs for why recent runs failed";
  const at = now();
  const when = (ms: number) => `${isoSeconds(ms)} (${at >= ms ? `${formatDuration(at - ms, { round: "nearest" })} ago` : "in the future: check the clock"})`;

  if (!existsSync(path)) {
    list.pass("snapshot.db", `no snapshot yet at ${path}; the first sync creates it`);
    list.pass("snapshot.runs", "no runs recorded yet");
    if (maxAgeMs !== undefined) list.fail("snapshot.maxAge", `no successful sync recorded: there is no snapshot at ${path} yet`, runSyncFix);
    return list.results("not run");
  }

  let store: SqliteSnapshotStore;
  try {
    store = openSnapshotStore(path, { readonly: true });
  } catch (error) {
    const failure = error instanceof SyncError ? error : new SyncError("internal", errorMessage(error));
    list.fail("snapshot.db", failure.message, failure.hint);
    return list.results("the snapshot DB cannot be read");
  }
  try {
    let empty = false;
    try {
      empty = statSync(path).size === 0;
    } catch {
      // It was there a moment ago; the store opened, so describe it as a DB.
    }
    list.pass("snapshot.db", empty ? `${path} is empty; the first sync initialises it` : `${path} (schema version ${SCHEMA_VERSION}, supported)`);

    let latest: RunRecord | undefined;
    let success: RunRecord | undefined;
    try {
      latest = store.listRuns(1)[0];
      success = lastSuccessfulSync(store);
    } catch (error) {
      const failure = error instanceof SyncError ? error : new SyncError("internal", errorMessage(error));
      list.fail("snapshot.runs", `cannot read the run log: ${failure.message}`, failure.hint);
      return list.results("the run log cannot be read");
    }
    if (latest === undefined) list.pass("snapshot.runs", "no runs recorded yet");
    else {
      const last =
        latest.status === "running"
          ? `last run: ${latest.command} running since ${when(Date.parse(latest.startedAt))}`
          : `last run: ${latest.command} ${latest.status} ${when(runTime(latest))}`;
      const lastSuccess =
        success === undefined ? "no successful sync yet" : success.id === latest.id ? "it was the last successful sync" : `last successful sync ${when(runTime(success))}`;
      list.pass("snapshot.runs", `${last}; ${lastSuccess}`);
    }

    if (maxAgeMs !== undefined) {
      if (success === undefined) list.fail("snapshot.maxAge", "no successful sync recorded in the run log", runSyncFix);
      else {
        const age = at - runTime(success);
        const text = `last successful sync ${when(runTime(success))}`;
        if (age > maxAgeMs) list.fail("snapshot.maxAge", `${text}: older than ${formatDuration(maxAgeMs)}`, runSyncFix);
        else list.pass("snapshot.maxAge", text);
      }
    }
    return list.results("not run");
  } finally {
    store.close();
  }
}
