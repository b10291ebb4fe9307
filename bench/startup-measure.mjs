// Start-up cost of the built CLI, as ratios to a bare `node -e 0` measured in the same run.
//
// Each round runs every case once, in turn, so a busy machine slows all cases alike and the
// ratios stay comparable; the medians over the rounds are reported. `runs` reads an empty
// temporary state (no snapshot file), as on a fresh install.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const bin = join(root, "bin", "okta-command-sync.js");

/** The cases, their targets as a multiple of bare node (issue targets: 2x, 2x, 3x). */
export const STARTUP_CASES = [
  { name: "node -e 0", args: ["-e", "0"], target: undefined },
  { name: "--version", args: [bin, "--version"], target: 2 },
  { name: "--help", args: [bin, "--help"], target: 2 },
  { name: "runs (empty state)", args: [bin, "runs"], target: 3 },
];

function median(list) {
  const sorted = [...list].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Runs `rounds` interleaved rounds; resolves with each case's median wall ms and its ratio to bare node. */
export function measureStartup(rounds) {
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error("rounds must be a whole number of at least 1");
  const dir = mkdtempSync(join(tmpdir(), "ocs-startup-"));
  const env = { PATH: process.env.PATH ?? "", HOME: dir, OCS_STATE: join(dir, "state.db") };
  const times = new Map(STARTUP_CASES.map((c) => [c.name, []]));
  try {
    for (let round = 0; round < rounds; round++) {
      for (const { name, args } of STARTUP_CASES) {
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
  const bare = median(times.get("node -e 0"));
  return STARTUP_CASES.map(({ name, target }) => {
    const medianMs = median(times.get(name));
    return { name, medianMs, ratio: medianMs / bare, target };
  });
}
