/**
 * Raw configuration -> `Config`, or every problem at once. Pure: no file, environment or clock.
 * Each problem names its key path and what is allowed; secrets are never echoed.
 */
import { isAbsolute, resolve } from "node:path";
import { type core, z } from "zod";
import { isScimPath, scimPathProblem, targetKey } from "./attributes.js";
import { formatPath, isPlainObject, withoutNulls } from "./interpolate.js";
import {
  configSchema,
  DEFAULT_SCOPES,
  DEFAULTS,
  ENV_VARS,
  KNOWN_KEYS,
  NO_ECHO_PATHS,
  parseLimit,
  parseRetention,
  type RawConfig,
  REGION_SCIM_URLS,
  SECRET_PATHS,
  stateSchema,
} from "./schema.js";
import { closest } from "./suggest.js";
import type { AttributeMapping, Config, OktaAuth } from "./types.js";
import { displayUrl, withoutAdminSuffix } from "./urls.js";

export interface ValidateOptions {
  /** Directory a relative `state.path` is resolved against; left relative when absent. */
  cwd?: string;
  /** Where a value came from when not the config file, by key path: `OKTA_ORG_URL`, `the command line`. */
  origins?: Readonly<Record<string, string>>;
  /** Key paths whose problems were already reported (say, an unset `${VAR}`): not reported again as missing. */
  reported?: ReadonlySet<string>;
}

export interface ValidationResult {
  /** Present when there are no problems and `options.reported` is empty. */
  config?: Config;
  problems: string[];
  warnings: string[];
}

/** `sync.fullEvery` when unset: an incremental run still reads everything once a day. */
export const DEFAULT_FULL_EVERY_MS = 24 * 3_600_000;

export function validateConfig(raw: unknown, options: ValidateOptions = {}): ValidationResult {
  const input = withoutNulls(raw ?? {});
  if (!isPlainObject(input)) {
    // Only the kind of value: it could be anything, a secret included.
    const kind = Array.isArray(input) ? "a list" : `a ${typeof input}`;
    return { problems: [`the configuration must be a mapping of sections (${KNOWN_KEYS[""].join(", ")}) (got ${kind})`], warnings: [] };
  }
  const problems: string[] = [];
  const parsed = configSchema.safeParse(input);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) problems.push(...issueMessages(issue, input, options));
  }
  problems.push(...crossKeyProblems(input, options));
  const scrub = scrubber(input);
  // Problems the caller already reported leave keys missing, so there is nothing to build.
  if (problems.length > 0 || !parsed.success || (options.reported?.size ?? 0) > 0) return { problems: bySection(unique(problems)).map(scrub), warnings: [] };
  const result = build(parsed.data, options);
  return { ...result, warnings: result.warnings.map(scrub) };
}

/**
 * Masks the secrets of this input wherever they appear, in case one was also pasted into a key
 * whose value is echoed.
 */
function scrubber(input: Record<string, unknown>): (message: string) => string {
  const secrets: string[] = [];
  for (const path of SECRET_PATHS) {
    const value = valueAt(input, path.split("."));
    if (typeof value === "string" && value.trim().length >= 8) secrets.push(value.trim());
  }
  return (message) => secrets.reduce((text, secret) => text.split(secret).join("<redacted>"), message);
}

function unique(items: string[]): string[] {
  return [...new Set(items)];
}

/** Problems grouped by section, in the order sections appear in the docs; unknown sections last. */
function bySection(problems: string[]): string[] {
  const order: readonly string[] = KNOWN_KEYS[""];
  const rank = (problem: string) => {
    const index = order.indexOf(/^[^.[:\s]*/.exec(problem)![0]);
    return index === -1 ? order.length : index;
  };
  return problems.map((problem, index) => ({ problem, index, rank: rank(problem) })).sort((a, b) => a.rank - b.rank || a.index - b.index).map((p) => p.problem);
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let node = root;
  for (const segment of path) {
    if (typeof node !== "object" || node === null) return undefined;
    node = (node as Record<PropertyKey, unknown>)[segment];
  }
  return node;
}

function describeValue(value: unknown): string {
  if (typeof value === "string") {
    const shown = displayUrl(value);
    return JSON.stringify(shown.length > 80 ? `${shown.slice(0, 77)}...` : shown);
  }
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object" && value !== null) return "a mapping";
  return String(value);
}

/** ` (got "uk", from COMMAND_REGION)`; only where the value is not a secret. */
function suffix(path: string, value: unknown, options: ValidateOptions): string {
  const origin = options.origins?.[path];
  const from = origin === undefined ? [] : [`from ${origin}`];
  const got = value === undefined || NO_ECHO_PATHS.has(path) || isSecretContainer(path) ? [] : [`got ${describeValue(value)}`];
  const parts = [...got, ...from];
  return parts.length === 0 ? "" : ` (${parts.join(", ")})`;
}

/** A section holding secrets is described by its shape only, never its content. */
function isSecretContainer(path: string): boolean {
  return [...SECRET_PATHS].some((secret) => secret.startsWith(`${path}.`));
}

function knownKeysAt(path: readonly PropertyKey[]): readonly string[] {
  if (path.length === 0) return KNOWN_KEYS[""];
  const section = String(path[0]) as keyof typeof KNOWN_KEYS;
  return KNOWN_KEYS[section] ?? [];
}

function unknownKeyMessage(path: readonly PropertyKey[], key: string): string {
  const where = formatPath([...path, key]);
  const known = knownKeysAt(path);
  const near = closest(key, known);
  if (near !== undefined) return `${where}: unknown key; did you mean ${near}?`;
  // A key put in the wrong section: `okta.region` -> `command.region`.
  for (const [section, keys] of Object.entries(KNOWN_KEYS)) {
    if (section === "" || section === "attributes") continue;
    const match = closest(key, keys);
    if (match !== undefined) return `${where}: unknown key; did you mean ${section}.${match}?`;
  }
  return `${where}: unknown key (allowed here: ${known.join(", ")})`;
}

function issueMessages(issue: core.$ZodIssue, input: unknown, options: ValidateOptions): string[] {
  if (issue.code === "unrecognized_keys") return issue.keys.map((key) => unknownKeyMessage(issue.path, key));
  const path = formatPath(issue.path);
  if (options.reported?.has(path)) return [];
  const subject = path === "" ? "the configuration" : path;
  return [`${subject}: ${issue.message}${suffix(path, valueAt(input, issue.path), options)}`];
}

function has(section: unknown, key: string): boolean {
  return isPlainObject(section) && section[key] !== undefined;
}

function whereToSet(path: string): string {
  const env = ENV_VARS[path];
  const fileEnv = path.endsWith(".token") ? `, ${env} or ${env}_FILE` : env === undefined ? "" : ` or ${env}`;
  return `set it in the config file${fileEnv}`;
}

/** Rules across keys, checked on the raw input so they are reported alongside shape problems. */
function crossKeyProblems(input: Record<string, unknown>, options: ValidateOptions): string[] {
  const problems: string[] = [];
  const reported = options.reported ?? new Set<string>();
  // A section that is not a mapping is reported by the schema; its keys are not "missing" too.
  const broken = (section: string) => input[section] !== undefined && !isPlainObject(input[section]);
  const required = (section: string, key: string, what: string) => {
    const path = `${section}.${key}`;
    if (!has(input[section], key) && !reported.has(path)) problems.push(`${path}: is required: ${what} (${whereToSet(path)})`);
  };
  const okta = input.okta;
  if (!broken("okta")) problems.push(...oktaProblems(okta, required, options));
  if (!broken("command")) required("command", "token", "the SCIM token from Command");
  if (!broken("retry")) problems.push(...retryProblems(input.retry));
  problems.push(...attributeProblems(input.attributes));
  return problems;
}

function oktaProblems(okta: unknown, required: (section: string, key: string, what: string) => void, options: ValidateOptions): string[] {
  const problems: string[] = [];
  const reported = options.reported ?? new Set<string>();
  required("okta", "orgUrl", "the Okta org URL, such as https://acme.okta.com");
  required("okta", "appId", "the id of the Verkada app in Okta");

  const hasToken = has(okta, "token") || reported.has("okta.token");
  const hasClient = has(okta, "clientId") || reported.has("okta.clientId");
  const hasKey = has(okta, "privateKey") || reported.has("okta.privateKey");
  if (hasToken && (hasClient || hasKey)) {
    problems.push("okta: set either token (an API token) or clientId + privateKeyFile (an OAuth 2.0 service app), not both");
  } else if (hasToken) {
    for (const key of ["keyId", "scopes"]) {
      const origin = options.origins?.[`okta.${key}`];
      if (has(okta, key)) {
        problems.push(
          `okta.${key}: only applies to an OAuth 2.0 service app (clientId + privateKeyFile); remove it when using okta.token${origin === undefined ? "" : ` (from ${origin})`}`,
        );
      }
    }
  } else if (hasClient && !hasKey) {
    problems.push("okta.privateKeyFile: is required with okta.clientId: the service app's private key, PEM or JWK (set it in the config file, OKTA_PRIVATE_KEY_FILE or OKTA_PRIVATE_KEY)");
  } else if (hasKey && !hasClient) {
    problems.push("okta.clientId: is required with a private key: the client id of the Okta service app (set it in the config file or OKTA_CLIENT_ID)");
  } else if (!hasClient && !hasKey) {
    problems.push(
      "okta: an Okta credential is required: token (OKTA_API_TOKEN or OKTA_API_TOKEN_FILE), or clientId + privateKeyFile for an OAuth 2.0 service app (OKTA_CLIENT_ID + OKTA_PRIVATE_KEY_FILE)",
    );
  }
  return problems;
}

/** The backoff ceiling must not start above its cap; each value alone is the schema's job. */
function retryProblems(retry: unknown): string[] {
  if (!isPlainObject(retry)) return [];
  const number = (value: unknown) => (typeof value === "number" ? value : typeof value === "string" && /^\s*\d+\s*$/.test(value) ? Number(value) : undefined);
  const base = number(retry.baseDelayMs ?? DEFAULTS.retry.baseDelayMs);
  const max = number(retry.maxDelayMs ?? DEFAULTS.retry.maxDelayMs);
  if (base === undefined || max === undefined || max >= base) return [];
  const where = retry.maxDelayMs === undefined ? "retry.baseDelayMs" : "retry.maxDelayMs";
  return [`${where}: retry.maxDelayMs (${max}) must not be less than retry.baseDelayMs (${base})`];
}

/** Targets that need the namespace (reserved names, duplicates); shapes are the schema's job. */
function attributeProblems(attributes: unknown): string[] {
  if (!Array.isArray(attributes)) return [];
  const problems: string[] = [];
  const seen = new Map<string, number>();
  attributes.forEach((entry, index) => {
    if (!isPlainObject(entry) || typeof entry.externalName !== "string") return;
    const namespace = typeof entry.externalNamespace === "string" ? entry.externalNamespace.trim() : DEFAULTS.externalNamespace;
    const name = entry.externalName.trim();
    // The syntax is the schema's to report.
    if (!isScimPath(name)) return;
    const problem = scimPathProblem(name, namespace);
    if (problem !== undefined) {
      problems.push(`attributes[${index}].externalName: ${problem} (got ${describeValue(name)})`);
      return;
    }
    const key = targetKey(name, namespace);
    const first = seen.get(key);
    if (first === undefined) seen.set(key, index);
    else problems.push(`attributes[${index}]: maps to the same target as attributes[${first}] (${name} in ${namespace}); keep one`);
  });
  return problems;
}

function build(raw: RawConfig, options: ValidateOptions): ValidationResult {
  const warnings: string[] = [];
  const okta = raw.okta ?? {};
  const command = raw.command ?? {};

  let orgUrl = okta.orgUrl!;
  const fixed = withoutAdminSuffix(orgUrl);
  if (fixed !== undefined) {
    warnings.push(`okta.orgUrl: ${orgUrl} is the admin console; using the org URL ${fixed}`);
    orgUrl = fixed;
  }

  const auth: OktaAuth =
    okta.token !== undefined
      ? { mode: "token", token: okta.token }
      : {
          mode: "privateKey",
          clientId: okta.clientId!,
          privateKey: okta.privateKey!.trim(),
          keyId: okta.keyId ?? jwkKeyId(okta.privateKey!),
          scopes: okta.scopes ?? [...DEFAULT_SCOPES],
        };

  const region = command.region ?? DEFAULTS.region;
  const regionUrl = REGION_SCIM_URLS[region];
  if (command.scimUrl !== undefined && command.region !== undefined && command.scimUrl !== regionUrl) {
    warnings.push(`command.scimUrl (${command.scimUrl}) overrides command.region (${command.region}, ${regionUrl})`);
  }

  let push = raw.groups?.push ?? [];
  if (Array.isArray(push)) {
    const counts = new Map<string, number>();
    for (const name of push) counts.set(name, (counts.get(name) ?? 0) + 1);
    for (const [name, count] of counts) if (count > 1) warnings.push(`groups.push: ${JSON.stringify(name)} is listed more than once`);
    push = unique(push);
  }
  const onRemove = raw.groups?.onRemove ?? DEFAULTS.onRemove;
  if (Array.isArray(push) && push.length === 0 && onRemove === "delete") {
    warnings.push("groups.push is empty and groups.onRemove is delete: every group this tool pushed before will be deleted from Command");
  }

  const attributes: AttributeMapping[] = (raw.attributes ?? []).map((entry) => ({
    okta: entry.okta,
    externalName: entry.externalName,
    externalNamespace: entry.externalNamespace ?? DEFAULTS.externalNamespace,
  }));

  const config: Config = {
    okta: { orgUrl, appId: okta.appId!, auth, maxRateShare: okta.maxRateShare ?? DEFAULTS.maxRateShare, timeoutMs: okta.timeoutMs ?? DEFAULTS.oktaTimeoutMs },
    command: {
      scimUrl: command.scimUrl ?? regionUrl,
      token: command.token!,
      requestsPerMinute: command.requestsPerMinute ?? DEFAULTS.requestsPerMinute,
      concurrency: command.concurrency ?? DEFAULTS.concurrency,
      updateMethod: command.updateMethod ?? DEFAULTS.updateMethod,
      membersPerRequest: command.membersPerRequest ?? DEFAULTS.membersPerRequest,
      timeoutMs: command.timeoutMs ?? DEFAULTS.timeoutMs,
      domains: [...new Set((command.domains ?? []).map((d) => d.toLowerCase()))],
    },
    groups: { push, onRemove },
    users: {
      suspended: raw.users?.suspended ?? DEFAULTS.suspended,
      phoneType: raw.users?.phoneType ?? DEFAULTS.phoneType,
      phoneRegion: raw.users?.phoneRegion ?? DEFAULTS.phoneRegion,
      onUserNameChange: raw.users?.onUserNameChange ?? DEFAULTS.onUserNameChange,
      outsideDomains: raw.users?.outsideDomains ?? DEFAULTS.outsideDomains,
    },
    sync: {
      refreshEveryMs: raw.sync?.refreshEvery ? raw.sync.refreshEvery : undefined,
      fullEveryMs: raw.sync?.fullEvery === undefined ? DEFAULT_FULL_EVERY_MS : raw.sync.fullEvery === 0 ? undefined : raw.sync.fullEvery,
    },
    safety: {
      maxDeactivations: raw.safety?.maxDeactivations ?? parseLimit(DEFAULTS.maxDeactivations)!,
      maxGroupDeletes: raw.safety?.maxGroupDeletes ?? parseLimit(DEFAULTS.maxGroupDeletes)!,
      maxMemberRemovals: raw.safety?.maxMemberRemovals ?? parseLimit(DEFAULTS.maxMemberRemovals)!,
      minPullFraction: raw.safety?.minPullFraction ?? DEFAULTS.minPullFraction,
    },
    retry: {
      maxAttempts: raw.retry?.maxAttempts ?? DEFAULTS.retry.maxAttempts,
      maxElapsedMs: raw.retry?.maxElapsedMs ?? DEFAULTS.retry.maxElapsedMs,
      baseDelayMs: raw.retry?.baseDelayMs ?? DEFAULTS.retry.baseDelayMs,
      maxDelayMs: raw.retry?.maxDelayMs ?? DEFAULTS.retry.maxDelayMs,
    },
    state: buildState(raw.state, options),
    attributes,
  };
  return { config, problems: [], warnings };
}

function buildState(state: RawConfig["state"], options: ValidateOptions): Config["state"] {
  const retention = state?.retention ?? defaultRetentionMs();
  return { path: statePath(state?.path ?? DEFAULTS.statePath, options.cwd), retentionMs: retention === 0 ? undefined : retention };
}

function defaultRetentionMs(): number {
  const parsed = parseRetention(DEFAULTS.retention);
  if ("problem" in parsed) throw new Error(`default state.retention ${DEFAULTS.retention}: ${parsed.problem}`);
  return parsed.ms;
}

export interface StateValidationResult {
  /** Present when there are no problems. */
  state?: Config["state"];
  problems: string[];
}

/**
 * Only the `state` section, for commands that read the snapshot and nothing else (`runs`): the
 * other sections, credentials included, may be missing or wrong without stopping them.
 */
export function validateStateConfig(raw: unknown, options: ValidateOptions = {}): StateValidationResult {
  const input = withoutNulls(raw ?? {});
  if (!isPlainObject(input)) {
    const kind = Array.isArray(input) ? "a list" : `a ${typeof input}`;
    return { problems: [`the configuration must be a mapping of sections (${KNOWN_KEYS[""].join(", ")}) (got ${kind})`] };
  }
  const parsed = stateOnlySchema.safeParse({ state: input.state });
  const problems = parsed.success ? [] : unique(parsed.error.issues.flatMap((issue) => issueMessages(issue, input, options)));
  if (problems.length > 0 || !parsed.success || (options.reported?.size ?? 0) > 0) return { problems };
  return { state: buildState(parsed.data.state, options), problems: [] };
}

const stateOnlySchema = z.object({ state: stateSchema.optional() });

function statePath(path: string, cwd: string | undefined): string {
  // SQLite's in-memory database is not a file.
  if (path === ":memory:" || cwd === undefined || isAbsolute(path)) return path;
  return resolve(cwd, path);
}

/** A JWK may name its own key id; Okta needs it when the app has several keys. */
function jwkKeyId(privateKey: string): string | undefined {
  const trimmed = privateKey.trim();
  if (!trimmed.startsWith("{")) return undefined;
  const jwk: unknown = JSON.parse(trimmed);
  return isPlainObject(jwk) && typeof jwk.kid === "string" && jwk.kid !== "" ? jwk.kid : undefined;
}
