/**
 * The checks of `check` in process, against the emulators and servers that misbehave on purpose:
 * the failures the end-to-end tests cannot easily cause, the staleness rule at its boundaries
 * with a fixed clock, and the pure helpers.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/load.js";
import type { Config } from "../../src/config/types.js";
import { checksFromConfig as runChecks } from "../../src/cli/compose.js";
import type { CheckResult } from "../../src/engine/check.js";
import { type Sandbox, startSandbox } from "../../src/emulators/sandbox.js";
import { emptySummary } from "../../src/model.js";
import { describeServiceProviderConfig } from "../../src/scim/probe.js";
import { openSnapshotStore } from "../../src/store/index.js";

let sandbox: Sandbox;
let dir: string;

beforeAll(async () => {
  sandbox = await startSandbox({ org: { users: 12, groups: 2, seed: 8 }, okta: { rateLimits: false } });
  dir = mkdtempSync(join(tmpdir(), "ocs-check-"));
});
afterAll(async () => {
  await sandbox.close();
  rmSync(dir, { recursive: true, force: true });
});

function configFor(env: Record<string, string> = {}, statePath = join(dir, "absent.db")): Config {
  return loadConfig({ env: { ...sandbox.env(), OCS_STATE: statePath, ...env }, cwd: dir }).config;
}

function byId(checks: readonly CheckResult[], id: string): CheckResult {
  const found = checks.find((c) => c.id === id);
  if (found === undefined) throw new Error(`no check ${id}`);
  return found;
}

describe("ServiceProviderConfig", () => {
  it("shows each feature's support, limits, and what the server leaves unsaid", () => {
    expect(
      describeServiceProviderConfig({
        patch: { supported: true },
        filter: { supported: true, maxResults: 200 },
        sort: { supported: false },
        bulk: { supported: true, maxOperations: 50 },
        changePassword: { supported: false },
        pagination: { cursor: true, index: true },
      }),
    ).toBe("patch yes; filter yes (maxResults 200); sort no; etag not stated; changePassword no; bulk yes (maxOperations 50); pagination index and cursor");
  });
});

describe("Command checks", () => {
  it("a SCIM URL without the /scim path: reachable, but the read fails with the URL fix", async () => {
    const url = new URL(sandbox.command.url);
    const checks = await runChecks(configFor({ COMMAND_SCIM_URL: `${url.origin}/v1` }));
    expect(byId(checks, "command.reachable")).toMatchObject({ status: "pass", detail: `${url.origin} answered (HTTP 404)` });
    const token = byId(checks, "command.token");
    expect(token.status).toBe("fail");
    expect(token.fix).toContain("command.scimUrl");
    expect(byId(checks, "command.serviceProviderConfig")).toMatchObject({ status: "skip", detail: "needs a working read of /Users" });
  });

  it("a ServiceProviderConfig that fails is a failure; one answered 501 is a note", async () => {
    const fault = sandbox.command.injectFault({ match: { pathPrefix: "/ServiceProviderConfig" }, status: 500 });
    try {
      const checks = await runChecks(configFor());
      const spc = byId(checks, "command.serviceProviderConfig");
      expect(spc.status).toBe("fail");
      expect(spc.detail).toContain("500");
      expect(byId(checks, "command.token").status).toBe("pass");
    } finally {
      fault.remove();
    }
    const notImplemented = sandbox.command.injectFault({ match: { pathPrefix: "/ServiceProviderConfig" }, status: 501 });
    try {
      const checks = await runChecks(configFor());
      expect(byId(checks, "command.serviceProviderConfig")).toMatchObject({ status: "pass" });
      expect(byId(checks, "command.serviceProviderConfig").detail).toMatch(/^not offered \(501\)/);
    } finally {
      notImplemented.remove();
    }
  });
});

describe("Okta checks", () => {
  it("an API token whose admin cannot read apps: both app checks fail with the rights fix; groups still found", async () => {
    sandbox.okta.inject = ({ pathname }) => (pathname.startsWith("/api/v1/apps/") ? { status: 403 } : undefined);
    try {
      const checks = await runChecks(configFor());
      expect(byId(checks, "okta.credential").status).toBe("pass");
      for (const id of ["okta.app", "okta.appUsers"]) {
        const check = byId(checks, id);
        expect(check.status, id).toBe("fail");
        expect(check.detail).toContain("403");
        expect(check.fix).toContain("admin's rights");
        expect(check.fix).toContain("okta.apps.read");
      }
      const groups = checks.filter((c) => c.id.startsWith("okta.group"));
      expect(groups.length).toBeGreaterThan(0);
      expect(groups.every((c) => c.status === "pass")).toBe(true);
    } finally {
      sandbox.okta.inject = undefined;
    }
  });

  it("an Okta error on the app still lets the other reads run", async () => {
    sandbox.okta.inject = ({ pathname }) => (/^\/api\/v1\/apps\/[^/]+$/.test(pathname) ? { status: 500 } : undefined);
    try {
      const checks = await runChecks(configFor());
      expect(byId(checks, "okta.app")).toMatchObject({ status: "fail", fix: "Okta had a problem; try again later" });
      expect(byId(checks, "okta.appUsers").status).toBe("pass");
      expect(byId(checks, "okta.credential").status).toBe("pass");
    } finally {
      sandbox.okta.inject = undefined;
    }
  });
});

describe("staleness", () => {
  const NOW = Date.parse("2026-06-01T12:00:00Z");
  const at = (iso: string) => new Date(iso);

  function snapshotWith(name: string, runs: readonly [string, "succeeded" | "partial" | "failed", string][]): string {
    const path = join(dir, name);
    const store = openSnapshotStore(path);
    try {
      for (const [command, status, finished] of runs) {
        const id = store.beginRun(command, new Date(Date.parse(finished) - 60_000));
        store.finishRun(id, { status, finishedAt: at(finished), summary: emptySummary(), failed: 0, warnings: [] });
      }
    } finally {
      store.close();
    }
    return path;
  }

  const maxAge = async (path: string, ms: number) =>
    byId(await runChecks(configFor({}, path), { skipRemote: true, maxAgeMs: ms, now: () => NOW }), "snapshot.maxAge");

  it("measures from the end of the last succeeded sync: exactly the max age passes, a millisecond more fails", async () => {
    const path = snapshotWith("edge.db", [["sync", "succeeded", "2026-06-01T11:00:00Z"]]);
    expect((await maxAge(path, 3_600_000)).status).toBe("pass");
    expect((await maxAge(path, 3_599_999)).status).toBe("fail");
    const stale = await maxAge(path, 3_540_000);
    expect(stale).toMatchObject({ status: "fail", detail: "last successful sync 2026-06-01T11:00:00Z (1h ago): older than 59m" });
  });

  it("counts only sync runs that succeeded: not partial ones, nor other commands", async () => {
    const path = snapshotWith("kinds.db", [
      ["sync", "succeeded", "2026-05-30T12:00:00Z"],
      ["backfill", "succeeded", "2026-06-01T11:50:00Z"],
      ["sync", "partial", "2026-06-01T11:55:00Z"],
    ]);
    const check = await maxAge(path, 86_400_000);
    expect(check.status).toBe("fail");
    expect(check.detail).toContain("2026-05-30T12:00:00Z (2d ago)");
  });

  it("finds the last success beyond the most recent runs", async () => {
    const runs: [string, "failed", string][] = [];
    for (let i = 0; i < 250; i++) runs.push(["sync", "failed", new Date(Date.parse("2026-06-01T00:00:00Z") + i * 60_000).toISOString()]);
    const path = snapshotWith("long.db", [["sync", "succeeded", "2026-05-31T23:00:00Z"], ...runs]);
    const check = await maxAge(path, 86_400_000);
    expect(check).toMatchObject({ status: "pass", detail: "last successful sync 2026-05-31T23:00:00Z (13h ago)" });
  });
});
