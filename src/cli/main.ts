/**
 * The command-line program: parse, run one command, and end it in one place. Every command
 * returns a result or throws; here alone the outcome becomes an exit code (through the tables in
 * exit.ts), the `--json` error document, and the `run finished` record.
 *
 * Command modules are registered from light definitions; what a command runs is imported when it
 * runs, so `--version`, `--help` and `runs` never load the Okta client, SQLite or the config schema.
 */
import "./heap-growth.js";
import { readFileSync } from "node:fs";
import { Command, CommanderError, Option } from "commander";
import { SyncError } from "../errors.js";
import { registerBackfill } from "./commands/backfill.js";
import { registerCheck } from "./commands/check.js";
import { registerDemo } from "./commands/demo.js";
import { registerImport } from "./commands/import.js";
import { registerPlan } from "./commands/plan.js";
import { registerRuns } from "./commands/runs.js";
import { registerSync } from "./commands/sync.js";
import type { CommandResult, Runner } from "./context.js";
import { exitCodeOfError, exitCodeOfStatus } from "./exit.js";
import type { LogFormat, Output, Streams } from "./output.js";

/** The commands that are runs: they end with a `run finished` record. */
const RUNS: ReadonlySet<string> = new Set(["plan", "sync", "import", "backfill", "check"]);
const PROGRAM = "okta-command-sync";

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };
  return pkg.version;
}

function addGlobalOptions(command: Command): Command {
  return command
    .option("--config <path>", "config file (env OCS_CONFIG; default ./config.yaml when it exists)")
    .option("--json", "machine-readable result on stdout (one line unless stdout is a terminal), nothing else on stdout")
    .addOption(new Option("--log-format <format>", "log format on stderr (default: pretty on a TTY, json otherwise)").choices(["pretty", "json"]))
    .option("--quiet", "print nothing when the run succeeds (with --json, only the result)")
    .option("--verbose", "debug logs and stack traces");
}

/** A failure reported once: one error record, and the JSON document unless a result already went out. */
function reportFailure(out: Output, error: unknown): void {
  out.error(error);
  if (out.options.json && !out.resultPrinted) out.printJson(out.failureJson(error));
}

function commandPath(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c !== null && c.parent !== null; c = c.parent) names.unshift(c.name());
  return names.join(" ");
}

/** Global options read from argv as given, for reporting a command line that did not parse. */
function optionsFromArgv(argv: readonly string[]): { json: boolean; quiet: boolean; verbose: boolean; logFormat: LogFormat | undefined } {
  let logFormat: LogFormat | undefined;
  argv.forEach((arg, i) => {
    const value = arg === "--log-format" ? argv[i + 1] : arg.startsWith("--log-format=") ? arg.slice("--log-format=".length) : undefined;
    if (value === "pretty" || value === "json") logFormat = value;
  });
  return { json: argv.includes("--json"), quiet: argv.includes("--quiet"), verbose: argv.includes("--verbose"), logFormat };
}

/** Commander's message as one line: "unknown option '--dry-rnu' (did you mean --dry-run?)". */
function usageLine(message: string): string {
  return message
    .trim()
    .replace(/^error:\s*/, "")
    .replace(/\s*\n\s*\(Did you mean (.*)\?\)/, " (did you mean $1?)")
    .replace(/\s*\n\s*/g, " ");
}

export async function main(argv: readonly string[], streams: Streams, cwd = process.cwd()): Promise<number> {
  const started = performance.now();
  let exitCode = 0;
  const run: Runner = async (command, action, options = {}) => {
    const { createContext } = await import("./context.js");
    const context = await createContext(command, streams, cwd, options.reportAlways === true);
    const { out } = context;
    let result: CommandResult;
    try {
      result = await action(context);
      if (result.error !== undefined) out.error(result.error);
      exitCode = result.error !== undefined && result.status === "succeeded" ? exitCodeOfError(result.error) : exitCodeOfStatus(result.status);
    } catch (error) {
      reportFailure(out, error);
      result = { status: "failed" };
      exitCode = exitCodeOfError(error);
    }
    const name = commandPath(command);
    if (RUNS.has(name)) out.runFinished({ command: name, status: result.status, summary: result.summary ?? {}, durationMs: Math.round(performance.now() - started) });
    else if (result.status !== "succeeded") out.releaseHeld();
  };

  let usage: string | undefined;
  const program = addGlobalOptions(new Command(PROGRAM))
    .description("Keep Verkada Command's users and groups in step with Okta over SCIM 2.0")
    .version(version())
    .showSuggestionAfterError(true)
    .configureOutput({
      writeOut: (s) => streams.stdout.write(s),
      writeErr: (s) => streams.stderr.write(s),
      // Reported below as one line, in the log format asked for, instead of the whole help.
      outputError: (message) => {
        usage = message;
      },
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
    if (!(error instanceof CommanderError)) throw error;
    // --help and --version end here with exit code 0.
    if (error.exitCode === 0) return 0;
    const { Output } = await import("./output.js");
    const out = new Output(optionsFromArgv(argv), streams);
    // The first word that names a command (a global option's value may come before it).
    const named = argv.find((arg) => program.commands.some((c) => c.name() === arg));
    const help = named === undefined ? `${PROGRAM} --help` : `${PROGRAM} ${named} --help`;
    const failure = new SyncError("usage", usage === undefined ? "a command is needed" : usageLine(usage), { hint: `see ${help}` });
    reportFailure(out, failure);
    return exitCodeOfError(failure);
  }
  return exitCode;
}
