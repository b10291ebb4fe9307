/**
 * The one grammar for durations, wherever a user writes one (`--max-age`, `sync.fullEvery`,
 * `sync.refreshEvery`, `state.retention`), and the one way every duration is printed. Numbers
 * with units, largest first, optionally spaced: `90s`, `15m`, `1h30m`, `36h`, `1d12h`, `2w`,
 * `1.5h`, `500ms`, `3 days`; `never` (also `forever` and a bare `0`) where a key can be turned off.
 * A leaf module: every layer may use it.
 */

const MS = 1;
const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const WEEK = 7 * DAY;

/** 100 years: longer than any schedule or retention, and far inside the range of a Date. */
export const MAX_DURATION_MS = 36_500 * DAY;

/** Unit words, longest first so that `ms` is not read as `m`. */
const UNIT_WORDS: readonly (readonly [string, number])[] = [
  ["milliseconds", MS],
  ["millisecond", MS],
  ["msecs", MS],
  ["msec", MS],
  ["ms", MS],
  ["seconds", SECOND],
  ["second", SECOND],
  ["secs", SECOND],
  ["sec", SECOND],
  ["s", SECOND],
  ["minutes", MINUTE],
  ["minute", MINUTE],
  ["mins", MINUTE],
  ["min", MINUTE],
  ["m", MINUTE],
  ["hours", HOUR],
  ["hour", HOUR],
  ["hrs", HOUR],
  ["hr", HOUR],
  ["h", HOUR],
  ["days", DAY],
  ["day", DAY],
  ["d", DAY],
  ["weeks", WEEK],
  ["week", WEEK],
  ["w", WEEK],
];
const UNIT_SIZE = new Map(UNIT_WORDS);
const PART = new RegExp(`\\s*(\\d+(?:\\.\\d+)?|\\.\\d+)\\s*(${UNIT_WORDS.map(([word]) => word).join("|")})(?![a-z])`, "y");

/** The words that turn a duration setting off. */
const OFF_WORDS = new Set(["never", "forever"]);

/** What a piece of user input is, before any key's rules apply. */
export type DurationReading =
  | { kind: "duration"; ms: number }
  /** `never`, `forever`, `0`. */
  | { kind: "off" }
  /** A number without a unit, such as `90`. */
  | { kind: "bare"; number: string }
  /** Units that add up to nothing, such as `0d`. */
  | { kind: "zero"; text: string }
  | { kind: "invalid" };

/** Reads `value` (text, or a number from YAML) in the one grammar. Case and surrounding spaces do not matter. */
export function readDuration(value: unknown): DurationReading {
  const text = typeof value === "number" ? String(value) : typeof value === "string" ? value.trim().toLowerCase() : undefined;
  if (text === undefined || text === "") return { kind: "invalid" };
  if (OFF_WORDS.has(text) || /^0+$/.test(text)) return { kind: "off" };
  if (/^\d+(\.\d+)?$/.test(text)) return { kind: "bare", number: text };
  let total = 0;
  let previous = Number.POSITIVE_INFINITY;
  PART.lastIndex = 0;
  while (PART.lastIndex < text.length) {
    const match = PART.exec(text);
    if (match === null) return { kind: "invalid" };
    const size = UNIT_SIZE.get(match[2]!)!;
    // Largest unit first, each once: `30m1h` or `1h1h` is more likely a typo than a sum.
    if (size >= previous) return { kind: "invalid" };
    previous = size;
    total += Number(match[1]) * size;
  }
  const ms = Math.round(total);
  if (!Number.isFinite(ms)) return { kind: "invalid" };
  return ms === 0 ? { kind: "zero", text } : { kind: "duration", ms };
}

/** What a key allows, and how its messages read. */
export interface DurationRule {
  /** The message for anything outside the grammar: `must be a duration such as ...`. */
  rule: string;
  /** `never`/`forever`/`0` turns the key off; undefined: they are refused. */
  off?: { word: "never" | "forever"; meaning: string };
  /** The unit suggested for a bare number: `90` -> `90d for days`. */
  unit: { symbol: string; name: string };
  /** The shortest value allowed, if any: `1h`. */
  atLeastMs?: number;
  /** What a zero such as `0d` would do, when that differs from turning the key off. */
  zero?: string;
}

/** The value of a key: milliseconds, undefined when turned off, or what is wrong in words a user can act on. */
export function parseDurationSetting(value: unknown, rule: DurationRule): { ms: number | undefined } | { problem: string } {
  const reading = readDuration(value);
  switch (reading.kind) {
    case "duration":
      if (reading.ms > MAX_DURATION_MS) return { problem: `${rule.rule}; at most ${formatDuration(MAX_DURATION_MS)} (100 years)` };
      if (rule.atLeastMs !== undefined && reading.ms < rule.atLeastMs) return { problem: `${rule.rule}; at least ${formatDuration(rule.atLeastMs)}` };
      return { ms: reading.ms };
    case "off":
      return rule.off === undefined ? { problem: rule.rule } : { ms: undefined };
    case "bare":
      return { problem: `${rule.rule}; add a unit, such as ${reading.number}${rule.unit.symbol} for ${rule.unit.name}` };
    case "zero": {
      if (rule.off === undefined) return { problem: `${rule.rule}; ${reading.text} is no time at all` };
      const what = rule.zero ?? "is no time at all";
      return { problem: `${rule.rule}; ${reading.text} ${what}: write ${rule.off.word} (or 0) ${rule.off.meaning}` };
    }
    case "invalid":
      return { problem: rule.rule };
  }
}

export interface FormatOptions {
  /**
   * Rounded for reading: whole seconds from 1 s on (`up` for waits, never shorter than the
   * truth; `nearest` for ages) and at most the two largest units (`3h5m`, `2d4h`). Without it,
   * exact: every unit down to the millisecond, and whole weeks as weeks (`2w`, `1d12h`, `1.5s`).
   */
  round?: "up" | "nearest";
}

const FORMAT_UNITS: readonly (readonly [string, number])[] = [
  ["d", DAY],
  ["h", HOUR],
  ["m", MINUTE],
  ["s", SECOND],
  ["ms", MS],
];

/** `5400000` -> `1h30m`: in the grammar readDuration reads, so a printed duration can be pasted back. */
export function formatDuration(ms: number, options: FormatOptions = {}): string {
  const whole = Math.max(0, options.round === "nearest" ? Math.round(ms) : Math.ceil(ms));
  if (options.round === undefined) {
    if (whole > 0 && whole % WEEK === 0) return `${whole / WEEK}w`;
    // 1.5s reads better than 1s500ms, and reads back the same.
    if (whole > SECOND && whole < 60 * SECOND && whole % SECOND !== 0) return `${whole / SECOND}s`;
    return join(parts(whole)) || "0s";
  }
  if (whole < SECOND) return `${whole}ms`;
  const seconds = options.round === "up" ? Math.ceil(whole / SECOND) : Math.round(whole / SECOND);
  const all = parts(seconds * SECOND);
  const first = all.findIndex(([, n]) => n > 0);
  // The two largest units, not skipping a zero between them: 1d0h5m is `1d`, not `1d5m`.
  return join(all.slice(first, first + 2));
}

function parts(ms: number): [string, number][] {
  let rest = ms;
  return FORMAT_UNITS.map(([symbol, size]) => {
    const n = Math.floor(rest / size);
    rest -= n * size;
    return [symbol, n];
  });
}

function join(parts: readonly (readonly [string, number])[]): string {
  return parts
    .filter(([, n]) => n > 0)
    .map(([symbol, n]) => `${n}${symbol}`)
    .join("");
}

/** `check --max-age`: a liveness bound, never off. */
export const MAX_AGE: DurationRule = {
  rule: "must be a duration such as 90s, 30m, 1h, 2d or 1h30m",
  unit: { symbol: "m", name: "minutes" },
};

/** `--max-age`: milliseconds, or what is wrong. */
export function parseMaxAge(value: string): { ms: number } | { problem: string } {
  const parsed = parseDurationSetting(value, MAX_AGE);
  if ("problem" in parsed) return parsed;
  return parsed.ms === undefined ? { problem: MAX_AGE.rule } : { ms: parsed.ms };
}
