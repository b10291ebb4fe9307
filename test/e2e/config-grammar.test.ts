/**
 * One config grammar through the built CLI: combined durations in `sync.fullEvery` and
 * `state.retention` are accepted and used, `COMMAND_REGION` in any case, a suggestion for a
 * region that is close, and a region and a SCIM URL set together refused.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Sandbox, startSandbox } from "../../src/emulators/sandbox.js";
import { openSnapshotStore } from "../../src/store/index.js";
import { cleanEnv, runCli, workdir } from "../support/cli.js";

let sandbox: Sandbox;

beforeAll(async () => {
  sandbox = await startSandbox({ org: { users: 40, groups: 3, seed: 12 }, okta: { rateLimits: false } });
});
afterAll(async () => {
  await sandbox.close();
});

interface CheckJson {
  checks: { id: string; status: string; detail?: string }[];
}

function configCheck(stdout: string) {
  return (JSON.parse(stdout) as CheckJson).checks.find((c) => c.id === "config")!;
}

/** The sandbox's environment with the Command endpoint left to the test. */
function envWithout(...names: string[]): Record<string, string> {
  const env = cleanEnv(sandbox.env());
  for (const name of names) delete env[name];
  return env;
}

describe("durations in the config file", () => {
  it("sync.fullEvery: 1h30m decides when an incremental sync reads everything", async () => {
    const dir = workdir({ groups: { push: sandbox.groupNames }, state: { path: "./state.db" }, sync: { fullEvery: "1h30m" } });
    const env = cleanEnv(sandbox.env());
    const sync = async () => {
      const result = await runCli(["sync", "--incremental", "--json"], { env, cwd: dir });
      expect(result.code, result.stderr).toBe(0);
      return (JSON.parse(result.stdout) as { pull: { mode: string; fallback?: string } }).pull;
    };
    const lastFullPull = (minutesAgo: number) => {
      const store = openSnapshotStore(join(dir, "state.db"));
      try {
        store.setMeta("okta.lastFullPullAt", new Date(Date.now() - minutesAgo * 60_000).toISOString());
      } finally {
        store.close();
      }
    };
    expect((await sync()).mode).toBe("full");
    lastFullPull(80);
    expect((await sync()).mode).toBe("incremental");
    lastFullPull(100);
    expect(await sync()).toMatchObject({ mode: "full", fallback: "the last full pull is older than sync.fullEvery" });
  });

  it("state.retention: 1d12h is accepted and shown by runs in the same grammar", async () => {
    const dir = workdir({ groups: { push: sandbox.groupNames }, state: { path: "./state.db", retention: "1d12h" } });
    const env = cleanEnv(sandbox.env());
    const sync = await runCli(["sync", "--json"], { env, cwd: dir });
    expect(sync.code, sync.stderr).toBe(0);
    const runs = await runCli(["runs"], { env, cwd: dir });
    expect(runs.code, runs.stderr).toBe(0);
    expect(runs.stdout).toContain("kept for 1d12h");
  });
});

describe("the Command region", () => {
  it("COMMAND_REGION=EU is eu", async () => {
    const dir = workdir({});
    const result = await runCli(["check", "--skip-remote", "--json"], { env: { ...envWithout("COMMAND_SCIM_URL"), COMMAND_REGION: "EU" }, cwd: dir });
    expect(configCheck(result.stdout)).toMatchObject({ status: "pass", detail: expect.stringContaining("Command at https://scim.prod2.verkada.com/scim") });
  });

  it("COMMAND_REGION=au suggests aus", async () => {
    const dir = workdir({});
    const result = await runCli(["check", "--skip-remote", "--json"], { env: { ...envWithout("COMMAND_SCIM_URL"), COMMAND_REGION: "au" }, cwd: dir });
    expect(result.code).toBe(1);
    expect(configCheck(result.stdout).detail).toContain('command.region: must be one of us, eu, aus; did you mean aus? (got "au", from COMMAND_REGION)');
  });

  it("a region and a scimUrl in the same place: the scimUrl is used, with a warning naming both", async () => {
    const dir = workdir({});
    const scimUrl = sandbox.env().COMMAND_SCIM_URL!;
    writeFileSync(join(dir, "config.yaml"), `command:\n  region: eu\n  scimUrl: ${scimUrl}\n`);
    const before = sandbox.command.stats().requests;
    // check reaches Command at the URL given.
    const result = await runCli(["check", "--log-format", "pretty"], { env: envWithout("COMMAND_SCIM_URL"), cwd: dir });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout + result.stderr).toContain(`command: scimUrl "${scimUrl}" is used and region "eu" is ignored; set only one`);
    expect(sandbox.command.stats().requests).toBeGreaterThan(before);
  });
});
