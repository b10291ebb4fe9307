/**
 * Runs that nobody watches, through the built CLI with stdout and stderr on pipes as cron and a
 * Kubernetes CronJob run it: a last `run finished` record, one-line `--json` also on failure,
 * one error record with its hint, a silent `--quiet`, and the small things a scheduler's log
 * shows (counts, mistyped flags, a state path that cannot be written).
 */
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listAssignedUsers } from "../../src/emulators/org-assignments.js";
import { unassignUser, updateProfile } from "../../src/emulators/org-user-changes.js";
import { type Sandbox, startSandbox } from "../../src/emulators/sandbox.js";
import { cleanEnv, runCli, workdir } from "../support/cli.js";

type LogRecord = Record<string, unknown> & { level: string; msg: string };

let sandbox: Sandbox;
let dir: string;
let env: Record<string, string>;

beforeAll(async () => {
  sandbox = await startSandbox({ org: { users: 20, groups: 2, seed: 21 }, okta: { rateLimits: false } });
  dir = workdir({ groups: { push: sandbox.groupNames }, state: { path: "./state.db" } });
  env = cleanEnv(sandbox.env());
});
afterAll(async () => {
  await sandbox.close();
});

const cli = (args: string[], options: { env?: Record<string, string>; cwd?: string } = {}) => runCli(args, { env: options.env ?? env, cwd: options.cwd ?? dir });

/** Every stderr line is a JSON record; fails the test on a plain-text line. */
function records(stderr: string): LogRecord[] {
  return stderr
    .trim()
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => {
      try {
        return JSON.parse(line) as LogRecord;
      } catch {
        throw new Error(`a plain-text line on stderr: ${line}`);
      }
    });
}

const withoutCommandToken = () => {
  const { COMMAND_SCIM_TOKEN: _token, ...rest } = sandbox.env();
  return cleanEnv(rest);
};

describe("the run finished record", () => {
  it("ends every run off a terminal, with the run id, command, status, summary and duration, and nothing plain on either stream", async () => {
    const sync = await cli(["sync"]);
    expect(sync.code, sync.stderr).toBe(0);
    expect(sync.stdout).toBe("");
    const logs = records(sync.stderr);
    const last = logs.at(-1)!;
    expect(last).toMatchObject({ level: "info", msg: "run finished", command: "sync", status: "succeeded" });
    expect(last.runId).toMatch(/^r-/);
    expect((last.summary as Record<string, number>).createUser).toBe(listAssignedUsers(sandbox.org).length);
    expect(typeof last.durationMs).toBe("number");
    expect(logs.filter((r) => r.msg === "run finished")).toHaveLength(1);

    for (const args of [["plan"], ["check", "--skip-remote"], ["import"]]) {
      const result = await cli(args);
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout, args.join(" ")).toBe("");
      expect(records(result.stderr).at(-1), args.join(" ")).toMatchObject({ msg: "run finished", command: args[0], status: "succeeded" });
    }

    // A refusal ends the same way, with its status.
    const refused = await cli(["sync", "--max-deactivations", "0"], { cwd: dir });
    expect(refused.code).toBe(0); // nothing to deactivate yet
    const user = listAssignedUsers(sandbox.org)[0]!.user;
    unassignUser(sandbox.org, user.id);
    const stopped = await cli(["sync", "--max-deactivations", "0"]);
    expect(stopped.code).toBe(3);
    expect(records(stopped.stderr).at(-1)).toMatchObject({ level: "warn", msg: "run finished", command: "sync", status: "refused" });
  });

  it("ends a run that failed before it started, too", async () => {
    const result = await cli(["sync"], { env: withoutCommandToken() });
    expect(result.code).toBe(1);
    expect(records(result.stderr).at(-1)).toMatchObject({ msg: "run finished", command: "sync", status: "failed", summary: {} });
  });
});

describe("warnings with JSON logs", () => {
  it("are warn records, as the report that would list them is not printed", async () => {
    const elsewhere = workdir({ groups: { push: sandbox.groupNames }, state: { path: "./state.db" }, command: { domains: ["elsewhere.test"] } });
    const result = await cli(["plan"], { cwd: elsewhere });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe("");
    const warning = records(result.stderr).find((r) => r.level === "warn" && r.msg.includes("outside command.domains (elsewhere.test)"));
    expect(warning).toBeDefined();
  });
});

describe("--json on failure", () => {
  it("prints one line with the error's kind, message and hint, for every command, on a config error", async () => {
    for (const args of [["sync"], ["plan"], ["import"], ["backfill", "--group", sandbox.groupNames[0]!], ["check"]]) {
      const result = await cli([...args, "--json"], { env: withoutCommandToken() });
      expect(result.code, args.join(" ")).toBe(1);
      const lines = result.stdout.split("\n").filter((l) => l !== "");
      expect(lines, args.join(" ")).toHaveLength(1);
      const body = JSON.parse(lines[0]!) as { status: string; error: { kind: string; message: string; hint: string } };
      expect(body.status).toBe("failed");
      expect(body.error.kind).toBe("config");
      expect(body.error.message).toContain("command.token");
      expect(body.error.hint).toContain("config.example.yaml");
    }
  });

  it("prints one line for an auth failure and for a mistyped flag", async () => {
    const auth = await cli(["sync", "--json"], { env: { ...env, OKTA_API_TOKEN: "00-not-the-token" } });
    expect(auth.code).toBe(1);
    expect(auth.stdout.trim().split("\n")).toHaveLength(1);
    expect(JSON.parse(auth.stdout)).toMatchObject({ status: "failed", error: { kind: "auth", message: expect.stringContaining("401") } });
    expect(auth.stdout).not.toContain("00-not-the-token");

    const usage = await cli(["sync", "--json", "--dry-rnu"]);
    expect(usage.code).toBe(1);
    expect(usage.stdout.trim().split("\n")).toHaveLength(1);
    expect(JSON.parse(usage.stdout)).toMatchObject({ status: "failed", error: { kind: "usage", message: expect.stringContaining("--dry-rnu") } });
  });
});

describe("errors", () => {
  it("an error with a hint is one error record carrying the hint", async () => {
    const result = await cli(["runs", "show", "r-no-such-run"]);
    expect(result.code).toBe(1);
    const errors = records(result.stderr).filter((r) => r.level === "error");
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ msg: expect.stringContaining("no run matches r-no-such-run"), hint: expect.stringContaining("okta-command-sync runs"), kind: "config" });
  });

  it("a mistyped flag or command is one line with a suggestion and where to look, not the whole help", async () => {
    const flag = await cli(["sync", "--dry-rnu", "--log-format", "pretty"]);
    expect(flag.code).toBe(1);
    expect(flag.stderr.trim().split("\n")).toEqual(["error: unknown option '--dry-rnu' (did you mean --dry-run?): see okta-command-sync sync --help"]);
    expect(flag.stdout).toBe("");

    const command = await cli(["snyc"]);
    expect(command.code).toBe(1);
    const [record, ...more] = records(command.stderr);
    expect(more).toEqual([]);
    expect(record).toMatchObject({ level: "error", kind: "usage", msg: "unknown command 'snyc' (did you mean sync?)", hint: "see okta-command-sync --help" });
  });

  it("backfill --group with a group Okta does not have names the flag, not groups.push", async () => {
    const result = await cli(["backfill", "--group", "Nope", "--log-format", "pretty"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`error: --group: Okta has no group named "Nope"`);
    expect(result.stderr).not.toContain("groups.push");
    expect(result.stderr).not.toContain("invalid configuration");
  });
});

describe("--quiet", () => {
  it("prints nothing when the run succeeds, and the error and the last record when it does not", async () => {
    updateProfile(sandbox.org, listAssignedUsers(sandbox.org)[1]!.user.id, { title: "Quietly Promoted" });
    const quiet = await cli(["sync", "--quiet", "--max-deactivations", "100%"]);
    expect(quiet.code, quiet.stderr).toBe(0);
    expect(quiet.stdout).toBe("");
    expect(quiet.stderr).toBe("");

    const json = await cli(["plan", "--quiet", "--json"]);
    expect(json.code).toBe(0);
    expect(json.stderr).toBe("");
    expect(JSON.parse(json.stdout)).toMatchObject({ changes: false });

    const failed = await cli(["sync", "--quiet"], { env: { ...env, OKTA_API_TOKEN: "00-not-the-token" } });
    expect(failed.code).toBe(1);
    expect(failed.stdout).toBe("");
    const logs = records(failed.stderr);
    expect(logs.filter((r) => r.level === "error")).toHaveLength(1);
    expect(logs.at(-1)).toMatchObject({ msg: "run finished", status: "failed" });
  });
});

describe("counts", () => {
  it("say 1 operation and 1 user, never 1 operations", async () => {
    updateProfile(sandbox.org, listAssignedUsers(sandbox.org)[2]!.user.id, { title: "Singular" });
    const one = await cli(["sync", "--log-format", "pretty", "--max-deactivations", "100%"]);
    expect(one.code, one.stderr).toBe(0);
    expect(one.stderr).toContain("Applied 1 operation to Command");
    expect(`${one.stdout}${one.stderr}`).not.toMatch(/\b1 (operations|users|groups|changes)\b/);

    unassignUser(sandbox.org, listAssignedUsers(sandbox.org)[3]!.user.id);
    const refused = await cli(["sync", "--log-format", "pretty", "--max-deactivations", "0"]);
    expect(refused.code).toBe(3);
    expect(refused.stdout).toContain("the plan deactivates 1 user, over safety.maxDeactivations");
    expect(`${refused.stdout}${refused.stderr}`).not.toMatch(/\b1 (operations|users|groups|changes)\b/);
  });
});

describe("check and the state path", () => {
  it("fails when the snapshot DB could not be written there, and leaves a writable one as it was", async () => {
    const blocked = workdir({ groups: { push: sandbox.groupNames }, state: { path: "./blocker/state.db" } });
    writeFileSync(join(blocked, "blocker"), "a file where the state directory should be\n");
    const result = await cli(["check", "--skip-remote", "--json"], { cwd: blocked });
    expect(result.code).toBe(1);
    const body = JSON.parse(result.stdout) as { checks: { id: string; status: string; detail: string; fix?: string }[] };
    const db = body.checks.find((c) => c.id === "snapshot.db")!;
    expect(db).toMatchObject({ status: "fail" });
    expect(db.detail).toContain(`cannot write snapshot DB ${join(blocked, "blocker", "state.db")}`);
    expect(db.fix).toContain("read and write access");

    const fine = workdir({ groups: { push: sandbox.groupNames }, state: { path: "./state/here/state.db" } });
    mkdirSync(join(fine, "state"));
    const before = readdirSync(join(fine, "state"));
    const ok = await cli(["check", "--skip-remote", "--json"], { cwd: fine });
    expect(ok.code, ok.stdout).toBe(0);
    expect(readdirSync(join(fine, "state"))).toEqual(before);
  });
});

describe("start-up", () => {
  const preload = fileURLToPath(new URL("../support/without-modules.mjs", import.meta.url));
  const blocking = (names: string[]) => cleanEnv({ NODE_OPTIONS: `--import=${preload}`, OCS_TEST_BLOCKED: names.join(","), OCS_STATE: join(dir, "none", "state.db") });
  const heavy = ["@okta/okta-sdk-nodejs", "better-sqlite3", "undici", "ora", "pino", "libphonenumber-js"];

  it("--version and --help load none of the SDK, SQLite, HTTP, spinner, logger or schema packages", async () => {
    const env = blocking([...heavy, "zod", "yaml"]);
    const version = await cli(["--version"], { env });
    expect(version.stderr).toBe("");
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    const help = await cli(["--help"], { env });
    expect(help.stderr).toBe("");
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("Commands:");
  });

  it("runs on an empty state reads the config without loading the SDK, SQLite or HTTP packages", async () => {
    const result = await cli(["runs"], { env: blocking(heavy), cwd: workdir(undefined) });
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("no runs yet");

    // The same guard stops a command that does need them, so it really guards.
    const sync = await cli(["sync"], { env: { ...env, NODE_OPTIONS: `--import=${preload}`, OCS_TEST_BLOCKED: "better-sqlite3" } });
    expect(sync.code).toBe(1);
    expect(sync.stderr).toContain("a blocked package was loaded: better-sqlite3");
  });
});
