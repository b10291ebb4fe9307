/** What every command needs: merged options, the output, and the loaded configuration. */
import type { Command } from "commander";
import { configSecrets } from "../config/describe.js";
import type { LoadedConfig } from "../config/load.js";
import type { Config } from "../config/types.js";
import type { RunStatus } from "./exit.js";
import { type LogFormat, Output, type Streams } from "./output.js";

export interface GlobalOptions {
  config?: string;
  json?: boolean;
  logFormat?: LogFormat;
  quiet?: boolean;
  verbose?: boolean;
}

export interface CommandContext {
  out: Output;
  streams: Streams;
  cwd: string;
  options: GlobalOptions;
}

/**
 * What a command hands back to main.ts, which alone turns it into the exit code and the last
 * record of the run. A command never exits the process nor picks an exit code itself.
 */
export interface CommandResult {
  status: RunStatus;
  /** Counts for the `run finished` record (what was applied, planned, matched, checked). */
  summary?: Record<string, unknown>;
  /** A failure that ended the run after its result was reported (reported once, as an error). */
  error?: unknown;
}

export type LoadedConfigOf = LoadedConfig;

export type Action = (context: CommandContext) => Promise<CommandResult>;
export type Runner = (command: Command, action: Action, options?: { reportAlways?: boolean }) => Promise<void>;

/** Global options are accepted before or after the command name; the later one wins. */
export function globalOptions(command: Command): GlobalOptions {
  return command.optsWithGlobals<GlobalOptions>();
}

export async function createContext(command: Command, streams: Streams, cwd: string, reportAlways = false): Promise<CommandContext> {
  const options = globalOptions(command);
  const out = new Output(
    { json: options.json === true, logFormat: options.logFormat, quiet: options.quiet === true, verbose: options.verbose === true, reportAlways },
    streams,
  );
  await out.prepare();
  return { out, streams, cwd, options };
}

/** Read and validate the configuration (loaded on demand: it brings the schema), with its source. */
export async function loadFullConfig(context: CommandContext): Promise<LoadedConfig> {
  const { loadConfig } = await import("../config/load.js");
  return loadConfig({
    ...(context.options.config === undefined ? {} : { configPath: context.options.config }),
    env: context.streams.env,
    cwd: context.cwd,
  });
}

/** Load and validate the configuration, and register its secrets with the output's redactor. */
export async function readConfig(context: CommandContext): Promise<Config> {
  const { config, warnings } = await loadFullConfig(context);
  registerSecrets(context, config);
  for (const warning of warnings) context.out.log("warn", warning);
  return config;
}

export function registerSecrets(context: CommandContext, config: Config): void {
  context.out.setSecrets(configSecrets(config));
}
