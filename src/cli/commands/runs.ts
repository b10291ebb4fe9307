/**
 * `runs` and `runs show ID`: the run log of the snapshot DB. Read-only, and needs nothing but
 * `state.path`, so history can be read on a machine that holds no Okta or Command credentials.
 */
import { statSync } from "node:fs";
import { type Command, InvalidArgumentError } from "commander";
import { formatDuration } from "../../duration.js";
import type { Config } from "../../config/types.js";
import { SyncError } from "../../errors.js";
import type { SqliteSnapshotStore } from "../../store/index.js";
import type { CommandContext, CommandResult, Runner } from "../context.js";

const DEFAULT_LIMIT = 20;
const MAX_LIMIT = 100_000;
/** How many matches an ambiguous prefix error names. */
const SHOWN_MATCHES = 5;

interface ListFlags {
  limit: number;
}

interface ShowFlags {
  failed?: boolean;
}

function parseLimit(value: string): number {
  const number = /^\s*\d+\s*$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(number) || number < 1 || number > MAX_LIMIT) {
    throw new InvalidArgumentError(`must be a whole number from 1 to ${MAX_LIMIT}`);
  }
  return number;
}

export function registerRuns(program: Command, run: Runner): void {
  const runs = program
    .command("runs")
    .description("history of runs and their outcomes, from the snapshot DB (writes nothing)")
    .option("--limit <n>", "how many runs to list, newest first", parseLimit, DEFAULT_LIMIT)
    .action((flags: ListFlags, command: Command) => run(command, (context) => listRuns(context, flags.limit), { reportAlways: true }));
  runs
    .command("show")
    .description("every operation of one run, with its outcome and error")
    .argument("<id>", "the run id, or a unique prefix of it")
    .option("--failed", "list only the operations that failed")
    // The program parses its options wherever they stand; say so, as they are not listed here.
    .addHelpText("after", "\nGlobal options are accepted too: --config <path>, --json, --log-format pretty|json, --quiet, --verbose")
    .action((id: string, flags: ShowFlags, command: Command) => run(command, (context) => showRun(context, id, flags), { reportAlways: true }));
}

/** Only `state` is read: missing or wrong credentials elsewhere do not stop a look at history. */
async function readState(context: CommandContext): Promise<Config["state"]> {
  const { loadStateConfig } = await import("../../config/load.js");
  const loaded = loadStateConfig({
    ...(context.options.config === undefined ? {} : { configPath: context.options.config }),
    env: context.streams.env,
    cwd: context.cwd,
  });
  context.out.setSecrets(loaded.secrets);
  for (const warning of loaded.warnings) context.out.log("warn", warning);
  return loaded.state;
}

/** A snapshot file with something in it; the read-only store treats anything else as empty. */
function hasSnapshot(path: string): boolean {
  if (path === ":memory:") return false;
  return (statSync(path, { throwIfNoEntry: false })?.size ?? 0) > 0;
}

/** SQLite is loaded only when there is a snapshot to read. */
async function withStore<T>(path: string, fn: (store: SqliteSnapshotStore) => T): Promise<T> {
  const { openRunHistory } = await import("../compose.js");
  const store = openRunHistory(path);
  try {
    return fn(store);
  } finally {
    store.close();
  }
}

async function listRuns(context: CommandContext, limit: number): Promise<CommandResult> {
  const { out } = context;
  const state = await readState(context);
  const json = context.options.json === true;
  if (!hasSnapshot(state.path)) {
    if (json) out.printJson({ runs: [] });
    else out.print(`no runs yet (no snapshot at ${state.path})`);
    return { status: "succeeded" };
  }
  const { renderRunList, runView } = await import("../render-runs.js");
  const { views, total } = await withStore(state.path, (store) => ({
    views: store.listRuns(limit).map((record) => runView(record, () => store.getRunOperations(record.id))),
    total: store.countRuns(),
  }));
  if (json) out.printJson({ runs: views });
  else if (views.length === 0) out.print(`no runs yet in ${state.path}`);
  else out.print(renderRunList(out, views, { path: state.path, total, retention: state.retentionMs === undefined ? undefined : formatDuration(state.retentionMs) }));
  return { status: "succeeded" };
}

async function showRun(context: CommandContext, id: string, flags: ShowFlags): Promise<CommandResult> {
  const { out } = context;
  const state = await readState(context);
  const wanted = id.trim();
  if (wanted === "") throw new SyncError("config", "runs show: the run id is empty", { hint: "`okta-command-sync runs` lists the run ids" });
  if (!hasSnapshot(state.path)) {
    throw new SyncError("config", `no run ${wanted}: there is no snapshot at ${state.path}`, {
      hint: "check state.path (or OCS_STATE, or --config)",
    });
  }
  const { operationView, renderRun, runView } = await import("../render-runs.js");
  const { approvalSpent, approveCommand } = await import("../../engine/approve.js");
  const { parseSavedPlan } = await import("../../plan/saved-plan.js");
  const { keptPlanJson, keptPlanView, renderKeptPlan } = await import("../render-kept-plan.js");
  const { record, operations, kept, approvals } = await withStore(state.path, (store) => {
    const found = findRun(store, wanted, state.path);
    return { record: found, operations: store.getRunOperations(found.id), kept: store.keptPlan(found.id), approvals: store.approvalsOf(found.id).map((a) => ({ id: a.id, status: a.status, applied: approvalSpent(store, a) })) };
  });
  const view = runView(record, () => operations);
  const keptView =
    kept === undefined
      ? undefined
      : keptPlanView(view, parseSavedPlan(kept, `the plan kept by run ${record.id}`), approvals, approveCommand(record.id));
  if (context.options.json) {
    const shown = flags.failed === true ? operations.filter((op) => op.outcome === "failed") : operations;
    out.printJson({ run: view, operations: shown.map(operationView), ...(keptView === undefined ? {} : { keptPlan: keptPlanJson(keptView) }) });
  } else {
    out.print(renderRun(out, view, operations, { onlyFailed: flags.failed === true }) + (keptView === undefined ? "" : `\n${renderKeptPlan(out, keptView)}`));
  }
  return { status: "succeeded" };
}

/** The run with this id, or the only one whose id starts with it (the `r-` may be left out). */
function findRun(store: SqliteSnapshotStore, prefix: string, path: string) {
  let matches = store.findRunsByPrefix(prefix, SHOWN_MATCHES + 1);
  if (matches.length === 0 && !prefix.startsWith("r-")) matches = store.findRunsByPrefix(`r-${prefix}`, SHOWN_MATCHES + 1);
  const exact = matches.find((run) => run.id === prefix);
  if (exact !== undefined) return exact;
  if (matches.length === 1) return matches[0]!;
  if (matches.length === 0) {
    throw new SyncError("config", `no run matches ${prefix} in ${path}`, { hint: "`okta-command-sync runs` lists the run ids" });
  }
  const named = matches.slice(0, SHOWN_MATCHES).map((run) => run.id);
  const more = matches.length > SHOWN_MATCHES ? " and more" : "";
  throw new SyncError("config", `run id prefix ${prefix} is ambiguous: it matches ${named.join(", ")}${more}`, {
    hint: "give more of the run id",
  });
}
