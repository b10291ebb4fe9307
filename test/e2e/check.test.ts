/**
 * `check` through the built CLI against both emulators: every check passing, each failure kind
 * reported with its fix while the other checks still run, OAuth service apps, the staleness
 * probe, and a probe that makes no request at all.
 */
import { generateKeyPairSync } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type VerkadaEmulator, startVerkadaEmulator } from "../../src/emulators/verkada-emulator.js";
import { type Sandbox, startSandbox } from "../../src/emulators/sandbox.js";
import { emptySummary } from "../../src/model.js";
import { openSnapshotStore } from "../../src/store/index.js";
import { type CliResult, cleanEnv, runCli, workdir } from "../support/cli.js";

interface Check {
  id: string;
  side: string;
  name: string;
  status: "pass" | "fail" | "skip";
  detail: string;
  fix?: string;
}
interface CheckBody {
  ok: boolean;
  checks: Check[];
}

const SCOPES = ["okta.users.read", "okta.groups.read", "okta.apps.read"];
const FULL_APP = "0oaCheckFullScopes001";
const LIMITED_APP = "0oaCheckNoAppsScope01";
const HOUR = 3_600_000;

let sandbox: Sandbox;
let noDiscovery: VerkadaEmulator;
let env: Record<string, string>;
let keyFile: string;
let otherKeyFile: string;
let keyPem: string;

function rsaKey(): { pem: string; publicPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  return {
    pem: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
    publicPem: publicKey.export({ type: "spki", format: "pem" }).toString(),
  };
}

beforeAll(async () => {
  const known = rsaKey();
  const other = rsaKey();
  keyPem = known.pem;
  sandbox = await startSandbox({
    org: { users: 20, groups: 3, seed: 5, assignedGroups: 1 },
    okta: {
      rateLimits: false,
      oauthClients: [
        { clientId: FULL_APP, publicKey: known.publicPem, scopes: SCOPES },
        { clientId: LIMITED_APP, publicKey: known.publicPem, scopes: ["okta.users.read", "okta.groups.read"] },
      ],
    },
  });
  noDiscovery = await startVerkadaEmulator({ token: sandbox.commandToken, discovery: false });
  env = cleanEnv(sandbox.env());
  const keys = workdir(undefined);
  keyFile = join(keys, "service-app.pem");
  otherKeyFile = join(keys, "unknown.pem");
  writeFileSync(keyFile, known.pem);
  writeFileSync(otherKeyFile, other.pem);
});
afterAll(async () => {
  await Promise.all([sandbox.close(), noDiscovery.close()]);
});

/** A working directory whose config pushes the given groups (default: the first by name, the second by id). */
function dirWith(config: Record<string, unknown> = {}): string {
  const [g0, g1] = sandbox.org.groups;
  return workdir({ groups: { push: [g0!.name, g1!.id] }, state: { path: "./state.db" }, ...config });
}

function check(args: string[], options: { dir?: string; env?: Record<string, string> } = {}): Promise<CliResult> {
  return runCli(["check", ...args], { cwd: options.dir ?? dirWith(), env: options.env ?? env });
}

async function checkJson(args: string[], options: { dir?: string; env?: Record<string, string> } = {}): Promise<CliResult & { body: CheckBody }> {
  const result = await check(["--json", ...args], options);
  return { ...result, body: JSON.parse(result.stdout) as CheckBody };
}

function byId(body: CheckBody, id: string): Check {
  const found = body.checks.find((c) => c.id === id);
  if (found === undefined) throw new Error(`no check ${id} in ${body.checks.map((c) => c.id).join(", ")}`);
  return found;
}

function statuses(body: CheckBody): Record<string, string> {
  return Object.fromEntries(body.checks.map((c) => [c.id, c.status]));
}

function oauthEnv(clientId: string, key = keyFile): Record<string, string> {
  const { OKTA_API_TOKEN: _token, ...base } = sandbox.env();
  return cleanEnv({ ...base, OKTA_CLIENT_ID: clientId, OKTA_PRIVATE_KEY_FILE: key, OKTA_KEY_ID: "check-key-1" });
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Records finished runs in a new snapshot DB, each `[command, status, finished ms ago]`. */
function recordRuns(dir: string, runs: readonly [string, "succeeded" | "partial" | "failed", number][]): void {
  const store = openSnapshotStore(join(dir, "state.db"));
  try {
    for (const [command, status, ago] of runs) {
      const finishedAt = new Date(Date.now() - ago);
      const id = store.beginRun(command, new Date(finishedAt.getTime() - 30_000));
      store.finishRun(id, { status, finishedAt, summary: emptySummary(), failed: status === "succeeded" ? 0 : 1, warnings: [] });
    }
  } finally {
    store.close();
  }
}

describe("check against the emulators", () => {
  it("passes every check, as JSON and as a table, and writes nothing anywhere", async () => {
    const dir = dirWith();
    sandbox.command.resetLog();
    const oktaBefore = sandbox.okta.requests.length;
    const { code, body, stderr } = await checkJson([], { dir });
    expect(code, stderr).toBe(0);
    expect(body.ok).toBe(true);
    const [g0, g1] = sandbox.org.groups;
    expect(body.checks.map((c) => c.id)).toEqual([
      "config",
      "okta.reachable",
      "okta.credential",
      "okta.app",
      "okta.appUsers",
      "okta.systemLog",
      `okta.group:${g0!.name}`,
      `okta.group:${g1!.id}`,
      "command.reachable",
      "command.token",
      "command.serviceProviderConfig",
      "snapshot.db",
      "snapshot.runs",
    ]);
    for (const c of body.checks) {
      expect(c).toMatchObject({ status: "pass", side: c.id.split(/[.:]/)[0] });
      expect(c.name).not.toBe("");
      expect(c.detail).not.toBe("");
      expect(c.fix).toBeUndefined();
    }
    expect(byId(body, "okta.app").detail).toContain(sandbox.org.app.label);
    expect(byId(body, `okta.group:${g0!.name}`).detail).toBe(`${g0!.name} (${g0!.id})`);
    expect(byId(body, `okta.group:${g1!.id}`).detail).toBe(`${g1!.name} (${g1!.id})`);
    expect(byId(body, "command.serviceProviderConfig").detail).toMatch(/patch yes; filter yes \(maxResults \d+\); sort no; etag yes; changePassword no; bulk no/);
    expect(byId(body, "snapshot.db").detail).toContain("no snapshot yet");

    // Reads only: one page of one user from Command, GETs from Okta, and no snapshot file.
    expect(sandbox.command.writeCount()).toBe(0);
    expect(sandbox.command.requests.map((r) => `${r.method} ${r.path}`)).toEqual(["GET /Users", "GET /ServiceProviderConfig"]);
    expect(sandbox.command.requests[0]!.query).toEqual({ startIndex: "1", count: "1" });
    expect(sandbox.okta.requests.slice(oktaBefore).every((r) => r.method === "GET" && r.status === 200)).toBe(true);
    expect(existsSync(join(dir, "state.db"))).toBe(false);

    // The table is the report of pretty logs (JSON logs carry the counts in their last record).
    const text = await check(["--log-format", "pretty"], { dir });
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^Configuration\n/);
    expect(text.stdout).toMatch(/\n {2}push group "[^"]+" +pass {2}/);
    expect(text.stdout).toContain(`\nAll ${body.checks.length} checks passed.`);
    expect(text.stdout).not.toContain("\u001b["); // no colour off a TTY
    for (const output of [text.stdout, text.stderr]) {
      expect(output).not.toContain(sandbox.oktaToken);
      expect(output).not.toContain(sandbox.commandToken);
    }
  });

  it("a refused Command token fails that check with its fix, skips what needs it, and still runs the others", async () => {
    const wrong = "an-old-command-token-7d1c";
    const runEnv = { ...env, COMMAND_SCIM_TOKEN: wrong };
    const { code, body, stdout, stderr } = await checkJson([], { env: runEnv });
    expect(code).toBe(1);
    expect(body.ok).toBe(false);
    const token = byId(body, "command.token");
    expect(token).toMatchObject({ status: "fail", side: "command" });
    expect(token.detail).toContain("401");
    expect(token.fix).toContain("Admin > Login & Access > SCIM");
    expect(byId(body, "command.reachable").status).toBe("pass");
    expect(byId(body, "command.serviceProviderConfig")).toMatchObject({ status: "skip", detail: "needs an accepted SCIM token" });
    expect(body.checks.filter((c) => c.side === "okta").every((c) => c.status === "pass")).toBe(true);
    expect(byId(body, "snapshot.db").status).toBe("pass");
    expect(`${stdout}${stderr}`).not.toContain(wrong);

    const text = await check(["--log-format", "pretty"], { env: runEnv });
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(/SCIM token accepted +FAIL {2}Command answered 401[^\n]*\n +fix: Command refused the SCIM token/);
    expect(text.stdout).toMatch(/\n1 of \d+ checks failed, 1 skipped\.$/m);
  });

  it("a wrong Okta API token fails the credential check; the app and groups are skipped, Command still checked", async () => {
    const { code, body } = await checkJson([], { env: { ...env, OKTA_API_TOKEN: "00wrong-okta-token-1234" } });
    expect(code).toBe(1);
    expect(byId(body, "okta.reachable").status).toBe("pass");
    const credential = byId(body, "okta.credential");
    expect(credential).toMatchObject({ status: "fail", name: "API token" });
    expect(credential.detail).toContain("401");
    expect(credential.fix).toContain("OKTA_API_TOKEN");
    for (const id of ["okta.app", "okta.appUsers"]) expect(byId(body, id)).toMatchObject({ status: "skip", detail: "needs a working API token" });
    expect(body.checks.filter((c) => c.id.startsWith("okta.group:")).every((c) => c.status === "skip")).toBe(true);
    expect(body.checks.filter((c) => c.side === "command").every((c) => c.status === "pass")).toBe(true);
  });

  it("an unknown app id fails the app check with the fix; the push groups are still found", async () => {
    const { code, body } = await checkJson([], { env: { ...env, OKTA_APP_ID: "0oaNoSuchApp00000000" } });
    expect(code).toBe(1);
    expect(byId(body, "okta.credential").status).toBe("pass");
    const app = byId(body, "okta.app");
    expect(app.status).toBe("fail");
    expect(app.detail).toContain("404");
    expect(app.fix).toContain("okta.appId");
    expect(byId(body, "okta.appUsers")).toMatchObject({ status: "skip", detail: "the app was not found" });
    expect(body.checks.filter((c) => c.id.startsWith("okta.group:")).every((c) => c.status === "pass")).toBe(true);
  });

  it("names each push group: found ones with their id, an unknown name and a wrong case as failures with fixes", async () => {
    const [g0, g1] = sandbox.org.groups;
    const dir = dirWith({ groups: { push: [g0!.name, "No Such Group", g1!.name.toUpperCase()] } });
    const { code, body } = await checkJson([], { dir });
    expect(code).toBe(1);
    expect(byId(body, `okta.group:${g0!.name}`)).toMatchObject({ status: "pass", detail: `${g0!.name} (${g0!.id})` });
    const unknown = byId(body, "okta.group:No Such Group");
    expect(unknown).toMatchObject({ status: "fail", name: 'push group "No Such Group"' });
    expect(unknown.detail).toContain('Okta has no group named "No Such Group"');
    expect(unknown.fix).toContain("Directory > Groups");
    const wrongCase = byId(body, `okta.group:${g1!.name.toUpperCase()}`);
    expect(wrongCase.status).toBe("fail");
    expect(wrongCase.fix).toContain(`did you mean "${g1!.name}"`);
    expect(body.checks.filter((c) => !c.id.startsWith("okta.group:")).every((c) => c.status === "pass")).toBe(true);
  });

  it("lists the groups assigned to the app with `groups.push: assigned`", async () => {
    const { code, body } = await checkJson([], { dir: dirWith({ groups: { push: "assigned" } }) });
    expect(code).toBe(0);
    const groups = byId(body, "okta.groups");
    expect(groups.name).toBe("groups assigned to the app");
    const assigned = sandbox.org.app.groups.map((a) => sandbox.org.groups.find((g) => g.id === a.groupId)!);
    expect(assigned).toHaveLength(1);
    expect(groups.detail).toBe(`1 group: ${assigned[0]!.name} (${assigned[0]!.id})`);
  });

  it("a Command without discovery endpoints still passes: ServiceProviderConfig not offered is a note, not a failure", async () => {
    const { code, body } = await checkJson([], { env: { ...env, COMMAND_SCIM_URL: noDiscovery.url } });
    expect(code).toBe(0);
    expect(byId(body, "command.serviceProviderConfig")).toMatchObject({ status: "pass" });
    expect(byId(body, "command.serviceProviderConfig").detail).toMatch(/^not offered \(404\)/);
  });

  it("a token that cannot read the System Log is a warning naming the scope, not a failure", async () => {
    sandbox.okta.behavior.systemLog = false;
    try {
      const { code, body } = await checkJson([]);
      expect(code).toBe(0);
      expect(body.ok).toBe(true);
      const log = byId(body, "okta.systemLog");
      expect(log.status).toBe("warn");
      expect(log.detail).toContain("sync --incremental will read everything on every run");
      expect(log.fix).toContain("okta.logs.read");
    } finally {
      sandbox.okta.behavior.systemLog = true;
    }
  });
});

describe("check with an OAuth 2.0 service app", () => {
  it("passes with a key Okta knows and every scope granted, reporting the scopes", async () => {
    const oktaBefore = sandbox.okta.requests.length;
    const result = await checkJson([], { env: oauthEnv(FULL_APP) });
    expect(result.code, result.stderr).toBe(0);
    const { body } = result;
    expect(byId(body, "okta.credential")).toMatchObject({ status: "pass", name: "service app credentials" });
    expect(byId(body, "okta.credential").detail).toContain(`service app ${FULL_APP} got an access token (private_key_jwt, key check-key-1)`);
    expect(byId(body, "okta.scopes")).toMatchObject({ status: "pass", detail: `granted: ${SCOPES.join(", ")}` });
    const requests = sandbox.okta.requests.slice(oktaBefore);
    expect(requests[0]).toMatchObject({ method: "POST", path: "/oauth2/v1/token", status: 200 });
    // The app was not granted okta.logs.read: the System Log answers 403, which only warns.
    expect(requests.slice(1).every((r) => r.auth === "bearer" && (r.status === 200 || (r.status === 403 && r.path.startsWith("/api/v1/logs"))))).toBe(true);
    expect(byId(body, "okta.systemLog")).toMatchObject({ status: "warn", fix: "grant the service app okta.logs.read and add it to okta.scopes" });
    const keyLines = keyPem.split("\n").slice(1, -2);
    for (const line of keyLines) expect(`${result.stdout}${result.stderr}`).not.toContain(line);
  });

  it("a service app missing okta.apps.read: Okta refuses the scope, and the check names it", async () => {
    const { code, body } = await checkJson([], { env: oauthEnv(LIMITED_APP) });
    expect(code).toBe(1);
    expect(byId(body, "okta.credential").status).toBe("pass");
    const scopes = byId(body, "okta.scopes");
    expect(scopes.status).toBe("fail");
    expect(scopes.detail).toMatch(/^Okta refused okta\.apps\.read:/);
    expect(scopes.fix).toContain("grant okta.apps.read to the service app");
    expect(scopes.fix).toContain("Okta API Scopes");
    for (const id of ["okta.app", "okta.appUsers"]) expect(byId(body, id)).toMatchObject({ status: "skip", detail: "needs an access token (Okta refused the scopes)" });
    expect(body.checks.filter((c) => c.side === "command").every((c) => c.status === "pass")).toBe(true);
  });

  it("a token without okta.apps.read: the app reads fail with 403 naming the scope; groups still pass", async () => {
    const dir = dirWith({ okta: { scopes: ["okta.users.read", "okta.groups.read"] } });
    const { code, body } = await checkJson([], { dir, env: oauthEnv(LIMITED_APP) });
    expect(code).toBe(1);
    expect(byId(body, "okta.credential").status).toBe("pass");
    for (const id of ["okta.app", "okta.appUsers"]) {
      const c = byId(body, id);
      expect(c.status).toBe("fail");
      expect(c.detail).toContain("403");
      expect(c.fix).toContain("grant okta.apps.read");
    }
    expect(body.checks.filter((c) => c.id.startsWith("okta.group:")).every((c) => c.status === "pass")).toBe(true);
    const scopes = byId(body, "okta.scopes");
    expect(scopes.status).toBe("fail");
    expect(scopes.detail).toContain("okta.apps.read (not listed in okta.scopes)");
  });

  it("a key Okta does not know fails the credential check", async () => {
    const { code, body } = await checkJson([], { env: oauthEnv(FULL_APP, otherKeyFile) });
    expect(code).toBe(1);
    const credential = byId(body, "okta.credential");
    expect(credential.status).toBe("fail");
    expect(credential.detail).toContain("invalid_client");
    expect(credential.fix).toContain("public key is registered in Okta");
    expect(byId(body, "okta.scopes").status).toBe("skip");
  });
});

describe("check --max-age and --skip-remote", () => {
  it("--max-age passes right after a real sync", async () => {
    const dir = dirWith();
    const sync = await runCli(["sync"], { cwd: dir, env });
    expect(sync.code, sync.stderr).toBe(0);
    const { code, body } = await checkJson(["--max-age", "1h"], { dir });
    expect(code).toBe(0);
    expect(byId(body, "snapshot.maxAge")).toMatchObject({ status: "pass", name: "last successful sync within 1h" });
    expect(byId(body, "snapshot.db").detail).toMatch(/state\.db \(schema version \d+, supported\)$/);
    expect(byId(body, "snapshot.runs").detail).toMatch(/^last run: sync succeeded .*; it was the last successful sync$/);
  });

  it("--max-age fails when the last success is older; partial and failed runs do not count; a longer max age passes", async () => {
    const dir = dirWith();
    recordRuns(dir, [
      ["sync", "succeeded", 3 * HOUR],
      ["sync", "partial", 20 * 60_000],
      ["sync", "failed", 5 * 60_000],
    ]);
    const stale = await checkJson(["--skip-remote", "--max-age", "1h"], { dir });
    expect(stale.code).toBe(1);
    const maxAge = byId(stale.body, "snapshot.maxAge");
    expect(maxAge.status).toBe("fail");
    expect(maxAge.detail).toMatch(/^last successful sync \S+Z \(3h(\d+[ms])? ago\): older than 1h$/);
    expect(maxAge.fix).toContain("okta-command-sync runs");
    expect(byId(stale.body, "snapshot.runs").detail).toMatch(/^last run: sync failed \S+Z \(5m(\d+s)? ago\); last successful sync \S+Z \(3h(\d+[ms])? ago\)$/);

    const fresh = await checkJson(["--skip-remote", "--max-age", "3h30m"], { dir });
    expect(fresh.code).toBe(0);
    expect(byId(fresh.body, "snapshot.maxAge")).toMatchObject({ status: "pass", name: "last successful sync within 3h30m" });

    const text = await check(["--skip-remote", "--max-age", "90m", "--log-format", "pretty"], { dir });
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(/last successful sync within 1h30m +FAIL/);
  });

  it("--max-age fails when no sync ever succeeded, or there is no snapshot yet", async () => {
    const dir = dirWith();
    recordRuns(dir, [["sync", "partial", 60_000]]);
    const partial = await checkJson(["--skip-remote", "--max-age", "2d"], { dir });
    expect(partial.code).toBe(1);
    expect(byId(partial.body, "snapshot.maxAge")).toMatchObject({ status: "fail", detail: "no successful sync recorded in the run log" });

    const none = await checkJson(["--skip-remote", "--max-age", "2d"]);
    expect(none.code).toBe(1);
    expect(byId(none.body, "snapshot.maxAge").detail).toMatch(/^no successful sync recorded: there is no snapshot at .*state\.db yet$/);
  });

  it("check reads Okta without the Okta SDK: a full check passes with the SDK made impossible to load", async () => {
    const preload = fileURLToPath(new URL("../support/without-okta-sdk.mjs", import.meta.url));
    const full = await checkJson([], { env: { ...env, NODE_OPTIONS: `--import=${preload}` } });
    expect(full.stderr).not.toMatch(/Okta SDK was loaded/);
    expect(full.code).toBe(0);
    expect(full.body.checks.map((c) => c.id)).toEqual(expect.arrayContaining(["okta.credential", "okta.appUsers", "okta.systemLog"]));
    expect(full.body.checks.every((c) => c.status === "pass")).toBe(true);
  });

  it("--skip-remote makes no request: with both URLs on a closed port it passes on config and snapshot alone", async () => {
    const port = await closedPort();
    const offline = { ...env, OKTA_ORG_URL: `http://127.0.0.1:${port}`, COMMAND_SCIM_URL: `http://127.0.0.1:${port}/scim` };
    const dir = dirWith();
    const { code, body } = await checkJson(["--skip-remote"], { dir, env: offline });
    expect(code).toBe(0);
    expect(body.checks.map((c) => c.id)).toEqual(["config", "snapshot.db", "snapshot.runs"]);
    expect(existsSync(join(dir, "state.db"))).toBe(false);

    // Without --skip-remote the same setup fails on reachability, with the fix.
    const remote = await checkJson([], { dir, env: offline });
    expect(remote.code).toBe(1);
    for (const id of ["okta.reachable", "command.reachable"]) {
      expect(byId(remote.body, id).status).toBe("fail");
      expect(byId(remote.body, id).fix).toMatch(/firewall or proxy/);
    }
    expect(statuses(remote.body)).toMatchObject({ "okta.credential": "skip", "command.token": "skip", "snapshot.db": "pass" });
  });

  it("a file that is not a snapshot DB fails its check and is left untouched", async () => {
    const dir = dirWith();
    const path = join(dir, "state.db");
    writeFileSync(path, "not a database at all, just some text that is long enough");
    const { code, body } = await checkJson(["--skip-remote", "--max-age", "1h"], { dir });
    expect(code).toBe(1);
    expect(byId(body, "snapshot.db")).toMatchObject({ status: "fail" });
    expect(byId(body, "snapshot.db").detail).toContain("is not an SQLite database");
    expect(byId(body, "snapshot.maxAge")).toMatchObject({ status: "skip", detail: "the snapshot DB cannot be read" });
    expect(readFileSync(path, "utf8")).toBe("not a database at all, just some text that is long enough");
  });

  it("rejects a --max-age that is not a duration, with a usage error", async () => {
    for (const value of ["10", "-1h"]) {
      const result = await check(["--skip-remote", "--max-age", value]);
      expect(result.code, value).toBe(1);
      expect(result.stderr).toContain("--max-age");
      expect(result.stderr).toContain("must be a duration such as 90s, 30m, 1h, 2d");
      expect(result.stdout).toBe("");
    }
  });

  it("an invalid configuration is the usual config error, and --json still prints a result", async () => {
    const { COMMAND_SCIM_TOKEN: _token, ...rest } = sandbox.env();
    const broken = cleanEnv(rest);
    const { code, body, stderr } = await checkJson([], { env: broken });
    expect(code).toBe(1);
    expect(body).toEqual({
      status: "failed",
      error: { kind: "config", message: expect.stringContaining("command.token"), hint: expect.stringContaining("config.example.yaml") },
      ok: false,
      checks: [expect.objectContaining({ id: "config", side: "config", status: "fail" })],
    });
    expect(body.checks[0]!.detail).toContain("command.token");
    expect(body.checks[0]!.fix).toContain("config.example.yaml");
    expect(stderr).toContain("invalid configuration");

    const text = await check([], { env: broken });
    expect(text.code).toBe(1);
    expect(text.stdout).toBe("");
    expect(text.stderr).toContain("command.token");
  });

  it("--help documents --max-age and --skip-remote", async () => {
    const help = await check(["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("--max-age <duration>");
    expect(help.stdout).toContain("--skip-remote");
    expect(help.stdout).toContain("check --skip-remote --max-age 1h");
  });
});
