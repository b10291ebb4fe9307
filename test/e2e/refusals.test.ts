/**
 * Every safety stop is a refusal (exit 3, status refused, nothing written), and `sync --dry-run`
 * and `plan` say the same as `sync`: through the built CLI against both emulators.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listAssignedUsers } from "../../src/emulators/org-assignments.js";
import { setUserStatus } from "../../src/emulators/org-user-changes.js";
import { type Sandbox, startSandbox } from "../../src/emulators/sandbox.js";
import { openSnapshotStore } from "../../src/store/index.js";
import { cleanEnv, runCli, workdir } from "../support/cli.js";

interface Refusal {
  limit: string;
  allowed: number;
  planned: number;
}
interface Body {
  status?: string;
  dryRun?: boolean;
  changes?: boolean;
  summary: Record<string, number>;
  warnings: string[];
  refusals: Refusal[];
}

let sandbox: Sandbox;
let dir: string;

beforeAll(async () => {
  sandbox = await startSandbox({ org: { users: 40, groups: 3, seed: 31 }, okta: { rateLimits: false } });
  dir = workdir({ groups: { push: sandbox.groupNames }, state: { path: "./state.db" } });
  expect((await cli("sync")).code).toBe(0);
});
afterAll(async () => {
  await sandbox.close();
});

function cli(...args: string[]) {
  return runCli(args, { env: cleanEnv(sandbox.env()), cwd: dir });
}
async function json(...args: string[]): Promise<{ code: number | null; stderr: string; body: Body }> {
  const result = await cli(...args, "--json");
  return { code: result.code, stderr: result.stderr, body: JSON.parse(result.stdout) as Body };
}

/** What a refusal must leave alone: the users, groups and links, and the pull cache. */
function stored() {
  const store = openSnapshotStore(join(dir, "state.db"), { readonly: true });
  try {
    return { snapshot: store.load(), lastPull: store.getMeta("okta.lastPullAt"), runs: store.listRuns(1) };
  } finally {
    store.close();
  }
}
const activeInSnapshot = () => stored().snapshot.users.filter((u) => u.active).length;

describe("refusals", () => {
  it("plan --json lists no refusals when sync would apply the plan, and exits 0", async () => {
    const result = await json("plan");
    expect(result.code).toBe(0);
    expect(result.body.refusals).toEqual([]);
  });

  it("a pull that lost most users is refused like any limit: exit 3, status refused, metric and run log, nothing written; dry run and plan agree", async () => {
    const savedUsers = [...sandbox.org.app.users];
    const savedGroups = [...sandbox.org.app.groups];
    sandbox.org.app.users.splice(3);
    sandbox.org.app.groups.splice(0);
    const active = activeInSnapshot();
    const expected: Refusal = { limit: "minPullFraction", allowed: Math.ceil(active / 2), planned: 3 };
    const before = stored();
    sandbox.command.resetLog();
    try {
      const metricsFile = join(dir, "refused.prom");
      const sync = await json("sync", "--metrics-file", metricsFile);
      expect(sync.code).toBe(3);
      expect(sync.body.status).toBe("refused");
      expect(sync.body.refusals[0]).toEqual(expected);
      expect(sync.body.warnings.join("\n")).toMatch(/Okta returned 3 active users .* looks like a failed or partial read/);
      const metrics = readFileSync(metricsFile, "utf8");
      expect(metrics).toMatch(/^okta_command_sync_last_run_status\{status="refused"\} 1$/m);
      expect(metrics).toMatch(/^okta_command_sync_last_run_status\{status="failed"\} 0$/m);
      expect(sandbox.command.writeCount()).toBe(0);
      const after = stored();
      expect(after.runs[0]?.status).toBe("refused");
      expect(after.snapshot).toEqual(before.snapshot);
      expect(after.lastPull).toBe(before.lastPull);

      const dry = await json("sync", "--dry-run");
      expect(dry.code).toBe(3);
      expect(dry.body).toMatchObject({ status: "refused", dryRun: true });
      expect(dry.body.refusals).toEqual(sync.body.refusals);

      const planned = await json("plan");
      expect(planned.code).toBe(0);
      expect(planned.body.refusals).toEqual(sync.body.refusals);
      expect(planned.body.warnings.join("\n")).toMatch(/sync would refuse this: Okta returned 3 active users/);

      // --force is the way through, for the dry run as for sync.
      const forced = await json("sync", "--dry-run", "--force");
      expect(forced.code).toBe(0);
      expect(forced.body.status).toBe("succeeded");
      expect(sandbox.command.writeCount()).toBe(0);
      expect(stored().snapshot).toEqual(before.snapshot);
    } finally {
      sandbox.org.app.users.splice(0, sandbox.org.app.users.length, ...savedUsers);
      sandbox.org.app.groups.splice(0, sandbox.org.app.groups.length, ...savedGroups);
    }
  });

  it("a plan over the deactivation limit: sync --dry-run refuses it as sync does, and plan says why with exit 0 (2 with --detailed-exitcode)", async () => {
    const victims = listAssignedUsers(sandbox.org)
      .filter((a) => a.user.status === "ACTIVE")
      .slice(0, 6)
      .map((a) => a.user.id);
    for (const id of victims) setUserStatus(sandbox.org, id, "DEPROVISIONED");
    const active = activeInSnapshot();
    const expected: Refusal = { limit: "maxDeactivations", allowed: Math.max(2, Math.floor(active / 10)), planned: 6 };
    const before = stored();
    sandbox.command.resetLog();
    try {
      const dry = await json("sync", "--dry-run");
      expect(dry.code).toBe(3);
      expect(dry.body).toMatchObject({ status: "refused", dryRun: true });
      expect(dry.body.refusals).toEqual([expected]);
      expect(dry.body.warnings.join("\n")).toMatch(/the plan deactivates 6 users, over safety\.maxDeactivations/);
      expect(stored().runs).toEqual(before.runs);

      const sync = await json("sync");
      expect(sync.code).toBe(3);
      expect(sync.body.status).toBe("refused");
      expect(sync.body.refusals).toEqual(dry.body.refusals);

      const planned = await json("plan");
      expect(planned.code).toBe(0);
      expect(planned.body.changes).toBe(true);
      expect(planned.body.refusals).toEqual([expected]);
      expect((await cli("plan", "--detailed-exitcode")).code).toBe(2);
      const text = await cli("plan", "--log-format", "pretty");
      expect(text.stdout).toMatch(/sync would refuse this: the plan deactivates 6 users/);

      // --max-deactivations lifts the limit for the dry run as it does for sync.
      const lifted = await json("sync", "--dry-run", "--max-deactivations", "6");
      expect(lifted.code).toBe(0);
      expect(lifted.body.status).toBe("succeeded");
      expect(lifted.body.summary.deactivateUser).toBe(6);
      expect(sandbox.command.writeCount()).toBe(0);
      expect(stored().snapshot).toEqual(before.snapshot);
    } finally {
      for (const id of victims) setUserStatus(sandbox.org, id, "ACTIVE");
    }
  });
});
