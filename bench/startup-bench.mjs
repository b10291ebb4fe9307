// Start-up cost of the built CLI, as ratios to a bare `node -e 0` measured in the same run.
// Usage: npm run bench:startup [-- --runs 15]
//
// Each round runs every case once, in turn, so a busy machine slows all cases alike and the
// ratios stay comparable; the medians over the rounds are printed. `runs` reads an empty temporary
// state (no snapshot file), as on a fresh install.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const { values } = parseArgs({ options: { runs: { type: "string", default: "15" } } });
const rounds = Number(values.runs);
if (!Number.isInteger(rounds) || rounds < 1) throw new Error("--runs must be a whole number of at least 1");

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const bin = join(root, "bin", "okta-command-sync.js");
const dir = mkdtempSync(join(tmpdir(), "ocs-startup-"));
const env = { PATH: process.env.PATH ?? "", HOME: dir, OCS_STATE: join(dir, "state.db") };

const cases = [
  { name: "node -e 0", args: ["-e", "0"] },
  { name: "--version", args: [bin, "--version"] },
  { name: "--help", args: [bin, "--help"] },
  { name: "runs (empty state)", args: [bin, "runs"] },
];

const times = new Map(cases.map((c) => [c.name, []]));
try {
  for (let round = 0; round < rounds; round++) {
    for (const { name, args } of cases) {
      const start = process.hrtime.bigint();
      const child = spawnSync(process.execPath, args, { cwd: dir, env, stdio: ["ignore", "pipe", "pipe"] });
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      if (child.status !== 0) throw new Error(`${name} exited ${child.status}: ${child.stderr.toString().trim()}`);
      times.get(name).push(ms);
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const median = (list) => {
  const sorted = [...list].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const bare = median(times.get("node -e 0"));
console.log(`start-up, median of ${rounds} interleaved rounds (node ${process.version})`);
console.log(`${"case".padEnd(20)} ${"median ms".padStart(10)} ${"x node".padStart(8)}`);
for (const { name } of cases) {
  const m = median(times.get(name));
  console.log(`${name.padEnd(20)} ${m.toFixed(1).padStart(10)} ${(m / bare).toFixed(2).padStart(8)}`);
}
