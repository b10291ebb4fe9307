/**
 * The duration keys of the configuration and the `--max-age` flag: what each allows and how its
 * messages read. The grammar itself is ../duration.ts, shared by every layer.
 */
import { z } from "zod";
import { type DurationRule, parseDurationSetting } from "../duration.js";

// `check --max-age` parses its flag without loading zod; its rule lives with the grammar.
export { MAX_AGE, parseMaxAge } from "../duration.js";

const HOUR_MS = 3_600_000;

export const RETENTION_RULE = "must be a duration such as 90d, 36h, 2w or 1d12h, or forever (or 0) to keep every run";

/** `state.retention`: how long the run log keeps a run; `forever` keeps every run. */
export const RETENTION: DurationRule = {
  rule: RETENTION_RULE,
  off: { word: "forever", meaning: "to keep every run" },
  unit: { symbol: "d", name: "days" },
  // Shorter would drop a run while someone may still be reading it with `runs show`.
  atLeastMs: HOUR_MS,
  zero: "would keep no run at all",
};

const SCHEDULE_RULE = "must be a duration such as 30m, 6h, 1h30m or 1d (or never)";

/** `sync.fullEvery`: `never` reads everything only when the System Log cannot serve. */
export const FULL_EVERY: DurationRule = {
  rule: SCHEDULE_RULE,
  off: { word: "never", meaning: "to read everything only when the System Log cannot serve" },
  unit: { symbol: "h", name: "hours" },
};

/** `sync.refreshEvery`: `never` re-reads Command only with `sync --refresh`. */
export const REFRESH_EVERY: DurationRule = {
  rule: SCHEDULE_RULE,
  off: { word: "never", meaning: "to refresh only with sync --refresh" },
  unit: { symbol: "h", name: "hours" },
};

/** A duration key: milliseconds, or undefined when turned off. */
export function durationKey(rule: DurationRule) {
  return z.unknown().transform((value, ctx): number | undefined => {
    const parsed = parseDurationSetting(value, rule);
    if ("problem" in parsed) {
      ctx.addIssue(parsed.problem);
      return undefined;
    }
    return parsed.ms;
  });
}
