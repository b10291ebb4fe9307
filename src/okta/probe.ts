/**
 * `check`'s Okta probes, the way Okta's "Test API Credentials" does: the org answers, the
 * credential works (and a service app's scopes), the app, its users, the System Log and the push
 * groups can be read. Each only reads. A probe that needs what failed (a reachable org, a working
 * credential, an app that exists) is skipped with the reason.
 */
import { type CheckResult, Checklist, type Planned } from "../checklist.js";
import { isPattern } from "../config/name-patterns.js";
import type { OktaAuth } from "../config/types.js";
import { errorMessage, NetworkError, ProtocolError, SyncError } from "../errors.js";
import { unreachableFix } from "../http/connect-fix.js";
import { createOktaClient, getJson, type OktaConnection } from "./client.js";
import { rawCollection } from "./pages.js";
import { OKTA_UNREACHABLE_FIX, type OktaFailure, oktaFailure, scopeConsoleFix } from "./probe-failure.js";
import { listAssignedGroups, resolvePushGroup } from "./pull.js";
import { OktaTokenError } from "./request-executor.js";
import { logHead } from "./system-log.js";

export interface OktaProbeSettings {
  orgUrl: string;
  appId: string;
  auth: OktaAuth;
  groups: string[] | "assigned";
  /** The scopes a pull reads with. */
  requiredScopes: readonly string[];
}

/** "3 groups: A (00g...), B (00g...), ..." with at most 10 named. */
function groupList(groups: readonly { id: string; name: string }[]): string {
  if (groups.length === 0) return "no groups";
  const shown = groups.slice(0, 10).map((g) => `${g.name} (${g.id})`);
  const more = groups.length > shown.length ? `, and ${groups.length - shown.length} more` : "";
  return `${groups.length} group${groups.length === 1 ? "" : "s"}: ${shown.join(", ")}${more}`;
}

/** Ends the probes early with every undecided check skipped for this reason. */
class Stop {
  constructor(readonly reason: string) {}
}

export async function probeOkta(settings: OktaProbeSettings, timeoutMs: number): Promise<CheckResult[]> {
  const oauth = settings.auth.mode === "privateKey";
  const push = settings.groups;
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
    connection = createOktaClient({ orgUrl: settings.orgUrl, auth: settings.auth, requestTimeoutMs: timeoutMs });
  } catch (error) {
    const failure = error instanceof SyncError ? error : new SyncError("internal", errorMessage(error));
    list.skip("okta.reachable", "the Okta client could not be set up");
    list.fail("okta.credential", failure.message, failure.hint);
    return list.results("needs working Okta credentials");
  }
  const probe = new OktaProbe(settings, connection, list);
  try {
    await probe.credential();
    const appMissing = await probe.app();
    await probe.appUsers(appMissing);
    await probe.systemLog();
    await probe.groups(appMissing);
    probe.scopes();
  } catch (stop) {
    if (stop instanceof Stop) return list.results(stop.reason);
    throw stop;
  }
  if (!list.isDecided("okta.credential")) list.skip("okta.credential", "no answer from Okta showed whether the API token works (see the failures below)");
  return list.results("not run");
}

class OktaProbe {
  private readonly oauth: boolean;
  /** Scopes found missing, each with how it was found. */
  private readonly missing = new Map<string, string>();
  /** The scopes of a service app's access token. */
  private granted: string[] | undefined;

  constructor(
    private readonly settings: OktaProbeSettings,
    private readonly connection: OktaConnection,
    private readonly list: Checklist,
  ) {
    this.oauth = settings.auth.mode === "privateKey";
  }

  private reached(): void {
    this.list.pass("okta.reachable", `${new URL(this.connection.orgUrl).origin} answered`);
  }

  private unreachable(error: SyncError): Stop {
    this.list.fail("okta.reachable", error.message, unreachableFix(error, OKTA_UNREACHABLE_FIX));
    return new Stop("Okta could not be reached");
  }

  private failure(raw: unknown): OktaFailure {
    return oktaFailure(this.connection, raw);
  }

  private noteForbidden(failure: OktaFailure, scope: string, what: string): void {
    if (!this.oauth || failure.status !== 403) return;
    // A 403 that does not name a scope may be the admin role instead, when the scope was granted.
    if (failure.insufficientScope || this.granted === undefined || !this.granted.includes(scope)) this.missing.set(scope, `Okta answered 403 to ${what}`);
  }

  private failRemote(id: string, failure: OktaFailure, scope: string, what: string): void {
    this.noteForbidden(failure, scope, what);
    let fix = failure.error.hint;
    if (failure.status === 403) {
      fix = this.oauth
        ? `${scopeConsoleFix([scope])}${failure.insufficientScope ? "" : "; the service app also needs an admin role that can read it (such as Read-only Administrator)"}`
        : `the API token acts with its admin's rights, which must include reading ${what} (${scope}): create the token as an admin with such a role (such as Read-only Administrator)`;
    } else if (failure.error instanceof NetworkError) {
      fix = unreachableFix(failure.error, OKTA_UNREACHABLE_FIX);
    }
    this.list.fail(id, failure.error.message, fix);
  }

  /** An API token is proven by the first answer that got past authentication (2xx, 403, 404). */
  private tokenShown(failure: OktaFailure | undefined): void {
    if (this.oauth || this.list.isDecided("okta.credential")) return;
    const status = failure?.status;
    if (failure === undefined || status === 403 || status === 404) this.list.pass("okta.credential", "Okta accepted the API token (SSWS)");
    else if (status === 401) this.list.fail("okta.credential", failure.error.message, failure.error.hint);
  }

  /** The first request of a service app: its token request. An API token is proven by the reads below. */
  async credential(): Promise<void> {
    const auth = this.settings.auth;
    if (auth.mode !== "privateKey") return;
    try {
      if (this.connection.serviceApp === undefined) throw new SyncError("internal", "the Okta client has no service app credentials");
      const token = await this.connection.serviceApp.token();
      this.reached();
      const keyNote = auth.keyId ? `, key ${auth.keyId}` : "";
      const mode = token.type === "DPoP" ? "service app, DPoP-bound token" : "service app, Bearer token";
      this.list.pass("okta.credential", `service app ${auth.clientId} got an access token (private_key_jwt${keyNote}): ${mode}`);
      this.granted = token.scopes;
    } catch (raw) {
      const { error } = this.failure(raw);
      if (error instanceof NetworkError) throw this.unreachable(error);
      this.reached();
      if (raw instanceof OktaTokenError && raw.error === "invalid_scope") {
        // Okta authenticates the client before it looks at the scopes: the key is fine.
        this.list.pass("okta.credential", `service app ${auth.clientId} authenticated, but Okta refused the scopes it asked for`);
        const named = [...new Set(raw.description.match(/okta\.[a-z]+\.[a-z]+/gi) ?? [])];
        const refused = named.length > 0 ? named : auth.scopes;
        this.list.fail("okta.scopes", `Okta refused ${refused.join(", ")}: ${raw.description}`, scopeConsoleFix(refused));
        throw new Stop("needs an access token (Okta refused the scopes)");
      }
      this.list.fail("okta.credential", error.message, error.hint);
      throw new Stop("needs working Okta credentials");
    }
  }

  /** The app; with an API token, the first request. Returns whether Okta said there is no such app. */
  async app(): Promise<boolean> {
    const { appId } = this.settings;
    try {
      const app = (await getJson(this.connection, `/api/v1/apps/${encodeURIComponent(appId)}`)) as { id?: unknown; label?: unknown; status?: unknown };
      if (!this.oauth) this.reached();
      this.tokenShown(undefined);
      const label = typeof app.label === "string" ? app.label : "(no label)";
      const status = typeof app.status === "string" ? app.status : "status unknown";
      const inactive = status === "INACTIVE" ? "; the app is inactive in Okta" : "";
      this.list.pass("okta.app", `"${label}" (${appId}, ${status})${inactive}`);
      return false;
    } catch (raw) {
      const failure = this.failure(raw);
      if (!this.oauth) {
        if (failure.error instanceof NetworkError) throw this.unreachable(failure.error);
        this.reached();
        if (failure.status === 401) {
          this.list.fail("okta.credential", failure.error.message, failure.error.hint);
          throw new Stop("needs a working API token");
        }
        this.tokenShown(failure);
      }
      this.failRemote("okta.app", failure, "okta.apps.read", "apps");
      return failure.status === 404;
    }
  }

  /** One page of the app's users, as the pull reads them. */
  async appUsers(appMissing: boolean): Promise<void> {
    if (appMissing) {
      this.list.skip("okta.appUsers", "the app was not found");
      return;
    }
    try {
      const collection = rawCollection(this.connection, `/api/v1/apps/${encodeURIComponent(this.settings.appId)}/users`, { limit: 1, expand: "user" });
      const page = await collection.getNextPage();
      if (!Array.isArray(page)) throw new ProtocolError(`Okta answered the app's users with something that is not a list`);
      this.tokenShown(undefined);
      this.list.pass(
        "okta.appUsers",
        page.length === 0 ? "readable, but no users are assigned to the app yet" : "read the first page of assigned users (limit 1, with their Okta user)",
      );
    } catch (raw) {
      const failure = this.failure(raw);
      this.tokenShown(failure);
      this.failRemote("okta.appUsers", failure, "okta.apps.read", "the app's users");
    }
  }

  /** The System Log, which `sync --incremental` follows; without it such runs read everything. */
  async systemLog(): Promise<void> {
    try {
      await logHead(this.connection);
      this.tokenShown(undefined);
      this.list.pass("okta.systemLog", "readable: sync --incremental can follow it");
    } catch (raw) {
      const failure = this.failure(raw);
      this.tokenShown(failure);
      this.list.warn(
        "okta.systemLog",
        `${failure.error.message}: sync --incremental will read everything on every run`,
        failure.status === 403
          ? this.oauth
            ? "grant the service app okta.logs.read and add it to okta.scopes"
            : "the token's admin needs to read the System Log (okta.logs.read); plain sync does not need it"
          : failure.error.hint,
      );
    }
  }

  /** The groups to push: those assigned to the app, or each entry of `groups.push`. */
  async groups(appMissing: boolean): Promise<void> {
    const push = this.settings.groups;
    if (push === "assigned") {
      if (appMissing) this.list.skip("okta.groups", "the app was not found");
      else await this.assignedGroups();
    } else if (push.length === 0) {
      this.list.pass("okta.groups", "groups.push is empty: no groups are pushed");
    } else {
      for (const entry of push) await this.pushGroup(entry);
    }
  }

  private async assignedGroups(): Promise<void> {
    try {
      const groups = await listAssignedGroups(this.connection, this.settings.appId);
      this.tokenShown(undefined);
      this.list.pass("okta.groups", groups.length === 0 ? "no groups are assigned to the app: none will be pushed" : groupList(groups));
    } catch (raw) {
      const failure = this.failure(raw);
      this.tokenShown(failure);
      this.failRemote("okta.groups", failure, "okta.apps.read", "the app's group assignments");
    }
  }

  private async pushGroup(entry: string): Promise<void> {
    const id = `okta.group:${entry}`;
    try {
      const { refs, warnings } = await resolvePushGroup(this.connection, this.settings.appId, entry);
      this.tokenShown(undefined);
      if (warnings.length > 0) this.list.warn(id, warnings.join("; "), "check the pattern against the group names in the Okta admin console (Directory > Groups)");
      else if (isPattern(entry) || entry === "assigned") this.list.pass(id, groupList(refs));
      else this.list.pass(id, `${refs[0]!.name} (${refs[0]!.id})`);
    } catch (raw) {
      if (raw instanceof SyncError && raw.kind === "config") {
        // Okta answered the lookup: no such group, or several with that name.
        this.tokenShown(undefined);
        this.list.fail(id, raw.message.replace(/^invalid configuration: /, ""), raw.hint);
      } else {
        const failure = this.failure(raw);
        this.tokenShown(failure);
        this.failRemote(id, failure, "okta.groups.read", "groups");
      }
    }
  }

  /** A service app's scopes: listed in okta.scopes, in its token, and not refused by any read above. */
  scopes(): void {
    const auth = this.settings.auth;
    if (auth.mode !== "privateKey") return;
    for (const scope of this.settings.requiredScopes) {
      if (!auth.scopes.includes(scope)) this.missing.set(scope, "not listed in okta.scopes");
      else if (this.granted !== undefined && !this.granted.includes(scope) && !this.missing.has(scope)) this.missing.set(scope, "not in the access token");
    }
    if (this.missing.size === 0) this.list.pass("okta.scopes", `granted: ${(this.granted ?? auth.scopes).join(", ")}`);
    else {
      const scopes = [...this.missing.keys()];
      this.list.fail("okta.scopes", `missing ${[...this.missing].map(([scope, why]) => `${scope} (${why})`).join(", ")}`, scopeConsoleFix(scopes));
    }
  }
}
