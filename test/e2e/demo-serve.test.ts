/**
 * `demo --serve` and `demo --keep` through the built CLI: the emulators stay up for commands run
 * from another process with the printed exports, and go away on a signal; `--keep` keeps the
 * snapshot, which `runs` can read afterwards.
 */
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { existsSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { dirname } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { BIN, cleanEnv, runCli, workdir } from "../support/cli.js";

interface Served {
  child: ChildProcessWithoutNullStreams;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const children: ChildProcessWithoutNullStreams[] = [];

afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
});

function serve(args: string[]): Served {
  const child = spawn(process.execPath, [BIN, "demo", "--serve", "--users", "12", ...args], {
    cwd: workdir(undefined),
    env: cleanEnv({}),
    stdio: ["pipe", "pipe", "pipe"],
  });
  children.push(child);
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on("exit", (code, signal) => resolve({ code, signal }));
  });
  return { child, stdout: () => stdout, stderr: () => stderr, exited };
}

/** Resolves once `ready` holds for what the child printed; fails if the child exits first. */
async function until(served: Served, ready: (stdout: string) => boolean): Promise<void> {
  let exited = false;
  const exitedEarly = served.exited.then(({ code }) => {
    exited = true;
    throw new Error(`demo exited (${code}) before it was ready\nstdout: ${served.stdout()}\nstderr: ${served.stderr()}`);
  });
  // A later, expected exit settles this too; the race below is what reports an early one.
  exitedEarly.catch(() => {});
  const poll = (async () => {
    while (!exited && !ready(served.stdout())) await new Promise((resolve) => setTimeout(resolve, 50));
  })();
  await Promise.race([poll, exitedEarly]);
}

/** The `export NAME=value` lines, with shell single quotes undone. */
function parseExports(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [, name, raw] of text.matchAll(/^\s*export ([A-Za-z_]\w*)=(.*)$/gm)) {
    env[name!] = raw!.startsWith("'") ? raw!.slice(1, -1).replace(/'\\''/g, "'") : raw!;
  }
  return env;
}

function portIsClosed(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect({ host: hostname, port: Number(port) });
    socket.on("connect", () => {
      socket.destroy();
      resolve(false);
    });
    socket.on("error", (error: NodeJS.ErrnoException) => resolve(error.code === "ECONNREFUSED"));
  });
}

describe("demo --serve", () => {
  it("prints the exports that let every command reach the emulators, until SIGINT stops them", async () => {
    const served = serve([]);
    await until(served, (stdout) => /In another shell[\s\S]*^Snapshot: .*\n/m.test(stdout));
    const env = parseExports(served.stdout());
    expect(Object.keys(env)).toEqual(["OKTA_ORG_URL", "OKTA_APP_ID", "OKTA_API_TOKEN", "COMMAND_SCIM_URL", "COMMAND_SCIM_TOKEN", "OCS_CONFIG", "OCS_STATE"]);
    expect(env.OKTA_ORG_URL).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(env.COMMAND_SCIM_URL).toMatch(/^http:\/\/127\.0\.0\.1:\d+\//);
    expect(existsSync(env.OCS_CONFIG!)).toBe(true);
    // Shown on purpose, and said to be the emulators' own.
    expect(env.OKTA_API_TOKEN).not.toContain("REDACTED");
    expect(served.stdout()).toMatch(/tokens are the emulators' own throwaway values/);

    // Another process, as from another shell: the demo already synced, so nothing is pending.
    const other = workdir(undefined);
    const plan = await runCli(["plan", "--json"], { env: cleanEnv(env), cwd: other });
    expect(plan.code, plan.stderr).toBe(0);
    const parsed = JSON.parse(plan.stdout) as { changes: boolean; operations: unknown[] };
    expect(parsed.changes).toBe(false);
    expect(parsed.operations).toEqual([]);
    const check = await runCli(["check"], { env: cleanEnv(env), cwd: other });
    expect(check.code, check.stdout + check.stderr).toBe(0);
    const runs = await runCli(["runs"], { env: cleanEnv(env), cwd: other });
    expect(runs.code, runs.stderr).toBe(0);
    expect(runs.stdout.match(/\bdemo\s+succeeded\b/g)).toHaveLength(2);
    // Still serving after all that.
    expect(served.child.exitCode).toBeNull();

    served.child.kill("SIGINT");
    expect(await served.exited).toEqual({ code: 0, signal: null });
    expect(served.stderr()).toContain("SIGINT received: stopping the emulators");
    expect(await portIsClosed(env.OKTA_ORG_URL!)).toBe(true);
    expect(await portIsClosed(env.COMMAND_SCIM_URL!)).toBe(true);
    // Without --keep nothing is left behind.
    expect(existsSync(env.OCS_CONFIG!)).toBe(false);
    expect(existsSync(env.OCS_STATE!)).toBe(false);
  });

  it("with --json and --keep: one result with the exports, and on SIGTERM the snapshot stays but not the config", async () => {
    const served = serve(["--keep", "--json"]);
    let result: { status: string; serve: { env: Record<string, string>; config: string; state: string } } | undefined;
    await until(served, (stdout) => {
      try {
        result = JSON.parse(stdout);
        return true;
      } catch {
        return false;
      }
    });
    expect(result!.status).toBe("succeeded");
    const { env, config, state } = result!.serve;
    expect(env.OCS_CONFIG).toBe(config);
    expect(env.OCS_STATE).toBe(state);
    expect(env.COMMAND_SCIM_TOKEN).not.toContain("REDACTED");
    const plan = await runCli(["plan", "--json"], { env: cleanEnv(env), cwd: workdir(undefined) });
    expect(plan.code, plan.stderr).toBe(0);

    served.child.kill("SIGTERM");
    expect(await served.exited).toEqual({ code: 0, signal: null });
    expect(await portIsClosed(env.OKTA_ORG_URL!)).toBe(true);
    expect(existsSync(state)).toBe(true);
    expect(existsSync(config)).toBe(false);
    const runs = await runCli(["runs"], { env: cleanEnv({ OCS_STATE: state }), cwd: workdir(undefined) });
    expect(runs.code, runs.stderr).toBe(0);
    expect(runs.stdout.match(/\bdemo\s+succeeded\b/g)).toHaveLength(2);
    rmSync(dirname(state), { recursive: true, force: true });
  });
});

describe("demo --keep", () => {
  it("runs to the end by itself and keeps only the snapshot, at the path it prints", async () => {
    const result = await runCli(["demo", "--users", "12", "--keep"], { env: cleanEnv({}), cwd: workdir(undefined) });
    expect(result.code, result.stderr).toBe(0);
    const state = /^Snapshot kept at (.+)$/m.exec(result.stdout)?.[1];
    expect(state).toBeDefined();
    expect(existsSync(state!)).toBe(true);
    expect(result.stdout).not.toContain("export OKTA_ORG_URL");
    const runs = await runCli(["runs"], { env: cleanEnv({ OCS_STATE: state! }), cwd: workdir(undefined) });
    expect(runs.code, runs.stderr).toBe(0);
    expect(runs.stdout.match(/\bdemo\s+succeeded\b/g)).toHaveLength(2);
    rmSync(dirname(state!), { recursive: true, force: true });
  });
});
