import { defineConfig } from "vitest/config";
import LongestFirst from "./test/support/longest-first.js";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // An end-to-end test is a chain of CLI runs; on a busy 2-core machine one run can take ten
    // times its usual second. The limit only ends a test that hangs, so it is generous.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: "forks",
    // An end-to-end file spends most of its time waiting on a child CLI, so more files than cores
    // run at once keep both cores busy (vitest's default is one fewer worker than cores: a single
    // worker on a 2-core machine). The children are four fifths of the suite's CPU, so more
    // workers than this only crowd the cores.
    maxWorkers: 3,
    // Tests marked concurrent (crash-safety's kill points) run this many at a time.
    maxConcurrency: 3,
    // A worker runs one file after another instead of starting afresh for each: the files keep
    // no state outside what they start and close themselves (emulators, temporary directories),
    // and a fresh process per file cost a third of the CPU of the unit and integration folders.
    isolate: false,
    sequence: { sequencer: LongestFirst },
  },
});
