/** `notify.*`: the webhook URL from the file, the environment or a secret file, never echoed. */
import { describe, expect, it } from "vitest";
import { configSecrets } from "../../src/config/describe.js";
import { loadConfig } from "../../src/config/load.js";
import { ConfigError } from "../../src/errors.js";

const BASE = { OKTA_ORG_URL: "https://acme.okta.com", OKTA_APP_ID: "0oa1", OKTA_API_TOKEN: "00okta-token-abc", COMMAND_SCIM_TOKEN: "command-token-xyz" };
const SLACK = "https://hooks.slack.com/services/T0001/B0002/sEcReTtOkEn123";

function load(env: Record<string, string>, files: Record<string, string> = {}) {
  return loadConfig({
    env: { ...BASE, ...env },
    cwd: "/work",
    readFile: (path) => {
      const text = files[path];
      if (text === undefined) throw Object.assign(new Error("missing"), { code: "ENOENT" });
      return text;
    },
  });
}

function problems(env: Record<string, string>, files: Record<string, string> = {}): string[] {
  try {
    load(env, files);
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
  throw new Error("expected a ConfigError");
}

describe("notify configuration", () => {
  it("is off by default, and notifies refused, partial and failed runs once a webhook is set", () => {
    expect(load({}).config.notify).toEqual({ webhook: undefined, on: ["refused", "partial", "failed"], timeoutMs: 10000 });
    expect(load({ NOTIFY_WEBHOOK_URL: SLACK }).config.notify.webhook).toBe(SLACK);
  });

  it("reads the URL from NOTIFY_WEBHOOK_URL_FILE (a Kubernetes secret), without its newline", () => {
    const { config } = load({ NOTIFY_WEBHOOK_URL_FILE: "/run/secrets/webhook" }, { "/run/secrets/webhook": `${SLACK}\n` });
    expect(config.notify.webhook).toBe(SLACK);
    expect(configSecrets(config)).toContain(SLACK);
    expect(configSecrets(config)).toContain("/services/T0001/B0002/sEcReTtOkEn123");
  });

  it("refuses a plain-http URL to another host, or garbage, without echoing any of it", () => {
    for (const bad of ["http://hooks.example.com/services/T0001/sEcReTtOkEn123", "not a url sEcReTtOkEn123"]) {
      const found = problems({ NOTIFY_WEBHOOK_URL: bad });
      expect(found).toHaveLength(1);
      expect(found[0]).toMatch(/^notify\.webhook: must be an https:\/\/ URL .* \(from NOTIFY_WEBHOOK_URL\)$/);
      expect(found[0]).not.toContain("sEcReTtOkEn123");
    }
  });

  it("refuses both NOTIFY_WEBHOOK_URL and NOTIFY_WEBHOOK_URL_FILE at once", () => {
    const found = problems({ NOTIFY_WEBHOOK_URL: SLACK, NOTIFY_WEBHOOK_URL_FILE: "/run/secrets/webhook" }, { "/run/secrets/webhook": SLACK });
    expect(found.join("\n")).toContain("NOTIFY_WEBHOOK_URL and NOTIFY_WEBHOOK_URL_FILE are both set; set only one");
  });

  it("notify.on takes run outcomes only", () => {
    const yaml = (on: string) => ({ "/work/config.yaml": `notify:\n  webhook: ${SLACK}\n  on: ${on}\n  timeoutMs: 2000\n` });
    expect(load({}, yaml("[failed, succeeded]")).config.notify).toEqual({ webhook: SLACK, on: ["failed", "succeeded"], timeoutMs: 2000 });
    expect(problems({}, yaml("[refused, done]"))).toEqual(['notify.on[1]: must be one of succeeded, partial, failed, refused (got "done")']);
  });
});
