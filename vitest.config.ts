import { defineConfig } from "vitest/config";
import LongestFirst from "./test/support/longest-first.js";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: "forks",
    // The end-to-end files spend most of their time waiting on a child CLI or on an emulator's
    // socket, so more files than cores run at once keep both cores busy (vitest's default is one
    // fewer worker than cores: a single worker on a 2-core machine).
    maxWorkers: 4,
    sequence: { sequencer: LongestFirst },
  },
});
