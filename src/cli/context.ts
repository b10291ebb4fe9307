/** What every command needs: merged options, the output, and the loaded configuration. */
import type { Command } from "commander";
import { configSecrets } from "../config/describe.js";
import { loadConfig } from "../config/load.js";
import type { Config } from "../config/types.js";
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

/** Global options are accepted before or after the command name; the later one wins. */
export function globalOptions(command: Command): GlobalOptions {
  return command.optsWithGlobals<GlobalOptions>();
}

export function createContext(command: Command, streams: Streams, cwd: string): CommandContext {
  const options = globalOptions(command);
  const out = new Output(
    { json: options.json === true, logFormat: options.logFormat, quiet: options.quiet === true, verbose: options.verbose === true },
    streams,
  );
  return { out, streams, cwd, options };
}

/** Load and validate the configuration, and register its secrets with the output's redactor. */
export function readConfig(context: CommandContext): Config {
  const { config, warnings } = loadConfig({
    ...(context.options.config === undefined ? {} : { configPath: context.options.config }),
    env: context.streams.env,
    cwd: context.cwd,
  });
  registerSecrets(context, config);
  for (const warning of warnings) context.out.log("warn", warning);
  return config;
}

export function registerSecrets(context: CommandContext, config: Config): void {
  context.out.setSecrets(configSecrets(config));
}
