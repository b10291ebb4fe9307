// biome-ignore-all lint/suspicious/noTemplateCurlyInString: config text with ${VAR} references, not templates
/**
 * `runs` and `runs show` through the built CLI, after real syncs against both emulators: the
 * history a user reads the morning after, with nothing but the snapshot DB at hand.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listAssignedUsers } from "../../src/emulators/org-assignments.js";
import { updateProfile } from "../../src/emulators/org-user-changes.js";
import { type Sandbox, startSandbox } from "../../src/emulators/sandbox.js";
import { cleanEnv, runCli, workdir } from "../support/cli.js";

let sandbox: Sandbox;
let dir: string;
let env: Record<string, string>;
const db = () => join(dir, "state.db");
const cli = (...args: string[]) => runCli(["--log-format", "pretty", ...args], { env, cwd: dir });
const fileHash = (path: string) => createHash("sha256").update(readFileSync(path)).digest("hex");

/** The two syncs made in beforeAll: a partial one (one create failed), then a clean one. */
let partialRunId: string;
/** What that partial sync reported as failed: the create, and what depended on it. */
let reportedFailures: { type: string; target: string; error: string }[];
let cleanRunId: string;
let activeUsers: number;
let updatedUser: { userName: string; oldTitle: string; newTitle: string };

interface RunJson {
  id: string;
  command: string;
  startedAt: string;
  finishedAt: string | null;
  durationMs: number | null;
  status: string;
  summary: Record<string, number>;
  failed: number;
  warnings: string[];
}

interface OperationJson {
  index: number;
  type: string;
  target: string;
  outcome: string;
  error: string | null;
  detail: { type: string };
}

beforeAll(async () => {
  sandbox = await startSandbox({ org: { users: 24, groups: 2, seed: 9 }, okta: { rateLimits: false } });
  dir = workdir({
    groups: { push: sandbox.groupNames },
    state: { path: "./state.db" },
    command: { requestsPerMinute: 0 },
    // One attempt per request, so the injected fault fails exactly one operation.
    retry: { maxAttempts: 1 },
  });
  env = cleanEnv(sandbox.env());
  activeUsers = listAssignedUsers(sandbox.org).filter((a) => a.user.status !== "DEPROVISIONED").length;

  const empty = await cli("runs");
  expect(empty.code).toBe(0);
  expect(empty.stdout.trim()).toBe(`no runs yet (no snapshot at ${db()})`);
  expect(existsSync(db())).toBe(false);

  sandbox.command.injectFault({ match: { method: "POST", pathPrefix: "/Users" }, nth: 1, status: 500 });
  const first = await cli("sync", "--json");
  expect(first.code).toBe(1);
  const firstBody = JSON.parse(first.stdout);
  expect(firstBody.status).toBe("partial");
  partialRunId = firstBody.runId;
  reportedFailures = firstBody.failed;
  expect(reportedFailures.filter((f) => f.type === "createUser")).toHaveLength(1);

  const failedUser = reportedFailures.find((f) => f.type === "createUser")!.target;
  const assigned = listAssignedUsers(sandbox.org).find((a) => a.user.status === "ACTIVE" && a.user.profile.login !== failedUser)!.user;
  updatedUser = { userName: assigned.profile.login, oldTitle: String(assigned.profile.title ?? ""), newTitle: "Keeper of the Run Log" };
  updateProfile(sandbox.org, assigned.id, { title: updatedUser.newTitle });
  const second = await cli("sync", "--json");
  expect(second.code).toBe(0);
  cleanRunId = JSON.parse(second.stdout).runId;
}, 60_000);

afterAll(async () => {
  await sandbox.close();
});

async function listJson(...args: string[]): Promise<RunJson[]> {
  const result = await cli("runs", "--json", ...args);
  expect(result.code).toBe(0);
  const body = JSON.parse(result.stdout) as { runs: RunJson[] };
  expect(Object.keys(body)).toEqual(["runs"]);
  return body.runs;
}

describe("runs", () => {
  it("before any run says so, and --json gives an empty list", async () => {
    const fresh = workdir({ state: { path: "./none.db" } });
    const result = await runCli(["runs", "--json"], { env, cwd: fresh });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ runs: [] });
    expect(existsSync(join(fresh, "none.db"))).toBe(false);
  });

  it("--json lists the runs newest first with their counts, failures and timings", async () => {
    const runs = await listJson();
    expect(runs.map((r) => r.id)).toEqual([cleanRunId, partialRunId]);
    for (const run of runs) {
      expect(Object.keys(run).sort()).toEqual(["command", "durationMs", "failed", "finishedAt", "id", "startedAt", "status", "summary", "warnings"]);
      expect(run.command).toBe("sync");
      expect(run.durationMs).toBe(Date.parse(run.finishedAt!) - Date.parse(run.startedAt));
      expect(run.warnings).toEqual([]);
    }
    const [clean, partial] = runs as [RunJson, RunJson];
    expect(partial).toMatchObject({ status: "partial", failed: reportedFailures.length });
    expect(partial.summary.createUser).toBe(activeUsers - 1);
    expect(partial.summary.createGroup).toBe(2);
    expect(clean).toMatchObject({ status: "succeeded", failed: 0 });
    // The user whose create failed is created now, besides the title change.
    expect(clean.summary.createUser).toBe(1);
    expect(clean.summary.updateUser).toBe(1);
    expect(Date.parse(clean.startedAt)).toBeGreaterThanOrEqual(Date.parse(partial.startedAt));
  });

  it("prints one line per run, newest first, with status, counts and failures", async () => {
    const result = await cli("runs");
    expect(result.code).toBe(0);
    expect(result.stderr).toBe("");
    const lines = result.stdout.split("\n");
    expect(lines[0]).toBe(`Runs in ${db()}: 2, newest first, times in UTC, kept for 90d`);
    const cleanLine = lines.findIndex((line) => line.includes(cleanRunId));
    const partialLine = lines.findIndex((line) => line.includes(partialRunId));
    expect(cleanLine).toBeGreaterThan(0);
    expect(partialLine).toBeGreaterThan(cleanLine);
    expect(lines[partialLine]).toMatch(
      new RegExp(`^  ${partialRunId}  \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\dZ  \\S+\\s+sync\\s+partial\\s+${reportedFailures.length}\\s+0\\s+users \\+${activeUsers - 1}, groups \\+2, members \\+\\d+$`),
    );
    expect(lines[cleanLine]).toMatch(/sync\s+succeeded\s+0\s+0\s+users \+1 ~1/);
    expect(result.stdout).toContain("changes: + created or added");
  });

  it("--limit keeps the newest runs only", async () => {
    expect((await listJson("--limit", "1")).map((r) => r.id)).toEqual([cleanRunId]);
    const text = await cli("runs", "--limit", "1");
    expect(text.stdout).toContain("newest 1 of 2 (--limit for more)");
    expect(text.stdout).not.toContain(partialRunId);
    const bad = await cli("runs", "--limit", "none");
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("must be a whole number");
  });

  it("reads the DB without writing to it", async () => {
    const before = fileHash(db());
    await cli("runs");
    await cli("runs", "show", cleanRunId);
    expect(fileHash(db())).toBe(before);
  });
});

describe("runs show", () => {
  it("lists every operation of a run by a prefix of its id, with the failed one and its error", async () => {
    const prefix = partialRunId.slice(0, -2);
    const json = await cli("runs", "show", prefix, "--json");
    expect(json.code).toBe(0);
    const body = JSON.parse(json.stdout) as { run: RunJson; operations: OperationJson[] };
    expect(Object.keys(body)).toEqual(["run", "operations"]);
    expect(body.run).toEqual((await listJson()).find((r) => r.id === partialRunId));
    const ops = body.operations;
    expect(ops.map((o) => o.index)).toEqual(ops.map((_, i) => i));
    for (const op of ops) {
      expect(Object.keys(op)).toEqual(["index", "type", "target", "outcome", "error", "detail"]);
      expect(op.detail.type).toBe(op.type);
    }
    // The history holds exactly what the sync reported as failed, errors included.
    const failed = ops.filter((o) => o.outcome === "failed");
    expect(failed.map((o) => ({ type: o.type, target: o.target, error: o.error }))).toEqual(reportedFailures);
    expect(failed.find((o) => o.type === "createUser")!.error).toMatch(/Command answered 500 to POST/);
    expect(ops.filter((o) => o.outcome === "succeeded").every((o) => o.error === null)).toBe(true);
    expect(ops.filter((o) => o.type === "createUser")).toHaveLength(activeUsers);

    const text = await cli("runs", "show", prefix);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(`Run ${partialRunId}  partial`);
    expect(text.stdout).toContain(`Operations (${ops.length}, ${failed.length} failed):`);
    for (const op of ops) {
      expect(text.stdout).toMatch(new RegExp(`^ +${op.index}  ${op.outcome} +${op.type} +${escapeRegExp(op.target)}`, "m"));
    }
    const lines = text.stdout.split("\n");
    const failedCreate = lines.findIndex((line) => /^ +\d+ {2}failed +createUser /.test(line));
    expect(lines[failedCreate + 1]).toMatch(/^ +x Command answered 500 to POST/);
  });

  it("shows an update's before -> after, and --failed narrows to failures", async () => {
    const text = await cli("runs", "show", cleanRunId);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(
      new RegExp(`updateUser +${escapeRegExp(updatedUser.userName)} {2}title: ${escapeRegExp(JSON.stringify(updatedUser.oldTitle))} -> "${updatedUser.newTitle}"`),
    );
    const onlyFailed = await cli("runs", "show", partialRunId, "--failed", "--json");
    const failedOps = (JSON.parse(onlyFailed.stdout) as { operations: OperationJson[] }).operations;
    expect(failedOps.map((o) => o.outcome)).toEqual(reportedFailures.map(() => "failed"));
    const none = await cli("runs", "show", cleanRunId, "--failed");
    expect(none.stdout).toMatch(/No failed operations \(of \d+\)\./);
  });

  it("accepts the id without its r- prefix", async () => {
    const result = await cli("runs", "show", cleanRunId.slice(2), "--json");
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).run.id).toBe(cleanRunId);
  });

  it("exits 1 with a clear error for an unknown or ambiguous id, and only the failure document on stdout", async () => {
    const unknown = await cli("runs", "show", "r-19990101", "--json");
    expect(unknown.code).toBe(1);
    expect(JSON.parse(unknown.stdout)).toEqual({
      status: "failed",
      error: { kind: "config", message: `no run matches r-19990101 in ${db()}`, hint: "`okta-command-sync runs` lists the run ids" },
    });
    expect(unknown.stderr).toContain(`error: no run matches r-19990101 in ${db()}`);
    expect(unknown.stderr).toContain("`okta-command-sync runs` lists the run ids");

    const ambiguous = await cli("runs", "show", "r-");
    expect(ambiguous.code).toBe(1);
    expect(ambiguous.stderr).toContain("error: run id prefix r- is ambiguous: it matches");
    expect(ambiguous.stderr).toContain(cleanRunId);

    const missing = await cli("runs", "show");
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("missing required argument 'id'");
  });
});

describe("with nothing but the snapshot DB", () => {
  it("works with only OCS_STATE set: no config file, no Okta or Command credentials", async () => {
    const bare = workdir(undefined);
    const bareEnv = cleanEnv({ OCS_STATE: db() });
    const sync = await runCli(["sync"], { env: bareEnv, cwd: bare });
    expect(sync.code).toBe(1);
    expect(sync.stderr).toMatch(/is required/);

    const list = await runCli(["runs", "--json"], { env: bareEnv, cwd: bare });
    expect(list.code).toBe(0);
    expect((JSON.parse(list.stdout) as { runs: RunJson[] }).runs.map((r) => r.id)).toEqual([cleanRunId, partialRunId]);
    const show = await runCli(["runs", "show", partialRunId.slice(0, -1)], { env: bareEnv, cwd: bare });
    expect(show.code).toBe(0);
    expect(show.stdout).toContain(`Run ${partialRunId}`);
  });

  it("works with a config file whose credentials are not set, and uses its state section", async () => {
    const other = workdir(undefined);
    const config = join(other, "ocs.yaml");
    writeFileSync(
      config,
      [
        "okta:",
        "  orgUrl: https://acme.okta.com",
        "  appId: 0oa1b2c3d4e5f6",
        "  token: ${OKTA_API_TOKEN}",
        "command:",
        "  token: ${COMMAND_SCIM_TOKEN}",
        "state:",
        `  path: ${db()}`,
        "  retention: 2w",
        "",
      ].join("\n"),
    );
    const otherEnv = cleanEnv({ OCS_CONFIG: config });
    const result = await runCli(["runs"], { env: otherEnv, cwd: other });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`Runs in ${db()}: 2, newest first, times in UTC, kept for 2w`);

    // A mistake in state itself is still reported.
    writeFileSync(config, "state:\n  retention: 90\n");
    const bad = await runCli(["runs"], { env: otherEnv, cwd: other });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("state.retention: must be a duration such as 90d");
  });
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
