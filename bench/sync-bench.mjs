// Benchmark: sync of a large emulated org, emulators' rate limits off, everything on loopback.
// Usage: npm run bench [-- --users 10000 --concurrency 1,4,8]
// Figures are one run on a shared machine: compare the ratios printed in the same run.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { validateConfig } from "../dist/config/validate.js";
import { silentReporter } from "../dist/engine/reporter.js";
import { runPlan, runSync } from "../dist/engine/sync-run.js";
import { listAssignedUsers, updateProfile } from "../dist/emulators/org-generator.js";
import { startSandbox } from "../dist/emulators/sandbox.js";

const { values } = parseArgs({
  options: { users: { type: "string", default: "10000" }, groups: { type: "string", default: "50" }, concurrency: { type: "string", default: "1,4,8" } },
});
const users = Number(values.users);
const levels = values.concurrency.split(",").map(Number);

async function once(concurrency) {
  const sandbox = await startSandbox({
    org: { users, groups: Number(values.groups), seed: 1 },
    okta: { rateLimits: false },
    command: { logRequests: false },
  });
  const dir = mkdtempSync(join(tmpdir(), "ocs-bench-"));
  try {
    const { config, problems } = validateConfig({
      okta: { orgUrl: sandbox.okta.url, appId: sandbox.org.app.id, token: sandbox.oktaToken },
      command: { scimUrl: sandbox.command.url, token: sandbox.commandToken, requestsPerMinute: 0, concurrency },
      groups: { push: sandbox.groupNames },
      state: { path: join(dir, "bench.db") },
    });
    if (!config) throw new Error(problems.join("\n"));
    const options = { command: "bench", dryRun: false, force: true, maxDeactivations: undefined };
    const time = async (fn) => {
      const start = process.hrtime.bigint();
      const value = await fn();
      return { ms: Number(process.hrtime.bigint() - start) / 1e6, value };
    };
    const oktaBefore = sandbox.okta.stats.requests;
    const first = await time(() => runSync(config, options, silentReporter));
    const oktaFirst = sandbox.okta.stats.requests - oktaBefore;
    const writesFirst = sandbox.command.writeCount();
    sandbox.command.resetLog();
    const noop = await time(() => runSync(config, options, silentReporter));
    const writesNoop = sandbox.command.writeCount();
    const assigned = listAssignedUsers(sandbox.org).slice(0, 100);
    for (const a of assigned) updateProfile(sandbox.org, a.user.id, { title: "Benchmarked" });
    sandbox.command.resetLog();
    const updates = await time(() => runSync(config, options, silentReporter));
    const plan = await time(() => runPlan(config, silentReporter));
    const r = first.value;
    if (r.kind !== "applied" || r.status !== "succeeded") throw new Error(`first sync ${r.kind} ${r.status ?? ""}`);
    return {
      concurrency,
      assigned: listAssignedUsers(sandbox.org).length,
      operations: r.plan.operations.length,
      firstSyncMs: first.ms,
      oktaRequests: oktaFirst,
      commandWrites: writesFirst,
      noopSyncMs: noop.ms,
      noopWrites: writesNoop,
      update100Ms: updates.ms,
      planMs: plan.ms,
    };
  } finally {
    await sandbox.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const rows = [];
for (const level of levels) rows.push(await once(level));
const base = rows[0];
console.log(`Sync of an emulated org of ${users} Okta users (${base.assigned} assigned), ${values.groups} groups; rate limits off`);
console.log("concurrency  first sync  ops    Okta req  Command writes  no-op sync (writes)  100 updates  plan     speed-up vs first row");
for (const r of rows) {
  console.log(
    `${String(r.concurrency).padStart(11)}  ${(r.firstSyncMs / 1000).toFixed(2).padStart(8)} s  ${String(r.operations).padStart(5)}  ${String(r.oktaRequests).padStart(8)}  ${String(r.commandWrites).padStart(14)}  ${(r.noopSyncMs / 1000).toFixed(2).padStart(8)} s (${r.noopWrites})  ${(r.update100Ms / 1000).toFixed(2).padStart(9)} s  ${(r.planMs / 1000).toFixed(2).padStart(5)} s  ${(base.firstSyncMs / r.firstSyncMs).toFixed(2)}x`,
  );
}
