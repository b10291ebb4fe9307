/** The command-line program: parse, run one command, map errors to exit codes. */
import { readFileSync } from "node:fs";
import { Command, CommanderError, Option } from "commander";
import { registerCheck } from "./commands/check.js";
import { registerBackfill } from "./commands/backfill.js";
import { registerDemo } from "./commands/demo.js";
import { registerImport } from "./commands/import.js";
import { registerPlan } from "./commands/plan.js";
import { registerRuns } from "./commands/runs.js";
import { registerSync } from "./commands/sync.js";
import { type CommandContext, createContext } from "./context.js";
import type { Streams } from "./output.js";
import { EXIT, reportError } from "./report-error.js";

export { EXIT };

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };
  return pkg.version;
}

function addGlobalOptions(command: Command): Command {
  return command
    .option("--config <path>", "config file (env OCS_CONFIG; default ./config.yaml when it exists)")
    .option("--json", "machine-readable result on stdout, nothing else on stdout")
    .addOption(new Option("--log-format <format>", "log format on stderr (default: pretty on a TTY, json otherwise)").choices(["pretty", "json"]))
    .option("--quiet", "only errors on stderr")
    .option("--verbose", "debug logs and stack traces");
}

export async function main(argv: readonly string[], streams: Streams, cwd = process.cwd()): Promise<number> {
  let exitCode: number = EXIT.ok;
  const run = async (command: Command, action: (context: CommandContext) => Promise<number>): Promise<void> => {
    const context = createContext(command, streams, cwd);
    try {
      exitCode = await action(context);
    } catch (error) {
      exitCode = reportError(context.out, error);
    }
  };

  const program = addGlobalOptions(new Command("okta-command-sync"))
    .description("Keep Verkada Command's users and groups in step with Okta over SCIM 2.0")
    .version(version())
    .showHelpAfterError()
    .configureOutput({
      writeOut: (s) => streams.stdout.write(s),
      writeErr: (s) => streams.stderr.write(s),
    })
    .exitOverride();

  registerPlan(program, run);
  registerSync(program, run);
  registerImport(program, run);
  registerBackfill(program, run);
  registerDemo(program, run);
  registerCheck(program, run);
  registerRuns(program, run);
  for (const command of program.commands) addGlobalOptions(command).exitOverride();

  try {
    await program.parseAsync([...argv], { from: "user" });
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end here with exit code 0; usage errors with 1.
      return error.exitCode === 0 ? EXIT.ok : EXIT.error;
    }
    throw error;
  }
  return exitCode;
}
