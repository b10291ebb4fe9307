/**
 * The three kinds of Okta credential through the built CLI, each against an emulator that acts
 * as Okta does for it: an API token (SSWS), a service app whose tokens are Bearer tokens, and a
 * service app that requires DPoP (the default of API Services apps created since 2024). Each
 * syncs end to end, follows the System Log with `sync --incremental`, and `check` names the mode.
 */
import { generateKeyPairSync } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DpopMode } from "../../src/emulators/okta-dpop.js";
import { listAssignedUsers } from "../../src/emulators/org-assignments.js";
import { updateProfile } from "../../src/emulators/org-user-changes.js";
import { type Sandbox, startSandbox } from "../../src/emulators/sandbox.js";
import { type CliResult, cleanEnv, runCli, workdir } from "../support/cli.js";

const SCOPES = ["okta.users.read", "okta.groups.read", "okta.apps.read", "okta.logs.read"];

interface Kind {
  name: string;
  /** The service app's client id; undefined: an API token. */
  clientId?: string;
  dpop?: DpopMode;
  /** How the emulator saw the API requests authenticated. */
  auth: "ssws" | "bearer" | "dpop";
  /** What `check` says of the credential. */
  mode: string;
}

const KINDS: Kind[] = [
  { name: "an API token", auth: "ssws", mode: "Okta accepted the API token (SSWS)" },
  { name: "a service app with Bearer tokens", clientId: "0oaBearerService01", auth: "bearer", mode: "(private_key_jwt, key cred-key-1): service app, Bearer token" },
  {
    name: "a service app that requires DPoP",
    clientId: "0oaDpopService0001",
    dpop: "required",
    auth: "dpop",
    mode: "(private_key_jwt, key cred-key-1): service app, DPoP-bound token",
  },
];

interface SyncJson {
  status: string;
  summary: Record<string, number>;
  pull?: { mode: string; usersReread?: number };
}

/** An access token of the emulator's making: none may show in what the CLI prints. */
const ACCESS_TOKEN = /emu\.[A-Za-z0-9_-]{8,}/;

describe.each(KINDS)("Okta credentials: $name", (kind) => {
  let sandbox: Sandbox;
  let env: Record<string, string>;
  let dir: string;

  beforeAll(async () => {
    const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    sandbox = await startSandbox({
      org: { users: 40, groups: 3, seed: 17, assignedGroups: 1 },
      okta: {
        rateLimits: false,
        oauthClients:
          kind.clientId === undefined
            ? []
            : [{ clientId: kind.clientId, publicKey: publicKey.export({ type: "spki", format: "pem" }).toString(), scopes: SCOPES, ...(kind.dpop ? { dpop: kind.dpop } : {}) }],
      },
    });
    // okta.logs.read is not among the default scopes: sync --incremental needs it.
    const okta = kind.clientId === undefined ? {} : { okta: { scopes: SCOPES } };
    dir = workdir({ groups: { push: "assigned" }, state: { path: "./state.db" }, ...okta });
    if (kind.clientId === undefined) {
      env = cleanEnv(sandbox.env());
    } else {
      const keyFile = join(dir, "service-app.pem");
      writeFileSync(keyFile, privateKey.export({ type: "pkcs8", format: "pem" }).toString());
      const { OKTA_API_TOKEN: _token, ...rest } = sandbox.env();
      env = cleanEnv({ ...rest, OKTA_CLIENT_ID: kind.clientId, OKTA_PRIVATE_KEY_FILE: keyFile, OKTA_KEY_ID: "cred-key-1" });
    }
  });
  afterAll(async () => {
    await sandbox.close();
  });

  async function cli(args: string[]): Promise<CliResult> {
    const result = await runCli(args, { cwd: dir, env });
    expect(`${result.stdout}${result.stderr}`).not.toMatch(ACCESS_TOKEN);
    return result;
  }

  /** Every API request the emulator answered since `from` was authenticated the kind's way. */
  function expectApiAuth(from: number): void {
    const api = sandbox.okta.requests.slice(from).filter((r) => r.path.startsWith("/api/"));
    expect(api.length).toBeGreaterThan(0);
    const answered = api.filter((r) => r.status !== 401);
    expect(answered.map((r) => `${r.path.split("?")[0]} ${r.status} ${r.auth}`)).toEqual(answered.map((r) => `${r.path.split("?")[0]} 200 ${kind.auth}`));
  }

  it("sync creates the app's users in Command, and sync --incremental applies a change it reads in the System Log", async () => {
    const from = sandbox.okta.requests.length;
    const first = await cli(["sync", "--json"]);
    expect(first.code, first.stderr).toBe(0);
    const created = JSON.parse(first.stdout) as SyncJson;
    expect(created.status).toBe("succeeded");
    expect(created.summary.createUser).toBeGreaterThan(0);
    expect(sandbox.command.users()).toHaveLength(created.summary.createUser!);

    const tracked = await cli(["sync", "--incremental", "--json"]);
    expect(tracked.code, tracked.stderr).toBe(0);
    expect((JSON.parse(tracked.stdout) as SyncJson).pull?.mode).toBe("full");

    const someone = listAssignedUsers(sandbox.org).find((u) => u.user.status === "ACTIVE")!;
    updateProfile(sandbox.org, someone.user.id, { title: "Chief Proof Officer" });
    const incremental = await cli(["sync", "--incremental", "--json"]);
    expect(incremental.code, incremental.stderr).toBe(0);
    const body = JSON.parse(incremental.stdout) as SyncJson;
    expect(body.pull).toMatchObject({ mode: "incremental", usersReread: 1 });
    expect(body.summary.updateUser).toBe(1);
    expect(sandbox.command.users().find((u) => u.externalId === someone.user.id)?.title).toBe("Chief Proof Officer");
    expectApiAuth(from);
  });

  it("check passes and says which kind of credential it found", async () => {
    const from = sandbox.okta.requests.length;
    const result = await cli(["check", "--json"]);
    expect(result.code, result.stdout).toBe(0);
    const { checks } = JSON.parse(result.stdout) as { checks: { id: string; status: string; detail: string }[] };
    const credential = checks.find((c) => c.id === "okta.credential");
    expect(credential?.status).toBe("pass");
    expect(credential?.detail).toContain(kind.mode);
    expect(checks.find((c) => c.id === "okta.systemLog")?.status).toBe("pass");
    expectApiAuth(from);
  });
});

describe("check when Okta refuses the token request of a service app that requires DPoP", () => {
  const APP = "0oaDpopRefused0001";
  const NO_LOGS = "0oaDpopNoLogs00001";
  let sandbox: Sandbox;
  let keyFile: string;
  let unknownKeyFile: string;
  /** How far the emulator's clock is behind this host's. */
  let behindMs = 0;

  beforeAll(async () => {
    const known = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const unknown = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const publicKey = known.publicKey.export({ type: "spki", format: "pem" }).toString();
    sandbox = await startSandbox({
      org: { users: 10, groups: 2, seed: 19, assignedGroups: 1 },
      okta: {
        rateLimits: false,
        now: () => Date.now() - behindMs,
        oauthClients: [
          { clientId: APP, publicKey, scopes: SCOPES, dpop: "required" },
          { clientId: NO_LOGS, publicKey, scopes: SCOPES.filter((s) => s !== "okta.logs.read"), dpop: "required" },
        ],
      },
    });
    const keys = workdir(undefined);
    keyFile = join(keys, "known.pem");
    unknownKeyFile = join(keys, "unknown.pem");
    writeFileSync(keyFile, known.privateKey.export({ type: "pkcs8", format: "pem" }).toString());
    writeFileSync(unknownKeyFile, unknown.privateKey.export({ type: "pkcs8", format: "pem" }).toString());
  });
  afterAll(async () => {
    await sandbox.close();
  });

  async function check(clientId: string, key: string): Promise<Record<string, { status: string; detail: string; fix?: string }>> {
    const { OKTA_API_TOKEN: _token, ...rest } = sandbox.env();
    const env = cleanEnv({ ...rest, OKTA_CLIENT_ID: clientId, OKTA_PRIVATE_KEY_FILE: key });
    const dir = workdir({ groups: { push: "assigned" }, state: { path: "./state.db" }, okta: { scopes: SCOPES } });
    const result = await runCli(["check", "--json"], { cwd: dir, env });
    expect(result.code, result.stdout).toBe(1);
    const { checks } = JSON.parse(result.stdout) as { checks: { id: string; status: string; detail: string; fix?: string }[] };
    return Object.fromEntries(checks.map((c) => [c.id, c]));
  }

  it("a key Okta does not know: invalid_client, and where in Okta the public key goes", async () => {
    const checks = await check(APP, unknownKeyFile);
    expect(checks["okta.credential"]).toMatchObject({ status: "fail", detail: expect.stringContaining("invalid_client") });
    expect(checks["okta.credential"]!.fix).toContain("Client Credentials: Public key / Private key");
  });

  it("a proof Okta refuses (its clock two minutes behind this host's): invalid_dpop_proof, and what to change, not the key", async () => {
    behindMs = 120_000;
    try {
      const checks = await check(APP, keyFile);
      expect(checks["okta.credential"]).toMatchObject({ status: "fail", detail: expect.stringContaining("invalid_dpop_proof") });
      const fix = checks["okta.credential"]!.fix ?? "";
      expect(fix).toContain("check this host's clock");
      expect(fix).toContain("Require Demonstrating Proof of Possession (DPoP) header in token requests");
      expect(fix).not.toContain("okta.privateKey");
    } finally {
      behindMs = 0;
    }
  });

  it("a scope the app was not granted: invalid_scope, naming the scope to grant", async () => {
    const checks = await check(NO_LOGS, keyFile);
    expect(checks["okta.credential"]?.status).toBe("pass");
    expect(checks["okta.scopes"]).toMatchObject({ status: "fail", detail: expect.stringMatching(/^Okta refused okta\.logs\.read:/) });
    expect(checks["okta.scopes"]!.fix).toContain("grant okta.logs.read to the service app");
  });
});
