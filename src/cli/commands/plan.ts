import { type Command, Option } from "commander";
import { runPlan } from "../../engine/sync-run.js";
import { type CommandContext, readConfig } from "../context.js";
import { planJson, renderPlan } from "../render.js";
import { renderPlanMarkdown } from "../render-markdown.js";

export interface PlanFlags {
  detailedExitcode?: boolean;
  format: "text" | "markdown";
}

export function registerPlan(program: Command, run: (command: Command, action: (context: CommandContext) => Promise<number>) => Promise<void>): void {
  program
    .command("plan")
    .description("pull from Okta, diff against the snapshot, print the operations (writes nothing)")
    .option("--detailed-exitcode", "exit 2 when changes are pending, 0 when none")
    .addOption(new Option("--format <format>", "human output: text, or markdown for a ticket or pull request").choices(["text", "markdown"]).default("text"))
    .action((flags: PlanFlags, command: Command) =>
      run(command, async (context) => {
        const config = readConfig(context);
        const { plan } = await runPlan(config, context.out.reporter());
        if (context.options.json) context.out.printJson(planJson(plan));
        else if (flags.format === "markdown") context.out.print(renderPlanMarkdown(plan));
        else context.out.print(renderPlan(context.out, plan));
        return flags.detailedExitcode === true && plan.operations.length > 0 ? 2 : 0;
      }),
    );
}
