/**
 * The composition root: the one place where adapters are built from the configuration (the
 * snapshot DB, the Okta source, Command's SCIM client, the mapping compiled once per run) and
 * handed to the use cases in src/engine, and closed again when the run ends.
 */
import { configSecrets } from "../config/describe.js";
import type { Config } from "../config/types.js";
import { type CheckOptions, type CheckResult, runChecks } from "../engine/check.js";
import { type ImportResult, runImport } from "../engine/import-run.js";
import type { CheckPorts, CommandClient, Notifier, RunPorts } from "../engine/ports.js";
import { type Reporter, reportWait } from "../engine/reporter.js";
import { type PlanOptions, type PlanResult, runPlan, runSync, type SyncOptions, type SyncResult } from "../engine/sync-run.js";
import type { ResponseListener } from "../http/http-event.js";
import { createRedactor } from "../http/redact.js";
import { postWebhook } from "../notify/webhook.js";
import { type CompiledMapping, compileMapping } from "../okta/mapping.js";
import type { OktaCacheStore } from "../okta/pull-cache.js";
import { createOktaSource, type OktaSource, type OktaSourceDeps } from "../okta/source.js";
import { createScimClient, type ScimClient } from "../scim/client.js";
import { probeCommand } from "../scim/probe.js";
import { inspectSnapshot } from "../store/inspect.js";
import { openSnapshotStore } from "../store/open-store.js";
import type { SqliteSnapshotStore } from "../store/sqlite-store.js";
import { stateWriteProblem } from "../store/state-probe.js";

export interface RunWiring {
  /** `read`: a snapshot opened read-only (plan, dry runs); `write`: a run that records. */
  access: "read" | "write";
  reporter: Reporter;
  /** Stops waits and requests of the adapters when the run is stopping. */
  signal?: AbortSignal | undefined;
  /** Told about every HTTP attempt to either side, for metrics. */
  onResponse?: ResponseListener | undefined;
}

/** The mapping of this configuration, compiled once and shared by the Okta source and the SCIM client. */
export function mappingOf(config: Config): CompiledMapping {
  return compileMapping({ attributes: config.attributes, phoneType: config.users.phoneType });
}

export function oktaSource(config: Config, mapping: CompiledMapping, deps: OktaSourceDeps & { cache?: OktaCacheStore | undefined }): OktaSource {
  return createOktaSource(
    {
      orgUrl: config.okta.orgUrl,
      appId: config.okta.appId,
      auth: config.okta.auth,
      groups: config.groups.push,
      excludeGroups: config.groups.exclude,
      mapping,
      attributes: config.attributes,
      phoneType: config.users.phoneType,
      users: { phoneRegion: config.users.phoneRegion, suspended: config.users.suspended, outsideDomains: config.users.outsideDomains, exclude: config.users.exclude },
      domains: config.command.domains,
      retry: config.retry,
      maxRateShare: config.okta.maxRateShare,
      timeoutMs: config.okta.timeoutMs,
      fullEveryMs: config.sync.fullEveryMs,
    },
    deps,
  );
}

export function commandClient(config: Config, mapping: CompiledMapping, wiring: Omit<RunWiring, "access">): ScimClient {
  return createScimClient({
    baseUrl: config.command.scimUrl,
    token: config.command.token,
    timeoutMs: config.command.timeoutMs,
    connections: config.command.concurrency,
    updateMethod: config.command.updateMethod,
    attributePaths: mapping.paths,
    retry: config.retry,
    requestsPerMinute: config.command.requestsPerMinute,
    onWait: reportWait(wiring.reporter),
    ...(wiring.signal === undefined ? {} : { signal: wiring.signal }),
    ...(wiring.onResponse === undefined ? {} : { onResponse: wiring.onResponse }),
  });
}

/** `notify.webhook`, when set: told how each run ended that `notify.on` names. */
export function notifierOf(config: Config): Notifier | undefined {
  const url = config.notify.webhook;
  if (url === undefined) return undefined;
  const redact = createRedactor(configSecrets(config));
  return { notify: (notice) => postWebhook({ url, on: config.notify.on, timeoutMs: config.notify.timeoutMs, redact }, notice) };
}

/** Build the adapters of one run, hand them to `use`, and close them whatever happens. */
export async function withRunPorts<T>(config: Config, wiring: RunWiring, use: (ports: RunPorts) => Promise<T>): Promise<T> {
  const mapping = mappingOf(config);
  const snapshot = openSnapshotStore(config.state.path, { readonly: wiring.access === "read" });
  let client: ScimClient | undefined;
  try {
    const okta = oktaSource(config, mapping, { cache: snapshot, signal: wiring.signal, onResponse: wiring.onResponse, onWait: reportWait(wiring.reporter) });
    const command = (): CommandClient => {
      client ??= commandClient(config, mapping, wiring);
      return client;
    };
    return await use({ snapshot, okta, command, notifier: notifierOf(config) });
  } finally {
    snapshot.close();
    await client?.close();
  }
}

/** `plan`: the snapshot read-only, nothing written. */
export function planFromConfig(config: Config, reporter: Reporter, options: PlanOptions = {}): Promise<PlanResult> {
  return withRunPorts(config, { access: "read", reporter }, (ports) => runPlan(config, reporter, options, ports));
}

/** `sync` and `backfill`; a dry run opens the snapshot read-only. */
export function syncFromConfig(config: Config, options: SyncOptions, reporter: Reporter): Promise<SyncResult> {
  const wiring: RunWiring = { access: options.dryRun ? "read" : "write", reporter, signal: options.signal, onResponse: options.metrics?.onResponse };
  return withRunPorts(config, wiring, (ports) => runSync(config, options, reporter, ports));
}

/** `import`. */
export function importFromConfig(config: Config, reporter: Reporter, options: { signal?: AbortSignal; onRunStarted?: (runId: string) => void } = {}): Promise<ImportResult> {
  return withRunPorts(config, { access: "write", reporter, signal: options.signal }, (ports) =>
    runImport(config, reporter, ports, options.onRunStarted === undefined ? {} : { onRunStarted: options.onRunStarted }),
  );
}

/** The adapters of `check`: probes with their own deadlines, a pull without the Okta cache, the snapshot read-only. */
export function checkPorts(config: Config): CheckPorts {
  return {
    okta: oktaSource(config, mappingOf(config), {}),
    command: { probe: (timeoutMs) => probeCommand({ scimUrl: config.command.scimUrl, token: config.command.token, requestsPerMinute: config.command.requestsPerMinute }, timeoutMs) },
    snapshot: { path: config.state.path, inspect: () => inspectSnapshot(config.state.path), writeProblem: () => stateWriteProblem(config.state.path) },
  };
}

/** `check` after the configuration's own check. */
export function checksFromConfig(config: Config, options: CheckOptions = {}): Promise<CheckResult[]> {
  return runChecks(config, options, checkPorts(config));
}

/** `runs`: the run log of a snapshot DB, read-only (a missing file reads as an empty log). */
export function openRunHistory(path: string): SqliteSnapshotStore {
  return openSnapshotStore(path, { readonly: true });
}
