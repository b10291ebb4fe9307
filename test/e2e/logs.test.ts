/** Logs on stderr as an operator or a log pipeline sees them, through the built CLI. */
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listAssignedUsers } from "../../src/emulators/org-assignments.js";
import { updateProfile } from "../../src/emulators/org-user-changes.js";
import { type Sandbox, startSandbox } from "../../src/emulators/sandbox.js";
import { cleanEnv, runCli, workdir } from "../support/cli.js";

let sandbox: Sandbox;
let dir: string;
let env: Record<string, string>;

beforeAll(async () => {
  sandbox = await startSandbox({ org: { users: 20, groups: 2, seed: 9 }, okta: { rateLimits: false } });
  dir = workdir({ groups: { push: sandbox.groupNames }, state: { path: "./state.db" } });
  env = cleanEnv(sandbox.env());
  expect((await runCli(["sync"], { env, cwd: dir })).code).toBe(0);
});
afterAll(async () => {
  await sandbox.close();
});

describe("logs", () => {
  it("--log-format json: one JSON object per line with time, level, msg and the run id, and an audit line per operation with before/after", async () => {
    const user = listAssignedUsers(sandbox.org)[0]!.user;
    const oldTitle = user.profile.title;
    updateProfile(sandbox.org, user.id, { title: "Head of Audits" });
    const result = await runCli(["sync", "--log-format", "json"], { env, cwd: dir });
    expect(result.code).toBe(0);
    const lines = result.stderr.trim().split("\n").map((line) => JSON.parse(line) as Record<string, unknown>);
    for (const line of lines) {
      expect(typeof line.time).toBe("string");
      expect(["debug", "info", "warn", "error"]).toContain(line.level);
      expect(typeof line.msg).toBe("string");
    }
    const audit = lines.find((l) => l.operation === "updateUser");
    expect(audit).toMatchObject({
      level: "info",
      outcome: "succeeded",
      oktaId: user.id,
      before: { title: oldTitle },
      after: { title: "Head of Audits" },
    });
    expect(audit?.runId).toMatch(/^r-/);
    expect(result.stderr).not.toContain(sandbox.commandToken);
  });

  it("logs are json by default when stderr is not a terminal, and a successful --quiet run prints nothing at all", async () => {
    const normal = await runCli(["plan"], { env, cwd: dir });
    expect(JSON.parse(normal.stderr.trim().split("\n")[0]!)).toHaveProperty("msg");
    const quiet = await runCli(["plan", "--quiet"], { env, cwd: dir });
    expect(quiet.code).toBe(0);
    expect(quiet.stderr).toBe("");
    expect(quiet.stdout).toBe("");
    const pretty = await runCli(["plan", "--log-format", "pretty"], { env, cwd: dir });
    expect(pretty.stdout).toContain("No changes");
  });

  it("sync --metrics-file writes Prometheus metrics of the run, and --pushgateway pushes them", async () => {
    const received: { method?: string; url?: string; body: string }[] = [];
    const server = createServer((req, res) => {
      let body = "";
      req.on("data", (c: Buffer) => {
        body += c.toString();
      });
      req.on("end", () => {
        received.push({ method: req.method, url: req.url, body });
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    const port = (server.address() as AddressInfo).port;
    try {
      updateProfile(sandbox.org, listAssignedUsers(sandbox.org)[2]!.user.id, { title: "Metered" });
      const file = join(dir, "okta_command_sync.prom");
      const result = await runCli(["sync", "--metrics-file", file, "--pushgateway", `http://127.0.0.1:${port}`], { env, cwd: dir });
      expect(result.code).toBe(0);
      const text = readFileSync(file, "utf8");
      expect(text).toMatch(/^okta_command_sync_last_run_success 1$/m);
      expect(text).toMatch(/^okta_command_sync_last_success_timestamp_seconds \d+/m);
      expect(text).toMatch(/^okta_command_sync_operations\{type="updateUser",outcome="succeeded"\} 1$/m);
      expect(text).toMatch(/^okta_command_sync_http_requests\{side="command",code="2xx"\} [1-9]/m);
      expect(text).toMatch(/^okta_command_sync_users_in_scope \d+/m);
      expect(received).toEqual([{ method: "PUT", url: "/metrics/job/okta_command_sync", body: text }]);
      const missing = await runCli(["sync", "--metrics-file", join(dir, "no-such-dir", "x.prom")], { env, cwd: dir });
      expect(missing.code).toBe(1);
    } finally {
      server.close();
    }
  });

  it("plan --format markdown prints a Markdown table ready for a ticket", async () => {
    const user = listAssignedUsers(sandbox.org)[1]!.user;
    updateProfile(sandbox.org, user.id, { title: "Markdown Fan" });
    const result = await runCli(["plan", "--format", "markdown"], { env, cwd: dir });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("## okta-command-sync plan");
    expect(result.stdout).toMatch(/\| 1 \| updateUser \| \S+ \| title: ".*" -> "Markdown Fan" \|/);
    expect((await runCli(["plan", "--format", "html"], { env, cwd: dir })).code).toBe(1);
  });
});
