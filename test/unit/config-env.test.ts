import { describe, expect, it } from "vitest";
import { ENV_VARS, envNamesFor, whereToSet } from "../../src/config/env.js";
import { loadConfig } from "../../src/config/load.js";
import { KNOWN_KEYS } from "../../src/config/schema.js";

const BASE = {
  OKTA_ORG_URL: "https://acme.okta.com",
  OKTA_APP_ID: "0oa1b2c3d4e5f6",
  OKTA_API_TOKEN: "00okta-SECRET-token-4f9a",
  COMMAND_SCIM_TOKEN: "cmd-SECRET-token-77b2",
};
const noFiles = (path: string): string => {
  throw Object.assign(new Error(`no ${path}`), { code: "ENOENT" });
};

describe("the environment table", () => {
  it("names each variable once, and each sets a key the configuration knows", () => {
    const names = ENV_VARS.map((v) => v.name);
    expect(new Set(names).size).toBe(names.length);
    for (const { name, path } of ENV_VARS) {
      const [section, key] = path.split(".") as [keyof typeof KNOWN_KEYS, string];
      expect(KNOWN_KEYS[section] as readonly string[], name).toContain(key);
    }
  });

  it("gives every secret a _FILE variant, for Kubernetes secrets", () => {
    for (const secret of ["okta.token", "okta.privateKey", "command.token"]) {
      const [plain, file] = envNamesFor(secret);
      expect(file, secret).toBe(`${plain}_FILE`);
    }
  });

  it.each([
    ["OKTA_ORG_URL", "https://env.okta.com", "okta.orgUrl"],
    ["OKTA_APP_ID", "0oaenv", "okta.appId"],
    ["COMMAND_REGION", "EU", "command.scimUrl"],
    ["COMMAND_SCIM_URL", "https://scim.env.example/scim", "command.scimUrl"],
    ["COMMAND_SCIM_TOKEN", "env-command-token", "command.token"],
    ["OCS_STATE", "/var/lib/env.db", "state.path"],
  ])("%s=%s reaches the loaded configuration", (name, value, path) => {
    const { config } = loadConfig({ env: { ...BASE, [name]: value }, cwd: "/srv", readFile: noFiles });
    const [section, key] = path.split(".") as [string, string];
    const shown = (config as unknown as Record<string, Record<string, unknown>>)[section]![key];
    expect(shown).toBe(name === "COMMAND_REGION" ? "https://scim.prod2.verkada.com/scim" : value);
  });

  it("is what the hints for a missing key name", () => {
    expect(whereToSet("okta.orgUrl")).toBe("set it in the config file or OKTA_ORG_URL");
    expect(whereToSet("command.token")).toBe("set it in the config file, COMMAND_SCIM_TOKEN or COMMAND_SCIM_TOKEN_FILE");
    expect(whereToSet("users.phoneType")).toBe("set it in the config file");
  });
});
