#!/usr/bin/env node
/**
 * Crash loop: a first sync is killed (SIGKILL) at many points, before and after Command applied
 * the request in flight; each time a rerun must converge with no duplicate, no missing user and
 * an empty plan. Also reports what each recovery cost in requests against the minimum.
 *
 *   npm run bench:crash -- [--points 40] [--users 150] [--groups 5]
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { stringify } from "yaml";
import { startVerkadaEmulator } from "../dist/emulators/verkada-emulator.js";
import { listAssignedUsers } from "../dist/emulators/org-assignments.js";
import { SANDBOX_COMMAND_TOKEN, startSandbox } from "../dist/emulators/sandbox.js";

const here = dirname(fileURLToPath(import.meta.url));
const cli = join(here, "..", "bin", "okta-command-sync.js");
const { values } = parseArgs({
  options: { points: { type: "string", default: "40" }, users: { type: "string", default: "150" }, groups: { type: "string", default: "5" } },
});
const pointCount = Number(values.points);

const sandbox = await startSandbox({ org: { users: Number(values.users), groups: Number(values.groups), seed: 23 }, okta: { rateLimits: false } });
const assigned = listAssignedUsers(sandbox.org).filter((a) => a.user.status !== "DEPROVISIONED");
const assignedIds = new Set(assigned.map((a) => a.user.id));

function run(args, dir, env) {
  const child = spawn(process.execPath, [cli, ...args], { cwd: dir, env, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  child.stdout.on("data", (c) => {
    stdout += c;
  });
  child.stderr.resume();
  const done = new Promise((resolve) => child.on("close", (code, signal) => resolve({ code, signal, stdout })));
  return { child, done };
}

async function fresh() {
  const command = await startVerkadaEmulator({ token: SANDBOX_COMMAND_TOKEN });
  const dir = mkdtempSync(join(tmpdir(), "ocs-crash-"));
  writeFileSync(
    join(dir, "config.yaml"),
    stringify({
      groups: { push: sandbox.groupNames },
      state: { path: "./state.db" },
      command: { requestsPerMinute: 0, concurrency: 4, membersPerRequest: 20 },
      safety: { maxDeactivations: "100%" },
    }),
  );
  const env = { ...process.env, ...sandbox.env(), COMMAND_SCIM_URL: command.url };
  return { command, dir, env };
}

/** Problems with what Command holds: duplicates, missing or extra active users, wrong members. */
function problems(command) {
  const out = [];
  const users = command.users();
  if (new Set(users.map((u) => u.externalId)).size !== users.length) out.push("duplicate user");
  const active = new Set(users.filter((u) => u.active).map((u) => u.externalId));
  const missing = [...assignedIds].filter((id) => !active.has(id)).length;
  if (missing > 0) out.push(`${missing} missing users`);
  if (active.size !== assignedIds.size) out.push(`${active.size - assignedIds.size + missing} extra active users`);
  const groups = command.groups();
  if (new Set(groups.map((g) => g.externalId)).size !== groups.length) out.push("duplicate group");
  const scimIdOf = new Map(users.map((u) => [u.externalId, u.id]));
  for (const group of sandbox.org.groups) {
    const scim = groups.find((g) => g.externalId === group.id);
    const want = group.members.filter((id) => assignedIds.has(id)).map((id) => scimIdOf.get(id)).sort();
    if (JSON.stringify(scim?.members.map((m) => m.value).sort()) !== JSON.stringify(want)) out.push(`group ${group.name} members differ`);
  }
  return out;
}

// A clean run gives the request count the kill points are spread over.
const clean = await fresh();
const baseline = await run(["sync"], clean.dir, clean.env).done;
if (baseline.code !== 0) throw new Error("the clean sync failed");
const total = clean.command.requests.length;
await clean.command.close();
rmSync(clean.dir, { recursive: true, force: true });

const points = Array.from({ length: pointCount }, (_, i) => Math.max(1, Math.round(((i + 0.5) / pointCount) * total)));
const rows = [];
let failures = 0;
for (const [i, point] of points.entries()) {
  const applied = i % 2 === 1;
  const { command, dir, env } = await fresh();
  const fault = command.injectFault({ nth: point, delayMs: 60_000, afterApply: applied, status: 500 });
  const killed = run(["sync"], dir, env);
  while (fault.seen < point) {
    const finished = await Promise.race([killed.done.then(() => true), new Promise((r) => setTimeout(() => r(false), 5))]);
    if (finished) break;
  }
  killed.child.kill("SIGKILL");
  const first = await killed.done;
  fault.remove();
  const leftToCreate = assignedIds.size - command.users().length;
  command.resetLog();
  const rerun = await run(["sync"], dir, env).done;
  const recovery = command.requests.length;
  const lookups = command.requests.filter((r) => r.method === "GET").length;
  const again = await run(["plan", "--detailed-exitcode"], dir, env).done;
  const found = [...problems(command)];
  if (first.signal !== "SIGKILL") found.push("the sync ended before the kill point");
  if (rerun.code !== 0) found.push(`rerun exit ${rerun.code}`);
  if (again.code !== 0) found.push(`next plan exit ${again.code}`);
  if (found.length > 0) failures++;
  rows.push({ point, applied, leftToCreate, recovery, lookups, problems: found });
  console.log(
    `kill ${String(i + 1).padStart(2)} at request ${String(point).padStart(3)}/${total} (${applied ? "after" : "before"} apply): ` +
      `rerun ${recovery} requests (${lookups} GETs, ${leftToCreate} users left to create) ${found.length === 0 ? "ok" : found.join(", ")}`,
  );
  await command.close();
  rmSync(dir, { recursive: true, force: true });
}
await sandbox.close();
const maxLookups = Math.max(...rows.map((r) => r.lookups));
console.log(`\n${rows.length} kill points over a ${total}-request first sync: ${failures} with problems; at most ${maxLookups} GETs in a recovery`);
process.exitCode = failures === 0 ? 0 : 1;
