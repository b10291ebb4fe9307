/**
 * `import`: adopt a Command org that already has users and groups (from Okta's own provisioning
 * or by hand). Reads Command, matches it to Okta, and records the links in the snapshot. Never
 * writes to Command.
 */
import type { Config } from "../config/types.js";
import { errorMessage } from "../errors.js";
import { emptySummary } from "../model.js";
import { type ImportMatch, matchImport } from "../plan/import-match.js";
import { openSnapshotStore } from "../store/index.js";
import { openCommand, readCommand, writeSnapshot } from "./command-state.js";
import { pullDesiredState } from "./pull-desired.js";
import type { Reporter } from "./reporter.js";
import { LAST_REFRESH_KEY, pruneHistory } from "./sync-run.js";

export interface ImportResult extends ImportMatch {
  runId: string;
  warnings: readonly string[];
}

export async function runImport(config: Config, reporter: Reporter, options: { signal?: AbortSignal; onRunStarted?: (runId: string) => void } = {}): Promise<ImportResult> {
  const store = openSnapshotStore(config.state.path);
  try {
    const lock = store.acquireRunLock("import");
    try {
      const runId = store.beginRun("import", new Date());
      options.onRunStarted?.(runId);
      const client = openCommand(config, reporter, options.signal);
      try {
        const { desired } = await pullDesiredState(config, reporter, { store, signal: options.signal });
        const remote = await readCommand(client, reporter);
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
      } finally {
        await client.close();
      }
    } finally {
      pruneHistory(store, config, reporter);
      lock.release();
    }
  } finally {
    store.close();
  }
}
