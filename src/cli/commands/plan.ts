import type { Command } from "commander";
import { runPlan } from "../../engine/sync-run.js";
import { type CommandContext, readConfig } from "../context.js";
import { planJson, renderPlan } from "../render.js";

export interface PlanFlags {
  detailedExitcode?: boolean;
}

export function registerPlan(program: Command, run: (command: Command, action: (context: CommandContext) => Promise<number>) => Promise<void>): void {
  program
    .command("plan")
    .description("pull from Okta, diff against the snapshot, print the operations (writes nothing)")
    .option("--detailed-exitcode", "exit 2 when changes are pending, 0 when none")
    .action((flags: PlanFlags, command: Command) =>
      run(command, async (context) => {
        const config = readConfig(context);
        const { plan } = await runPlan(config, context.out.reporter());
        if (context.options.json) context.out.printJson(planJson(plan));
        else context.out.print(renderPlan(context.out, plan));
        return flags.detailedExitcode === true && plan.operations.length > 0 ? 2 : 0;
      }),
    );
}
