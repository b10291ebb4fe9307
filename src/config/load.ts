/**
 * Finds and reads the configuration: the YAML file and the environment (environment > file >
 * defaults), `${VAR}` references and secrets kept in files.
 * Validation itself is validate.ts.
 */
import { resolve } from "node:path";
import { ConfigError } from "../errors.js";
import { type Env, interpolateTree, isPlainObject, withoutNulls } from "./interpolate.js";
import { emptyLayer, envLayer, fileLayer, type Layer, mergeLayers, takeUnresolved } from "./layers.js";
import { parseConfigYaml } from "./parse-yaml.js";
import { MAX_FILE_BYTES, readSmallFile } from "./read-small-file.js";
import { KNOWN_KEYS, SECRET_PATHS } from "./schema.js";
import type { Config } from "./types.js";
import { validateConfig, validateStateConfig } from "./validate.js";

export interface LoadOptions {
  /** `--config`; wins over OCS_CONFIG and ./config.yaml. */
  configPath?: string | undefined;
  env: NodeJS.ProcessEnv | Readonly<Record<string, string | undefined>>;
  /** Directory relative paths are resolved against; defaults to the process's. */
  cwd?: string;
  /** Reads a UTF-8 file; throws an error with a `code` (ENOENT, EACCES, ...) when it cannot. */
  readFile?: (path: string) => string;
}

export interface LoadedConfig {
  config: Config;
  warnings: string[];
  /** Absolute path of the config file read, or undefined when the environment alone was used. */
  source: string | undefined;
}

const DEFAULT_FILE = "config.yaml";

/** Throws ConfigError listing every problem found. */
export function loadConfig(options: LoadOptions): LoadedConfig {
  const { cwd, readFile, file, layer } = readLayers(options);
  takeUnresolved(layer);
  readSecretFiles(layer, cwd, readFile);

  const result = validateConfig(layer.values, { cwd, origins: layer.origins, reported: layer.reported });
  const problems = [...layer.problems, ...result.problems];
  if (problems.length > 0 || result.config === undefined) {
    throw new ConfigError(problems, hint(file.source));
  }
  return { config: result.config, warnings: [...file.warnings, ...result.warnings], source: file.source };
}

export interface LoadedStateConfig {
  state: Config["state"];
  warnings: string[];
  source: string | undefined;
  /**
   * Secrets written in the file or the environment (not those in secret files, which are not
   * read), for the output's redactor.
   */
  secrets: string[];
}

/**
 * The `state` section alone, read from the same file and environment as loadConfig: for
 * commands that only read the snapshot (`runs`), on a machine that may hold no credentials.
 * Problems elsewhere in the configuration are ignored; a file that cannot be read or parsed is
 * still an error. Throws ConfigError listing every problem with `state`.
 */
export function loadStateConfig(options: LoadOptions): LoadedStateConfig {
  const { cwd, file, layer } = readLayers(options);
  const state = emptyLayer(layer.values.state === undefined ? {} : { state: layer.values.state });
  for (const [path, origin] of Object.entries(layer.origins)) if (path.startsWith("state.")) state.origins[path] = origin;
  takeUnresolved(state);

  const result = validateStateConfig(state.values, { cwd, origins: state.origins, reported: state.reported });
  const problems = [...state.problems, ...result.problems];
  if (problems.length > 0 || result.state === undefined) {
    throw new ConfigError(problems, hint(file.source));
  }
  return { state: result.state, warnings: file.warnings, source: file.source, secrets: inlineSecrets(layer) };
}

interface Layers {
  cwd: string;
  readFile: (path: string) => string;
  file: FileRead;
  /** File < environment, before `${VAR}` problems are taken out and secret files read. */
  layer: Layer;
}

function readLayers(options: LoadOptions): Layers {
  const cwd = options.cwd ?? process.cwd();
  const readFile = options.readFile ?? readSmallFile;
  const env: Env = options.env;
  const file = readConfigFile(options.configPath, env, cwd, readFile);
  const layer = mergeLayers(file.layer, envLayer(env));
  return { cwd, readFile, file, layer };
}

function inlineSecrets(layer: Layer): string[] {
  const secrets: string[] = [];
  for (const path of SECRET_PATHS) {
    const [sectionName, key] = path.split(".") as [string, string];
    const section = layer.values[sectionName];
    const value = isPlainObject(section) ? section[key] : undefined;
    if (typeof value === "string" && value.trim() !== "") secrets.push(value.trim());
  }
  return secrets;
}

function hint(source: string | undefined): string {
  return source === undefined
    ? `no config file was read (looked for ${DEFAULT_FILE}); pass --config or set the environment variables; config.example.yaml lists every option`
    : `fix ${source} or the environment; config.example.yaml lists every option`;
}

interface FileRead {
  layer: Layer;
  warnings: string[];
  source: string | undefined;
}

function errorCode(error: unknown): string | undefined {
  return typeof error === "object" && error !== null && "code" in error && typeof error.code === "string" ? error.code : undefined;
}

/** Why a file could not be read, in words; never its content. */
function readFailure(error: unknown): string {
  switch (errorCode(error)) {
    case "ENOENT":
      return "no such file";
    case "EACCES":
    case "EPERM":
      return "permission denied";
    case "EISDIR":
      return "it is a directory";
    case "EFBIG":
      return `it is larger than ${MAX_FILE_BYTES / 1024 / 1024} MiB, far more than a configuration or a secret takes`;
    default:
      return errorCode(error) ?? "it could not be read";
  }
}

function readConfigFile(configPath: string | undefined, env: Env, cwd: string, readFile: (path: string) => string): FileRead {
  const explicit =
    configPath !== undefined && configPath !== ""
      ? { path: configPath, origin: "--config" }
      : env.OCS_CONFIG !== undefined && env.OCS_CONFIG !== ""
        ? { path: env.OCS_CONFIG, origin: "OCS_CONFIG" }
        : undefined;
  const shown = explicit?.path ?? DEFAULT_FILE;
  const absolute = resolve(cwd, shown);
  let text: string;
  try {
    text = readFile(absolute);
  } catch (error) {
    if (explicit === undefined && errorCode(error) === "ENOENT") return { layer: emptyLayer(), warnings: [], source: undefined };
    throw new ConfigError([`config file ${shown} (from ${explicit?.origin ?? "the working directory"}) cannot be read: ${readFailure(error)}`]);
  }
  const parsed = parseConfigYaml(text, shown);
  if (!parsed.ok) throw new ConfigError(parsed.problems, `fix the YAML in ${absolute}`);
  const value = withoutNulls(parsed.value ?? {});
  if (!isPlainObject(value)) {
    throw new ConfigError([`${shown}: must be a YAML mapping of sections (${KNOWN_KEYS[""].join(", ")})`]);
  }
  return { layer: fileLayer(interpolateTree(value, env) as Record<string, unknown>), warnings: parsed.warnings, source: absolute };
}

const SECRET_FILES: readonly (readonly [string, string, string])[] = [
  ["okta", "tokenFile", "token"],
  ["okta", "privateKeyFile", "privateKey"],
  ["command", "tokenFile", "token"],
  ["notify", "webhookFile", "webhook"],
];

const SECRET_NOUNS: Record<string, string> = { token: "token", privateKey: "private key", webhook: "webhook URL" };

/** Replaces each `*File` key with the secret it points to. */
function readSecretFiles(layer: Layer, cwd: string, readFile: (path: string) => string): void {
  for (const [sectionName, fileKey, secretKey] of SECRET_FILES) {
    const section = layer.values[sectionName];
    if (!isPlainObject(section) || section[fileKey] === undefined || section[fileKey] === null) continue;
    const filePath = `${sectionName}.${fileKey}`;
    const secretPath = `${sectionName}.${secretKey}`;
    const origin = layer.origins[filePath];
    const subject = origin ?? filePath;
    const value = section[fileKey];
    delete section[fileKey];
    delete layer.origins[filePath];
    layer.reported.add(secretPath);
    if (typeof value !== "string" || value.trim() === "") {
      layer.problems.push(`${subject}: must be the path of a file holding the ${SECRET_NOUNS[secretKey] ?? secretKey}`);
      continue;
    }
    const absolute = resolve(cwd, value);
    let content: string;
    try {
      content = readFile(absolute);
    } catch (error) {
      layer.problems.push(`${subject}: cannot read ${absolute}: ${readFailure(error)}`);
      continue;
    }
    // Secret files usually end with a newline that is not part of the secret.
    content = content.replace(/\s+$/, "");
    if (content === "") {
      layer.problems.push(`${subject}: ${absolute} is empty`);
      continue;
    }
    section[secretKey] = content;
    layer.origins[secretPath] = `${subject}=${absolute}`;
    layer.reported.delete(secretPath);
  }
}
