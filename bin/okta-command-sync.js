#!/usr/bin/env node
import { exitWhenFlushed } from "../dist/cli/exit.js";
import { main } from "../dist/cli/main.js";

const code = await main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env });
// Exits even if something (a connection, a timer) would keep the event loop alive.
await exitWhenFlushed(code);
