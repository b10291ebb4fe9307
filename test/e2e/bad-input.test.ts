/**
 * Malformed and hostile responses, from either side, through the built CLI: a clear error per
 * operation or per run, never a corrupt snapshot, and a rerun that converges.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type VerkadaEmulator, startVerkadaEmulator } from "../../src/emulators/verkada-emulator.js";
import { listAssignedUsers } from "../../src/emulators/org-assignments.js";
import { updateProfile } from "../../src/emulators/org-user-changes.js";
import { SANDBOX_COMMAND_TOKEN, type Sandbox, startSandbox } from "../../src/emulators/sandbox.js";
import { openSnapshotStore } from "../../src/store/index.js";
import { cleanEnv, runCli, workdir } from "../support/cli.js";

let sandbox: Sandbox;
let command: VerkadaEmulator;
let dir: string;

beforeAll(async () => {
  sandbox = await startSandbox({ org: { users: 30, groups: 2, seed: 5 }, okta: { rateLimits: false } });
});
afterAll(async () => {
  await sandbox.close();
  await command?.close();
});
beforeEach(async () => {
  await command?.close();
  command = await startVerkadaEmulator({ token: SANDBOX_COMMAND_TOKEN });
  sandbox.okta.inject = undefined;
  dir = workdir({
    groups: { push: sandbox.groupNames },
    state: { path: "./state.db" },
    command: { requestsPerMinute: 0 },
    // One attempt per request: each injected fault fails exactly one operation (retries have
    // their own tests).
    retry: { maxAttempts: 1 },
  });
});

const env = () => cleanEnv({ ...sandbox.env(), COMMAND_SCIM_URL: command.url });
const sync = (...args: string[]) => runCli(["sync", "--log-format", "pretty", ...args], { env: env(), cwd: dir });
const linkedUsers = () => {
  const store = openSnapshotStore(join(dir, "state.db"), { readonly: true });
  try {
    return store.load().users;
  } finally {
    store.close();
  }
};
const assignedCount = () => listAssignedUsers(sandbox.org).filter((a) => a.user.status !== "DEPROVISIONED").length;

describe("bad responses from Okta", () => {
  for (const [name, fault] of [
    ["an HTML error page", { status: 200, text: "<html><body>Service Unavailable</body></html>", headers: { "content-type": "text/html" } }],
    ["invalid JSON", { status: 200, text: '{"id": "00u1", "profile": ', headers: { "content-type": "application/json" } }],
    ["a 500", { status: 500, body: { errorCode: "E0000009", errorSummary: "Internal Server Error" } }],
  ] as const) {
    it(`${name} on the app users page fails the run before planning; nothing is written`, async () => {
      sandbox.okta.inject = (ctx) => (ctx.pathname.endsWith("/users") && ctx.pathname.includes("/apps/") ? fault : undefined);
      const result = await sync("--json");
      expect(result.code).toBe(1);
      expect(JSON.parse(result.stdout)).toMatchObject({ status: "failed" });
      expect(result.stderr).toMatch(/error: .*Okta/i);
      expect(result.stderr).not.toMatch(/\n\s+at /);
      expect(command.writeCount()).toBe(0);
      expect(linkedUsers()).toEqual([]);
    });
  }

  it("plan with a failing Okta writes no snapshot file at all", async () => {
    sandbox.okta.inject = () => ({ status: 503, body: { errorCode: "E0000009", errorSummary: "down" } });
    const result = await runCli(["plan"], { env: env(), cwd: dir });
    expect(result.code).toBe(1);
    expect(existsSync(join(dir, "state.db"))).toBe(false);
  });
});

describe("bad responses from Command", () => {
  it("an HTML 502 page, a body without id, an error without detail and an enormous body fail just their operations", async () => {
    const post = { method: "POST", pathPrefix: "/Users" };
    command.injectFault({ match: post, nth: 2, times: 2, status: 502, body: "<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head></html>", headers: { "content-type": "text/html" } });
    command.injectFault({ match: post, nth: 6, status: 201, body: JSON.stringify({ userName: "nobody@example.com" }) });
    command.injectFault({ match: post, nth: 8, times: 2, status: 400, body: JSON.stringify({ schemas: ["urn:ietf:params:scim:api:messages:2.0:Error"], status: "400" }) });
    command.injectFault({ match: post, nth: 12, status: 201, body: `{"id":"${"x".repeat(12 * 1024 * 1024)}"}` });
    const result = await sync("--json");
    expect(result.code).toBe(1);
    const body = JSON.parse(result.stdout);
    expect(body.status).toBe("partial");
    const errors = body.failed.map((f: { error: string }) => f.error).join("\n");
    expect(errors).toMatch(/HTML error page/);
    expect(errors).toMatch(/id/);
    expect(errors).toMatch(/Command answered 400 to POST/);
    expect(errors).toMatch(/too large|exceed/i);
    const failedCreates = body.failed.filter((f: { type: string }) => f.type === "createUser").length;
    expect(failedCreates).toBe(6);
    // The snapshot links only what Command confirmed with an id.
    for (const user of linkedUsers()) expect(command.getUser(user.scimId)?.externalId).toBe(user.oktaId);

    const rerun = await sync("--json");
    expect(rerun.code).toBe(0);
    expect(linkedUsers()).toHaveLength(assignedCount());
    expect(new Set(command.users().map((u) => u.externalId)).size).toBe(command.users().length);
  });

  it("a run in which every operation failed is a failure (exit 1, status failed), not a success", async () => {
    command.injectFault({ match: { method: "POST" }, times: Number.POSITIVE_INFINITY, status: 500 });
    const result = await sync("--json");
    expect(result.code).toBe(1);
    const body = JSON.parse(result.stdout);
    expect(body.status).toBe("failed");
    expect(Object.values(body.summary as Record<string, number>).every((n) => n === 0)).toBe(true);
    const store = openSnapshotStore(join(dir, "state.db"), { readonly: true });
    try {
      expect(store.listRuns(1)[0]?.status).toBe("failed");
    } finally {
      store.close();
    }
  });

  it("a user whose email cannot be mapped is skipped with a warning and does not block the others", async () => {
    const victim = listAssignedUsers(sandbox.org)[0]!.user;
    const email = victim.profile.email;
    updateProfile(sandbox.org, victim.id, { email: "not an email" });
    try {
      const result = await sync("--json");
      expect(result.code).toBe(0);
      const body = JSON.parse(result.stdout);
      expect(body.warnings.join("\n")).toMatch(new RegExp(`skipped Okta user .*${victim.id}.*not a valid address`));
      expect(linkedUsers()).toHaveLength(assignedCount() - 1);
    } finally {
      updateProfile(sandbox.org, victim.id, { email });
    }
  });
});
