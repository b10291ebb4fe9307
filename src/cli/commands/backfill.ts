import type { Command } from "commander";
import { SyncError } from "../../errors.js";
import { addApplyOptions, collect, type Runner, type SyncFlags, syncAction } from "./sync.js";

interface BackfillFlags extends SyncFlags {
  group?: string[];
}

export function registerBackfill(program: Command, run: Runner): void {
  const command = program
    .command("backfill")
    .description("push just these Okta groups and their assigned members now (even groups not in groups.push)")
    .option("--group <name-or-id>", "an Okta group name or id (repeatable)", collect);
  addApplyOptions(command).action((flags: BackfillFlags, command: Command) =>
      run(command, (context) => {
        if (flags.group === undefined || flags.group.length === 0) {
          throw new SyncError("usage", "backfill needs at least one --group NAME_OR_ID");
        }
        return syncAction(context, "backfill", { ...flags, refresh: false }, { groups: flags.group });
      }),
    );
}
