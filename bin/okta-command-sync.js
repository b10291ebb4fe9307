#!/usr/bin/env node
// This file runs on whatever Node.js the user has. Until the version is checked it keeps to what
// Node 12 can parse (no top-level await, `?.`, `??` or `node:` imports) and loads nothing that
// needs more, so an old Node gets one line saying what to do instead of a syntax error.
import { readFileSync } from "fs";
import { nodeVersionLine, nodeVersionProblem } from "../dist/cli/node-version.js";

const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
const problem = nodeVersionProblem(process.versions.node, pkg.engines.node, process.execPath);

if (problem !== undefined) {
  process.stderr.write(nodeVersionLine(problem) + "\n");
  // A script reading --json gets its one-line result on failures too.
  if (process.argv.indexOf("--json") !== -1) {
    process.stdout.write(JSON.stringify({ status: "failed", error: { kind: "config", message: problem.message, hint: problem.hint } }) + "\n");
  }
  process.exitCode = 1;
} else {
  Promise.all([import("../dist/bin/exit.js"), import("../dist/bin/main.js")]).then(async function (modules) {
    const code = await modules[1].main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env });
    // Exits even if something (a connection, a timer) would keep the event loop alive.
    await modules[0].exitWhenFlushed(code);
  });
}
