/**
 * The metrics text: a golden file for one run, read back by a small parser of the exposition
 * format (0.0.4) that rejects anything node_exporter's textfile collector would.
 */
import { describe, expect, it } from "vitest";
import { lastSuccessAt, RunMetrics, scopeOf, statusClass } from "../../src/metrics/collector.js";
import { escapeLabelValue, formatValue, renderExposition } from "../../src/metrics/exposition.js";
import type { RunSnapshotMetrics } from "../../src/metrics/types.js";
import { emptySummary, type Operation } from "../../src/model.js";

// --- a small exposition-format parser -----------------------------------------------------------

interface ParsedSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

interface Parsed {
  help: Map<string, string>;
  type: Map<string, string>;
  samples: ParsedSample[];
}

const NAME = "[a-zA-Z_:][a-zA-Z0-9_:]*";
const HELP_LINE = new RegExp(`^# HELP (${NAME}) ((?:[^\\\\\\n]|\\\\[\\\\n])*)$`);
const TYPE_LINE = new RegExp(`^# TYPE (${NAME}) (counter|gauge|histogram|summary|untyped)$`);
const SAMPLE_LINE = new RegExp(`^(${NAME})(?:\\{(.*)\\})? (\\S+)(?: (-?\\d+))?$`);
const LABEL_PAIR = /^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\["\\n])*)"(,|$)/;
const VALUE = /^(?:[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|NaN|[+-]Inf)$/;

function unescapeLabel(text: string): string {
  return text.replace(/\\(["\\n])/g, (_, c: string) => (c === "n" ? "\n" : c));
}

function parseLabels(text: string, line: string): Record<string, string> {
  const labels: Record<string, string> = {};
  let rest = text;
  while (rest !== "") {
    const match = LABEL_PAIR.exec(rest);
    if (!match) throw new Error(`bad labels in: ${line}`);
    const [whole, name, value] = match as unknown as [string, string, string];
    if (name in labels) throw new Error(`repeated label ${name} in: ${line}`);
    labels[name] = unescapeLabel(value);
    rest = rest.slice(whole.length);
  }
  return labels;
}

function parseValue(text: string, line: string): number {
  if (!VALUE.test(text)) throw new Error(`bad value in: ${line}`);
  if (text === "NaN") return Number.NaN;
  if (text.endsWith("Inf")) return text.startsWith("-") ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  return Number(text);
}

/** Parses exposition text strictly: unknown syntax, a family split in two, or a repeated series throws. */
function parseExposition(text: string): Parsed {
  if (text !== "" && !text.endsWith("\n")) throw new Error("the text must end with a line feed");
  const parsed: Parsed = { help: new Map(), type: new Map(), samples: [] };
  const finished = new Set<string>();
  const series = new Set<string>();
  let current: string | undefined;
  const enter = (name: string, line: string) => {
    if (name === current) return;
    if (finished.has(name)) throw new Error(`family ${name} is split: ${line}`);
    if (current !== undefined) finished.add(current);
    current = name;
  };
  for (const line of text.split("\n").slice(0, -1)) {
    if (line === "") continue;
    const help = HELP_LINE.exec(line);
    if (help) {
      enter(help[1]!, line);
      if (parsed.help.has(help[1]!)) throw new Error(`second HELP: ${line}`);
      parsed.help.set(help[1]!, help[2]!);
      continue;
    }
    const type = TYPE_LINE.exec(line);
    if (type) {
      enter(type[1]!, line);
      if (parsed.type.has(type[1]!)) throw new Error(`second TYPE: ${line}`);
      if (parsed.samples.some((s) => s.name === type[1])) throw new Error(`TYPE after samples: ${line}`);
      parsed.type.set(type[1]!, type[2]!);
      continue;
    }
    if (line.startsWith("#")) {
      if (/^# (HELP|TYPE)\b/.test(line)) throw new Error(`malformed: ${line}`);
      continue;
    }
    const sample = SAMPLE_LINE.exec(line);
    if (!sample) throw new Error(`not a sample: ${line}`);
    const name = sample[1]!;
    enter(name, line);
    const labels = parseLabels(sample[2] ?? "", line);
    const key = `${name}${JSON.stringify(Object.entries(labels).sort())}`;
    if (series.has(key)) throw new Error(`repeated series: ${line}`);
    series.add(key);
    parsed.samples.push({ name, labels, value: parseValue(sample[3]!, line) });
  }
  return parsed;
}

function sampleValue(parsed: Parsed, name: string, labels: Record<string, string> = {}): number | undefined {
  const found = parsed.samples.filter(
    (s) => s.name === name && Object.keys(s.labels).length === Object.keys(labels).length && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
  if (found.length > 1) throw new Error(`ambiguous ${name}`);
  return found[0]?.value;
}

// --- fixtures -----------------------------------------------------------------------------------

function run(overrides: Partial<RunSnapshotMetrics> = {}): RunSnapshotMetrics {
  return {
    command: "sync",
    status: "partial",
    startedAt: new Date("2026-11-29T05:24:21.000Z"),
    finishedAt: new Date("2026-11-29T05:24:33.250Z"),
    lastSuccessAt: new Date("2026-11-29T05:19:30.500Z"),
    usersInScope: 48,
    activeUsersInScope: 45,
    groupsInScope: 5,
    skippedUsers: 1,
    applied: { ...emptySummary(), createUser: 2, addMembers: 7 },
    failedOperations: 1,
    ...overrides,
  };
}

const user = (userName: string): Operation => ({ type: "createUser", oktaId: `00u-${userName}`, userName, after: { userName } });

/** A run with a bit of everything: a retried 429 on Command, a reset on Okta, a failed create. */
function busyCollector(): RunMetrics {
  const metrics = new RunMetrics();
  for (let i = 0; i < 3; i++) metrics.onResponse({ side: "okta", method: "GET", status: 200, durationMs: 40 });
  metrics.onResponse({ side: "okta", method: "GET", status: 0, durationMs: 60_000 });
  metrics.onResponse({ side: "command", method: "POST", status: 201, durationMs: 12 });
  metrics.onResponse({ side: "command", method: "POST", status: 429, durationMs: 3 });
  metrics.onResponse({ side: "command", method: "POST", status: 201, durationMs: 11 });
  metrics.onResponse({ side: "command", method: "POST", status: 400, durationMs: 9 });
  metrics.onResponse({ side: "command", method: "PATCH", status: 200, durationMs: 8 });
  metrics.onOutcome({ operation: user("ada@acme.com"), outcome: "succeeded" });
  metrics.onOutcome({ operation: user("alan@acme.com"), outcome: "succeeded" });
  metrics.onOutcome({ operation: user("bad@acme.com"), outcome: "failed" });
  metrics.recordOperation("addMembers", "succeeded");
  return metrics;
}

const GOLDEN = `# HELP okta_command_sync_last_run_timestamp_seconds When the last run finished, in seconds since the epoch.
# TYPE okta_command_sync_last_run_timestamp_seconds gauge
okta_command_sync_last_run_timestamp_seconds 1795929873.25
# HELP okta_command_sync_last_success_timestamp_seconds When the last run with status succeeded finished, in seconds since the epoch; absent until a run succeeds (see last_run_success).
# TYPE okta_command_sync_last_success_timestamp_seconds gauge
okta_command_sync_last_success_timestamp_seconds 1795929570.5
# HELP okta_command_sync_last_run_success 1 if the last run succeeded (every operation applied), 0 otherwise.
# TYPE okta_command_sync_last_run_success gauge
okta_command_sync_last_run_success 0
# HELP okta_command_sync_last_run_duration_seconds How long the last run took, in seconds.
# TYPE okta_command_sync_last_run_duration_seconds gauge
okta_command_sync_last_run_duration_seconds 12.25
# HELP okta_command_sync_last_run_status How the last run ended: 1 for its status, 0 for the others.
# TYPE okta_command_sync_last_run_status gauge
okta_command_sync_last_run_status{status="succeeded"} 0
okta_command_sync_last_run_status{status="partial"} 1
okta_command_sync_last_run_status{status="failed"} 0
okta_command_sync_last_run_status{status="refused"} 0
okta_command_sync_last_run_status{status="interrupted"} 0
# HELP okta_command_sync_last_run_info The command that started the last run; always 1.
# TYPE okta_command_sync_last_run_info gauge
okta_command_sync_last_run_info{command="sync"} 1
# HELP okta_command_sync_last_run_failed_operations Operations that failed in the last run.
# TYPE okta_command_sync_last_run_failed_operations gauge
okta_command_sync_last_run_failed_operations 1
# HELP okta_command_sync_operations Operations of the last run by type and outcome (a membership operation counts once, however many members).
# TYPE okta_command_sync_operations gauge
okta_command_sync_operations{type="createUser",outcome="succeeded"} 2
okta_command_sync_operations{type="createUser",outcome="failed"} 1
okta_command_sync_operations{type="createUser",outcome="skipped"} 0
okta_command_sync_operations{type="updateUser",outcome="succeeded"} 0
okta_command_sync_operations{type="updateUser",outcome="failed"} 0
okta_command_sync_operations{type="updateUser",outcome="skipped"} 0
okta_command_sync_operations{type="deactivateUser",outcome="succeeded"} 0
okta_command_sync_operations{type="deactivateUser",outcome="failed"} 0
okta_command_sync_operations{type="deactivateUser",outcome="skipped"} 0
okta_command_sync_operations{type="reactivateUser",outcome="succeeded"} 0
okta_command_sync_operations{type="reactivateUser",outcome="failed"} 0
okta_command_sync_operations{type="reactivateUser",outcome="skipped"} 0
okta_command_sync_operations{type="createGroup",outcome="succeeded"} 0
okta_command_sync_operations{type="createGroup",outcome="failed"} 0
okta_command_sync_operations{type="createGroup",outcome="skipped"} 0
okta_command_sync_operations{type="updateGroup",outcome="succeeded"} 0
okta_command_sync_operations{type="updateGroup",outcome="failed"} 0
okta_command_sync_operations{type="updateGroup",outcome="skipped"} 0
okta_command_sync_operations{type="deleteGroup",outcome="succeeded"} 0
okta_command_sync_operations{type="deleteGroup",outcome="failed"} 0
okta_command_sync_operations{type="deleteGroup",outcome="skipped"} 0
okta_command_sync_operations{type="addMembers",outcome="succeeded"} 1
okta_command_sync_operations{type="addMembers",outcome="failed"} 0
okta_command_sync_operations{type="addMembers",outcome="skipped"} 0
okta_command_sync_operations{type="removeMembers",outcome="succeeded"} 0
okta_command_sync_operations{type="removeMembers",outcome="failed"} 0
okta_command_sync_operations{type="removeMembers",outcome="skipped"} 0
# HELP okta_command_sync_changes_applied Changes Command confirmed in the last run by operation type (memberships count one per user in one group).
# TYPE okta_command_sync_changes_applied gauge
okta_command_sync_changes_applied{type="createUser"} 2
okta_command_sync_changes_applied{type="updateUser"} 0
okta_command_sync_changes_applied{type="deactivateUser"} 0
okta_command_sync_changes_applied{type="reactivateUser"} 0
okta_command_sync_changes_applied{type="createGroup"} 0
okta_command_sync_changes_applied{type="updateGroup"} 0
okta_command_sync_changes_applied{type="deleteGroup"} 0
okta_command_sync_changes_applied{type="addMembers"} 7
okta_command_sync_changes_applied{type="removeMembers"} 0
# HELP okta_command_sync_http_requests HTTP requests of the last run by side and status class, retries included; network_error: no answer.
# TYPE okta_command_sync_http_requests gauge
okta_command_sync_http_requests{side="okta",code="2xx"} 3
okta_command_sync_http_requests{side="okta",code="3xx"} 0
okta_command_sync_http_requests{side="okta",code="4xx"} 0
okta_command_sync_http_requests{side="okta",code="5xx"} 0
okta_command_sync_http_requests{side="okta",code="network_error"} 1
okta_command_sync_http_requests{side="command",code="2xx"} 3
okta_command_sync_http_requests{side="command",code="3xx"} 0
okta_command_sync_http_requests{side="command",code="4xx"} 2
okta_command_sync_http_requests{side="command",code="5xx"} 0
okta_command_sync_http_requests{side="command",code="network_error"} 0
# HELP okta_command_sync_http_rate_limited HTTP 429 answers in the last run by side.
# TYPE okta_command_sync_http_rate_limited gauge
okta_command_sync_http_rate_limited{side="okta"} 0
okta_command_sync_http_rate_limited{side="command"} 1
# HELP okta_command_sync_users_in_scope Users assigned to the app in Okta at the last run, active or not; absent when the pull failed.
# TYPE okta_command_sync_users_in_scope gauge
okta_command_sync_users_in_scope 48
# HELP okta_command_sync_active_users_in_scope Users in scope that should be active in Command; absent when the pull failed.
# TYPE okta_command_sync_active_users_in_scope gauge
okta_command_sync_active_users_in_scope 45
# HELP okta_command_sync_groups_in_scope Groups pushed to Command at the last run; absent when the pull failed.
# TYPE okta_command_sync_groups_in_scope gauge
okta_command_sync_groups_in_scope 5
# HELP okta_command_sync_skipped_users Users assigned to the app who could not be pushed at the last run (bad data, a userName collision) and are held as they are in Command; absent when the pull failed.
# TYPE okta_command_sync_skipped_users gauge
okta_command_sync_skipped_users 1
`;

// --- tests --------------------------------------------------------------------------------------

describe("run metrics as Prometheus text", () => {
  it("renders a run exactly as the golden text", () => {
    expect(busyCollector().render(run())).toBe(GOLDEN);
  });

  it("the golden text is valid exposition format: every family has HELP and TYPE gauge, every line parses", () => {
    const parsed = parseExposition(GOLDEN);
    const names = new Set(parsed.samples.map((s) => s.name));
    expect(names.size).toBe(15);
    for (const name of names) {
      expect(name.startsWith("okta_command_sync_")).toBe(true);
      expect(name.endsWith("_total")).toBe(false);
      expect(parsed.type.get(name)).toBe("gauge");
      expect(parsed.help.get(name)).toBeTruthy();
    }
    expect(sampleValue(parsed, "okta_command_sync_http_requests", { side: "command", code: "4xx" })).toBe(2);
    expect(sampleValue(parsed, "okta_command_sync_last_run_duration_seconds")).toBe(12.25);
  });

  it("is deterministic: the same events in another order give the same text", () => {
    const events: Array<(m: RunMetrics) => void> = [
      (m) => m.recordHttp({ side: "okta", method: "GET", status: 200, durationMs: 1 }),
      (m) => m.recordHttp({ side: "okta", method: "GET", status: 0, durationMs: 1 }),
      (m) => m.recordHttp({ side: "command", method: "POST", status: 429, durationMs: 1 }),
      (m) => m.recordHttp({ side: "command", method: "POST", status: 201, durationMs: 1 }),
      (m) => m.recordHttp({ side: "command", method: "GET", status: 103, durationMs: 1 }),
      (m) => m.recordOperation("createUser", "failed"),
      (m) => m.recordOperation("deleteGroup", "skipped"),
      (m) => m.recordOperation("createUser", "succeeded"),
    ];
    const forward = new RunMetrics();
    const backward = new RunMetrics();
    for (const event of events) event(forward);
    for (const event of [...events].reverse()) event(backward);
    expect(backward.render(run())).toBe(forward.render(run()));
  });

  it("succeeded: last_run_success 1, and the run itself is the last success", () => {
    const text = new RunMetrics().render(run({ status: "succeeded", lastSuccessAt: new Date("2026-11-28T00:00:00Z") }));
    const parsed = parseExposition(text);
    expect(sampleValue(parsed, "okta_command_sync_last_run_success")).toBe(1);
    expect(sampleValue(parsed, "okta_command_sync_last_success_timestamp_seconds")).toBe(Date.parse("2026-11-29T05:24:33.250Z") / 1000);
    expect(sampleValue(parsed, "okta_command_sync_last_run_status", { status: "succeeded" })).toBe(1);
    expect(parsed.samples.filter((s) => s.name === "okta_command_sync_last_run_status" && s.value === 1)).toHaveLength(1);
  });

  it("never succeeded: the last-success series is left out entirely (no HELP or TYPE either), last_run_success is 0", () => {
    const text = new RunMetrics().render(run({ status: "failed", lastSuccessAt: undefined }));
    expect(text).not.toContain("last_success_timestamp_seconds");
    const parsed = parseExposition(text);
    expect(sampleValue(parsed, "okta_command_sync_last_run_success")).toBe(0);
    expect(sampleValue(parsed, "okta_command_sync_last_run_status", { status: "failed" })).toBe(1);
  });

  it("a failed run keeps the earlier success's timestamp", () => {
    const parsed = parseExposition(new RunMetrics().render(run({ status: "refused" })));
    expect(sampleValue(parsed, "okta_command_sync_last_success_timestamp_seconds")).toBe(1795929570.5);
    expect(sampleValue(parsed, "okta_command_sync_last_run_status", { status: "refused" })).toBe(1);
  });

  it("a pull that failed leaves the scope series out rather than reporting zero users", () => {
    const text = new RunMetrics().render(run({ status: "failed", usersInScope: undefined, activeUsersInScope: undefined, groupsInScope: undefined, skippedUsers: undefined }));
    expect(text).not.toMatch(/in_scope|skipped_users/);
    parseExposition(text);
  });

  it("an unusual status class gets its own series after the usual ones", () => {
    const metrics = new RunMetrics();
    metrics.recordHttp({ side: "okta", method: "GET", status: 103, durationMs: 1 });
    metrics.recordHttp({ side: "okta", method: "GET", status: 999, durationMs: 1 });
    const lines = metrics.render(run()).split("\n").filter((l) => l.startsWith('okta_command_sync_http_requests{side="okta"'));
    expect(lines.map((l) => l.replace(/^.*code="([^"]+)"\} (\d+)$/, "$1=$2"))).toEqual([
      "2xx=0",
      "3xx=0",
      "4xx=0",
      "5xx=0",
      "network_error=0",
      "1xx=1",
      "other=1",
    ]);
  });
});

describe("exposition format details", () => {
  it("escapes backslash, double quote and line feed in label values, and nothing else", () => {
    expect(escapeLabelValue('a\\b"c\nd\te')).toBe('a\\\\b\\"c\\nd\te');
    const text = new RunMetrics().render(run({ command: 'weird\\ "cmd"\nline' }));
    expect(text).toContain('okta_command_sync_last_run_info{command="weird\\\\ \\"cmd\\"\\nline"} 1\n');
    const parsed = parseExposition(text);
    expect(parsed.samples.find((s) => s.name === "okta_command_sync_last_run_info")?.labels.command).toBe('weird\\ "cmd"\nline');
  });

  it("escapes backslash and line feed in HELP", () => {
    const text = renderExposition([{ name: "x", help: 'a\\b\nc "q"', type: "gauge", samples: [{ value: 1 }] }]);
    expect(text).toBe('# HELP x a\\\\b\\nc "q"\n# TYPE x gauge\nx 1\n');
    expect(parseExposition(text).help.get("x")).toBe('a\\\\b\\nc "q"');
  });

  it("writes special values as Go parses them", () => {
    expect([Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0, 1e-7, 1795929873.25, 42].map(formatValue)).toEqual([
      "NaN",
      "+Inf",
      "-Inf",
      "0",
      "1e-7",
      "1795929873.25",
      "42",
    ]);
    const text = renderExposition([
      { name: "v", help: "h", type: "gauge", samples: [{ labels: { k: "a" }, value: Number.NaN }, { labels: { k: "b" }, value: Number.NEGATIVE_INFINITY }, { labels: { k: "c" }, value: 1e-7 }] },
    ]);
    const values = parseExposition(text).samples.map((s) => s.value);
    expect(values[0]).toBeNaN();
    expect(values.slice(1)).toEqual([Number.NEGATIVE_INFINITY, 1e-7]);
  });

  it("refuses invalid names, reserved label names, and repeated families or series", () => {
    expect(() => renderExposition([{ name: "1bad", help: "", type: "gauge", samples: [{ value: 1 }] }])).toThrow(/metric name/);
    expect(() => renderExposition([{ name: "ok", help: "", type: "gauge", samples: [{ labels: { "bad-name": "x" }, value: 1 }] }])).toThrow(/label name/);
    expect(() => renderExposition([{ name: "ok", help: "", type: "gauge", samples: [{ labels: { __name__: "x" }, value: 1 }] }])).toThrow(/label name/);
    const family = { name: "ok", help: "", type: "gauge" as const, samples: [{ value: 1 }] };
    expect(() => renderExposition([family, family])).toThrow(/twice/);
    expect(() => renderExposition([{ ...family, samples: [{ labels: { a: "1" }, value: 1 }, { labels: { a: "1" }, value: 2 }] }])).toThrow(/twice/);
  });

  it("the parser used here rejects what it should", () => {
    expect(() => parseExposition("x 1")).toThrow(/line feed/);
    expect(() => parseExposition('x{a="b} 1\n')).toThrow();
    expect(() => parseExposition('x{a="\\t"} 1\n')).toThrow(/labels/);
    expect(() => parseExposition("x one\n")).toThrow(/value/);
    expect(() => parseExposition("x 1\ny 1\nx 2\n")).toThrow(/split/);
    expect(() => parseExposition("x 1\nx 2\n")).toThrow(/repeated/);
    expect(() => parseExposition("# TYPE x gauge\n# TYPE x gauge\nx 1\n")).toThrow(/second TYPE/);
    expect(() => parseExposition("# TYPE x sometimes\n")).toThrow(/malformed/);
  });
});

describe("collector helpers", () => {
  it("classes statuses", () => {
    expect([0, 101, 200, 204, 302, 404, 429, 503, 600, -1].map(statusClass)).toEqual([
      "network_error",
      "1xx",
      "2xx",
      "2xx",
      "3xx",
      "4xx",
      "4xx",
      "5xx",
      "other",
      "other",
    ]);
  });

  it("counts 429s per side, and an operation's weight", () => {
    const metrics = new RunMetrics();
    metrics.recordHttp({ side: "okta", method: "GET", status: 429, durationMs: 1 });
    metrics.recordHttp({ side: "okta", method: "GET", status: 429, durationMs: 1 });
    metrics.recordOperation("removeMembers", "failed", 5);
    const counts = metrics.counts();
    expect(counts.httpRateLimited).toEqual({ okta: 2, command: 0 });
    expect(counts.httpRequests.okta).toEqual({ "4xx": 2 });
    expect(counts.operations.removeMembers).toEqual({ succeeded: 0, failed: 5, skipped: 0 });
  });

  it("text() is undefined until the run is finished, then renders the finished run", () => {
    const metrics = busyCollector();
    expect(metrics.text()).toBeUndefined();
    metrics.finish(run());
    expect(metrics.text()).toBe(GOLDEN);
  });

  it("counts() is a copy", () => {
    const metrics = new RunMetrics();
    const before = metrics.counts();
    metrics.recordHttp({ side: "command", method: "GET", status: 200, durationMs: 1 });
    metrics.recordOperation("createGroup", "skipped");
    expect(before.httpRequests.command).toEqual({});
    expect(before.operations.createGroup.skipped).toBe(0);
  });

  it("finds the newest succeeded sync in the log, ignoring other statuses, other commands and unfinished runs", () => {
    expect(lastSuccessAt([])).toBeUndefined();
    const log = [
      { command: "sync", status: "failed", finishedAt: "2026-11-29T06:00:00.000Z" },
      { command: "demo", status: "succeeded", finishedAt: "2026-11-29T05:45:00.000Z" },
      { command: "sync", status: "partial", finishedAt: "2026-11-29T05:30:00.000Z" },
      { command: "sync", status: "succeeded", finishedAt: "2026-11-29T05:00:00.000Z" },
      { command: "sync", status: "succeeded", finishedAt: "2026-11-28T05:00:00.000Z" },
      { command: "sync", status: "succeeded", finishedAt: undefined },
    ];
    expect(lastSuccessAt(log)).toEqual(new Date("2026-11-29T05:00:00.000Z"));
    expect(lastSuccessAt(log, ["sync", "demo"])).toEqual(new Date("2026-11-29T05:45:00.000Z"));
  });

  it("scope counts users, active users, groups and held users of the desired state", () => {
    const desired = {
      users: [
        { oktaId: "1", userName: "a", attributes: { userName: "a" }, active: true },
        { oktaId: "2", userName: "b", attributes: { userName: "b" }, active: false },
      ],
      groups: [{ oktaId: "g", displayName: "G", members: ["1"] }],
      skipped: [{ oktaId: "3", login: "c", reason: "its email is not a valid address" }],
      warnings: [],
    };
    expect(scopeOf(desired)).toEqual({ usersInScope: 2, activeUsersInScope: 1, groupsInScope: 1, skippedUsers: 1 });
  });
});
