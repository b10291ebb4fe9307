import type { Command } from "commander";
import { importFromConfig } from "../compose.js";
import { type CommandContext, readConfig } from "../context.js";
import { renderWarnings } from "../render.js";
import type { Runner } from "./sync.js";

export function registerImport(program: Command, run: Runner): void {
  program
    .command("import")
    .description("read Command's users and groups, match them to Okta, and record the links (never writes to Command)")
    .action((_flags: Record<string, never>, command: Command) => run(command, (context) => importAction(context)));
}

async function importAction(context: CommandContext): Promise<number> {
  const config = readConfig(context);
  const { out } = context;
  const result = await importFromConfig(config, out.reporter(), {
    onRunStarted: (runId) => {
      out.runId = runId;
    },
  });
  const byUserExternal = result.matchedUsers.filter((m) => m.by === "externalId").length;
  const byGroupExternal = result.matchedGroups.filter((m) => m.by === "externalId").length;
  if (context.options.json) {
    out.printJson({
      status: "succeeded",
      runId: result.runId,
      matched: { users: result.matchedUsers.length, groups: result.matchedGroups.length },
      matchedUsers: result.matchedUsers,
      matchedGroups: result.matchedGroups,
      unmatchedOkta: result.unmatchedOkta,
      unmatchedCommand: result.unmatchedCommand,
      ambiguous: result.ambiguous,
      warnings: result.warnings,
    });
    return 0;
  }
  const lines = [
    out.style("bold", `Import (run ${result.runId}): linked ${result.matchedUsers.length} users and ${result.matchedGroups.length} groups`),
    `  users:  ${byUserExternal} by externalId, ${result.matchedUsers.length - byUserExternal} by userName`,
    `  groups: ${byGroupExternal} by externalId, ${result.matchedGroups.length - byGroupExternal} by name`,
    `  in Okta, not in Command (the next sync creates them): ${result.unmatchedOkta.users.length} users, ${result.unmatchedOkta.groups.length} groups`,
    `  in Command, not matched to Okta (left alone): ${result.unmatchedCommand.users.length} users, ${result.unmatchedCommand.groups.length} groups`,
  ];
  if (result.ambiguous.length > 0) {
    lines.push("", out.style("yellow", `Ambiguous, left unlinked (${result.ambiguous.length}):`));
    for (const a of result.ambiguous) lines.push(`  ? ${a.kind} ${a.name} (${a.key}): ${a.reason} [${a.candidates.join(", ")}]`);
  }
  if (context.options.verbose) {
    for (const u of result.unmatchedCommand.users) lines.push(`  - Command user ${u.userName} (${u.scimId}) not in Okta`);
    for (const u of result.unmatchedOkta.users) lines.push(`  + Okta user ${u.userName} (${u.oktaId}) not in Command`);
  }
  lines.push(...renderWarnings(out, result.warnings.filter((w) => !w.startsWith("ambiguous "))), "", "Next: `plan` shows what differs between Okta and Command for the linked users.");
  out.print(lines.join("\n"));
  return 0;
}
