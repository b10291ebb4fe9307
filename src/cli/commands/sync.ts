import { readFileSync } from "node:fs";
import { type Command, InvalidArgumentError } from "commander";
import { parseLimit as parseConfigLimit } from "../../config/limit.js";
import type { Limit } from "../../config/types.js";
import { errorMessage, SyncError } from "../../errors.js";
import type { PullSummary } from "../../engine/pull-desired.js";
import type { Selection, SyncResult } from "../../engine/sync-run.js";
import { emptySummary, operationTarget, type Plan, summarize } from "../../model.js";
import { type Refusal, refusalJson } from "../../plan/guard.js";
import type { Drift } from "../../plan/refresh.js";
import type { CommandContext, CommandResult, Runner } from "../context.js";
import { INTERRUPTED_EXIT } from "../exit.js";
import { auditFields, driftJson, logWarnings, planJson, renderDrift, renderFailures, renderPlan, renderWarnings, summaryTable } from "../render.js";

export interface SyncFlags {
  dryRun?: boolean;
  force?: boolean;
  maxDeactivations?: Limit;
  plan?: string;
  approve?: string;
  refresh?: boolean;
  incremental?: boolean;
  user?: string[];
  metricsFile?: string;
  pushgateway?: string;
}

/** The flags of every command that applies changes: dry run, safety overrides, metrics. */
export function addApplyOptions(command: Command): Command {
  return command
    .option("--dry-run", "compute and print the plan, write nothing")
    .option("--force", "apply even when a safety limit would refuse the plan")
    .option("--max-deactivations <N|P%>", "deactivation limit for this run (count or percent)", parseLimit)
    .option("--metrics-file <path>", "write Prometheus metrics of the run to this file (atomically), for node_exporter's textfile collector")
    .option("--pushgateway <url>", "push Prometheus metrics of the run to this Pushgateway");
}

export type { Runner };

/** `--max-deactivations`: the same count-or-percent rule as `safety.maxDeactivations`. */
export function parseLimit(value: string): Limit {
  const limit = parseConfigLimit(value.trim());
  if (limit === undefined) throw new InvalidArgumentError("must be a count (e.g. 25) or a percent from 0% to 100% (e.g. 10%)");
  return limit;
}

export const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

export function registerSync(program: Command, run: Runner): void {
  const command = program
    .command("sync")
    .description("pull, diff, check safety limits, and apply the changes to Command")
    .option("--plan <file>", "apply a plan saved with `plan --out` instead of pulling from Okta")
    .option("--approve <run-id>", "apply exactly the plan a refused run kept (see `runs show`), once, if the snapshot has not changed since")
    .option("--refresh", "re-read Command's users and groups first and repair any drift")
    .option("--incremental", "re-read from Okta only the users the System Log names since the last run (a full pull every sync.fullEvery)")
    .option("--user <login-or-id>", "provision just this Okta user now (repeatable)", collect);
  addApplyOptions(command).action((flags: SyncFlags, command: Command) =>
      run(command, (context) => {
        if (flags.plan !== undefined && (flags.refresh || flags.incremental || flags.user !== undefined)) {
          throw new SyncError("usage", "--plan applies a saved plan as it is: it cannot be combined with --refresh, --incremental or --user");
        }
        if (flags.approve !== undefined) {
          const others = [["--plan", flags.plan], ["--refresh", flags.refresh], ["--incremental", flags.incremental], ["--user", flags.user], ["--dry-run", flags.dryRun], ["--force", flags.force], ["--max-deactivations", flags.maxDeactivations]]
            .filter(([, value]) => value !== undefined && value !== false)
            .map(([name]) => name);
          if (others.length > 0) {
            throw new SyncError("usage", `--approve applies the refused plan exactly as it was kept: it cannot be combined with ${others.join(", ")}`, {
              hint: "`runs show <run id>` shows the plan it would apply",
            });
          }
        }
        if (flags.incremental && flags.user !== undefined) {
          throw new SyncError("usage", "--incremental cannot be combined with --user: a narrowed run reads just what it needs");
        }
        return syncAction(context, "sync", flags, flags.user === undefined ? undefined : { users: flags.user });
      }),
    );
}

/** Runs a sync (or a backfill) with graceful stops on SIGINT/SIGTERM, and reports it. */
export async function syncAction(context: CommandContext, commandName: string, flags: SyncFlags, selection: Selection | undefined): Promise<CommandResult> {
  // Loaded when a run starts: the config schema, the engine, the adapters and saved plans' schema are heavy.
  const [{ readConfig }, { syncFromConfig }, { checkMetricsDirectory, publishMetrics, RunMetrics }, { parseSavedPlan }] = await Promise.all([
    import("../context.js"),
    import("../compose.js"),
    import("../../metrics/index.js"),
    import("../../plan/saved-plan.js"),
  ]);
  const config = await readConfig(context);
  const saved = flags.plan === undefined ? undefined : parseSavedPlan(readPlanFile(flags.plan), flags.plan);
  if (flags.metricsFile !== undefined) await checkMetricsDirectory(flags.metricsFile);
  const metrics = flags.metricsFile !== undefined || flags.pushgateway !== undefined ? new RunMetrics() : undefined;
  const controller = new AbortController();
  const stop = (signal: NodeJS.Signals) => {
    if (controller.signal.aborted) process.exit(INTERRUPTED_EXIT);
    context.out.log("warn", `${signal} received: finishing the requests in flight, then stopping (send again to stop at once)`);
    controller.abort();
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  try {
    const result = await syncFromConfig(
      config,
      {
        command: commandName,
        dryRun: flags.dryRun === true,
        force: flags.force === true,
        maxDeactivations: flags.maxDeactivations,
        refresh: flags.refresh === true,
        incremental: flags.incremental === true,
        ...(selection === undefined ? {} : { selection }),
        ...(saved === undefined ? {} : { saved }),
        ...(flags.approve === undefined ? {} : { approve: flags.approve }),
        signal: controller.signal,
        ...(metrics === undefined ? {} : { metrics }),
        onRunStarted: (runId) => {
          context.out.runId = runId;
        },
        // An audit line per operation; in pretty logs only with --verbose, as a first sync of a
        // large org would otherwise flood the terminal.
        onOutcome: ({ operation, outcome, error }) => {
          const level = outcome === "failed" ? "warn" : context.out.logFormat === "json" ? "info" : "debug";
          context.out.log(level, `${operation.type} ${operationTarget(operation)}: ${outcome}`, auditFields(operation, outcome, error));
        },
      },
      context.out.reporter(),
    );
    return report(context, result);
  } finally {
    process.off("SIGINT", stop);
    process.off("SIGTERM", stop);
    const text = metrics?.text();
    if (text !== undefined) {
      // Metrics are a report on the run: failing to write them is a warning, not a failed run.
      const problems = await publishMetrics(text, {
        ...(flags.metricsFile === undefined ? {} : { file: flags.metricsFile }),
        ...(flags.pushgateway === undefined ? {} : { pushgateway: flags.pushgateway }),
        push: { timeoutMs: 10_000 },
      });
      for (const problem of problems) context.out.log("warn", problem.message);
    }
  }
}

function readPlanFile(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    throw new SyncError("config", `cannot read the saved plan ${path}: ${(error as NodeJS.ErrnoException).code ?? errorMessage(error)}`);
  }
}

function report(context: CommandContext, result: SyncResult): CommandResult {
  const { out } = context;
  const json = context.options.json === true;
  switch (result.kind) {
    case "dry-run": {
      // A dry run answers what `sync` would do, refusals included.
      if (result.refusals.length > 0) return reportRefused(context, { ...result, runId: null, dryRun: true });
      if (json) {
        out.printJson({
          status: "succeeded",
          dryRun: true,
          runId: null,
          summary: summarize(result.plan.operations),
          failed: [],
          warnings: result.plan.warnings,
          drift: driftJson(result.drift),
          operations: result.plan.operations,
          refusals: [],
          skipped: result.plan.skipped ?? [],
          ...pullJson(result.pull),
        });
      } else out.print(`${[...renderDrift(out, result.drift), renderPlan(out, result.plan, "Dry run")].join("\n")}\n\nDry run: nothing was written.`);
      logWarnings(out, result.plan.warnings);
      return { status: "succeeded", summary: summarize(result.plan.operations) };
    }
    case "refused":
      return reportRefused(context, { ...result, dryRun: false });
    case "applied": {
      const status = result.status === "interrupted" ? "failed" : result.status;
      const warnings = result.status === "interrupted" ? [...result.warnings, "the run was interrupted before every operation was applied"] : result.warnings;
      if (json) {
        out.printJson({
          status,
          runId: result.runId,
          summary: result.applied,
          failed: result.failed,
          warnings,
          drift: driftJson(result.drift),
          skipped: result.plan.skipped ?? [],
          ...pullJson(result.pull),
          ...(result.approves === undefined ? {} : { approves: result.approves }),
        });
      } else {
        const lines = [...renderDrift(out, result.drift), renderPlan(out, { operations: result.plan.operations, warnings: [] })];
        if (result.plan.operations.length > 0) {
          lines.push("", out.style("bold", `Sync ${status} (run ${result.runId})`), ...summaryTable(result.applied, "applied"));
        }
        lines.push(...renderFailures(out, result.failed), ...renderWarnings(out, warnings));
        if (result.approves !== undefined) lines.push("", `Applied the plan refused by run ${result.approves}, as it was kept.`);
        out.print(lines.join("\n"));
      }
      logWarnings(out, warnings);
      return { status, summary: result.applied, ...(result.fatal === undefined ? {} : { error: result.fatal }) };
    }
  }
}

/** A refused sync, or a dry run of one: exit 3, and the reasons, the same way both times. */
function reportRefused(
  context: CommandContext,
  result: {
    runId: string | null;
    dryRun: boolean;
    plan: Plan;
    refusals: readonly Refusal[];
    drift: Drift[];
    pull?: PullSummary | undefined;
    approveCommand?: string | undefined;
    approves?: string | undefined;
  },
): CommandResult {
  const { out } = context;
  const reasons = result.refusals.map((r) => r.message);
  if (context.options.json) {
    out.printJson({
      status: "refused",
      ...(result.dryRun ? { dryRun: true } : {}),
      runId: result.runId,
      summary: emptySummary(),
      failed: [],
      warnings: [...result.plan.warnings, ...reasons],
      drift: driftJson(result.drift),
      refusals: result.refusals.map(refusalJson),
      skipped: result.plan.skipped ?? [],
      plan: planJson(result.plan),
      ...pullJson(result.pull),
      ...(result.approveCommand === undefined ? {} : { approveCommand: result.approveCommand }),
      ...(result.approves === undefined ? {} : { approves: result.approves }),
    });
  } else {
    out.print([...renderDrift(out, result.drift), renderPlan(out, result.plan, result.dryRun ? "Dry run" : "Plan")].join("\n"));
    const verdict = result.dryRun ? "Dry run: sync would refuse this plan; nothing was written." : "Refused: nothing was written.";
    const approve =
      result.approveCommand === undefined ? [] : ["", `The plan is kept: review it with \`okta-command-sync runs show ${result.runId}\`, then apply exactly it with \`${result.approveCommand}\`.`];
    out.print(["", out.style("red", verdict), ...reasons.map((reason) => `  ${reason}`), ...approve].join("\n"));
  }
  logWarnings(out, result.plan.warnings);
  for (const reason of reasons) out.log("error", `safety limit: ${reason}`);
  return { status: "refused", summary: emptySummary() };
}

/** `pull` in JSON results: how Okta was read (mode, requests, why an incremental run read everything). */
function pullJson(pull: PullSummary | undefined): { pull?: PullSummary } {
  return pull === undefined ? {} : { pull };
}
