/**
 * Secrets never reach stdout, stderr (logs, errors, stack traces with --verbose), JSON output or
 * the snapshot DB, even when a server echoes them back.
 */
import { generateKeyPairSync } from "node:crypto";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Sandbox, startSandbox } from "../../src/emulators/sandbox.js";
import { type CliResult, cleanEnv, runCli, workdir } from "../support/cli.js";

let sandbox: Sandbox;
let dir: string;

beforeAll(async () => {
  sandbox = await startSandbox({ org: { users: 20, groups: 2, seed: 3 }, okta: { rateLimits: false } });
  dir = workdir({ groups: { push: sandbox.groupNames }, state: { path: "./state.db" }, retry: { maxAttempts: 1 } });
});
afterAll(async () => {
  await sandbox.close();
});

function everythingWritten(results: CliResult[]): string {
  const files = readdirSync(dir)
    .filter((f) => f.startsWith("state.db"))
    .map((f) => readFileSync(join(dir, f)).toString("latin1"));
  return [...results.flatMap((r) => [r.stdout, r.stderr]), ...files].join("\n");
}

describe("secrets", () => {
  it("a Command error that echoes the token, shown in every output format and with --verbose, never shows it", async () => {
    const echo = `{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"500","detail":"bad header: Bearer ${sandbox.commandToken}"}`;
    sandbox.command.injectFault({ match: { method: "POST", pathPrefix: "/Users" }, nth: 1, times: 3, status: 500, body: echo });
    const env = cleanEnv(sandbox.env());
    const results = [
      await runCli(["sync", "--json", "--verbose"], { env, cwd: dir }),
      await runCli(["plan", "--verbose", "--log-format", "json"], { env, cwd: dir }),
      await runCli(["sync", "--verbose", "--log-format", "pretty"], { env: { ...env, COMMAND_SCIM_TOKEN: "an-old-token-that-was-refreshed" }, cwd: dir }),
    ];
    expect(results[0]!.code).toBe(1);
    expect(JSON.parse(results[0]!.stdout).failed.length).toBeGreaterThan(0);
    expect(results[2]!.stderr).toMatch(/\n.*\s+at /); // a stack trace was printed
    const all = everythingWritten(results);
    expect(all).toContain("bad header"); // the error itself is shown...
    expect(all).not.toContain(sandbox.commandToken); // ...without the token
    expect(all).not.toContain("an-old-token-that-was-refreshed");
    expect(all).not.toContain(sandbox.oktaToken);
  });

  it("tokens read from *_FILE files and an Okta private key never appear, even in a failing --verbose run", async () => {
    const tokenFile = join(dir, "command-token");
    writeFileSync(tokenFile, `${sandbox.commandToken}\n`);
    const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const pem = privateKey.export({ type: "pkcs8", format: "pem" }).toString();
    const keyFile = join(dir, "okta-key.pem");
    writeFileSync(keyFile, pem);
    const { OKTA_API_TOKEN: _token, COMMAND_SCIM_TOKEN: _command, ...base } = sandbox.env();
    // A service app the emulator does not know: the token request is refused.
    const env = cleanEnv({ ...base, COMMAND_SCIM_TOKEN_FILE: tokenFile, OKTA_CLIENT_ID: "0oaUnknownServiceApp", OKTA_PRIVATE_KEY_FILE: keyFile });
    const results = [
      await runCli(["sync", "--verbose", "--json"], { env, cwd: dir }),
      await runCli(["plan", "--verbose", "--log-format", "json"], { env, cwd: dir }),
    ];
    for (const result of results) expect(result.code).toBe(1);
    expect(results[1]!.stderr).toMatch(/Okta/);
    const all = everythingWritten(results);
    expect(all).not.toContain(sandbox.commandToken);
    const keyBody = pem.split("\n").slice(1, -2).join("");
    for (const line of pem.split("\n").slice(1, -2)) expect(all).not.toContain(line);
    expect(all.replace(/\s|\\n/g, "")).not.toContain(keyBody.slice(0, 64));
    expect(existsSync(join(dir, "state.db"))).toBe(true);
  });
});
