// Benchmark: the built CLI, as a child process, against both emulators (run in this process) over
// loopback. Per org size it runs the cases below and reports requests by endpoint, the minimal
// number of Command requests the work needs (computed from Command's state before and after, not
// from the tool's own accounting), wall time against the rate-limit bound, CPU and peak memory.
// Peak memory is the CLI process's peak RSS as the kernel counts it (GNU time's %M, from wait4;
// without /usr/bin/time, VmHWM of /proc/<pid>/status polled until the process ends), never the
// process's own report. Per size it also times `plan --json` of the whole org into a file (the
// largest plan: every user and group created), and the report ends with how peak RSS grows from
// the smallest to the largest size, per 10,000 users.
//
// Usage: npm run bench [-- --sizes 1000,10000] [--large] [--latency 0] [--rate 3000] [--concurrency 4]
//   --large       also run 100,000 users and 5,000 groups (takes a few minutes)
//   --latency     ms the emulators wait before each answer (default 0)
//   --rate        Command requests/min for the rate-limited cases; the emulator enforces the same
//   --no-paced    skip the rate-limited cases
//   --cases       only the cases whose name contains one of these comma-separated words (e.g.
//                 "plan,no-change"); the initial sync always runs, the others build on it. A
//                 case left out can change what a later one starts from (e.g. its pull mode).
// Writes bench/results.md and bench/results.json. Figures are one run on a shared machine.
import { spawn } from "node:child_process";
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { listAssignedUsers } from "../dist/emulators/org-assignments.js";
import { addGroupMember, removeGroupMember } from "../dist/emulators/org-group-changes.js";
import { updateProfile } from "../dist/emulators/org-user-changes.js";
import { mulberry32 } from "../dist/emulators/seeded-random.js";
import { startSandbox } from "../dist/emulators/sandbox.js";
import { measureStartup } from "./startup-measure.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const cli = join(here, "..", "bin", "okta-command-sync.js");

const { values } = parseArgs({
  options: {
    sizes: { type: "string", default: "1000,10000" },
    large: { type: "boolean", default: false },
    latency: { type: "string", default: "0" },
    rate: { type: "string", default: "3000" },
    concurrency: { type: "string", default: "4" },
    "no-paced": { type: "boolean", default: false },
    cases: { type: "string" },
    out: { type: "string", default: join(here, "results") },
  },
});
const sizes = values.sizes.split(",").map(Number);
if (values.large && !sizes.includes(100_000)) sizes.push(100_000);
const latencyMs = Number(values.latency);
const pacedRate = Number(values.rate);
const concurrency = Number(values.concurrency);
const caseFilter = values.cases?.split(",").map((word) => word.trim()).filter(Boolean);
/** Whether a case runs (see --cases); the initial sync always does. */
const selected = (name) => caseFilter === undefined || name.startsWith("initial sync") || caseFilter.some((word) => name.includes(word));
const CHUNK = 100; // command.membersPerRequest
const OKTA_PAGE = 500;
const SEARCH_BATCH = 50; // groups.push names resolved per search request
const MEMBER_PAGE = 1000;
const OKTA_APPS_RATE = 100; // Okta's /api/v1/apps/* bucket per minute
const OKTA_SHARE = 0.5;

// --- running the CLI ----------------------------------------------------------------------------

function writeConfig(dir, sandbox, { rate }) {
  const lines = [
    "okta:",
    `  orgUrl: ${sandbox.okta.url}`,
    `  appId: ${sandbox.org.app.id}`,
    `  maxRateShare: ${OKTA_SHARE}`,
    "command:",
    `  scimUrl: ${sandbox.command.url}`,
    `  requestsPerMinute: ${rate}`,
    `  concurrency: ${concurrency}`,
    `  membersPerRequest: ${CHUNK}`,
    "groups:",
    "  push:",
    ...sandbox.groupNames.map((name) => `    - ${JSON.stringify(name)}`),
    "state:",
    `  path: ${join(dir, "state.db")}`,
  ];
  const path = join(dir, "config.yaml");
  writeFileSync(path, `${lines.join("\n")}\n`);
  return path;
}

const GNU_TIME = "/usr/bin/time";
const gnuTime = existsSync(GNU_TIME);

/** VmHWM of a live process in bytes, or undefined once it is gone. */
function highWaterMark(pid) {
  try {
    const match = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Runs the CLI; resolves with its exit code, output, wall time, and its peak RSS and CPU as the
 * kernel counted them. `stdoutFile`: stdout goes to that file instead of being collected.
 */
function runCli(args, env, { stdoutFile } = {}) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const timeFile = join(tmpdir(), `ocs-bench-time-${process.pid}-${started}`);
    const command = gnuTime ? [GNU_TIME, "-o", timeFile, "-f", "%M %U %S", process.execPath, cli, ...args] : [process.execPath, cli, ...args];
    const out = stdoutFile === undefined ? "pipe" : openSync(stdoutFile, "w");
    const child = spawn(command[0], command.slice(1), { env, stdio: ["ignore", out, "pipe"] });
    let stdout = "";
    let stderr = "";
    let polledPeak = 0;
    const poll = gnuTime
      ? undefined
      : setInterval(() => {
          polledPeak = Math.max(polledPeak, highWaterMark(child.pid) ?? 0);
        }, 10);
    child.stdout?.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => {
      if (poll) clearInterval(poll);
      if (typeof out === "number") closeSync(out);
      let rssBytes = polledPeak || undefined;
      let cpuS;
      if (gnuTime) {
        const [kb, user, system] = readFileSync(timeFile, "utf8").trim().split("\n").pop().split(" ").map(Number);
        rmSync(timeFile, { force: true });
        rssBytes = kb * 1024;
        cpuS = user + system;
      }
      resolve({ code, stdout, stderr, wallS: Number(process.hrtime.bigint() - started) / 1e9, rssBytes, cpuS });
    });
  });
}

function metric(text, name) {
  const match = new RegExp(`^okta_command_sync_${name}(?:\\{[^}]*\\})? (\\S+)$`, "m").exec(text);
  return match ? Number(match[1]) : undefined;
}

// --- Command's state, for the minimal request count ----------------------------------------------

function commandState(command) {
  const users = new Map();
  for (const u of command.users()) {
    // `groups` is Command's read-only view of memberships; memberships are counted per group.
    const { meta: _meta, groups: _groups, ...rest } = u;
    users.set(u.id, JSON.stringify(rest));
  }
  const groups = new Map();
  for (const g of command.groups()) groups.set(g.id, { name: g.displayName, members: new Set(g.members.map((m) => m.value)) });
  return { users, groups };
}

/** Requests the change between two states needs: one per user created or changed, one per group created (with its first chunk of members inline), a PATCH per chunk of added or removed members. */
function minimalRequests(before, after) {
  let users = 0;
  for (const [id, json] of after.users) if (before.users.get(id) !== json) users += 1;
  let groups = 0;
  let membership = 0;
  for (const [id, group] of after.groups) {
    const old = before.groups.get(id);
    if (old === undefined) {
      groups += 1;
      membership += Math.max(0, Math.ceil(group.members.size / CHUNK) - 1);
      continue;
    }
    if (old.name !== group.name) groups += 1;
    let added = 0;
    let removed = 0;
    for (const m of group.members) if (!old.members.has(m)) added += 1;
    for (const m of old.members) if (!group.members.has(m)) removed += 1;
    membership += Math.ceil(added / CHUNK) + Math.ceil(removed / CHUNK);
  }
  for (const id of before.groups.keys()) if (!after.groups.has(id)) groups += 1;
  return { users, groups, membership, total: users + groups + membership };
}

// --- change sets ---------------------------------------------------------------------------------

/** Okta ids of users that are active in Command now. */
function activeInCommand(command) {
  const ids = new Set();
  for (const u of command.users()) if (u.active && typeof u.externalId === "string") ids.add(u.externalId);
  return ids;
}

function attributeChanges(sandbox, fraction, round) {
  const active = activeInCommand(sandbox.command);
  const candidates = listAssignedUsers(sandbox.org).filter((a) => active.has(a.user.id));
  const random = mulberry32(1000 + round);
  const count = Math.max(1, Math.round(candidates.length * fraction));
  const picked = new Set();
  while (picked.size < count) picked.add(candidates[Math.floor(random() * candidates.length)].user.id);
  for (const id of picked) updateProfile(sandbox.org, id, { title: `Benchmarked ${round}` });
  return picked.size;
}

function changeMemberships(sandbox, fraction, round) {
  const active = activeInCommand(sandbox.command);
  const activeList = [...active].sort();
  const random = mulberry32(2000 + round);
  const current = [];
  for (const group of sandbox.org.groups) for (const member of memberIdsOf(group)) if (active.has(member)) current.push([group, member]);
  const count = Math.max(2, Math.round(current.length * fraction));
  let removed = 0;
  const seen = new Set();
  while (removed < count / 2) {
    const [group, member] = current[Math.floor(random() * current.length)];
    const key = `${group.id}/${member}`;
    if (seen.has(key)) continue;
    seen.add(key);
    if (removeGroupMember(sandbox.org, group.id, member)) removed += 1;
  }
  let added = 0;
  while (added < count - removed) {
    const group = sandbox.org.groups[Math.floor(random() * sandbox.org.groups.length)];
    const member = activeList[Math.floor(random() * activeList.length)];
    const key = `${group.id}/${member}`;
    if (seen.has(key) || memberIdsOf(group).includes(member)) continue;
    seen.add(key);
    if (addGroupMember(sandbox.org, group.id, member)) added += 1;
  }
  return { removed, added };
}

function memberIdsOf(group) {
  return group.memberIds ?? group.members ?? [];
}

// --- one org size --------------------------------------------------------------------------------

function diffCounts(after, before) {
  const out = {};
  for (const [key, value] of Object.entries(after)) {
    const delta = value - (before[key] ?? 0);
    if (delta !== 0) out[key] = delta;
  }
  return out;
}

function sum(counts) {
  return Object.values(counts).reduce((a, b) => a + b, 0);
}

async function runSize(users, { paced }) {
  const groups = Math.max(50, Math.round(users / 20));
  const rate = paced ? pacedRate : 0;
  const genStart = Date.now();
  const sandbox = await startSandbox({
    org: { users, groups, seed: 7, distribution: "realistic" },
    okta: { rateLimits: paced ? {} : false, latencyMs },
    command: { logRequests: false, latencyMs, ...(paced ? { requestsPerMinute: rate } : {}) },
  });
  const generatedS = (Date.now() - genStart) / 1000;
  const dir = mkdtempSync(join(tmpdir(), "ocs-bench-"));
  const config = writeConfig(dir, sandbox, { rate });
  const env = { PATH: process.env.PATH, HOME: dir, OKTA_API_TOKEN: sandbox.oktaToken, COMMAND_SCIM_TOKEN: sandbox.commandToken };
  const assigned = listAssignedUsers(sandbox.org).length;
  const rows = [];
  let round = 0;

  const run = async (name, flags, change) => {
    if (!selected(name)) return {};
    round += 1;
    const changed = change?.(round);
    const before = commandState(sandbox.command);
    const oktaBefore = { ...sandbox.okta.stats.byEndpoint };
    const oktaLimitedBefore = sandbox.okta.stats.rateLimited;
    const commandBefore = sandbox.command.stats();
    const metricsFile = join(dir, `run-${round}.prom`);
    const result = await runCli(["sync", "--config", config, "--json", "--log-format", "json", "--metrics-file", metricsFile, ...flags], env);
    if (result.code !== 0) throw new Error(`${name}: exit ${result.code}\n${result.stderr.slice(-2000)}`);
    const json = JSON.parse(result.stdout);
    const after = commandState(sandbox.command);
    const commandAfter = sandbox.command.stats();
    const okta = diffCounts(sandbox.okta.stats.byEndpoint, oktaBefore);
    const command = diffCounts(commandAfter.byEndpoint, commandBefore.byEndpoint);
    const minimal = minimalRequests(before, after);
    const metrics = readFileSync(metricsFile, "utf8");
    const oktaRequests = sum(okta);
    const commandRequests = sum(command);
    const appsRequests = Object.entries(okta)
      .filter(([key]) => key.includes("/api/v1/apps/"))
      .reduce((a, [, v]) => a + v, 0);
    // The rate-limit bound: the slower side at its allowed rate (Okta: the apps bucket at our share).
    const boundS = paced ? Math.max((commandRequests / rate) * 60, (appsRequests / (OKTA_APPS_RATE * OKTA_SHARE)) * 60) : undefined;
    const row = {
      users,
      groups,
      assigned,
      case: name,
      paced,
      changed,
      pullMode: json.pull?.mode,
      fallback: json.pull?.fallback,
      okta,
      oktaRequests,
      oktaTarget: undefined,
      command,
      commandRequests,
      minimal,
      ratio: minimal.total === 0 ? (commandRequests === 0 ? 1 : Number.POSITIVE_INFINITY) : commandRequests / minimal.total,
      wallS: result.wallS,
      boundS,
      cpuS: result.cpuS ?? metric(metrics, "last_run_cpu_seconds"),
      planCpuS: metric(metrics, "last_run_plan_cpu_seconds"),
      rssMB: (result.rssBytes ?? 0) / 1048576,
      rateLimited: commandAfter.rateLimited - commandBefore.rateLimited + (sandbox.okta.stats.rateLimited - oktaLimitedBefore),
      status: json.status,
    };
    rows.push(row);
    process.stderr.write(
      `  ${users} users, ${name}: ${result.wallS.toFixed(1)} s, Okta ${oktaRequests}, Command ${commandRequests} (minimal ${minimal.total}), ${row.pullMode ?? "-"}\n`,
    );
    return row;
  };

  try {
    const memberPages = (ids) => ids.reduce((n, g) => n + Math.max(1, Math.ceil(memberIdsOf(g).length / MEMBER_PAGE)), 0);
    const fullOkta = (changedGroups) => Math.ceil(assigned / OKTA_PAGE) + Math.ceil(groups / SEARCH_BATCH) + memberPages(changedGroups);
    if (!paced) {
      if (selected(PLAN_CASE)) rows.push(await planIntoFile(users, groups, assigned, config, env, dir));
      const initial = await run("initial sync", []);
      initial.oktaTarget = fullOkta(sandbox.org.groups);
      (await run("no-change rerun", [])).oktaTarget = fullOkta([]);
      (await run("1% attribute changes", [], (r) => attributeChanges(sandbox, 0.01, r))).oktaTarget = fullOkta([]);
      let moved = [];
      const memberRow = await run("5% membership changes", [], (r) => {
        const before = new Map(sandbox.org.groups.map((g) => [g.id, g.lastMembershipUpdated]));
        const changed = changeMemberships(sandbox, 0.05, r);
        moved = sandbox.org.groups.filter((g) => before.get(g.id) !== g.lastMembershipUpdated);
        return changed;
      });
      memberRow.oktaTarget = fullOkta(moved);
      (await run("first --incremental run (full pull, starts following the log)", ["--incremental"])).oktaTarget = fullOkta([]) + 1;
      (await run("no-change rerun, --incremental", ["--incremental"])).oktaTarget = 5;
      const few = await run("10 users changed, --incremental", ["--incremental"], (r) => attributeChanges(sandbox, 10 / assigned, r));
      few.oktaTarget = 2 + 10; // one log page, one group search, one read per named user
      await run("1% attribute changes, --incremental", ["--incremental"], (r) => attributeChanges(sandbox, 0.01, r));
      await run("5% membership changes, --incremental", ["--incremental"], (r) => changeMemberships(sandbox, 0.05, r));
    } else {
      await run("initial sync (rate-limited)", []);
      await run("1% attribute changes (rate-limited)", [], (r) => attributeChanges(sandbox, 0.01, r));
    }
  } finally {
    await sandbox.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return { users, groups, assigned, generatedS, rows };
}

/** `plan --json > file` against an empty snapshot: the largest plan there is (every user and group created). */
async function planIntoFile(users, groups, assigned, config, env, dir) {
  const file = join(dir, "plan.json");
  const result = await runCli(["plan", "--config", config, "--json", "--log-format", "json"], env, { stdoutFile: file });
  if (result.code !== 0) throw new Error(`plan --json: exit ${result.code}\n${result.stderr.slice(-2000)}`);
  const plan = JSON.parse(readFileSync(file, "utf8"));
  const megabytes = statSync(file).size / 1048576;
  process.stderr.write(`  ${users} users, plan --json > file: ${result.wallS.toFixed(1)} s, ${plan.operations.length} operations, ${megabytes.toFixed(0)} MB of JSON\n`);
  return {
    users,
    groups,
    assigned,
    case: PLAN_CASE,
    paced: false,
    changed: undefined,
    pullMode: undefined,
    okta: {},
    oktaRequests: undefined,
    command: {},
    commandRequests: undefined,
    minimal: undefined,
    ratio: undefined,
    operations: plan.operations.length,
    jsonMB: megabytes,
    wallS: result.wallS,
    boundS: undefined,
    cpuS: result.cpuS,
    planCpuS: undefined,
    rssMB: (result.rssBytes ?? 0) / 1048576,
    rateLimited: 0,
  };
}

const PLAN_CASE = "plan --json > file (empty snapshot)";

// --- report --------------------------------------------------------------------------------------

const fmt = (n, digits = 2) => (n === undefined || Number.isNaN(n) ? "—" : Number.isFinite(n) ? n.toFixed(digits) : "∞");
const endpoints = (counts) =>
  Object.entries(counts)
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k} ${v}`)
    .join("<br>") || "none";

function table(size) {
  const lines = [
    `### ${size.paced ? "Rate-limited: " : ""}${size.users.toLocaleString("en-US")} Okta users (${size.assigned.toLocaleString("en-US")} assigned), ${size.groups.toLocaleString("en-US")} groups`,
    "",
    "| case | Okta pull | Okta requests (target) | Okta by endpoint | Command requests | Command by endpoint | minimal | ratio | wall s | bound s | wall/bound | CPU s | plan CPU s | peak RSS MB | 429s |",
    "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
  ];
  for (const r of size.rows) {
    if (r.case === PLAN_CASE) {
      lines.push(
        `| ${r.case}: ${r.operations} operations, ${fmt(r.jsonMB, 1)} MB of JSON | — | — | — | — | — | — | — | ${fmt(r.wallS)} | — | — | ${fmt(r.cpuS)} | — | ${fmt(r.rssMB, 0)} | — |`,
      );
      continue;
    }
    const target = r.oktaTarget === undefined ? "" : ` (≤ ${r.oktaTarget})`;
    const mode = r.pullMode === undefined ? "—" : r.fallback && r.pullMode === "full" ? `full: ${r.fallback}` : r.pullMode;
    lines.push(
      `| ${r.case}${r.changed === undefined ? "" : ` (${typeof r.changed === "number" ? `${r.changed} users` : `+${r.changed.added} −${r.changed.removed} memberships`})`} | ${mode} | ${r.oktaRequests}${target} | ${endpoints(r.okta)} | ${r.commandRequests} | ${endpoints(r.command)} | ${r.minimal.total} | ${fmt(r.ratio)} | ${fmt(r.wallS)} | ${fmt(r.boundS)} | ${r.boundS ? fmt(r.wallS / r.boundS) : "—"} | ${fmt(r.cpuS)} | ${fmt(r.planCpuS, 3)} | ${fmt(r.rssMB, 0)} | ${r.rateLimited} |`,
    );
  }
  return lines.join("\n");
}

const results = [];
for (const users of sizes) {
  process.stderr.write(`${users} users, rate limits off\n`);
  results.push(await runSize(users, { paced: false }));
}
if (!values["no-paced"]) {
  process.stderr.write(`1000 users, Command at ${pacedRate}/min (the emulator enforces the same), Okta at ${OKTA_SHARE * 100}% of its buckets\n`);
  results.push({ ...(await runSize(1000, { paced: true })), paced: true });
}
const STARTUP_ROUNDS = 15;
process.stderr.write(`start-up, ${STARTUP_ROUNDS} rounds\n`);
const startup = measureStartup(STARTUP_ROUNDS);

const header = [
  "# Benchmark results",
  "",
  `One run of \`npm run bench\`${values.large ? " -- --large" : ""} on ${new Date().toISOString().slice(0, 10)}, Node ${process.version}, this machine (2 cores, shared).`,
  `The CLI runs as a child process; both emulators run in the benchmark's process on loopback, latency ${latencyMs} ms. Peak RSS and CPU s are the CLI process's, as the kernel counted them (${gnuTime ? "GNU time" : "VmHWM of /proc/<pid>/status"}); plan CPU s is the run's own account of mapping the pull and diffing it.`,
  "Org: seeded generator, realistic memberships (most users in 2–5 groups, a few groups with thousands of members); every group is pushed by name.",
  `Command: concurrency ${concurrency}, ${CHUNK} members per PATCH. Minimal = requests the change in Command's state needs (one per user created or changed, one per group created with its first ${CHUNK} members inline, one PATCH per ${CHUNK} members added or removed), computed from Command's state before and after each run.`,
  `Okta target for a full run: ceil(assigned/${OKTA_PAGE}) app-user pages + ceil(groups/${SEARCH_BATCH}) group searches + member pages of groups whose membership changed. Rate-limited cases: bound = requests / allowed rate of the slower side.`,
  "",
];
/** Peak RSS per case and size, and MB per 10,000 users from 10,000 users (else the smallest size) to the largest. */
function growth(sizes) {
  const plain = sizes.filter((s) => !s.paced).sort((a, b) => a.users - b.users);
  if (plain.length < 2) return [];
  const high = plain[plain.length - 1];
  const low = plain.find((s) => s.users === 10_000 && s !== high) ?? plain[0];
  const perTenK = (r) => {
    const other = low.rows.find((x) => x.case === r.case);
    return other === undefined ? undefined : ((r.rssMB - other.rssMB) / (high.users - low.users)) * 10_000;
  };
  const lines = [
    `### Peak RSS growth from ${low.users.toLocaleString("en-US")} to ${high.users.toLocaleString("en-US")} users`,
    "",
    `| case | ${plain.map((s) => `${s.users.toLocaleString("en-US")} users MB`).join(" | ")} | MB per 10k users |`,
    `|---|${plain.map(() => "---|").join("")}---|`,
  ];
  for (const r of high.rows) {
    const cells = plain.map((s) => fmt(s.rows.find((x) => x.case === r.case)?.rssMB, 0));
    lines.push(`| ${r.case} | ${cells.join(" | ")} | ${fmt(perTenK(r), 1)} |`);
  }
  return [lines.join("\n")];
}

/** The targets (memory and plan CPU at 100,000 users, start-up, speed) beside what this run measured. */
function targets(sizes) {
  const range = (values, digits = 0) => (values.length === 0 ? "—" : `${fmt(Math.min(...values), digits)}–${fmt(Math.max(...values), digits)}`);
  const met = (values, limit) => (values.length > 0 && Math.max(...values) <= limit ? "yes" : "no");
  const lines = [];
  const big = sizes.filter((s) => !s.paced).sort((a, b) => b.users - a.users)[0];
  if (big !== undefined && big.users >= 100_000) {
    const row = (name) => big.rows.find((r) => r.case === name);
    const rss = (names) => names.map(row).filter(Boolean).map((r) => r.rssMB);
    const steady = big.rows.filter((r) => r.case !== "initial sync" && r.case !== PLAN_CASE);
    const planCpu = big.rows.filter((r) => r.planCpuS !== undefined).map((r) => r.planCpuS);
    const initial = rss(["initial sync"]);
    const steadyRss = steady.map((r) => r.rssMB);
    const plan = rss([PLAN_CASE]);
    lines.push(
      `| initial sync at ${big.users.toLocaleString("en-US")} users, peak RSS | ≤ 300 MB | ${range(initial)} MB | ${met(initial, 300)} |`,
      `| no-change and incremental runs at ${big.users.toLocaleString("en-US")} users, peak RSS | ≤ 200 MB | ${range(steadyRss)} MB | ${met(steadyRss, 200)} |`,
      `| \`plan --json\` of ${big.users.toLocaleString("en-US")} users into a file, peak RSS | ≤ 300 MB | ${range(plan)} MB | ${met(plan, 300)} |`,
      `| plan step CPU (mapping + diff), every sync case at ${big.users.toLocaleString("en-US")} users | ≤ 1 s | ${range(planCpu, 2)} s | ${met(planCpu, 1)} |`,
    );
  }
  const tenK = sizes.find((s) => !s.paced && s.users === 10_000)?.rows.find((r) => r.case === "no-change rerun, --incremental");
  if (tenK !== undefined) lines.push(`| no-change \`sync --incremental\` at 10,000 users, wall | ≤ 1 s | ${fmt(tenK.wallS, 2)} s | ${met([tenK.wallS], 1)} |`);
  const paced = sizes.find((s) => s.paced)?.rows.find((r) => r.case === "initial sync (rate-limited)");
  if (paced?.boundS !== undefined) {
    const ratio = paced.wallS / paced.boundS;
    lines.push(`| rate-limited initial sync at 1,000 users, wall / rate-limit bound | ≤ 1.05 | ${fmt(ratio, 2)} (${fmt(paced.wallS, 2)} s / ${fmt(paced.boundS, 2)} s) | ${met([Number(ratio.toFixed(2))], 1.05)} |`);
  }
  const bare = startup.find((r) => r.target === undefined);
  for (const r of startup.filter((x) => x.target !== undefined)) {
    lines.push(`| start-up: \`${r.name}\`, median of ${STARTUP_ROUNDS} against \`node -e 0\` (${fmt(bare.medianMs, 1)} ms) | ≤ ${r.target}x | ${fmt(r.ratio, 2)}x (${fmt(r.medianMs, 1)} ms) | ${met([r.ratio], r.target)} |`);
  }
  if (lines.length === 0) return [];
  return [["### Targets", "", "| case | target | this run | met |", "|---|---|---|---|", ...lines].join("\n")];
}

const markdown = [...header, ...targets(results), ...growth(results), ...results.map(table)].join("\n\n");
writeFileSync(`${values.out}.md`, `${markdown}\n`);
writeFileSync(`${values.out}.json`, `${JSON.stringify({ sizes: results, startup }, null, 2)}\n`);
console.log(markdown);
