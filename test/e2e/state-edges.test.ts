/**
 * The state file's edges and hostile config files, through the built CLI: a state path that is
 * a symbolic link, a DB (or its side files, or its directory) that cannot be written, and YAML
 * built to exhaust the parser. Each is exit 1 with one line and a hint, never an internal error,
 * and nothing is written where it should not be.
 *
 * File modes mean nothing to root, so when the tests run as root the CLI runs as `nobody`.
 */
import { spawn } from "node:child_process";
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type VerkadaEmulator, startVerkadaEmulator } from "../../src/emulators/verkada-emulator.js";
import { listAssignedUsers } from "../../src/emulators/org-assignments.js";
import { updateProfile } from "../../src/emulators/org-user-changes.js";
import { SANDBOX_COMMAND_TOKEN, type Sandbox, startSandbox } from "../../src/emulators/sandbox.js";
import { BIN, type CliResult, cleanEnv, workdir } from "../support/cli.js";

const AS_ROOT = process.getuid?.() === 0;
/** Several CLI runs a test: room for a busy machine, so that only a hang fails one. */
const SLOW = { timeout: 180_000 };
/** Who the CLI runs as: `nobody` under root, else the user running the tests. */
const USER = AS_ROOT ? { uid: 65534, gid: 65534 } : undefined;

let sandbox: Sandbox;
let command: VerkadaEmulator;
let dir: string;

beforeAll(async () => {
  sandbox = await startSandbox({ org: { users: 12, groups: 2, seed: 31 }, okta: { rateLimits: false } });
});
afterAll(async () => {
  await sandbox.close();
});
beforeEach(async () => {
  command = await startVerkadaEmulator({ token: SANDBOX_COMMAND_TOKEN });
  dir = ownedWorkdir({ groups: { push: sandbox.groupNames }, state: { path: "./state/state.db" } });
});
afterEach(async () => {
  await command.close();
  // Let the temp directory be cleaned up whatever a test left read-only.
  for (const path of [join(dir, "state"), join(dir, "state", "state.db")]) if (existsSync(path)) chmodSync(path, 0o700);
});

function ownedWorkdir(config: Record<string, unknown>): string {
  const created = workdir(config);
  for (const name of readdirSync(created)) own(join(created, name));
  own(created);
  return created;
}

/** Files the test makes belong to the user the CLI runs as, as they would in real life. */
function own(path: string): void {
  if (USER !== undefined) chownSync(path, USER.uid, USER.gid);
}

function cli(args: string[], extraEnv: Record<string, string> = {}): Promise<CliResult> {
  const env = cleanEnv({ ...sandbox.env(), COMMAND_SCIM_URL: command.url, ...extraEnv });
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, "--log-format", "pretty", ...args], {
      cwd: dir,
      env,
      stdio: ["ignore", "pipe", "pipe"],
      ...(USER === undefined ? {} : USER),
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

const mode = (path: string) => statSync(path).mode & 0o777;

/** One error line and its hint, as the user sees them: no internal error, no stack. */
function expectClearError(result: CliResult): void {
  expect(result.code, result.stderr).toBe(1);
  expect(result.stderr).not.toMatch(/internal error/i);
  expect(result.stderr).not.toMatch(/\n\s+at /);
}

describe("a state path that is a symbolic link", SLOW, () => {
  it("is refused, naming the link and what to do, and the empty file it points to is never written", async () => {
    const target = join(dir, "real.db");
    writeFileSync(target, "");
    own(target);
    mkdirSync(join(dir, "state"));
    own(join(dir, "state"));
    symlinkSync(target, join(dir, "state", "state.db"));

    for (const args of [["sync"], ["plan"]]) {
      const result = await cli(args);
      expectClearError(result);
      expect(result.stderr).toContain(`snapshot DB ${join(dir, "state", "state.db")} is a symbolic link (to ${target})`);
      expect(result.stderr).toMatch(/set state\.path \(or OCS_STATE\) to the real path/);
    }
    expect(statSync(target).size).toBe(0);
    expect(readdirSync(dir).filter((name) => name.startsWith("real.db"))).toEqual(["real.db"]);
    expect(command.writeCount()).toBe(0);
  });

  it("given in OCS_STATE and pointing nowhere, is refused and creates nothing", async () => {
    symlinkSync(join(dir, "elsewhere", "state.db"), join(dir, "link.db"));
    const result = await cli(["sync"], { OCS_STATE: "./link.db" });
    expectClearError(result);
    expect(result.stderr).toContain(`snapshot DB ${join(dir, "link.db")} is a symbolic link`);
    expect(existsSync(join(dir, "elsewhere"))).toBe(false);
    expect(lstatSync(join(dir, "link.db")).isSymbolicLink()).toBe(true);
  });
});

describe("a snapshot DB that cannot be written", SLOW, () => {
  it("read-only: plan still reads it, sync names the DB and its side files, and once the mode is fixed the next sync works", async () => {
    expect((await cli(["sync"])).code).toBe(0);
    const writes = command.writeCount();
    const db = join(dir, "state", "state.db");
    chmodSync(db, 0o400);

    const plan = await cli(["plan"]);
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toMatch(/no changes/i);
    // SQLite gave the side files it created the DB's mode: the trap this test is about.
    expect(mode(`${db}-shm`)).toBe(0o400);

    const refused = await cli(["sync"]);
    expectClearError(refused);
    expect(refused.stderr).toContain(`cannot write snapshot DB ${db}: permission denied (mode 0400, owner uid ${USER?.uid ?? process.getuid?.()})`);
    expect(refused.stderr).toContain(`${db}-wal and ${db}-shm`);
    expect(command.writeCount()).toBe(writes);

    chmodSync(db, 0o600);
    const changed = listAssignedUsers(sandbox.org).find((a) => a.user.status === "ACTIVE")!.user;
    updateProfile(sandbox.org, changed.id, { title: "Moved to the new site" });
    const fixed = await cli(["sync"]);
    expect(fixed.code, fixed.stderr).toBe(0);
    expect(command.writeCount()).toBe(writes + 1);
    const runs = await cli(["runs", "--json"]);
    expect(runs.code, runs.stderr).toBe(0);
    expect((JSON.parse(runs.stdout) as { runs: { status: string }[] }).runs.map((r) => r.status)).toEqual(["succeeded", "succeeded"]);
  });

  it("in a read-only directory: sync names the directory and the side files SQLite must create; plan fails as clearly", async () => {
    expect((await cli(["sync"])).code).toBe(0);
    const db = join(dir, "state", "state.db");
    chmodSync(join(dir, "state"), 0o500);

    const refused = await cli(["sync"]);
    expectClearError(refused);
    expect(refused.stderr).toContain(`cannot write snapshot DB ${db}: its directory ${join(dir, "state")} is not writable`);
    expect(refused.stderr).toContain(`${db}-wal and ${db}-shm`);

    const plan = await cli(["plan"]);
    expectClearError(plan);
    expect(plan.stderr).toContain(`cannot read snapshot DB ${db}: SQLite must create ${db}-shm to read it, and ${join(dir, "state")} is not writable`);
  });

  it.skipIf(!AS_ROOT)("with a side file owned by another user: sync names that file, its owner and what to do", async () => {
    expect((await cli(["sync"])).code).toBe(0);
    const db = join(dir, "state", "state.db");
    // As left by a run under another account; the CLI runs as `nobody` and cannot change it.
    writeFileSync(`${db}-shm`, Buffer.alloc(32 * 1024), { mode: 0o600 });
    const refused = await cli(["sync"]);
    expectClearError(refused);
    expect(refused.stderr).toContain(`cannot write snapshot DB ${db}: its side file ${db}-shm cannot be written by this process`);
    expect(refused.stderr).toContain("owner uid 0");
    expect(refused.stderr).toContain(`fix ${db}-shm`);
    expect(readFileSync(`${db}-shm`).every((byte) => byte === 0)).toBe(true);
  });
});

describe("config files built to exhaust the parser", SLOW, () => {
  it("a billion-laughs alias bomb is an invalid configuration naming the file, not an internal error", async () => {
    const lines = ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"];
    const names = "abcdefghi";
    for (let i = 1; i < names.length; i++) lines.push(`${names[i]}: &${names[i]} [${Array(9).fill(`*${names[i - 1]}`).join(", ")}]`);
    writeFileSync(join(dir, "config.yaml"), `${lines.join("\n")}\nstate: { path: ./state/state.db }\n`);
    const result = await cli(["sync"]);
    expectClearError(result);
    expect(result.stderr).toMatch(/invalid configuration: config\.yaml: its aliases \(\*name\) expand to far more data/);
    expect(result.stderr).toContain(`fix the YAML in ${join(dir, "config.yaml")}`);
    expect(existsSync(join(dir, "state"))).toBe(false);
  });

  it("a document nested thousands deep is an invalid configuration naming the file and the line", async () => {
    writeFileSync(join(dir, "config.yaml"), `groups:\n  push: ${"[".repeat(20_000)}${"]".repeat(20_000)}\n`);
    const result = await cli(["plan"]);
    expectClearError(result);
    expect(result.stderr).toMatch(/invalid configuration: config\.yaml: nested deeper than 64 levels at line 2, column \d+/);
  });
});
