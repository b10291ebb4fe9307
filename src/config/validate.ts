/**
 * Raw configuration -> `Config`, or every problem at once. Pure: no file, environment or clock.
 * Each problem names its key path and what is allowed; secrets are never echoed.
 */
import { isAbsolute, resolve } from "node:path";
import { type core, z } from "zod";
import { CORE_USER_SCHEMA } from "../model.js";
import { isScimPath, scimPathProblem, targetKey } from "./attributes.js";
import { whereToSet } from "./env.js";
import { formatPath, isPlainObject, withoutNulls } from "./interpolate.js";
import { configSchema, DEFAULT_SCOPES, KNOWN_KEYS, NO_ECHO_PATHS, type RawConfig, REGION_SCIM_URLS, RETRY_DEFAULTS, SECRET_PATHS, stateSchema } from "./schema.js";
import { closest } from "./suggest.js";
import type { Config, OktaAuth } from "./types.js";
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
  return { ...result, warnings: [...endpointWarnings(input.command, options), ...result.warnings].map(scrub) };
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
  if (!broken("command")) {
    required("command", "token", "the SCIM token from Command");
  }
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

/**
 * A region and a SCIM URL set in the same place: the URL overrides the region (as the contract
 * says), but silently ignoring a setting hides a mistake, so it is said on every run. (Across
 * layers the higher one replaces both; see layers.ts.)
 */
function endpointWarnings(command: unknown, options: ValidateOptions): string[] {
  if (!has(command, "region") || !has(command, "scimUrl")) return [];
  const { region, scimUrl } = command as { region: unknown; scimUrl: unknown };
  const url = typeof scimUrl === "string" ? scimUrl.trim().replace(/\/+$/, "") : undefined;
  const key = typeof region === "string" ? region.trim().toLowerCase() : undefined;
  if (key !== undefined && key in REGION_SCIM_URLS && REGION_SCIM_URLS[key as keyof typeof REGION_SCIM_URLS] === url) return [];
  const shown = (path: string, value: unknown) => {
    const origin = options.origins?.[path];
    return `${describeValue(value)}${origin === undefined ? "" : ` from ${origin}`}`;
  };
  return [
    `command: scimUrl ${shown("command.scimUrl", scimUrl)} is used and region ${shown("command.region", region)} is ignored; ` +
      "set only one: region picks Verkada's SCIM URL for that region, scimUrl names the URL itself",
  ];
}

/** The backoff ceiling must not start above its cap; each value alone is the schema's job. */
function retryProblems(retry: unknown): string[] {
  if (!isPlainObject(retry)) return [];
  const number = (value: unknown) => (typeof value === "number" ? value : typeof value === "string" && /^\s*\d+\s*$/.test(value) ? Number(value) : undefined);
  const base = number(retry.baseDelayMs ?? RETRY_DEFAULTS.baseDelayMs);
  const max = number(retry.maxDelayMs ?? RETRY_DEFAULTS.maxDelayMs);
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
    const namespace = typeof entry.externalNamespace === "string" ? entry.externalNamespace.trim() : CORE_USER_SCHEMA;
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
  const { okta, command, groups } = raw;

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

  let push = groups.push;
  if (Array.isArray(push)) {
    const counts = new Map<string, number>();
    for (const name of push) counts.set(name, (counts.get(name) ?? 0) + 1);
    for (const [name, count] of counts) if (count > 1) warnings.push(`groups.push: ${JSON.stringify(name)} is listed more than once`);
    push = unique(push);
  }
  if (Array.isArray(push) && push.length === 0 && groups.onRemove === "delete") {
    warnings.push("groups.push is empty and groups.onRemove is delete: every group this tool pushed before will be deleted from Command");
  }

  const config: Config = {
    okta: { orgUrl, appId: okta.appId!, auth, maxRateShare: okta.maxRateShare, timeoutMs: okta.timeoutMs },
    command: {
      scimUrl: command.scimUrl ?? REGION_SCIM_URLS[command.region],
      token: command.token!,
      requestsPerMinute: command.requestsPerMinute,
      concurrency: command.concurrency,
      updateMethod: command.updateMethod,
      membersPerRequest: command.membersPerRequest,
      timeoutMs: command.timeoutMs,
      domains: unique(command.domains.map((d) => d.toLowerCase())),
    },
    groups: { push, exclude: unique(groups.exclude), onRemove: groups.onRemove },
    users: { ...raw.users, exclude: unique(raw.users.exclude) },
    sync: { refreshEveryMs: raw.sync.refreshEvery, fullEveryMs: raw.sync.fullEvery },
    safety: raw.safety,
    retry: raw.retry,
    state: buildState(raw.state, options),
    attributes: raw.attributes,
    notify: { webhook: raw.notify.webhook, on: raw.notify.on, timeoutMs: raw.notify.timeoutMs },
  };
  return { config, problems: [], warnings };
}

function buildState(state: RawConfig["state"], options: ValidateOptions): Config["state"] {
  return { path: statePath(state.path, options.cwd), retentionMs: state.retention };
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

const stateOnlySchema = z.object({ state: stateSchema });

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
