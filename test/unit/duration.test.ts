import { describe, expect, it } from "vitest";
import { FULL_EVERY, MAX_AGE, parseMaxAge, RETENTION } from "../../src/config/duration.js";
import { formatDuration, parseDurationSetting, readDuration } from "../../src/duration.js";

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;

describe("the duration grammar", () => {
  it.each([
    ["90s", 90 * S],
    ["15m", 15 * M],
    ["1h30m", 90 * M],
    ["36h", 36 * H],
    ["90d", 90 * D],
    ["2w", 14 * D],
    ["1d12h", 36 * H],
    ["500ms", 500],
    ["1m30s500ms", 90 * S + 500],
    [" 1.5H ", 90 * M],
    ["1h 30m", 90 * M],
    ["3 days", 3 * D],
    ["1 week 2 days", 9 * D],
    ["2 hours 15 minutes", 135 * M],
  ])("reads %j as %d ms", (text, ms) => {
    expect(readDuration(text)).toEqual({ kind: "duration", ms });
  });

  it.each(["never", "forever", "NEVER", "0", 0])("reads %j as off", (value) => {
    expect(readDuration(value)).toEqual({ kind: "off" });
  });

  it.each(["", "h", "1x", "-1h", "1hh", "soon", "3 months", "1h30", "30m1h", "1h1h", "1.h", "1e3s", true, null, undefined])("refuses %j", (value) => {
    expect(readDuration(value)).toEqual({ kind: "invalid" });
  });

  it("tells a bare number and a zero from other mistakes", () => {
    expect(readDuration("90")).toEqual({ kind: "bare", number: "90" });
    expect(readDuration(90)).toEqual({ kind: "bare", number: "90" });
    expect(readDuration("0d")).toEqual({ kind: "zero", text: "0d" });
    expect(readDuration("0h0m")).toEqual({ kind: "zero", text: "0h0m" });
  });
});

describe("formatDuration", () => {
  it.each([
    [0, "0s"],
    [500, "500ms"],
    [1500, "1.5s"],
    [90 * S, "1m30s"],
    [90 * M, "1h30m"],
    [36 * H, "1d12h"],
    [90 * D, "90d"],
    [14 * D, "2w"],
    [36_500 * D, "36500d"],
  ])("writes %d exactly as %s", (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it("reads back every duration it writes", () => {
    for (const ms of [1, 999, 1000, 1001, 59_999, 61_000, 90 * M, H + 1, 36 * H, 7 * D, 8 * D + 3 * H + 2 * M + 1 * S + 5, 90 * D, 36_500 * D]) {
      expect(readDuration(formatDuration(ms)), String(ms)).toEqual({ kind: "duration", ms });
    }
  });

  it("rounds for reading: waits up, ages to the nearest second, two largest units", () => {
    expect(formatDuration(998.2, { round: "up" })).toBe("999ms");
    expect(formatDuration(999.2, { round: "up" })).toBe("1s");
    expect(formatDuration(1001, { round: "up" })).toBe("2s");
    expect(formatDuration(125_500, { round: "up" })).toBe("2m6s");
    expect(formatDuration(125_400, { round: "nearest" })).toBe("2m5s");
    expect(formatDuration(3 * H + 5 * M + 7 * S, { round: "nearest" })).toBe("3h5m");
    expect(formatDuration(D + 59 * S, { round: "nearest" })).toBe("1d");
    expect(formatDuration(2 * D + 4 * H, { round: "nearest" })).toBe("2d4h");
    // A rounded duration is still in the grammar.
    expect(readDuration(formatDuration(3 * H + 5 * M + 7 * S, { round: "nearest" }))).toEqual({ kind: "duration", ms: 3 * H + 5 * M });
  });
});

describe("duration keys", () => {
  it("state.retention: forever keeps every run; at least 1h, at most 100 years; a bare number asks for a unit", () => {
    expect(parseDurationSetting("1d12h", RETENTION)).toEqual({ ms: 36 * H });
    expect(parseDurationSetting("forever", RETENTION)).toEqual({ ms: undefined });
    expect(parseDurationSetting("30m", RETENTION)).toEqual({ problem: `${RETENTION.rule}; at least 1h` });
    expect(parseDurationSetting("36501d", RETENTION)).toEqual({ problem: `${RETENTION.rule}; at most 36500d (100 years)` });
    expect(parseDurationSetting("90", RETENTION)).toEqual({ problem: `${RETENTION.rule}; add a unit, such as 90d for days` });
    expect(parseDurationSetting("0d", RETENTION)).toEqual({ problem: `${RETENTION.rule}; 0d would keep no run at all: write forever (or 0) to keep every run` });
  });

  it("sync.fullEvery: combinations and never", () => {
    expect(parseDurationSetting("1h30m", FULL_EVERY)).toEqual({ ms: 90 * M });
    expect(parseDurationSetting("never", FULL_EVERY)).toEqual({ ms: undefined });
    expect(parseDurationSetting("0s", FULL_EVERY)).toEqual({
      problem: `${FULL_EVERY.rule}; 0s is no time at all: write never (or 0) to read everything only when the System Log cannot serve`,
    });
  });

  it("--max-age: the same grammar, never off", () => {
    expect(parseMaxAge("1d12h")).toEqual({ ms: 36 * H });
    expect(parseMaxAge("never")).toEqual({ problem: MAX_AGE.rule });
    expect(parseMaxAge("0s")).toEqual({ problem: `${MAX_AGE.rule}; 0s is no time at all` });
    expect(parseMaxAge("90")).toEqual({ problem: `${MAX_AGE.rule}; add a unit, such as 90m for minutes` });
  });
});
