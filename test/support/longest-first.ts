/**
 * Test file order for a run: the end-to-end files first, the known long ones at the very front,
 * so that no long file starts last and runs alone at the end while the other workers sit idle.
 * Vitest's own order (the durations it cached on an earlier run, else file size) breaks ties, so
 * a clean clone gets a good order too.
 */
import { relative } from "node:path";
import { BaseSequencer, type TestSpecification } from "vitest/node";

/** The slowest files, slowest first (measured: each is a long chain of CLI runs or kill points). */
const LONG_FILES = [
  "test/e2e/crash-safety.test.ts",
  "test/e2e/adopt-drift.test.ts",
  "test/e2e/check.test.ts",
  "test/e2e/command-trust.test.ts",
  "test/e2e/sync-cycle.test.ts",
  "test/e2e/incremental.test.ts",
  "test/e2e/group-patterns.test.ts",
  "test/e2e/approve-notify.test.ts",
  "test/e2e/unwatched-runs.test.ts",
  "test/e2e/held-users.test.ts",
];
const FOLDERS = ["test/e2e/", "test/integration/", "test/unit/"];

function rank(root: string, spec: TestSpecification): number {
  const path = relative(root, spec.moduleId).split("\\").join("/");
  const long = LONG_FILES.indexOf(path);
  if (long >= 0) return long;
  const folder = FOLDERS.findIndex((f) => path.startsWith(f));
  return LONG_FILES.length + (folder >= 0 ? folder : FOLDERS.length);
}

export default class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const root = this.ctx.config.root;
    const base = await super.sort(files);
    const position = new Map(base.map((spec, i) => [spec, i]));
    return [...base].sort((a, b) => rank(root, a) - rank(root, b) || position.get(a)! - position.get(b)!);
  }
}
