/** Runs the built CLI (bin/okta-command-sync.js -> dist/) as a child process, as users do. */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { stringify } from "yaml";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const BIN = join(root, "bin", "okta-command-sync.js");

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * The environment of a child: nothing from the developer's Okta setup leaks in, nor their proxy
 * settings (the emulators are on loopback, which a proxy would be asked to reach otherwise).
 */
export function cleanEnv(extra: Record<string, string | undefined>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value === undefined || /^(OKTA_|COMMAND_|OCS_)/.test(key) || /^(https?|no)_proxy$/i.test(key) || key.startsWith("NOTIFY_")) continue;
    env[key] = value;
  }
  for (const [key, value] of Object.entries(extra)) if (value !== undefined) env[key] = value;
  return env;
}

export function runCli(args: string[], options: { env: Record<string, string>; cwd: string; timeoutMs?: number }): Promise<CliResult> {
  if (!existsSync(join(root, "dist", "bin", "main.js"))) throw new Error("dist/ is missing: run `npm run build` first (npm test does)");
  return runProcess(process.execPath, [BIN, ...args], options);
}

/** Runs a program to its end (killed after `timeoutMs`, default 60 s), collecting its output. */
export function runProcess(command: string, args: string[], options: { env: Record<string, string>; cwd: string; timeoutMs?: number }): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 60_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr });
    });
  });
}

/**
 * A fresh working directory with a config.yaml in it. Pacing of Command requests is off unless
 * the test sets it: the emulator has no limit unless asked, and pacing has tests of its own.
 */
export function workdir(config: Record<string, unknown> | undefined): string {
  const dir = mkdtempSync(join(tmpdir(), "ocs-e2e-"));
  if (config !== undefined) {
    const command = (config.command ?? {}) as Record<string, unknown>;
    writeFileSync(join(dir, "config.yaml"), stringify({ ...config, command: { requestsPerMinute: 0, ...command } }));
  }
  return dir;
}
