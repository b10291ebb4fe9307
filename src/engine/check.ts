/**
 * `check`: tests the configuration, both APIs and the snapshot DB the way Okta's "Test API
 * Credentials" does, and returns each outcome as plain data, in a fixed order. The probes of
 * each API are the adapters' (src/okta/probe.ts, src/scim/probe.ts); every request only reads,
 * and the snapshot is opened read-only: nothing is written to Command or to the snapshot.
 *
 * Checks are independent: one failing does not stop the others, except those that need what
 * failed (a reachable org, a working credential, an app that exists), which are skipped with
 * the reason.
 */
import { type CheckResult, Checklist } from "../checklist.js";
import { DEFAULT_SCOPES } from "../config/schema.js";
import { formatDuration } from "../duration.js";
import type { Config } from "../config/types.js";
import { webhookOrigin } from "../notify/webhook.js";
import { ConfigError, errorMessage, SyncError } from "../errors.js";
import type { RunRecord } from "../model.js";
import { proxyCheck } from "./check-proxy.js";
import type { CheckPorts } from "./ports.js";
import { pullDesiredState } from "./pull-desired.js";
import { silentReporter } from "./reporter.js";

export type { CheckResult, CheckSide, CheckStatus } from "../checklist.js";

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
    detail: `read ${from}: ${config.okta.orgUrl} with an ${describeAuth(config)}, Command at ${config.command.scimUrl}${notifyNote(config)}${notes}`,
  };
}

/** The webhook by its origin only: its path is a token. */
function notifyNote(config: Config): string {
  const url = config.notify.webhook;
  return url === undefined ? "" : `; notifications (${config.notify.on.join(", ")}) to the webhook at ${webhookOrigin(url)}`;
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
export async function runChecks(config: Config, options: CheckOptions, ports: CheckPorts): Promise<CheckResult[]> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const now = options.now ?? Date.now;
  const remote = options.skipRemote === true ? [] : await Promise.all([ports.okta.probe(timeoutMs, REQUIRED_SCOPES), ports.command.probe(timeoutMs)]);
  const okta = remote[0] ?? [];
  const domains = options.skipRemote === true || config.command.domains.length === 0 || okta.some((c) => c.status === "fail") ? [] : [await checkDomains(config, ports.okta)];
  const proxies = options.skipRemote === true ? { okta: [], command: [] } : { okta: proxyCheck("okta", config.okta.orgUrl), command: proxyCheck("command", config.command.scimUrl) };
  return [...proxies.okta, ...okta, ...domains, ...proxies.command, ...(remote[1] ?? []), ...checkSnapshot(ports.snapshot, options.maxAgeMs, now)];
}

// --- SSO domains --------------------------------------------------------------------------------

/** Users whose email domain is not registered in Command cannot sign in with SSO. */
async function checkDomains(config: Config, okta: CheckPorts["okta"]): Promise<CheckResult> {
  const base = { id: "okta.domains", side: "okta" as const, name: "users in SSO domains" };
  try {
    const { desired } = await pullDesiredState(okta, silentReporter, { keepOutsideDomains: true });
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

// --- the snapshot -------------------------------------------------------------------------------

function runTime(run: RunRecord): number {
  return Date.parse(run.finishedAt ?? run.startedAt);
}

/** The newest succeeded sync; `partial` is not a success. Recent runs first, the whole log only when needed. */
function lastSuccessfulSync(store: { listRuns(limit: number): RunRecord[] }): RunRecord | undefined {
  const isSuccess = (run: RunRecord) => SYNC_COMMANDS.has(run.command) && run.status === "succeeded";
  const firstLook = 200;
  const recent = store.listRuns(firstLook);
  const found = recent.find(isSuccess);
  if (found !== undefined || recent.length < firstLook) return found;
  return store.listRuns(Number.MAX_SAFE_INTEGER).find(isSuccess);
}

function checkSnapshot(snapshot: CheckPorts["snapshot"], maxAgeMs: number | undefined, now: () => number): CheckResult[] {
  const path = snapshot.path;
  const maxAgeName = maxAgeMs === undefined ? undefined : `last successful sync within ${formatDuration(maxAgeMs)}`;
  const list = new Checklist("snapshot", [
    { id: "snapshot.db", name: "snapshot DB" },
    { id: "snapshot.runs", name: "last runs" },
    ...(maxAgeName === undefined ? [] : [{ id: "snapshot.maxAge", name: maxAgeName }]),
  ]);
  const runSyncFix = "run `okta-command-sync sync` (or check that its schedule runs), and see `okta-command-sync runs` and the logs for why recent runs failed";
  const at = now();
  const when = (ms: number) => `${isoSeconds(ms)} (${at >= ms ? `${formatDuration(at - ms, { round: "nearest" })} ago` : "in the future: check the clock"})`;

  // Tried first: a path that cannot be written (a file where a directory belongs) cannot be read either.
  const unwritable = snapshot.writeProblem?.();
  if (unwritable !== undefined) {
    list.fail("snapshot.db", unwritable.message, unwritable.hint);
    return list.results("the snapshot DB cannot be written");
  }
  const store = snapshot.inspect();
  if (store.kind === "missing") {
    list.pass("snapshot.db", `no snapshot yet at ${path}; the first sync creates it`);
    list.pass("snapshot.runs", "no runs recorded yet");
    if (maxAgeMs !== undefined) list.fail("snapshot.maxAge", `no successful sync recorded: there is no snapshot at ${path} yet`, runSyncFix);
    return list.results("not run");
  }
  if (store.kind === "unreadable") {
    const failure = store.error instanceof SyncError ? store.error : new SyncError("internal", errorMessage(store.error));
    list.fail("snapshot.db", failure.message, failure.hint);
    return list.results("the snapshot DB cannot be read");
  }
  try {
    list.pass("snapshot.db", store.empty ? `${path} is empty; the first sync initialises it` : `${path} (schema version ${store.schemaVersion}, supported)`);

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
