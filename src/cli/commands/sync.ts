import { type Command, InvalidArgumentError } from "commander";
import type { DeactivationLimit } from "../../config/types.js";
import { errorMessage } from "../../errors.js";
import { runSync, type SyncResult } from "../../engine/sync-run.js";
import { emptySummary, operationTarget, summarize } from "../../model.js";
import { type CommandContext, readConfig } from "../context.js";
import { reportError } from "../report-error.js";
import { auditFields, planJson, renderFailures, renderPlan, renderWarnings, summaryTable } from "../render.js";

interface SyncFlags {
  dryRun?: boolean;
  force?: boolean;
  maxDeactivations?: DeactivationLimit;
}

export function parseLimit(value: string): DeactivationLimit {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(%?)\s*$/.exec(value);
  if (match === null) throw new InvalidArgumentError("must be a count (e.g. 25) or a percent (e.g. 10%)");
  const number = Number(match[1]);
  if (match[2] === "%") {
    if (number > 100) throw new InvalidArgumentError("a percent must be between 0% and 100%");
    return { kind: "percent", value: number };
  }
  if (!Number.isInteger(number)) throw new InvalidArgumentError("a count must be a whole number");
  return { kind: "count", value: number };
}

export function registerSync(program: Command, run: (command: Command, action: (context: CommandContext) => Promise<number>) => Promise<void>): void {
  program
    .command("sync")
    .description("pull, diff, check safety limits, and apply the changes to Command")
    .option("--dry-run", "compute and print the plan, write nothing")
    .option("--force", "apply even when a safety limit would refuse the plan")
    .option("--max-deactivations <N|P%>", "deactivation limit for this run (count or percent)", parseLimit)
    .action((flags: SyncFlags, command: Command) =>
      run(command, async (context) => {
        const config = readConfig(context);
        const controller = new AbortController();
        const stop = (signal: NodeJS.Signals) => {
          if (controller.signal.aborted) process.exit(130);
          context.out.log("warn", `${signal} received: finishing the requests in flight, then stopping (send again to stop at once)`);
          controller.abort();
        };
        process.on("SIGINT", stop);
        process.on("SIGTERM", stop);
        try {
          const result = await runSync(
            config,
            {
              command: "sync",
              dryRun: flags.dryRun === true,
              force: flags.force === true,
              maxDeactivations: flags.maxDeactivations,
              signal: controller.signal,
              onRunStarted: (runId) => {
                context.out.runId = runId;
              },
              // An audit line per operation; in pretty logs only with --verbose, as a first sync
              // of a large org would otherwise flood the terminal.
              onOutcome: ({ operation, outcome, error }) => {
                const level = outcome === "failed" ? "warn" : context.out.logFormat === "json" ? "info" : "debug";
                context.out.log(level, `${operation.type} ${operationTarget(operation)}: ${outcome}`, auditFields(operation, outcome, error));
              },
            },
            context.out.reporter(),
          );
          return report(context, result);
        } catch (error) {
          // A script reading --json gets a result even when the run could not start or finish.
          if (context.options.json) {
            context.out.printJson({ status: "failed", runId: null, summary: emptySummary(), failed: [], warnings: [], error: errorMessage(error) });
          }
          throw error;
        } finally {
          process.off("SIGINT", stop);
          process.off("SIGTERM", stop);
        }
      }),
    );
}

function report(context: CommandContext, result: SyncResult): number {
  const { out } = context;
  const json = context.options.json === true;
  switch (result.kind) {
    case "dry-run": {
      if (json) {
        out.printJson({ status: "succeeded", dryRun: true, runId: null, summary: summarize(result.plan.operations), failed: [], warnings: result.plan.warnings, operations: result.plan.operations });
      } else out.print(`${renderPlan(out, result.plan, "Dry run")}\n\nDry run: nothing was written.`);
      return 0;
    }
    case "refused": {
      if (json) {
        out.printJson({
          status: "refused",
          runId: result.runId,
          summary: emptySummary(),
          failed: [],
          warnings: result.plan.warnings,
          violations: result.violations.map((v) => ({ rule: v.rule, limit: v.limit, planned: v.planned, message: v.message })),
          plan: planJson(result.plan),
        });
      } else {
        out.print(renderPlan(out, result.plan));
        out.print(["", out.style("red", "Refused: nothing was written."), ...result.violations.map((v) => `  ${v.message}`)].join("\n"));
      }
      for (const violation of result.violations) out.log("error", `safety limit: ${violation.message}`);
      return 3;
    }
    case "applied": {
      const status = result.status === "interrupted" ? "failed" : result.status;
      const warnings = result.status === "interrupted" ? [...result.warnings, "the run was interrupted before every operation was applied"] : result.warnings;
      if (json) {
        out.printJson({ status, runId: result.runId, summary: result.applied, failed: result.failed, warnings });
      } else {
        const lines = [renderPlan(out, { operations: result.plan.operations, warnings: [] })];
        if (result.plan.operations.length > 0) {
          lines.push("", out.style("bold", `Sync ${status} (run ${result.runId})`), ...summaryTable(result.applied, "applied"));
        }
        lines.push(...renderFailures(out, result.failed), ...renderWarnings(out, warnings));
        out.print(lines.join("\n"));
      }
      if (result.fatal !== undefined) return reportError(out, result.fatal);
      return status === "succeeded" ? 0 : 1;
    }
  }
}
