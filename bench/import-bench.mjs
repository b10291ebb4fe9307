// Requests and time to `import` a Command org of about 8,000 users (10,000 Okta users, about
// 8,000 assigned) and 50 groups, emulators' rate limits off. Usage: npm run bench:import
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { validateConfig } from "../dist/config/validate.js";
import { importFromConfig as runImport } from "../dist/cli/compose.js";
import { silentReporter } from "../dist/engine/reporter.js";
import { listAssignedUsers } from "../dist/emulators/org-assignments.js";
import { startSandbox } from "../dist/emulators/sandbox.js";

const sandbox = await startSandbox({ org: { users: 10_000, groups: 50, seed: 1 }, okta: { rateLimits: false } });
const dir = mkdtempSync(join(tmpdir(), "ocs-import-bench-"));
try {
  const assigned = listAssignedUsers(sandbox.org);
  const scimIds = new Map();
  assigned.forEach((a, i) => {
    // Half provisioned by Okta's own integration (externalId), half by hand (userName only).
    const user = sandbox.command.seedUser({ userName: a.user.profile.login, ...(i % 2 === 0 ? { externalId: a.user.id } : {}) });
    scimIds.set(a.user.id, user.id);
  });
  for (const group of sandbox.org.groups) {
    sandbox.command.seedGroup({ displayName: group.name, members: group.members.filter((m) => scimIds.has(m)).map((m) => ({ value: scimIds.get(m) })) });
  }
  sandbox.command.resetLog();
  const { config, problems } = validateConfig({
    okta: { orgUrl: sandbox.okta.url, appId: sandbox.org.app.id, token: sandbox.oktaToken },
    command: { scimUrl: sandbox.command.url, token: sandbox.commandToken, requestsPerMinute: 0 },
    groups: { push: sandbox.groupNames },
    state: { path: join(dir, "bench.db") },
  });
  if (!config) throw new Error(problems.join("\n"));
  const oktaBefore = sandbox.okta.stats.requests;
  const start = process.hrtime.bigint();
  const result = await runImport(config, silentReporter);
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  const requests = sandbox.command.requests;
  const count = (prefix) => requests.filter((r) => r.path.startsWith(prefix)).length;
  console.log(`import of ${assigned.length} Command users and ${sandbox.org.groups.length} groups (10,000 Okta users)`);
  console.log(`  Command requests: ${requests.length} (${count("/Users")} for users, ${count("/Groups")} for groups), writes: ${sandbox.command.writeCount()}`);
  console.log(`  Okta requests: ${sandbox.okta.stats.requests - oktaBefore}`);
  console.log(`  matched users: ${result.matchedUsers.length}, groups: ${result.matchedGroups.length}, ambiguous: ${result.ambiguous.length}`);
  console.log(`  time: ${(ms / 1000).toFixed(2)} s`);
} finally {
  await sandbox.close();
  rmSync(dir, { recursive: true, force: true });
}
