// Start-up cost of the built CLI, as ratios to a bare `node -e 0` measured in the same run
// (see startup-measure.mjs). `npm run bench -- --large` reports the same beside its targets.
// Usage: npm run bench:startup [-- --runs 15]
import { parseArgs } from "node:util";
import { measureStartup } from "./startup-measure.mjs";

const { values } = parseArgs({ options: { runs: { type: "string", default: "15" } } });
const rounds = Number(values.runs);
if (!Number.isInteger(rounds) || rounds < 1) throw new Error("--runs must be a whole number of at least 1");

const rows = measureStartup(rounds);
console.log(`start-up, median of ${rounds} interleaved rounds (node ${process.version})`);
console.log(`${"case".padEnd(20)} ${"median ms".padStart(10)} ${"x node".padStart(8)} ${"target".padStart(8)}`);
for (const { name, medianMs, ratio, target } of rows) {
  console.log(`${name.padEnd(20)} ${medianMs.toFixed(1).padStart(10)} ${ratio.toFixed(2).padStart(8)} ${(target === undefined ? "" : `<= ${target}x`).padStart(8)}`);
}
