/**
 * The shape of the configuration as written (YAML and environment), with its defaults and a
 * message per key that says what is allowed: every value, given or default, is read by the same
 * rule here. Cross-key rules (one Okta credential, required keys, duplicate mappings) live in
 * validate.ts so that every problem is reported even when shapes are wrong.
 */
import { createPrivateKey, type JsonWebKey } from "node:crypto";
import { createRequire } from "node:module";
import type { CountryCode } from "libphonenumber-js";
import { z } from "zod";
import { CORE_USER_SCHEMA } from "../model.js";
import { isNamespace, isOktaExpression, isScimPath, NAMESPACE_RULE, OKTA_EXPRESSION_RULE, SCIM_PATH_RULE } from "./attributes.js";
import { durationKey, FULL_EVERY, REFRESH_EVERY, RETENTION } from "./duration.js";
import { parseLimit } from "./limit.js";
import { suggestValue } from "./suggest.js";
import type { Limit } from "./types.js";
import { regexProblem } from "./name-patterns.js";
import { checkBaseUrl, HTTPS_RULE, isLoopbackHost } from "./urls.js";

export { parseLimit };

// The phone metadata is large: loaded only when a config names a phone region.
const require = createRequire(import.meta.url);
function isSupportedCountry(code: string): boolean {
  return (require("libphonenumber-js") as typeof import("libphonenumber-js")).isSupportedCountry(code);
}

export const REGION_SCIM_URLS = {
  us: "https://api.command.verkada.com/scim",
  eu: "https://scim.prod2.verkada.com/scim",
  aus: "https://scim.prod-ap-syd.verkada.com/scim",
} as const;
export type Region = keyof typeof REGION_SCIM_URLS;

export const DEFAULT_SCOPES: readonly string[] = ["okta.users.read", "okta.groups.read", "okta.apps.read"];

/** Retry defaults, shared with the check that the backoff ceiling does not start above its cap. */
export const RETRY_DEFAULTS = { maxAttempts: 6, maxElapsedMs: 300_000, baseDelayMs: 500, maxDelayMs: 30_000 } as const;

/** Keys whose values are never echoed in a message. */
export const SECRET_PATHS: ReadonlySet<string> = new Set(["okta.token", "okta.privateKey", "command.token", "notify.webhook"]);
/** Keys not echoed either: a secret pasted where its file path belongs must not be shown. */
export const NO_ECHO_PATHS: ReadonlySet<string> = new Set([...SECRET_PATHS, "okta.tokenFile", "okta.privateKeyFile", "command.tokenFile", "notify.webhookFile"]);

export const DEACTIVATIONS_RULE = "must be a count (e.g. 25) or a percent (e.g. 10%)";
export const LIMIT_RULE = `${DEACTIVATIONS_RULE}; a percent is from 0% to 100%`;

/**
 * `0.5`, `"0.5"` or `"50%"` -> 0.5. YAML keeps numbers such as `0.50` as text (see load.ts), so
 * decimal text is read as a number too. Undefined when it is neither, or outside `[min, 1]`;
 * `min` itself is allowed only when `minInclusive`.
 */
export function parseFraction(value: unknown, options: { minInclusive: boolean }): number | undefined {
  let amount: number | undefined;
  if (typeof value === "number") amount = value;
  else if (typeof value === "string") {
    const text = value.trim();
    const percent = /^(\d+(?:\.\d+)?)\s*%$/.exec(text);
    if (percent !== null) amount = Number(percent[1]) / 100;
    else if (/^\d*\.?\d+$/.test(text)) amount = Number(text);
  }
  if (amount === undefined || !Number.isFinite(amount) || amount > 1) return undefined;
  return amount > 0 || (options.minInclusive && amount === 0) ? amount : undefined;
}

export const RATE_SHARE_RULE = "must be a share of each Okta rate limit above 0 and at most 1 (e.g. 0.5) or a percent (e.g. 50%)";
export const PULL_FRACTION_RULE = "must be a fraction from 0 to 1 (e.g. 0.5) or a percent (e.g. 50%)";

// YAML numbers arrive as their source text (see load.ts) so that ids and names keep their
// exact spelling; numeric keys therefore accept digit strings as well as numbers.
function digitsToNumber(value: unknown): unknown {
  return typeof value === "string" && /^\s*\d+\s*$/.test(value) ? Number(value) : value;
}

function wholeNumber(min: number, max: number | undefined, rule: string) {
  const int = z.int({ error: rule }).min(min, { error: rule });
  return z.preprocess(digitsToNumber, max === undefined ? int : int.max(max, { error: rule }));
}

// And YAML numbers that print back the same stay numbers, so text keys accept numbers too.
function numberToText(value: unknown): unknown {
  return typeof value === "number" ? String(value) : value;
}

function text(rule: string) {
  return z.preprocess(numberToText, z.string({ error: rule }).trim().min(1, { error: rule }));
}

function oneOf<const T extends readonly [string, ...string[]]>(values: T) {
  return z.enum(values, { error: `must be one of ${values.join(", ")}` });
}

/** `EU` and ` eu ` are `eu`; `au` is not a region, but says which one it likely means. */
function region() {
  const regions = Object.keys(REGION_SCIM_URLS) as [Region, ...Region[]];
  const rule = `must be one of ${regions.join(", ")}`;
  return z.preprocess(
    (value) => (typeof value === "string" ? value.trim().toLowerCase() : value),
    z.enum(regions, {
      error: (issue) => {
        const near = typeof issue.input === "string" ? suggestValue(issue.input, regions) : undefined;
        return near === undefined ? rule : `${rule}; did you mean ${near}?`;
      },
    }),
  );
}

function mapping(keys: string) {
  return { error: `must be a mapping of keys (${keys})` };
}

function limit() {
  return z.unknown().transform((value, ctx): Limit => {
    const parsed = parseLimit(value);
    if (parsed === undefined) ctx.addIssue(LIMIT_RULE);
    return parsed ?? { kind: "count", value: 0 };
  });
}

function fraction(rule: string, minInclusive: boolean) {
  return z.unknown().transform((value, ctx): number => {
    const parsed = parseFraction(value, { minInclusive });
    if (parsed === undefined) ctx.addIssue(rule);
    return parsed ?? 0;
  });
}

const ID = /^[A-Za-z0-9]+$/;

function secret(what: string, prefix: RegExp, prefixHint: string) {
  return z
    .string({ error: `must be ${what}` })
    .trim()
    .superRefine((value, ctx) => {
      if (value === "") ctx.addIssue(`must not be empty (${what})`);
      else if (prefix.test(value)) ctx.addIssue(`must be the token alone, without the "${prefixHint}" prefix`);
      else if (/\s/.test(value)) ctx.addIssue("must be a single token without spaces or line breaks (check the file or variable it comes from)");
    });
}

/** Undefined when `value` is a usable private key; otherwise what is wrong, without any of the key. */
export function privateKeyProblem(value: string): string | undefined {
  const rule = "must be a private key: PEM (-----BEGIN PRIVATE KEY-----) or a private JWK (JSON with kty and d)";
  const trimmed = value.trim();
  if (trimmed.startsWith("{")) {
    let jwk: unknown;
    try {
      jwk = JSON.parse(trimmed);
    } catch {
      return `${rule}; it looks like JSON but does not parse`;
    }
    if (typeof jwk !== "object" || jwk === null || Array.isArray(jwk)) return rule;
    if (!("d" in jwk)) return "is a public JWK: the private key (with d) is needed";
    try {
      createPrivateKey({ key: jwk as JsonWebKey, format: "jwk" });
    } catch {
      return `${rule}; the JWK is not a valid private key`;
    }
    return undefined;
  }
  if (/-----BEGIN (?:[A-Z]+ )?PUBLIC KEY-----|-----BEGIN CERTIFICATE-----/.test(trimmed)) return "is a public key or certificate: the private key is needed";
  if (!/^-----BEGIN (?:RSA |EC )?PRIVATE KEY-----/.test(trimmed)) return rule;
  try {
    createPrivateKey({ key: trimmed, format: "pem" });
  } catch {
    return `${rule}; the PEM does not parse (an encrypted key is not supported)`;
  }
  return undefined;
}

const GROUPS_PUSH_RULE = "must be a list of Okta group names, ids, globs (Door-*) or regex:<pattern> entries, or the word assigned";
const GROUPS_EXCLUDE_RULE = "must be a list of Okta group names, ids, globs (Door-*) or regex:<pattern> entries";
const USERS_EXCLUDE_RULE = "must be a list of Okta logins, user ids, globs (svc-*@acme.com) or regex:<pattern> entries";

/** A list of name entries (see name-patterns.ts); a `regex:` entry must compile. */
function readNames(value: unknown, ctx: z.core.$RefinementCtx, rule: string, item: string): string[] {
  if (!Array.isArray(value)) {
    ctx.addIssue(rule);
    return [];
  }
  const names: string[] = [];
  value.forEach((entry, index) => {
    if (typeof entry === "number" || typeof entry === "boolean") entry = String(entry);
    if (typeof entry !== "string" || entry.trim() === "") {
      ctx.addIssue({ code: "custom", message: `must be ${item} (a non-empty string)`, path: [index] });
      return;
    }
    const problem = regexProblem(entry.trim());
    if (problem !== undefined) ctx.addIssue({ code: "custom", message: problem, path: [index] });
    else names.push(entry.trim());
  });
  return names;
}

const GROUP_ITEM = "an Okta group name, id, glob or regex:<pattern>";
const groupsPush = z.unknown().transform((value, ctx): string[] | "assigned" => (value === "assigned" ? value : readNames(value, ctx, GROUPS_PUSH_RULE, GROUP_ITEM)));
const groupsExclude = z.unknown().transform((value, ctx): string[] => readNames(value, ctx, GROUPS_EXCLUDE_RULE, GROUP_ITEM));
const usersExclude = z.unknown().transform((value, ctx): string[] => readNames(value, ctx, USERS_EXCLUDE_RULE, "an Okta login, user id, glob or regex:<pattern>"));

function baseUrl(options: { allowPath: boolean; example: string }) {
  return text(`${HTTPS_RULE}, such as ${options.example}`).transform((value, ctx) => {
    const checked = checkBaseUrl(value, options);
    if (checked.ok) return checked.url;
    ctx.addIssue(checked.problem);
    return value;
  });
}

export const KNOWN_KEYS = {
  "": ["okta", "command", "groups", "users", "sync", "safety", "retry", "state", "attributes", "notify"],
  okta: ["orgUrl", "appId", "token", "tokenFile", "clientId", "privateKey", "privateKeyFile", "keyId", "scopes", "maxRateShare", "timeoutMs"],
  command: ["region", "scimUrl", "token", "tokenFile", "requestsPerMinute", "concurrency", "updateMethod", "membersPerRequest", "timeoutMs", "domains"],
  groups: ["push", "exclude", "onRemove"],
  users: ["suspended", "phoneType", "phoneRegion", "onUserNameChange", "outsideDomains", "exclude"],
  sync: ["refreshEvery", "fullEvery"],
  safety: ["maxDeactivations", "maxGroupDeletes", "maxMemberRemovals", "minPullFraction"],
  retry: ["maxAttempts", "maxElapsedMs", "baseDelayMs", "maxDelayMs"],
  state: ["path", "retention"],
  notify: ["webhook", "webhookFile", "on", "timeoutMs"],
  attributes: ["okta", "externalName", "externalNamespace"],
} as const satisfies Record<string, readonly string[]>;

const fileKey = (secretPath: string) =>
  z.unknown().superRefine((_value, ctx) => ctx.addIssue(`is read by loadConfig; validateConfig takes the secret itself in ${secretPath}`));

/** `state` alone: what `runs` needs, validated without the rest (see validateStateConfig). */
export const stateSchema = z
  .strictObject(
    {
      /** Relative to the working directory; validate.ts resolves it. */
      path: text("must be a file path for the snapshot database").default("./okta-command-sync.db"),
      /** Milliseconds; undefined keeps every run. */
      retention: durationKey(RETENTION).prefault("90d"),
    },
    mapping(KNOWN_KEYS.state.join(", ")),
  )
  .prefault({});

const NOTIFY_ON = ["succeeded", "partial", "failed", "refused"] as const;

export const WEBHOOK_RULE = `${HTTPS_RULE}: the webhook to POST to, such as https://hooks.slack.com/services/...`;

/**
 * The webhook URL is a secret (a Slack webhook's path is its token): a problem with it is
 * described without any of it.
 */
function webhookUrl() {
  return z.string({ error: WEBHOOK_RULE }).trim().superRefine((value, ctx) => {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      ctx.addIssue(WEBHOOK_RULE);
      return;
    }
    if (url.protocol !== "https:" && !(url.protocol === "http:" && isLoopbackHost(url.hostname))) ctx.addIssue(WEBHOOK_RULE);
    else if (url.username !== "" || url.password !== "") ctx.addIssue("must not contain a user name or password");
    else if (url.hash !== "") ctx.addIssue("must not have a #fragment");
  });
}

const TIMEOUT_RULE = "must be a whole number of milliseconds from 100 to 600000";

// Keys without a default are optional: the required ones are reported by validate.ts, once.
export const configSchema = z
  .strictObject(
    {
      okta: z
        .strictObject(
          {
            orgUrl: baseUrl({ allowPath: false, example: "https://acme.okta.com" }).optional(),
            appId: text("must be the id of the Verkada app in Okta, such as 0oa1b2c3d4e5f6")
              .refine((v) => ID.test(v), { error: "must be the id of the Verkada app in Okta (letters and digits), such as 0oa1b2c3d4e5f6" })
              .optional(),
            token: secret("an Okta API token (SSWS)", /^ssws\s/i, "SSWS ").optional(),
            tokenFile: fileKey("okta.token").optional(),
            clientId: text("must be the client id of the Okta service app, such as 0oa1b2c3d4e5f6")
              .refine((v) => ID.test(v), { error: "must be the client id of the Okta service app (letters and digits), such as 0oa1b2c3d4e5f6" })
              .optional(),
            privateKey: z
              .string({ error: "must be a private key (PEM or JWK)" })
              .superRefine((value, ctx) => {
                const problem = privateKeyProblem(value);
                if (problem !== undefined) ctx.addIssue(problem);
              })
              .optional(),
            privateKeyFile: fileKey("okta.privateKey").optional(),
            keyId: text("must be the key id (kid) registered in Okta for the public key")
              .refine((v) => !/\s/.test(v), { error: "must be the key id (kid) registered in Okta for the public key, without spaces" })
              .optional(),
            scopes: z
              .array(text("must be an OAuth scope such as okta.users.read").refine((v) => !/\s/.test(v), { error: "must be one OAuth scope, without spaces" }), {
                error: `must be a list of OAuth scopes (default: ${DEFAULT_SCOPES.join(", ")})`,
              })
              .min(1, { error: `must list at least one scope (default: ${DEFAULT_SCOPES.join(", ")})` })
              .optional(),
            maxRateShare: fraction(RATE_SHARE_RULE, false).prefault("0.5"),
            timeoutMs: wholeNumber(100, 600_000, TIMEOUT_RULE).default(60_000),
          },
          mapping(KNOWN_KEYS.okta.join(", ")),
        )
        .prefault({}),
      command: z
        .strictObject(
          {
            region: region().default("us"),
            scimUrl: baseUrl({ allowPath: true, example: REGION_SCIM_URLS.us }).optional(),
            token: secret("a Command SCIM bearer token", /^bearer\s/i, "Bearer ").optional(),
            tokenFile: fileKey("command.token").optional(),
            /** Verkada's limit per org; 0 turns pacing off (a test server, or pacing done elsewhere). */
            requestsPerMinute: wholeNumber(0, undefined, "must be a whole number of requests per minute, 0 or more (0 = no pacing)").default(300),
            concurrency: wholeNumber(1, 32, "must be a whole number from 1 to 32").default(4),
            updateMethod: oneOf(["put", "patch"]).default("put"),
            membersPerRequest: wholeNumber(1, 1000, "must be a whole number from 1 to 1000").default(100),
            timeoutMs: wholeNumber(100, 600_000, TIMEOUT_RULE).default(30_000),
            domains: z
              .array(
                text("must be an email domain such as acme.com").refine((v) => /^(?=.{1,253}$)([a-z0-9-]+\.)+[a-z0-9-]+$/i.test(v), {
                  error: "must be an email domain such as acme.com (no @, no scheme)",
                }),
                { error: "must be a list of email domains, such as [acme.com, acme.co.uk]" },
              )
              .default([]),
          },
          mapping(KNOWN_KEYS.command.join(", ")),
        )
        .prefault({}),
      groups: z
        .strictObject({ push: groupsPush.prefault([]), exclude: groupsExclude.prefault([]), onRemove: oneOf(["keep", "delete"]).default("keep") }, mapping(KNOWN_KEYS.groups.join(", ")))
        .prefault({}),
      users: z
        .strictObject(
          {
            suspended: oneOf(["active", "deactivate"]).default("active"),
            phoneType: text("must be a phone number type such as work or mobile")
              .refine((v) => /^[A-Za-z0-9_-]+$/.test(v), { error: "must be a phone number type such as work or mobile (letters, digits, - and _)" })
              .default("work"),
            phoneRegion: text("must be a two-letter country code such as US or GB")
              .transform((v) => v.trim().toUpperCase())
              .refine((v): v is CountryCode => isSupportedCountry(v), { error: "must be a two-letter country code such as US, GB or AU" })
              .default("US"),
            onUserNameChange: oneOf(["update", "recreate", "skip"]).default("update"),
            outsideDomains: oneOf(["warn", "skip"]).default("warn"),
            exclude: usersExclude.prefault([]),
          },
          mapping(KNOWN_KEYS.users.join(", ")),
        )
        .prefault({}),
      sync: z
        .strictObject(
          {
            /** Milliseconds; undefined: only with `sync --refresh`. */
            refreshEvery: durationKey(REFRESH_EVERY).prefault("never"),
            /** Milliseconds; undefined: only when the System Log cannot serve. */
            fullEvery: durationKey(FULL_EVERY).prefault("24h"),
          },
          mapping(KNOWN_KEYS.sync.join(", ")),
        )
        .prefault({}),
      safety: z
        .strictObject(
          {
            maxDeactivations: limit().prefault("10%"),
            maxGroupDeletes: limit().prefault("25%"),
            maxMemberRemovals: limit().prefault("25%"),
            minPullFraction: fraction(PULL_FRACTION_RULE, true).prefault("0.5"),
          },
          mapping(KNOWN_KEYS.safety.join(", ")),
        )
        .prefault({}),
      retry: z
        .strictObject(
          {
            maxAttempts: wholeNumber(1, 20, "must be a whole number of attempts from 1 to 20 (1 = no retries)").default(RETRY_DEFAULTS.maxAttempts),
            maxElapsedMs: wholeNumber(1000, 3_600_000, "must be a whole number of milliseconds from 1000 to 3600000").default(RETRY_DEFAULTS.maxElapsedMs),
            baseDelayMs: wholeNumber(1, 60_000, "must be a whole number of milliseconds from 1 to 60000").default(RETRY_DEFAULTS.baseDelayMs),
            maxDelayMs: wholeNumber(1, 600_000, "must be a whole number of milliseconds from 1 to 600000").default(RETRY_DEFAULTS.maxDelayMs),
          },
          mapping(KNOWN_KEYS.retry.join(", ")),
        )
        .prefault({}),
      state: stateSchema,
      notify: z
        .strictObject(
          {
            webhook: webhookUrl().optional(),
            webhookFile: fileKey("notify.webhook").optional(),
            on: z
              .array(oneOf(NOTIFY_ON), { error: `must be a list of run outcomes to notify about, from ${NOTIFY_ON.join(", ")}` })
              .transform((values) => [...new Set(values)])
              .default(["refused", "partial", "failed"]),
            timeoutMs: wholeNumber(100, 60_000, "must be a whole number of milliseconds from 100 to 60000").default(10_000),
          },
          mapping(KNOWN_KEYS.notify.join(", ")),
        )
        .prefault({}),
      attributes: z
        .array(
          z.strictObject(
            {
              okta: z.string({ error: OKTA_EXPRESSION_RULE }).trim().refine(isOktaExpression, { error: OKTA_EXPRESSION_RULE }),
              externalName: text(SCIM_PATH_RULE).refine(isScimPath, { error: SCIM_PATH_RULE }),
              externalNamespace: z.string({ error: NAMESPACE_RULE }).trim().refine(isNamespace, { error: NAMESPACE_RULE }).default(CORE_USER_SCHEMA),
            },
            mapping("okta, externalName, externalNamespace"),
          ),
          { error: "must be a list of mappings, each with okta, externalName and optionally externalNamespace" },
        )
        .default([]),
    },
    mapping(KNOWN_KEYS[""].join(", ")),
  );

export type RawConfig = z.output<typeof configSchema>;
