/**
 * `import`: adopt a Command org that already has users and groups (from Okta's own provisioning
 * or by hand). Reads Command, matches it to Okta, and records the links in the snapshot. Never
 * writes to Command.
 */
import type { Config } from "../config/types.js";
import { errorMessage } from "../errors.js";
import { emptySummary } from "../model.js";
import { type ImportMatch, matchImport } from "../plan/import-match.js";
import { LAST_REFRESH_KEY, readCommand, writeSnapshot } from "./command-state.js";
import type { RunPorts } from "./ports.js";
import { pullDesiredState } from "./pull-desired.js";
import type { Reporter } from "./reporter.js";
import { pruneHistory } from "./retention.js";

export interface ImportResult extends ImportMatch {
  runId: string;
  warnings: readonly string[];
}

export async function runImport(config: Config, reporter: Reporter, ports: RunPorts, options: { onRunStarted?: (runId: string) => void } = {}): Promise<ImportResult> {
  const store = ports.snapshot;
  const lock = store.acquireRunLock("import");
  try {
    const runId = store.beginRun("import", new Date());
    options.onRunStarted?.(runId);
    try {
      const { desired } = await pullDesiredState(ports.okta, reporter);
      const remote = await readCommand(ports.command(), reporter);
      const match = matchImport(desired, remote.users, remote.groups);
      const current = store.load();
      // Links found now replace earlier ones for the same Okta ids; other links are kept.
      const linkedUsers = new Set(match.snapshot.users.map((u) => u.oktaId));
      const linkedGroups = new Set(match.snapshot.groups.map((g) => g.oktaId));
      const next = {
        users: [...current.users.filter((u) => !linkedUsers.has(u.oktaId)), ...match.snapshot.users],
        groups: [...current.groups.filter((g) => !linkedGroups.has(g.oktaId)), ...match.snapshot.groups],
      };
      writeSnapshot(store, current, next);
      store.setMeta(LAST_REFRESH_KEY, new Date().toISOString());
      const warnings = [
        ...desired.warnings,
        ...match.ambiguous.map((a) => `ambiguous ${a.kind} ${a.name} (${a.key}): ${a.reason}; left unlinked`),
      ];
      store.finishRun(runId, { status: "succeeded", finishedAt: new Date(), summary: emptySummary(), failed: 0, warnings });
      return { ...match, runId, warnings };
    } catch (error) {
      store.finishRun(runId, { status: "failed", finishedAt: new Date(), summary: emptySummary(), failed: 0, warnings: [errorMessage(error)] });
      throw error;
    }
  } finally {
    pruneHistory(store, config, reporter);
    lock.release();
  }
}
