import type { Command } from "commander";
import { count } from "../../plural.js";
import type { CommandContext, CommandResult, Runner } from "../context.js";

export function registerImport(program: Command, run: Runner): void {
  program
    .command("import")
    .description("read Command's users and groups, match them to Okta, and record the links (never writes to Command)")
    .action((_flags: Record<string, never>, command: Command) => run(command, (context) => importAction(context)));
}

async function importAction(context: CommandContext): Promise<CommandResult> {
  const [{ readConfig }, { importFromConfig }, { logWarnings, renderWarnings }] = await Promise.all([import("../context.js"), import("../compose.js"), import("../render.js")]);
  const config = await readConfig(context);
  const { out } = context;
  const result = await importFromConfig(config, out.reporter(), {
    onRunStarted: (runId) => {
      out.runId = runId;
    },
  });
  const summary = { users: result.matchedUsers.length, groups: result.matchedGroups.length };
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
    return { status: "succeeded", summary };
  }
  const lines = [
    out.style("bold", `Import (run ${result.runId}): linked ${count(result.matchedUsers.length, "user")} and ${count(result.matchedGroups.length, "group")}`),
    `  users:  ${byUserExternal} by externalId, ${result.matchedUsers.length - byUserExternal} by userName`,
    `  groups: ${byGroupExternal} by externalId, ${result.matchedGroups.length - byGroupExternal} by name`,
    `  in Okta, not in Command (the next sync creates them): ${count(result.unmatchedOkta.users.length, "user")}, ${count(result.unmatchedOkta.groups.length, "group")}`,
    `  in Command, not matched to Okta (left alone): ${count(result.unmatchedCommand.users.length, "user")}, ${count(result.unmatchedCommand.groups.length, "group")}`,
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
  logWarnings(out, result.warnings);
  return { status: "succeeded", summary };
}
