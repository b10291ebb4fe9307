// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are config text with ${VAR} references, not templates
import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { configSecrets, REDACTED, redactConfig } from "../../src/config/describe.js";
import { type LoadOptions, loadConfig, loadStateConfig } from "../../src/config/load.js";
import { RETENTION_RULE } from "../../src/config/duration.js";
import type { Config } from "../../src/config/types.js";
import { validateConfig, validateStateConfig } from "../../src/config/validate.js";
import { ConfigError } from "../../src/errors.js";

const REPO = fileURLToPath(new URL("../..", import.meta.url));
const CWD = "/srv/sync";
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

const OKTA_TOKEN = "00okta-SECRET-token-4f9a";
const COMMAND_TOKEN = "cmd-SECRET-token-77b2";
const ec = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
const PEM = ec.privateKey.export({ format: "pem", type: "pkcs8" }).toString();
const JWK = JSON.stringify({ ...ec.privateKey.export({ format: "jwk" }), kid: "kid-from-jwk" });
const PUBLIC_PEM = ec.publicKey.export({ format: "pem", type: "spki" }).toString();
const SECRETS = [OKTA_TOKEN, COMMAND_TOKEN, PEM.split("\n")[1]!, JSON.parse(JWK).d as string];

/** The smallest valid configuration, as the environment alone would give it. */
const ENV = {
  OKTA_ORG_URL: "https://acme.okta.com",
  OKTA_APP_ID: "0oa1b2c3d4e5f6",
  OKTA_API_TOKEN: OKTA_TOKEN,
  COMMAND_SCIM_TOKEN: COMMAND_TOKEN,
};

function raw(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const base: Record<string, Record<string, unknown>> = {
    okta: { orgUrl: "https://acme.okta.com", appId: "0oa1b2c3d4e5f6", token: OKTA_TOKEN },
    command: { token: COMMAND_TOKEN },
  };
  const out: Record<string, unknown> = { ...base };
  for (const [section, value] of Object.entries(overrides)) {
    const isMapping = typeof value === "object" && value !== null && !Array.isArray(value);
    out[section] = isMapping ? { ...(base[section] ?? {}), ...value } : value;
  }
  return out;
}

function memoryFs(files: Record<string, string>, directories: string[] = []) {
  return (path: string): string => {
    if (directories.includes(path)) throw Object.assign(new Error(`EISDIR: ${path}`), { code: "EISDIR" });
    const content = files[path];
    if (content === undefined) throw Object.assign(new Error(`ENOENT: ${path}`), { code: "ENOENT" });
    return content;
  };
}

interface LoadCase {
  yaml?: string;
  env?: Record<string, string | undefined>;
  files?: Record<string, string>;
  options?: Partial<LoadOptions>;
}

/** Loads with ./config.yaml holding `yaml` (when given) and an in-memory file system. */
function load({ yaml, env = {}, files = {}, options = {} }: LoadCase) {
  const all = { ...files, ...(yaml === undefined ? {} : { [`${CWD}/config.yaml`]: yaml }) };
  return loadConfig({ env, cwd: CWD, readFile: memoryFs(all), ...options });
}

function loadProblems(input: LoadCase): readonly string[] {
  try {
    load(input);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error("expected a ConfigError");
}

function problems(input: unknown): string[] {
  const result = validateConfig(input);
  expect(result.config).toBeUndefined();
  return result.problems;
}

function valid(input: unknown): { config: Config; warnings: string[] } {
  const result = validateConfig(input, { cwd: CWD });
  expect(result.problems).toEqual([]);
  return { config: result.config!, warnings: result.warnings };
}

function expectNoSecrets(messages: readonly string[]): void {
  for (const message of messages) for (const secret of SECRETS) expect(message).not.toContain(secret);
}

/** Every default, as the smallest configuration (ENV) gets them, with the state file at `statePath`. */
function defaults(statePath: string): Config {
  return {
    okta: { orgUrl: "https://acme.okta.com", appId: "0oa1b2c3d4e5f6", auth: { mode: "token", token: OKTA_TOKEN }, maxRateShare: 0.5, timeoutMs: 60000 },
    command: {
      scimUrl: "https://api.command.verkada.com/scim",
      token: COMMAND_TOKEN,
      requestsPerMinute: 300,
      concurrency: 4,
      updateMethod: "put",
      membersPerRequest: 100,
      timeoutMs: 30000,
      domains: [],
    },
    groups: { push: [], exclude: [], onRemove: "keep" },
    users: { suspended: "active", phoneType: "work", phoneRegion: "US", onUserNameChange: "update", outsideDomains: "warn", exclude: [] },
    sync: { refreshEveryMs: undefined, fullEveryMs: 24 * 3600 * 1000 },
    safety: {
      maxDeactivations: { kind: "percent", value: 10 },
      maxGroupDeletes: { kind: "percent", value: 25 },
      maxMemberRemovals: { kind: "percent", value: 25 },
      minPullFraction: 0.5,
    },
    retry: { maxAttempts: 6, maxElapsedMs: 300000, baseDelayMs: 500, maxDelayMs: 30000 },
    state: { path: statePath, retentionMs: 90 * DAY },
    attributes: [],
    notify: { webhook: undefined, on: ["refused", "partial", "failed"], timeoutMs: 10000 },
  };
}

describe("defaults", () => {
  it("fills every default from the smallest configuration", () => {
    const { config, warnings } = load({ env: ENV });
    expect(warnings).toEqual([]);
    expect(config).toEqual(defaults(`${CWD}/okta-command-sync.db`));
  });

  it("defaults the OAuth scopes and leaves keyId unset for a PEM key", () => {
    const { config } = valid(raw({ okta: { token: undefined, clientId: "0oaclient1", privateKey: PEM } }));
    expect(config.okta.auth).toEqual({
      mode: "privateKey",
      clientId: "0oaclient1",
      privateKey: PEM.trim(),
      keyId: undefined,
      scopes: ["okta.users.read", "okta.groups.read", "okta.apps.read"],
    });
  });

  it("defaults externalNamespace to the core User schema", () => {
    const { config } = valid(raw({ attributes: [{ okta: "user.title", externalName: "title" }] }));
    expect(config.attributes).toEqual([{ okta: "user.title", externalName: "title", externalNamespace: "urn:ietf:params:scim:schemas:core:2.0:User" }]);
  });

  it("treats empty YAML keys and sections as not set", () => {
    const { config } = load({ yaml: "okta:\ncommand:\n  region:\n  concurrency: ~\ngroups:\nattributes:\n", env: ENV });
    expect(config.command.concurrency).toBe(4);
    expect(config.command.scimUrl).toBe("https://api.command.verkada.com/scim");
    expect(config.attributes).toEqual([]);
  });

  it("leaves a relative state path relative when validateConfig is given no cwd, and keeps :memory:", () => {
    expect(validateConfig(raw()).config?.state.path).toBe("./okta-command-sync.db");
    expect(valid(raw({ state: { path: ":memory:" } })).config.state.path).toBe(":memory:");
    expect(valid(raw({ state: { path: "/var/lib/ocs.db" } })).config.state.path).toBe("/var/lib/ocs.db");
  });
});

describe("issue 4 keys", () => {
  it("rejects bad domains, modes and refresh intervals, naming each key", () => {
    const { problems } = validateConfig(
      raw({ command: { token: "t", domains: ["@acme.com"] }, users: { onUserNameChange: "rename", outsideDomains: "drop" }, sync: { refreshEvery: "often", fullEvery: "1 fortnight" } }),
    );
    expect(problems).toEqual([
      'command.domains[0]: must be an email domain such as acme.com (no @, no scheme) (got "@acme.com")',
      'users.onUserNameChange: must be one of update, recreate, skip (got "rename")',
      'users.outsideDomains: must be one of warn, skip (got "drop")',
      'sync.refreshEvery: must be a duration such as 30m, 6h, 1h30m or 1d (or never) (got "often")',
      'sync.fullEvery: must be a duration such as 30m, 6h, 1h30m or 1d (or never) (got "1 fortnight")',
    ]);
  });
});

describe("values that are accepted", () => {
  it("takes every option from the file", () => {
    const yaml = `
okta: { orgUrl: "https://acme.okta.com/", appId: 0oa9, clientId: 0oa8, privateKey: '${JWK}', keyId: k1, scopes: [okta.users.read] }
command: { region: eu, token: t0k3n, requestsPerMinute: 0, concurrency: 32, updateMethod: patch, membersPerRequest: 1000, timeoutMs: 100, domains: [Acme.com, acme.co.uk] }
groups: { push: assigned, exclude: [Door-Old, 'regex:^ops-'], onRemove: delete }
users: { suspended: deactivate, phoneType: mobile, phoneRegion: gb, onUserNameChange: recreate, outsideDomains: skip, exclude: ['breakglass@acme.com', 'svc-*@acme.com'] }
sync: { refreshEvery: 24h, fullEvery: 6h }
safety: { maxDeactivations: 25 }
state: { path: data/state.db }
`;
    const { config } = load({ yaml });
    expect(config.okta).toEqual({
      orgUrl: "https://acme.okta.com",
      appId: "0oa9",
      auth: { mode: "privateKey", clientId: "0oa8", privateKey: JWK, keyId: "k1", scopes: ["okta.users.read"] },
      maxRateShare: 0.5,
      timeoutMs: 60000,
    });
    expect(config.command).toEqual({
      scimUrl: "https://scim.prod2.verkada.com/scim",
      token: "t0k3n",
      requestsPerMinute: 0,
      concurrency: 32,
      updateMethod: "patch",
      membersPerRequest: 1000,
      timeoutMs: 100,
      domains: ["acme.com", "acme.co.uk"],
    });
    expect(config.groups).toEqual({ push: "assigned", exclude: ["Door-Old", "regex:^ops-"], onRemove: "delete" });
    expect(config.users).toEqual({
      suspended: "deactivate",
      phoneType: "mobile",
      phoneRegion: "GB",
      onUserNameChange: "recreate",
      outsideDomains: "skip",
      exclude: ["breakglass@acme.com", "svc-*@acme.com"],
    });
    expect(config.sync.refreshEveryMs).toBe(24 * 3600 * 1000);
    expect(config.sync.fullEveryMs).toBe(6 * 3600 * 1000);
    expect(config.safety.maxDeactivations).toEqual({ kind: "count", value: 25 });
    expect(config.state.path).toBe(`${CWD}/data/state.db`);
  });

  it.each([
    ["0", { kind: "count", value: 0 }],
    ["25", { kind: "count", value: 25 }],
    ["0%", { kind: "percent", value: 0 }],
    ["2.5%", { kind: "percent", value: 2.5 }],
    ["100%", { kind: "percent", value: 100 }],
  ])("parses maxDeactivations %s", (text, expected) => {
    expect(load({ yaml: `safety:\n  maxDeactivations: ${text}\n`, env: ENV }).config.safety.maxDeactivations).toEqual(expected);
  });

  it("accepts a count given as a number", () => {
    expect(valid(raw({ safety: { maxDeactivations: 7 } })).config.safety.maxDeactivations).toEqual({ kind: "count", value: 7 });
  });

  it("keeps group names and ids spelled exactly as written in YAML", () => {
    const { config } = load({ yaml: "groups:\n  push: [Engineering, 00g1abcd, 007, 1e3, 2024, true]\n", env: ENV });
    expect(config.groups.push).toEqual(["Engineering", "00g1abcd", "007", "1e3", "2024", "true"]);
  });

  it("warns about and drops a group listed twice", () => {
    const { config, warnings } = valid(raw({ groups: { push: ["Eng", "Ops", "Eng"] } }));
    expect(config.groups.push).toEqual(["Eng", "Ops"]);
    expect(warnings).toEqual(['groups.push: "Eng" is listed more than once']);
  });

  it("warns when onRemove delete meets an empty push list", () => {
    expect(valid(raw({ groups: { onRemove: "delete" } })).warnings).toEqual([
      "groups.push is empty and groups.onRemove is delete: every group this tool pushed before will be deleted from Command",
    ]);
  });
});

describe("rate share, safety limits and retries", () => {
  it("takes them from the file", () => {
    const yaml = `
okta: { maxRateShare: 0.25 }
safety: { maxGroupDeletes: 3, maxMemberRemovals: 40%, minPullFraction: 0.8 }
retry: { maxAttempts: 3, maxElapsedMs: 60000, baseDelayMs: 250, maxDelayMs: 8000 }
`;
    const { config } = load({ yaml, env: ENV });
    expect(config.okta.maxRateShare).toBe(0.25);
    expect(config.safety).toEqual({
      maxDeactivations: { kind: "percent", value: 10 },
      maxGroupDeletes: { kind: "count", value: 3 },
      maxMemberRemovals: { kind: "percent", value: 40 },
      minPullFraction: 0.8,
    });
    expect(config.retry).toEqual({ maxAttempts: 3, maxElapsedMs: 60000, baseDelayMs: 250, maxDelayMs: 8000 });
  });

  it("takes the Okta request deadline from the file, and refuses one out of range", () => {
    expect(load({ yaml: "okta:\n  timeoutMs: 2500\n", env: ENV }).config.okta.timeoutMs).toBe(2500);
    const rule = "must be a whole number of milliseconds from 100 to 600000";
    expect(problems(raw({ okta: { timeoutMs: 50 } }))).toEqual([`okta.timeoutMs: ${rule} (got 50)`]);
    expect(problems(raw({ okta: { timeoutMs: "1m" } }))).toEqual([`okta.timeoutMs: ${rule} (got "1m")`]);
    expect(problems(raw({ okta: { timeoutMs: 600_001 } }))).toEqual([`okta.timeoutMs: ${rule} (got 600001)`]);
  });

  it.each([
    ["0.5", 0.5],
    ["0.50", 0.5],
    ["1", 1],
    ["50%", 0.5],
    ["12.5%", 0.125],
    ["100%", 1],
    [".3", 0.3],
  ])("reads maxRateShare %s as %d", (text, share) => {
    expect(load({ yaml: `okta:\n  maxRateShare: ${text}\n`, env: ENV }).config.okta.maxRateShare).toBe(share);
  });

  it.each([
    ["0", 0],
    ["0%", 0],
    ["1", 1],
    ["75%", 0.75],
    ["0.9", 0.9],
  ])("reads minPullFraction %s as %d (0 is allowed: the check is off)", (text, fraction) => {
    expect(load({ yaml: `safety:\n  minPullFraction: ${text}\n`, env: ENV }).config.safety.minPullFraction).toBe(fraction);
  });

  it("accepts numbers as well as YAML text", () => {
    const { config } = valid(raw({ okta: { maxRateShare: 0.3 }, safety: { maxGroupDeletes: "10%", maxMemberRemovals: 500 }, retry: { maxAttempts: 1 } }));
    expect(config.okta.maxRateShare).toBe(0.3);
    expect(config.safety.maxGroupDeletes).toEqual({ kind: "percent", value: 10 });
    expect(config.safety.maxMemberRemovals).toEqual({ kind: "count", value: 500 });
    expect(config.retry.maxAttempts).toBe(1);
  });

  const SHARE = "must be a share of each Okta rate limit above 0 and at most 1 (e.g. 0.5) or a percent (e.g. 50%)";
  const FRACTION = "must be a fraction from 0 to 1 (e.g. 0.5) or a percent (e.g. 50%)";
  const LIMIT = "must be a count (e.g. 25) or a percent (e.g. 10%); a percent is from 0% to 100%";
  it.each([
    [{ okta: { maxRateShare: 0 } }, `okta.maxRateShare: ${SHARE} (got 0)`],
    [{ okta: { maxRateShare: "0%" } }, `okta.maxRateShare: ${SHARE} (got "0%")`],
    [{ okta: { maxRateShare: 1.5 } }, `okta.maxRateShare: ${SHARE} (got 1.5)`],
    [{ okta: { maxRateShare: "150%" } }, `okta.maxRateShare: ${SHARE} (got "150%")`],
    [{ okta: { maxRateShare: -0.5 } }, `okta.maxRateShare: ${SHARE} (got -0.5)`],
    [{ okta: { maxRateShare: "half" } }, `okta.maxRateShare: ${SHARE} (got "half")`],
    [{ safety: { minPullFraction: 1.2 } }, `safety.minPullFraction: ${FRACTION} (got 1.2)`],
    [{ safety: { minPullFraction: "most" } }, `safety.minPullFraction: ${FRACTION} (got "most")`],
    [{ safety: { maxGroupDeletes: "many" } }, `safety.maxGroupDeletes: ${LIMIT} (got "many")`],
    [{ safety: { maxMemberRemovals: "101%" } }, `safety.maxMemberRemovals: ${LIMIT} (got "101%")`],
    [{ safety: { maxMemberRemovals: 2.5 } }, `safety.maxMemberRemovals: ${LIMIT} (got 2.5)`],
    [{ retry: { maxAttempts: 0 } }, "retry.maxAttempts: must be a whole number of attempts from 1 to 20 (1 = no retries) (got 0)"],
    [{ retry: { maxAttempts: 21 } }, "retry.maxAttempts: must be a whole number of attempts from 1 to 20 (1 = no retries) (got 21)"],
    [{ retry: { maxElapsedMs: 999 } }, "retry.maxElapsedMs: must be a whole number of milliseconds from 1000 to 3600000 (got 999)"],
    [{ retry: { maxElapsedMs: "1h" } }, 'retry.maxElapsedMs: must be a whole number of milliseconds from 1000 to 3600000 (got "1h")'],
    [{ retry: { baseDelayMs: 0 } }, "retry.baseDelayMs: must be a whole number of milliseconds from 1 to 60000 (got 0)"],
    [{ retry: { maxDelayMs: 600001 } }, "retry.maxDelayMs: must be a whole number of milliseconds from 1 to 600000 (got 600001)"],
    [{ retry: { maxDelayMs: 100 } }, "retry.maxDelayMs: retry.maxDelayMs (100) must not be less than retry.baseDelayMs (500)"],
    [{ retry: { baseDelayMs: 40000 } }, "retry.baseDelayMs: retry.maxDelayMs (30000) must not be less than retry.baseDelayMs (40000)"],
    [{ retry: 3 }, "retry: must be a mapping of keys (maxAttempts, maxElapsedMs, baseDelayMs, maxDelayMs) (got 3)"],
  ])("%j", (patch, message) => {
    expect(problems(raw(patch))).toEqual([message]);
  });

  it("suggests the right key for a misspelt one", () => {
    expect(problems({ ...raw(), retry: { maxAttempt: 3 } })).toEqual(["retry.maxAttempt: unknown key; did you mean maxAttempts?"]);
    expect(problems({ ...raw(), safety: { minPullFration: 0.5 } })).toEqual(["safety.minPullFration: unknown key; did you mean minPullFraction?"]);
    expect(problems({ ...raw(), command: { token: "t", maxRateShare: 0.5 } })).toEqual(["command.maxRateShare: unknown key; did you mean okta.maxRateShare?"]);
  });

  it("reports every problem with them at once, in the order of the docs", () => {
    expect(
      problems(
        raw({
          okta: { maxRateShare: 2 },
          retry: { maxAttempts: 50, maxDelayMs: 10 },
          safety: { maxGroupDeletes: "all", minPullFraction: 3 },
          state: { path: "" },
        }),
      ),
    ).toEqual([
      `okta.maxRateShare: ${SHARE} (got 2)`,
      `safety.maxGroupDeletes: ${LIMIT} (got "all")`,
      `safety.minPullFraction: ${FRACTION} (got 3)`,
      "retry.maxAttempts: must be a whole number of attempts from 1 to 20 (1 = no retries) (got 50)",
      "retry.maxDelayMs: retry.maxDelayMs (10) must not be less than retry.baseDelayMs (500)",
      'state.path: must be a file path for the snapshot database (got "")',
    ]);
  });

  it("redactConfig keeps them and copies the nested values", () => {
    const { config } = valid(raw({ retry: { maxAttempts: 2 } }));
    const shown = redactConfig(config);
    expect(shown.retry).toEqual(config.retry);
    expect(shown.retry).not.toBe(config.retry);
    expect(shown.safety).toEqual(config.safety);
    expect(shown.safety.maxGroupDeletes).not.toBe(config.safety.maxGroupDeletes);
    expect(shown.okta.maxRateShare).toBe(0.5);
  });
});

describe("regions and the SCIM URL", () => {
  it.each([
    ["us", "https://api.command.verkada.com/scim"],
    ["eu", "https://scim.prod2.verkada.com/scim"],
    ["aus", "https://scim.prod-ap-syd.verkada.com/scim"],
  ])("maps region %s to %s", (region, url) => {
    expect(valid(raw({ command: { region } })).config.command.scimUrl).toBe(url);
  });

  it("removes the trailing slash of scimUrl", () => {
    expect(valid(raw({ command: { scimUrl: "https://scim.example.com/v2/scim/" } })).config.command.scimUrl).toBe("https://scim.example.com/v2/scim");
  });

  it("a scimUrl set with a region overrides it, and says so every time, naming both and where they came from", () => {
    const both = valid(raw({ command: { region: "eu", scimUrl: "https://scim.example.com/v2/scim/" } }));
    expect(both.config.command.scimUrl).toBe("https://scim.example.com/v2/scim");
    expect(both.warnings).toEqual([
      'command: scimUrl "https://scim.example.com/v2/scim/" is used and region "eu" is ignored; set only one: region picks Verkada\'s SCIM URL for that region, scimUrl names the URL itself',
    ]);
    const fromEnv = load({ env: { ...ENV, COMMAND_REGION: "eu", COMMAND_SCIM_URL: "https://scim.example.com/scim" } });
    expect(fromEnv.config.command.scimUrl).toBe("https://scim.example.com/scim");
    expect(fromEnv.warnings).toContain(
      'command: scimUrl "https://scim.example.com/scim" from COMMAND_SCIM_URL is used and region "eu" from COMMAND_REGION is ignored; set only one: region picks Verkada\'s SCIM URL for that region, scimUrl names the URL itself',
    );
    // The region's own URL: nothing is ignored.
    expect(valid(raw({ command: { region: "eu", scimUrl: "https://scim.prod2.verkada.com/scim" } })).warnings).toEqual([]);
  });

  it.each(["EU", " Eu ", "AUS"])("reads region %j in any case", (region) => {
    expect(valid(raw({ command: { region } })).config.command.scimUrl).toBe(region.trim().toLowerCase() === "eu" ? "https://scim.prod2.verkada.com/scim" : "https://scim.prod-ap-syd.verkada.com/scim");
  });

  it.each([
    ["au", "aus"],
    ["australia", "aus"],
    ["europe", "eu"],
    ["usa", "us"],
  ])("suggests the region %j likely means", (region, meant) => {
    expect(problems(raw({ command: { region } }))).toEqual([`command.region: must be one of us, eu, aus; did you mean ${meant}? (got "${region}")`]);
  });

  it("uses scimUrl alone without a warning", () => {
    expect(valid(raw({ command: { scimUrl: "http://127.0.0.1:8443/scim" } }))).toEqual({
      config: expect.objectContaining({ command: expect.objectContaining({ scimUrl: "http://127.0.0.1:8443/scim" }) }),
      warnings: [],
    });
  });

  it("lets COMMAND_REGION in the environment replace a scimUrl from the file", () => {
    const { config } = load({ yaml: "command:\n  scimUrl: https://scim.example.com/scim\n", env: { ...ENV, COMMAND_REGION: "aus" } });
    expect(config.command.scimUrl).toBe("https://scim.prod-ap-syd.verkada.com/scim");
  });
});

describe("URLs: https, or http to loopback only", () => {
  it.each([
    "http://127.0.0.1:8080",
    "http://127.0.0.5",
    "http://127.255.255.254:9000",
    "http://localhost:3000",
    "http://LOCALHOST",
    "http://[::1]:8080",
    "https://10.0.0.1",
  ])("accepts %s", (url) => {
    expect(valid(raw({ okta: { orgUrl: url }, command: { scimUrl: url } })).config.okta.orgUrl).toBe(url.toLowerCase().replace(/\/$/, ""));
  });

  it.each([
    "http://10.0.0.1",
    "http://localhost.evil.com",
    "http://127.0.0.1.nip.io",
    "http://[::2]",
    "http://acme.okta.com",
    "ftp://acme.okta.com",
  ])("refuses %s", (url) => {
    expect(problems(raw({ okta: { orgUrl: url }, command: { scimUrl: url } }))).toEqual([
      `okta.orgUrl: must be an https:// URL (http:// only for loopback hosts: 127.0.0.0/8, localhost, [::1]) (got "${url}")`,
      `command.scimUrl: must be an https:// URL (http:// only for loopback hosts: 127.0.0.0/8, localhost, [::1]) (got "${url}")`,
    ]);
  });

  it("refuses something that is not a URL", () => {
    expect(problems(raw({ okta: { orgUrl: "acme.okta.com" } }))).toEqual([
      'okta.orgUrl: must be an https:// URL (http:// only for loopback hosts: 127.0.0.0/8, localhost, [::1]), such as https://acme.okta.com (got "acme.okta.com")',
    ]);
  });

  it("refuses a path, query or credentials in the org URL, without echoing the credentials", () => {
    expect(problems(raw({ okta: { orgUrl: "https://acme.okta.com/oauth2/default" } }))).toEqual([
      'okta.orgUrl: must be the base URL of the org without a path, such as https://acme.okta.com (got "https://acme.okta.com/oauth2/default")',
    ]);
    expect(problems(raw({ command: { scimUrl: "https://api.command.verkada.com/scim?x=1" } }))).toEqual([
      'command.scimUrl: must be a base URL without a query or fragment, such as https://api.command.verkada.com/scim (got "https://api.command.verkada.com/scim?x=1")',
    ]);
    const messages = problems(raw({ command: { scimUrl: "https://user:hunter2@scim.example.com/scim" } }));
    expect(messages).toEqual([
      'command.scimUrl: must not contain a user name or password (credentials go in the token settings) (got "https://***@scim.example.com/scim")',
    ]);
  });

  it("normalises the org URL and corrects an admin console URL with a warning", () => {
    expect(valid(raw({ okta: { orgUrl: "https://acme.okta.com/" } })).config.okta.orgUrl).toBe("https://acme.okta.com");
    const { config, warnings } = valid(raw({ okta: { orgUrl: "https://acme-admin.oktapreview.com" } }));
    expect(config.okta.orgUrl).toBe("https://acme.oktapreview.com");
    expect(warnings).toEqual(["okta.orgUrl: https://acme-admin.oktapreview.com is the admin console; using the org URL https://acme.oktapreview.com"]);
  });
});

describe("precedence: environment > file > defaults", () => {
  const FILE = `
okta:
  orgUrl: https://file.okta.com
  appId: 0oafile
  token: file-token
command:
  region: eu
  token: file-command-token
state:
  path: file.db
`;

  it.each([
    ["OKTA_ORG_URL", "https://env.okta.com", (c: Config) => c.okta.orgUrl],
    ["OKTA_APP_ID", "0oaenv", (c: Config) => c.okta.appId],
    ["OKTA_API_TOKEN", "env-token", (c: Config) => (c.okta.auth.mode === "token" ? c.okta.auth.token : "")],
    ["COMMAND_REGION", "aus", (c: Config) => c.command.scimUrl],
    ["COMMAND_SCIM_URL", "https://scim.env.example/scim", (c: Config) => c.command.scimUrl],
    ["COMMAND_SCIM_TOKEN", "env-command-token", (c: Config) => c.command.token],
    ["OCS_STATE", "/var/lib/env.db", (c: Config) => c.state.path],
  ])("%s overrides the file", (name, value, read) => {
    const fromFile = read(load({ yaml: FILE }).config);
    const fromEnv = read(load({ yaml: FILE, env: { [name]: value } }).config);
    expect(fromEnv).not.toBe(fromFile);
    expect(fromEnv).toBe(name === "COMMAND_REGION" ? "https://scim.prod-ap-syd.verkada.com/scim" : value);
  });

  it("names the environment variable a bad value came from", () => {
    expect(loadProblems({ yaml: FILE, env: { COMMAND_REGION: "uk" } })).toEqual(['command.region: must be one of us, eu, aus (got "uk", from COMMAND_REGION)']);
  });

  it("names OKTA_KEY_ID when it meets a token from the file", () => {
    expect(loadProblems({ yaml: FILE, env: { OKTA_KEY_ID: "k1" } })).toEqual([
      "okta.keyId: only applies to an OAuth 2.0 service app (clientId + privateKeyFile); remove it when using okta.token (from OKTA_KEY_ID)",
    ]);
  });

  it("ignores empty environment variables", () => {
    expect(load({ yaml: FILE, env: { OKTA_ORG_URL: "", COMMAND_REGION: "" } }).config.okta.orgUrl).toBe("https://file.okta.com");
  });

  it("an API token in the environment replaces an OAuth app configured in the file", () => {
    const yaml = `okta:\n  orgUrl: https://acme.okta.com\n  appId: 0oa1\n  clientId: 0oa2\n  privateKeyFile: /missing.pem\n  keyId: k\ncommand:\n  token: t\n`;
    expect(load({ yaml, env: { OKTA_API_TOKEN: "env-token" } }).config.okta.auth).toEqual({ mode: "token", token: "env-token" });
  });

  it("an OAuth app in the environment replaces a token configured in the file", () => {
    const { config } = load({
      yaml: FILE,
      env: { OKTA_CLIENT_ID: "0oaenvclient", OKTA_PRIVATE_KEY_FILE: "/run/secrets/okta.pem", OKTA_KEY_ID: "envkid" },
      files: { "/run/secrets/okta.pem": PEM },
    });
    expect(config.okta.auth).toMatchObject({ mode: "privateKey", clientId: "0oaenvclient", keyId: "envkid" });
  });

  it("OKTA_PRIVATE_KEY takes a PEM written on one line with \\n", () => {
    const { config } = load({ yaml: FILE, env: { OKTA_CLIENT_ID: "0oa3", OKTA_PRIVATE_KEY: PEM.trim().replace(/\n/g, "\\n") } });
    expect(config.okta.auth).toMatchObject({ mode: "privateKey", privateKey: PEM.trim() });
  });
});

describe("finding the config file", () => {
  const A = "okta:\n  appId: 0oaA\n";
  const B = "okta:\n  appId: 0oaB\n";
  const files = { [`${CWD}/a.yaml`]: A, "/etc/ocs/b.yaml": B, [`${CWD}/config.yaml`]: "okta:\n  appId: 0oaDefault\n" };
  const env = { ...ENV, OKTA_APP_ID: undefined };

  it("--config wins over OCS_CONFIG and ./config.yaml", () => {
    const loaded = load({ files, env: { ...env, OCS_CONFIG: "/etc/ocs/b.yaml" }, options: { configPath: "a.yaml" } });
    expect(loaded.config.okta.appId).toBe("0oaA");
    expect(loaded.source).toBe(`${CWD}/a.yaml`);
  });

  it("OCS_CONFIG wins over ./config.yaml", () => {
    const loaded = load({ files, env: { ...env, OCS_CONFIG: "/etc/ocs/b.yaml" } });
    expect(loaded.config.okta.appId).toBe("0oaB");
    expect(loaded.source).toBe("/etc/ocs/b.yaml");
  });

  it("reads ./config.yaml when it exists", () => {
    expect(load({ files, env }).source).toBe(`${CWD}/config.yaml`);
  });

  it("uses the environment alone when there is no file", () => {
    expect(load({ env: ENV }).source).toBeUndefined();
  });

  it("refuses a named file that does not exist or is a directory", () => {
    expect(loadProblems({ env: ENV, options: { configPath: "nope.yaml" } })).toEqual(["config file nope.yaml (from --config) cannot be read: no such file"]);
    expect(loadProblems({ env: { ...ENV, OCS_CONFIG: "/etc/none.yaml" } })).toEqual(["config file /etc/none.yaml (from OCS_CONFIG) cannot be read: no such file"]);
    expect(() =>
      loadConfig({ env: ENV, cwd: CWD, configPath: "/etc/ocs", readFile: memoryFs({}, ["/etc/ocs"]) }),
    ).toThrow("invalid configuration: config file /etc/ocs (from --config) cannot be read: it is a directory");
  });

  it("reports a YAML syntax error with its line and column, without the line's text", () => {
    const yaml = `okta:\n  orgUrl: https://acme.okta.com\n  token: "${OKTA_TOKEN}\n  appId: x\n command: [\n`;
    const messages = loadProblems({ yaml });
    expect(messages[0]).toMatch(/^config\.yaml: YAML syntax error at line \d+, column \d+: /);
    expectNoSecrets(messages);
    expect(loadProblems({ yaml: "okta:\n  appId: a\n  appId: b\n" })).toEqual(["config.yaml: YAML syntax error at line 3, column 3: Map keys must be unique"]);
    expect(loadProblems({ yaml: "okta:\n  orgUrl: [a\ncommand: {}\n" })[0]).toMatch(/^config\.yaml: YAML syntax error at line 3, column 1: /);
  });

  it("refuses a file that is not a mapping", () => {
    expect(loadProblems({ yaml: "- okta\n- command\n" })).toEqual([
      "config.yaml: must be a YAML mapping of sections (okta, command, groups, users, sync, safety, retry, state, attributes, notify)",
    ]);
  });

  it("accepts an empty file", () => {
    expect(load({ yaml: "# nothing yet\n", env: ENV }).source).toBe(`${CWD}/config.yaml`);
  });

  it("hints at the file to fix", () => {
    try {
      load({ yaml: "command:\n  region: uk\n", env: ENV });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).hint).toBe(`fix ${CWD}/config.yaml or the environment; config.example.yaml lists every option`);
      expect((error as ConfigError).message).toBe('invalid configuration: command.region: must be one of us, eu, aus (got "uk")');
    }
  });
});

describe("${VAR} in YAML strings", () => {
  it("replaces variables in any string, in lists and nested entries too", () => {
    const yaml = `
okta: { orgUrl: "https://\${OKTA_HOST}", appId: "\${APP}", token: "\${OKTA_API_TOKEN}" }
command: { token: "\${COMMAND_SCIM_TOKEN}", concurrency: "\${CONC}" }
groups: { push: ["\${TEAM}-eng", Ops] }
attributes: [{ okta: "user.\${FIELD}", externalName: title }]
`;
    const env = { OKTA_HOST: "acme.okta.com", APP: "0oa7", OKTA_API_TOKEN: OKTA_TOKEN, COMMAND_SCIM_TOKEN: COMMAND_TOKEN, CONC: "8", TEAM: "core", FIELD: "jobTitle" };
    const { config } = load({ yaml, env });
    expect(config.okta.orgUrl).toBe("https://acme.okta.com");
    expect(config.okta.appId).toBe("0oa7");
    expect(config.command.concurrency).toBe(8);
    expect(config.groups.push).toEqual(["core-eng", "Ops"]);
    expect(config.attributes[0]?.okta).toBe("user.jobTitle");
  });

  it("reads $${VAR} as a literal ${VAR}", () => {
    const { config } = load({ yaml: 'groups:\n  push: ["$${NOT_A_VAR}", "a$${B}c"]\n', env: ENV });
    expect(config.groups.push).toEqual(["${NOT_A_VAR}", "a${B}c"]);
  });

  it("names the key and the variable when a variable is not set, and nothing else about that key", () => {
    expect(loadProblems({ yaml: 'okta:\n  token: "${OKTA_API_TOKEN}"\n', env: { ...ENV, OKTA_API_TOKEN: undefined } })).toEqual([
      "okta.token: environment variable OKTA_API_TOKEN is not set (referenced as ${OKTA_API_TOKEN})",
    ]);
    expect(loadProblems({ yaml: 'okta:\n  orgUrl: "https://${A}.${B}.com"\n', env: { ...ENV, OKTA_ORG_URL: undefined } })).toEqual([
      "okta.orgUrl: environment variables A, B are not set (referenced as ${A}, ${B})",
    ]);
    expect(loadProblems({ yaml: 'groups:\n  push: [ok, "${TEAM}"]\n', env: ENV })).toEqual([
      "groups.push[1]: environment variable TEAM is not set (referenced as ${TEAM})",
    ]);
  });

  it("does not complain about a variable in a key the environment overrides", () => {
    expect(load({ yaml: 'okta:\n  orgUrl: "${UNSET}"\n', env: ENV }).config.okta.orgUrl).toBe("https://acme.okta.com");
  });

  it("reports a malformed reference", () => {
    expect(loadProblems({ yaml: 'state:\n  path: "${not valid}"\n', env: ENV })).toEqual([
      'state.path: "${not valid}" is not a variable reference: write ${NAME} (letters, digits, _), or $${ for a literal ${',
    ]);
    expect(loadProblems({ yaml: 'state:\n  path: "${OPEN"\n', env: ENV })[0]).toMatch(/^state\.path: "\$\{OPEN" is not a variable reference/);
  });
});

describe("secrets from files", () => {
  it.each([
    ["OKTA_API_TOKEN_FILE", (c: Config) => (c.okta.auth.mode === "token" ? c.okta.auth.token : "")],
    ["COMMAND_SCIM_TOKEN_FILE", (c: Config) => c.command.token],
  ])("%s reads the secret and drops the trailing newline", (name, read) => {
    const env = { ...ENV, OKTA_API_TOKEN: undefined, COMMAND_SCIM_TOKEN: undefined, OKTA_API_TOKEN_FILE: "/s/okta", COMMAND_SCIM_TOKEN_FILE: "/s/cmd" };
    const { config } = load({ env, files: { "/s/okta": "from-file-okta\n", "/s/cmd": "from-file-cmd\r\n" } });
    expect(read(config)).toBe(name.startsWith("OKTA") ? "from-file-okta" : "from-file-cmd");
  });

  it("reads tokenFile and privateKeyFile from YAML, relative to the working directory", () => {
    const yaml = "okta:\n  clientId: 0oa5\n  privateKeyFile: keys/okta.json\ncommand:\n  tokenFile: secrets/cmd\n";
    const env = { ...ENV, OKTA_API_TOKEN: undefined, COMMAND_SCIM_TOKEN: undefined };
    const { config } = load({ yaml, env, files: { [`${CWD}/keys/okta.json`]: `${JWK}\n`, [`${CWD}/secrets/cmd`]: "cmd-from-yaml\n" } });
    expect(config.command.token).toBe("cmd-from-yaml");
    expect(config.okta.auth).toEqual({
      mode: "privateKey",
      clientId: "0oa5",
      privateKey: JWK,
      keyId: "kid-from-jwk",
      scopes: ["okta.users.read", "okta.groups.read", "okta.apps.read"],
    });
  });

  it("names the variable and the path of a missing file, and reports nothing else about that secret", () => {
    const env = { ...ENV, OKTA_API_TOKEN: undefined, OKTA_API_TOKEN_FILE: "/run/secrets/okta-token" };
    expect(loadProblems({ env })).toEqual(["OKTA_API_TOKEN_FILE: cannot read /run/secrets/okta-token: no such file"]);
    expect(loadProblems({ yaml: "command:\n  tokenFile: cmd.txt\n", env: { ...ENV, COMMAND_SCIM_TOKEN: undefined } })).toEqual([
      `command.tokenFile: cannot read ${CWD}/cmd.txt: no such file`,
    ]);
  });

  it("refuses an empty secret file", () => {
    expect(loadProblems({ env: { ...ENV, COMMAND_SCIM_TOKEN: undefined, COMMAND_SCIM_TOKEN_FILE: "/s/empty" }, files: { "/s/empty": "\n" } })).toEqual([
      "COMMAND_SCIM_TOKEN_FILE: /s/empty is empty",
    ]);
  });

  it("refuses a variable and its _FILE variant together, and token with tokenFile", () => {
    expect(loadProblems({ env: { ...ENV, OKTA_API_TOKEN_FILE: "/s/x" } })).toEqual(["OKTA_API_TOKEN and OKTA_API_TOKEN_FILE are both set; set only one"]);
    expect(loadProblems({ yaml: "command:\n  token: a\n  tokenFile: /b\n", env: { ...ENV, COMMAND_SCIM_TOKEN: undefined } })).toEqual([
      "command.token and command.tokenFile are both set; set only one",
    ]);
  });

  it("never shows what a bad secret file holds", () => {
    const env = { ...ENV, OKTA_API_TOKEN: undefined, OKTA_API_TOKEN_FILE: "/s/okta" };
    const messages = loadProblems({ env, files: { "/s/okta": `${OKTA_TOKEN} ${COMMAND_TOKEN}\nsecond line\n` } });
    expect(messages).toEqual([
      "okta.token: must be a single token without spaces or line breaks (check the file or variable it comes from) (from OKTA_API_TOKEN_FILE=/s/okta)",
    ]);
    expectNoSecrets(messages);
  });

  it("reads a real file with the default reader", () => {
    const dir = mkdtempSync(join(tmpdir(), "ocs-config-"));
    try {
      writeFileSync(join(dir, "token"), "real-file-token\n");
      writeFileSync(join(dir, "config.yaml"), "command:\n  tokenFile: token\n");
      const { config, source } = loadConfig({ env: { ...ENV, COMMAND_SCIM_TOKEN: undefined }, cwd: dir });
      expect(config.command.token).toBe("real-file-token");
      expect(source).toBe(join(dir, "config.yaml"));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("unknown keys", () => {
  it.each([
    [{ comand: {} }, "comand: unknown key; did you mean command?"],
    [{ command: { token: "t", requestsPerMinit: 10 } }, "command.requestsPerMinit: unknown key; did you mean requestsPerMinute?"],
    [{ okta: { org_url: "x" } }, "okta.org_url: unknown key; did you mean orgUrl?"],
    [{ okta: { ORGURL: "x" } }, "okta.ORGURL: unknown key; did you mean orgUrl?"],
    [{ okta: { region: "us" } }, "okta.region: unknown key; did you mean command.region?"],
    [{ orgUrl: "x" }, "orgUrl: unknown key; did you mean okta.orgUrl?"],
    [{ safety: { maxDeactivation: 5 } }, "safety.maxDeactivation: unknown key; did you mean maxDeactivations?"],
    [{ attributes: [{ okta: "user.title", externalName: "title", namespace: "x" }] }, "attributes[0].namespace: unknown key (allowed here: okta, externalName, externalNamespace)"],
    [{ users: { colour: "red" } }, "users.colour: unknown key (allowed here: suspended, phoneType, phoneRegion, onUserNameChange, outsideDomains, exclude)"],
  ])("%j", (extra, message) => {
    const input = { ...raw(), ...extra } as Record<string, unknown>;
    if ("okta" in extra) input.okta = { ...(raw().okta as object), ...(extra.okta as object) };
    if ("command" in extra) input.command = extra.command;
    expect(problems(input)).toEqual([message]);
  });
});

describe("validation messages", () => {
  it.each([
    [{ command: { region: "uk" } }, 'command.region: must be one of us, eu, aus (got "uk")'],
    [{ command: { updateMethod: "post" } }, 'command.updateMethod: must be one of put, patch (got "post")'],
    [{ command: { requestsPerMinute: -1 } }, "command.requestsPerMinute: must be a whole number of requests per minute, 0 or more (0 = no pacing) (got -1)"],
    [{ command: { requestsPerMinute: 1.5 } }, "command.requestsPerMinute: must be a whole number of requests per minute, 0 or more (0 = no pacing) (got 1.5)"],
    [{ command: { concurrency: 0 } }, "command.concurrency: must be a whole number from 1 to 32 (got 0)"],
    [{ command: { concurrency: 33 } }, "command.concurrency: must be a whole number from 1 to 32 (got 33)"],
    [{ command: { concurrency: "four" } }, 'command.concurrency: must be a whole number from 1 to 32 (got "four")'],
    [{ command: { membersPerRequest: 1001 } }, "command.membersPerRequest: must be a whole number from 1 to 1000 (got 1001)"],
    [{ command: { timeoutMs: 50 } }, "command.timeoutMs: must be a whole number of milliseconds from 100 to 600000 (got 50)"],
    [{ groups: { push: "Engineering" } }, 'groups.push: must be a list of Okta group names, ids, globs (Door-*) or regex:<pattern> entries, or the word assigned (got "Engineering")'],
    [{ groups: { push: ["Eng", ""] } }, 'groups.push[1]: must be an Okta group name, id, glob or regex:<pattern> (a non-empty string) (got "")'],
    [{ groups: { push: ["Door-*", "regex:(door"] } }, 'groups.push[1]: is not a valid JavaScript regular expression: Unterminated group (got "regex:(door")'],
    [{ groups: { exclude: ["regex:"] } }, 'groups.exclude[0]: regex: needs a pattern after it, such as regex:^door- (got "regex:")'],
    [{ groups: { exclude: "Door-Old" } }, 'groups.exclude: must be a list of Okta group names, ids, globs (Door-*) or regex:<pattern> entries (got "Door-Old")'],
    [{ users: { exclude: ["svc-*@acme.com", "regex:[a-"] } }, 'users.exclude[1]: is not a valid JavaScript regular expression: Unterminated character class (got "regex:[a-")'],
    [{ groups: { onRemove: "archive" } }, 'groups.onRemove: must be one of keep, delete (got "archive")'],
    [{ users: { suspended: "suspend" } }, 'users.suspended: must be one of active, deactivate (got "suspend")'],
    [{ users: { phoneRegion: "Narnia" } }, 'users.phoneRegion: must be a two-letter country code such as US, GB or AU (got "Narnia")'],
    [{ users: { phoneType: 'work"' } }, 'users.phoneType: must be a phone number type such as work or mobile (letters, digits, - and _) (got "work\\"")'],
    [{ safety: { maxDeactivations: "ten" } }, 'safety.maxDeactivations: must be a count (e.g. 25) or a percent (e.g. 10%); a percent is from 0% to 100% (got "ten")'],
    [{ safety: { maxDeactivations: "150%" } }, 'safety.maxDeactivations: must be a count (e.g. 25) or a percent (e.g. 10%); a percent is from 0% to 100% (got "150%")'],
    [{ safety: { maxDeactivations: -3 } }, "safety.maxDeactivations: must be a count (e.g. 25) or a percent (e.g. 10%); a percent is from 0% to 100% (got -3)"],
    [{ state: { path: "" } }, 'state.path: must be a file path for the snapshot database (got "")'],
    [{ okta: { appId: "https://acme.okta.com/app/1" } }, 'okta.appId: must be the id of the Verkada app in Okta (letters and digits), such as 0oa1b2c3d4e5f6 (got "https://acme.okta.com/app/1")'],
    [{ okta: { token: "SSWS abc" } }, 'okta.token: must be the token alone, without the "SSWS " prefix'],
    [{ command: { token: "Bearer abc" } }, 'command.token: must be the token alone, without the "Bearer " prefix'],
    [{ command: { token: "   " } }, "command.token: must not be empty (a Command SCIM bearer token)"],
    [{ command: { token: 42 } }, "command.token: must be a Command SCIM bearer token"],
    [{ groups: 5 }, "groups: must be a mapping of keys (push, exclude, onRemove) (got 5)"],
    [{ attributes: { okta: "user.x" } }, "attributes: must be a list of mappings, each with okta, externalName and optionally externalNamespace (got a mapping)"],
  ])("%j", (patch, message) => {
    expect(problems(raw(patch))).toEqual([message]);
  });

  it("reports a section that is not a mapping without echoing what it holds", () => {
    expect(problems({ okta: OKTA_TOKEN, command: { token: "t" } })).toEqual([
      "okta: must be a mapping of keys (orgUrl, appId, token, tokenFile, clientId, privateKey, privateKeyFile, keyId, scopes, maxRateShare, timeoutMs)",
    ]);
    expect(problems("okta")).toEqual(['the configuration must be a mapping of sections (okta, command, groups, users, sync, safety, retry, state, attributes, notify) (got a string)']);
  });

  it("requires the org URL, the app id and the Command token, saying where to set them", () => {
    expect(problems({ okta: { token: "t" } })).toEqual([
      "okta.orgUrl: is required: the Okta org URL, such as https://acme.okta.com (set it in the config file or OKTA_ORG_URL)",
      "okta.appId: is required: the id of the Verkada app in Okta (set it in the config file or OKTA_APP_ID)",
      "command.token: is required: the SCIM token from Command (set it in the config file, COMMAND_SCIM_TOKEN or COMMAND_SCIM_TOKEN_FILE)",
    ]);
  });

  describe("the Okta credential", () => {
    it("requires one", () => {
      expect(problems(raw({ okta: { token: undefined } }))).toEqual([
        "okta: an Okta credential is required: token (OKTA_API_TOKEN or OKTA_API_TOKEN_FILE), or clientId + privateKeyFile for an OAuth 2.0 service app (OKTA_CLIENT_ID + OKTA_PRIVATE_KEY_FILE)",
      ]);
    });

    it("refuses a token with an OAuth app", () => {
      expect(problems(raw({ okta: { clientId: "0oa1", privateKey: PEM } }))).toEqual([
        "okta: set either token (an API token) or clientId + privateKeyFile (an OAuth 2.0 service app), not both",
      ]);
    });

    it("needs both halves of an OAuth app", () => {
      expect(problems(raw({ okta: { token: undefined, clientId: "0oa1" } }))).toEqual([
        "okta.privateKeyFile: is required with okta.clientId: the service app's private key, PEM or JWK (set it in the config file, OKTA_PRIVATE_KEY_FILE or OKTA_PRIVATE_KEY)",
      ]);
      expect(problems(raw({ okta: { token: undefined, privateKey: PEM } }))).toEqual([
        "okta.clientId: is required with a private key: the client id of the Okta service app (set it in the config file or OKTA_CLIENT_ID)",
      ]);
    });

    it("refuses keyId and scopes with a token", () => {
      expect(problems(raw({ okta: { keyId: "k", scopes: ["okta.users.read"] } }))).toEqual([
        "okta.keyId: only applies to an OAuth 2.0 service app (clientId + privateKeyFile); remove it when using okta.token",
        "okta.scopes: only applies to an OAuth 2.0 service app (clientId + privateKeyFile); remove it when using okta.token",
      ]);
    });

    it.each([
      ["not a key", "okta.privateKey: must be a private key: PEM (-----BEGIN PRIVATE KEY-----) or a private JWK (JSON with kty and d)"],
      [PUBLIC_PEM, "okta.privateKey: is a public key or certificate: the private key is needed"],
      [JSON.stringify(ec.publicKey.export({ format: "jwk" })), "okta.privateKey: is a public JWK: the private key (with d) is needed"],
      ['{"kty": "EC", "d": "x"', "okta.privateKey: must be a private key: PEM (-----BEGIN PRIVATE KEY-----) or a private JWK (JSON with kty and d); it looks like JSON but does not parse"],
      [
        "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----",
        "okta.privateKey: must be a private key: PEM (-----BEGIN PRIVATE KEY-----) or a private JWK (JSON with kty and d); the PEM does not parse (an encrypted key is not supported)",
      ],
    ])("checks the private key (%#)", (privateKey, message) => {
      expect(problems(raw({ okta: { token: undefined, clientId: "0oa1", privateKey } }))).toEqual([message]);
    });

    it("refuses an empty scope list", () => {
      expect(problems(raw({ okta: { token: undefined, clientId: "0oa1", privateKey: PEM, scopes: [] } }))).toEqual([
        "okta.scopes: must list at least one scope (default: okta.users.read, okta.groups.read, okta.apps.read) (got a list)",
      ]);
    });
  });

  describe("attributes", () => {
    const entry = (externalName: string, extra: Record<string, unknown> = {}) => ({ okta: "user.x", externalName, ...extra });

    it.each([
      "title",
      "name.givenName",
      'phoneNumbers[type eq "mobile"].value',
      'addresses[type eq "work"].streetAddress',
      "userName",
      "x-custom_attr",
    ])("accepts %s", (externalName) => {
      expect(valid(raw({ attributes: [entry(externalName)] })).config.attributes[0]?.externalName).toBe(externalName);
    });

    it("accepts appuser expressions and extension namespaces", () => {
      const ns = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
      const { config } = valid(raw({ attributes: [{ okta: "appuser.costCenter", externalName: "costCenter", externalNamespace: ns }] }));
      expect(config.attributes).toEqual([{ okta: "appuser.costCenter", externalName: "costCenter", externalNamespace: ns }]);
    });

    it("allows id or active inside an extension, where they are ordinary attributes", () => {
      expect(valid(raw({ attributes: [entry("id", { externalNamespace: "urn:example:custom:1.0:User" })] })).config.attributes).toHaveLength(1);
    });

    it.each([
      ["externalId", "attributes[0].externalName: cannot be mapped: externalId is the Okta user id, the key that links users (got \"externalId\")"],
      ["active", "attributes[0].externalName: cannot be mapped: active follows the user's Okta status and app assignment (got \"active\")"],
      ["id", "attributes[0].externalName: cannot be mapped: id is assigned by Command (got \"id\")"],
      ["groups", "attributes[0].externalName: cannot be mapped: groups is read-only in SCIM; use groups.push (got \"groups\")"],
      ["emails", 'attributes[0].externalName: is a multi-valued attribute: name one typed value, such as emails[type eq "work"].value (got "emails")'],
      ['phoneNumbers[type eq "mobile"]', 'attributes[0].externalName: is a multi-valued attribute: name one typed value, such as phoneNumbers[type eq "work"].value (got "phoneNumbers[type eq \\"mobile\\"]")'],
      ["name", "attributes[0].externalName: is a complex attribute: name a sub-attribute, such as name.givenName (got \"name\")"],
      [
        'title[type eq "x"].value',
        'attributes[0].externalName: must be a SCIM attribute path: a name (title), a sub-attribute (name.givenName) or a typed value (phoneNumbers[type eq "mobile"].value); only multi-valued attributes take [type eq "..."] (got "title[type eq \\"x\\"].value")',
      ],
      [
        "name..givenName",
        'attributes[0].externalName: must be a SCIM attribute path: a name (title), a sub-attribute (name.givenName) or a typed value (phoneNumbers[type eq "mobile"].value) (got "name..givenName")',
      ],
    ])("refuses %s", (externalName, message) => {
      expect(problems(raw({ attributes: [entry(externalName)] }))).toEqual([message]);
    });

    it("checks the Okta expression and the namespace", () => {
      expect(problems(raw({ attributes: [{ okta: "user.first name", externalName: "title", externalNamespace: "enterprise" }] }))).toEqual([
        'attributes[0].okta: must be user.<attribute> (Okta user profile) or appuser.<attribute> (app user profile), such as user.department (got "user.first name")',
        'attributes[0].externalNamespace: must be a schema URN such as urn:ietf:params:scim:schemas:core:2.0:User (the default) or urn:ietf:params:scim:schemas:extension:enterprise:2.0:User (got "enterprise")',
      ]);
      expect(problems(raw({ attributes: [{ externalName: "title" }] }))).toEqual([
        "attributes[0].okta: must be user.<attribute> (Okta user profile) or appuser.<attribute> (app user profile), such as user.department",
      ]);
    });

    it("refuses two entries with the same target, ignoring case and counting the default namespace", () => {
      const core = "urn:ietf:params:scim:schemas:core:2.0:User";
      expect(problems(raw({ attributes: [entry("title"), entry("costCenter"), entry("Title", { externalNamespace: core })] }))).toEqual([
        `attributes[2]: maps to the same target as attributes[0] (Title in ${core}); keep one`,
      ]);
    });
  });

  it("reports every problem at once", () => {
    const messages = problems({
      okta: { orgUrl: "http://10.0.0.1", appId: "0oa1", token: OKTA_TOKEN, clientId: "0oa2" },
      comand: {},
      command: { region: "uk", concurrency: 50 },
      groups: { push: "Engineering" },
      safety: { maxDeactivations: "110%" },
      attributes: [{ okta: "usr.x", externalName: "externalId" }],
    });
    // Grouped by section in the order of the docs; unknown sections last.
    expect(messages).toEqual([
      'okta.orgUrl: must be an https:// URL (http:// only for loopback hosts: 127.0.0.0/8, localhost, [::1]) (got "http://10.0.0.1")',
      "okta: set either token (an API token) or clientId + privateKeyFile (an OAuth 2.0 service app), not both",
      'command.region: must be one of us, eu, aus (got "uk")',
      "command.concurrency: must be a whole number from 1 to 32 (got 50)",
      "command.token: is required: the SCIM token from Command (set it in the config file, COMMAND_SCIM_TOKEN or COMMAND_SCIM_TOKEN_FILE)",
      'groups.push: must be a list of Okta group names, ids, globs (Door-*) or regex:<pattern> entries, or the word assigned (got "Engineering")',
      'safety.maxDeactivations: must be a count (e.g. 25) or a percent (e.g. 10%); a percent is from 0% to 100% (got "110%")',
      'attributes[0].okta: must be user.<attribute> (Okta user profile) or appuser.<attribute> (app user profile), such as user.department (got "usr.x")',
      'attributes[0].externalName: cannot be mapped: externalId is the Okta user id, the key that links users (got "externalId")',
      "comand: unknown key; did you mean command?",
    ]);
  });
});

describe("secrets stay out of messages", () => {
  it("no problem or warning shows a token or a key, whatever is wrong with it", () => {
    const inputs: unknown[] = [
      { okta: { token: `${OKTA_TOKEN} x`, orgUrl: "https://acme-admin.okta.com" }, command: { token: `Bearer ${COMMAND_TOKEN}` } },
      { okta: { token: [OKTA_TOKEN] }, command: { token: { value: COMMAND_TOKEN } } },
      { okta: { clientId: "0oa1", privateKey: PEM.replace("PRIVATE KEY-----\n", "PRIVATE KEY-----\n!") }, command: {} },
      { okta: { clientId: "0oa1", privateKey: JWK.replace('"d":"', '"d":"!') }, command: { token: COMMAND_TOKEN, tokenFile: COMMAND_TOKEN } },
      { okta: OKTA_TOKEN, command: COMMAND_TOKEN },
      { okta: { token: OKTA_TOKEN, appId: OKTA_TOKEN, keyId: `a ${OKTA_TOKEN}` }, command: { token: COMMAND_TOKEN, region: COMMAND_TOKEN } },
    ];
    for (const input of inputs) {
      const result = validateConfig(input);
      expectNoSecrets([...result.problems, ...result.warnings]);
    }
    expectNoSecrets(
      loadProblems({ yaml: `okta:\n  token: "${OKTA_TOKEN}\ncommand:\n  token: '${COMMAND_TOKEN}\n`, env: {} }),
    );
    expectNoSecrets(loadProblems({ env: { ...ENV, OKTA_API_TOKEN_FILE: "/x", COMMAND_SCIM_TOKEN: `${COMMAND_TOKEN}\n${COMMAND_TOKEN}` } }));
  });

  it("redactConfig replaces every secret and leaves the rest", () => {
    const { config } = valid(raw({ okta: { token: undefined, clientId: "0oa1", privateKey: PEM } }));
    const shown = redactConfig(config);
    expect(shown.command.token).toBe(REDACTED);
    expect(shown.okta.auth).toMatchObject({ privateKey: REDACTED, clientId: "0oa1" });
    expect(shown.command.scimUrl).toBe(config.command.scimUrl);
    expectNoSecrets([JSON.stringify(shown)]);
    expect(config.command.token).toBe(COMMAND_TOKEN);
    expect(configSecrets(config)).toEqual([COMMAND_TOKEN, PEM.trim()]);
    const tokenConfig = valid(raw()).config;
    expect(redactConfig(tokenConfig).okta.auth).toEqual({ mode: "token", token: REDACTED });
  });
});

describe("state.retention", () => {
  it.each([
    ["12h", 12 * HOUR],
    ["90d", 90 * DAY],
    ["2w", 14 * DAY],
    ["1 week", 7 * DAY],
    ["3 days", 3 * DAY],
    [" 36H ", 36 * HOUR],
    ["36500d", 36_500 * DAY],
    ["1d12h", 36 * HOUR],
    ["1.5d", 36 * HOUR],
    ["1h", HOUR],
  ])("%j is %d ms", (retention, ms) => {
    expect(valid(raw({ state: { retention } })).config.state.retentionMs).toBe(ms);
  });

  it.each([0, "0", "forever", "FOREVER"])("%j keeps every run", (retention) => {
    expect(valid(raw({ state: { retention } })).config.state.retentionMs).toBeUndefined();
  });

  it("reads YAML numbers and durations", () => {
    expect(load({ yaml: "state:\n  retention: 0\n", env: ENV }).config.state.retentionMs).toBeUndefined();
    expect(load({ yaml: "state:\n  retention: 30d\n", env: ENV }).config.state.retentionMs).toBe(30 * DAY);
    expect(load({ yaml: "state:\n  retention:\n", env: ENV }).config.state.retentionMs).toBe(90 * DAY);
  });

  it.each([
    ["90", `state.retention: ${RETENTION_RULE}; add a unit, such as 90d for days (got "90")`],
    [90, `state.retention: ${RETENTION_RULE}; add a unit, such as 90d for days (got 90)`],
    ["0d", `state.retention: ${RETENTION_RULE}; 0d would keep no run at all: write forever (or 0) to keep every run (got "0d")`],
    ["3 months", `state.retention: ${RETENTION_RULE} (got "3 months")`],
    ["30m", `state.retention: ${RETENTION_RULE}; at least 1h (got "30m")`],
    ["-1d", `state.retention: ${RETENTION_RULE} (got "-1d")`],
    [true, `state.retention: ${RETENTION_RULE} (got true)`],
    ["36501d", `state.retention: ${RETENTION_RULE}; at most 36500d (100 years) (got "36501d")`],
  ])("refuses %j", (retention, message) => {
    expect(problems(raw({ state: { retention } }))).toEqual([message]);
  });

  it("suggests the key for a misspelt one", () => {
    expect(problems(raw({ state: { retension: "30d" } }))).toEqual(["state.retension: unknown key; did you mean retention?"]);
  });

});

describe("the state section alone (runs)", () => {
  it("needs nothing but OCS_STATE: no file, no credentials", () => {
    const loaded = loadStateConfig({ env: { OCS_STATE: "data/state.db" }, cwd: CWD, readFile: memoryFs({}) });
    expect(loaded).toEqual({ state: { path: `${CWD}/data/state.db`, retentionMs: 90 * DAY }, warnings: [], source: undefined, secrets: [] });
  });

  it("defaults the path when nothing sets it", () => {
    expect(loadStateConfig({ env: {}, cwd: CWD, readFile: memoryFs({}) }).state.path).toBe(`${CWD}/okta-command-sync.db`);
  });

  it("reads state from the same file as loadConfig, ignoring missing variables, credentials and other problems", () => {
    const yaml = [
      "okta:",
      "  orgUrl: http://okta.example.com",
      "  token: ${OKTA_API_TOKEN}",
      "  tokenFile: /run/secrets/none",
      "  colour: blue",
      "command:",
      "  tokenFile: /run/secrets/missing",
      "state:",
      "  path: /var/lib/ocs/state.db",
      "  retention: 2w",
      "",
    ].join("\n");
    expect(loadProblems({ yaml, env: {} }).length).toBeGreaterThan(2);
    const loaded = loadStateConfig({ env: {}, cwd: CWD, readFile: memoryFs({ [`${CWD}/config.yaml`]: yaml }) });
    expect(loaded.state).toEqual({ path: "/var/lib/ocs/state.db", retentionMs: 14 * DAY });
    expect(loaded.source).toBe(`${CWD}/config.yaml`);
  });

  it("follows the same precedence: OCS_STATE > --config > OCS_CONFIG > ./config.yaml", () => {
    const files = { [`${CWD}/config.yaml`]: "state:\n  path: default.db\n", "/etc/ocs.yaml": "state:\n  path: named.db\n", "/etc/env.yaml": "state:\n  path: env.db\n" };
    const read = (env: Record<string, string>, options: Partial<LoadOptions> = {}) =>
      loadStateConfig({ env, cwd: CWD, readFile: memoryFs(files), ...options }).state.path;
    expect(read({})).toBe(`${CWD}/default.db`);
    expect(read({ OCS_CONFIG: "/etc/env.yaml" })).toBe(`${CWD}/env.db`);
    expect(read({ OCS_CONFIG: "/etc/env.yaml" }, { configPath: "/etc/ocs.yaml" })).toBe(`${CWD}/named.db`);
    expect(read({ OCS_STATE: "/x/state.db" }, { configPath: "/etc/ocs.yaml" })).toBe("/x/state.db");
  });

  it("reports problems with state itself, naming where the value came from", () => {
    const stateProblems = (yaml: string, env: Record<string, string> = {}) => {
      try {
        loadStateConfig({ env, cwd: CWD, readFile: memoryFs({ [`${CWD}/config.yaml`]: yaml }) });
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigError);
        return (error as ConfigError).problems;
      }
      throw new Error("expected a ConfigError");
    };
    expect(stateProblems("state:\n  path: ${STATE_DIR}/s.db\n")).toEqual(["state.path: environment variable STATE_DIR is not set (referenced as ${STATE_DIR})"]);
    expect(stateProblems("state:\n  retention: 90\n  colour: red\n")).toEqual([
      `state.retention: ${RETENTION_RULE}; add a unit, such as 90d for days (got 90)`,
      "state.colour: unknown key (allowed here: path, retention)",
    ]);
    expect(stateProblems("state: here\n")).toEqual(['state: must be a mapping of keys (path, retention) (got "here")']);
    expect(stateProblems("okta: [\n")[0]).toMatch(/config\.yaml/);
    expect(stateProblems("", { OCS_STATE: "  " })).toEqual(['state.path: must be a file path for the snapshot database (got "  ", from OCS_STATE)']);
  });

  it("hands back the secrets written in the file or the environment, for redaction, and reads no secret file", () => {
    const files: Record<string, string> = { [`${CWD}/config.yaml`]: `command:\n  token: ${COMMAND_TOKEN}\nokta:\n  tokenFile: /s/okta\n` };
    let reads = 0;
    const readFile = (path: string) => {
      reads += 1;
      return memoryFs(files)(path);
    };
    // okta.tokenFile names a file that does not exist: not read, so not an error.
    expect(loadStateConfig({ env: {}, cwd: CWD, readFile }).secrets).toEqual([COMMAND_TOKEN]);
    expect(reads).toBe(1);
    expect(loadStateConfig({ env: { OKTA_API_TOKEN: OKTA_TOKEN }, cwd: CWD, readFile: memoryFs({}) }).secrets).toEqual([OKTA_TOKEN]);
  });

  it("validateStateConfig looks at state only", () => {
    expect(validateStateConfig({ okta: 5, command: { region: "uk" } }, { cwd: CWD })).toEqual({
      state: { path: `${CWD}/okta-command-sync.db`, retentionMs: 90 * DAY },
      problems: [],
    });
    expect(validateStateConfig({ state: { retention: "forever" } }).state).toEqual({ path: "./okta-command-sync.db", retentionMs: undefined });
    expect(validateStateConfig([]).problems).toEqual([
      "the configuration must be a mapping of sections (okta, command, groups, users, sync, safety, retry, state, attributes, notify) (got a list)",
    ]);
  });
});

describe("config.example.yaml", () => {
  it("loads and validates, and shows the contract's example values", () => {
    const { config, warnings } = loadConfig({
      configPath: "config.example.yaml",
      cwd: REPO,
      env: { OKTA_API_TOKEN: OKTA_TOKEN, COMMAND_SCIM_TOKEN: COMMAND_TOKEN },
    });
    expect(warnings).toEqual([]);
    // The example file spells out the defaults, plus a push list and one attribute.
    const defaultsHere = defaults(join(REPO, "okta-command-sync.db"));
    expect(config).toEqual({
      ...defaultsHere,
      groups: { ...defaultsHere.groups, push: ["Engineering", "00g1abcd"] },
      attributes: [
        { okta: "user.department", externalName: "department", externalNamespace: "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User" },
      ],
    } satisfies Config);
  });

  it("names the variables it needs when they are not set", () => {
    expect(() => loadConfig({ configPath: "config.example.yaml", cwd: REPO, env: {} })).toThrow("invalid configuration (2 problems)");
  });
});

describe("config files built to exhaust the parser or memory", () => {
  const laughs = (() => {
    const lines = ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"];
    const names = "abcdefghi";
    for (let i = 1; i < names.length; i++) lines.push(`${names[i]}: &${names[i]} [${Array(9).fill(`*${names[i - 1]}`).join(", ")}]`);
    return `${lines.join("\n")}\n`;
  })();

  it("a billion-laughs alias bomb is one problem naming the file, with a hint to fix it; ordinary aliases still work", () => {
    expect(loadProblems({ yaml: laughs })).toEqual([
      'config.yaml: its aliases (*name) expand to far more data than they take to write, as in a "billion laughs" document; write the values out instead',
    ]);
    expect(() => load({ yaml: laughs })).toThrow(expect.objectContaining({ hint: `fix the YAML in ${CWD}/config.yaml` }));
    expect(() => loadStateConfig({ env: {}, cwd: CWD, readFile: memoryFs({ [`${CWD}/config.yaml`]: laughs }) })).toThrow(ConfigError);
    // Anchors used as people use them are still fine.
    const { config } = load({ env: ENV, yaml: "groups:\n  push: &names [acme.com]\ncommand:\n  domains: *names\n" });
    expect(config.groups.push).toEqual(["acme.com"]);
    expect(config.command.domains).toEqual(["acme.com"]);
  });

  it("nesting past 64 levels is one problem with its line and column, in flow or block style; 64 levels are read", () => {
    const flow = (depth: number) => `groups:\n  push: ${"[".repeat(depth - 1)}${"]".repeat(depth - 1)}\n`;
    const nested = /nested deeper than 64 levels/;
    expect(loadProblems({ env: ENV, yaml: flow(64) }).some((p) => nested.test(p))).toBe(false);
    expect(loadProblems({ env: ENV, yaml: flow(65) })).toEqual(["config.yaml: nested deeper than 64 levels at line 2, column 72; a configuration needs a few"]);
    expect(loadProblems({ env: ENV, yaml: flow(20_000) })).toEqual(["config.yaml: nested deeper than 64 levels at line 2, column 72; a configuration needs a few"]);
    const block = Array.from({ length: 200 }, (_, i) => `${" ".repeat(i)}k:`).join("\n");
    expect(loadProblems({ env: ENV, yaml: block })).toEqual(["config.yaml: nested deeper than 64 levels at line 65, column 65; a configuration needs a few"]);
  });

  it("a config file or a secret file over 1 MiB is refused before it is parsed", () => {
    const dir = mkdtempSync(join(tmpdir(), "ocs-config-"));
    try {
      const big = `# ${"x".repeat(1024 * 1024)}\n`;
      writeFileSync(join(dir, "big.yaml"), big);
      writeFileSync(join(dir, "token"), big);
      writeFileSync(join(dir, "config.yaml"), "command:\n  tokenFile: ./token\n");
      const tooBig = "it is larger than 1 MiB, far more than a configuration or a secret takes";
      expect(() => loadConfig({ configPath: "big.yaml", cwd: dir, env: ENV })).toThrow(`config file big.yaml (from --config) cannot be read: ${tooBig}`);
      const { COMMAND_SCIM_TOKEN: _fromFile, ...env } = ENV;
      expect(() => loadConfig({ cwd: dir, env })).toThrow(
        expect.objectContaining({ problems: [`command.tokenFile: cannot read ${join(dir, "token")}: ${tooBig}`] }),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
