/** Errors as the user sees them: one line, what to do, and the exit code. */
import { ConfigError, SyncError } from "../errors.js";
import type { Output } from "./output.js";

export const EXIT = { ok: 0, error: 1, changes: 2, refused: 3 } as const;

/** One line for the user, plus what to do, for any error. */
export function reportError(out: Output, error: unknown): number {
  if (error instanceof ConfigError && out.logFormat === "json") {
    out.log("error", error.message, { problems: error.problems, ...(error.hint ? { hint: error.hint } : {}) });
    return EXIT.error;
  }
  if (error instanceof ConfigError) {
    out.log("error", error.problems.length === 1 ? error.message : `${error.message}:`);
    if (error.problems.length > 1) for (const problem of error.problems) out.log("error", `  ${problem}`);
  } else if (error instanceof SyncError) {
    out.log("error", error.message);
  } else {
    out.log("error", `internal error: ${error instanceof Error ? error.message : String(error)} (rerun with --verbose for details)`);
  }
  if (error instanceof SyncError && error.hint) out.log("error", error.hint);
  if (out.options.verbose && error instanceof Error && error.stack) out.log("error", error.stack);
  return error instanceof SyncError && error.kind === "safety" ? EXIT.refused : EXIT.error;
}
