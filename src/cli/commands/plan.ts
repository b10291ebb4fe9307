import { type Command, Option } from "commander";
import { closeSync, openSync, writeSync } from "node:fs";
import { SyncError } from "../../errors.js";
import type { SavedPlan } from "../../plan/saved-plan.js";
import type { Runner } from "../context.js";
import { writeJson } from "../json-lines.js";

export interface PlanFlags {
  detailedExitcode?: boolean;
  format: "text" | "markdown";
  out?: string;
  refresh?: boolean;
}

export function registerPlan(program: Command, run: Runner): void {
  program
    .command("plan")
    .description("pull from Okta, diff against the snapshot, print the operations (writes nothing)")
    .option("--detailed-exitcode", "exit 2 when changes are pending, 0 when none")
    .option("--out <file>", "also save the plan, with a fingerprint of the snapshot, for `sync --plan FILE`")
    .option("--refresh", "re-read Command's users and groups and plan against what it really holds (shows drift)")
    .addOption(new Option("--format <format>", "human output: text, or markdown for a ticket or pull request").choices(["text", "markdown"]).default("text"))
    .action((flags: PlanFlags, command: Command) =>
      run(command, async (context) => {
        if (flags.out !== undefined && flags.refresh) {
          throw new SyncError("usage", "--out cannot be combined with --refresh: run `sync --refresh` (or `plan --refresh` to look), then save a plan");
        }
        const [{ readConfig }, { planFromConfig }, { planTarget }, { savePlan }, { summarize }, { refusalJson }, { logWarnings, planJson, renderDrift, renderPlan }, { renderPlanMarkdown }] =
          await Promise.all([
            import("../context.js"),
            import("../compose.js"),
            import("../../engine/sync-run.js"),
            import("../../plan/saved-plan.js"),
            import("../../model.js"),
            import("../../plan/guard.js"),
            import("../render.js"),
            import("../render-markdown.js"),
          ]);
        const config = await readConfig(context);
        const { plan: computed, fingerprint, drift, refusals } = await planFromConfig(config, context.out.reporter(), { refresh: flags.refresh === true });
        if (flags.out !== undefined) writePlanFile(flags.out, savePlan(computed, fingerprint, planTarget(config), new Date()));
        // `plan` itself succeeds whatever it found; it says when `sync` would refuse, and why.
        const plan = { ...computed, warnings: [...computed.warnings, ...refusals.map((r) => `sync would refuse this: ${r.message}`)] };
        if (context.options.json) {
          // Written an operation at a time: the plan of a large org is never one giant string.
          const json = { ...planJson(plan, drift), refusals: refusals.map(refusalJson), ...(flags.out === undefined ? {} : { savedTo: flags.out, fingerprint }) };
          context.out.printJson(json);
        } else if (flags.format === "markdown") context.out.print(renderPlanMarkdown(plan, drift));
        else context.out.print([...renderDrift(context.out, drift), renderPlan(context.out, plan), ...(flags.out === undefined ? [] : ["", `Saved to ${flags.out}; apply exactly this with: sync --plan ${flags.out}`])].join("\n"));
        logWarnings(context.out, plan.warnings);
        const changes = flags.detailedExitcode === true && plan.operations.length > 0;
        return { status: changes ? "changes" : "succeeded", summary: summarize(plan.operations) };
      }, { reportAlways: flags.format === "markdown" }),
    );
}

function writePlanFile(path: string, saved: SavedPlan): void {
  let fd: number | undefined;
  try {
    fd = openSync(path, "w", 0o600);
    const file = fd;
    writeJson(saved, (chunk) => writeSync(file, chunk));
  } catch (error) {
    throw new SyncError("config", `cannot write the plan to ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
