import { type Command, InvalidArgumentError } from "commander";
import { parseMaxAge as readMaxAge } from "../../duration.js";
import type { CheckResult, CheckSide } from "../../engine/check.js";
import type { CommandContext, CommandResult, LoadedConfigOf, Runner } from "../context.js";
import type { Output } from "../output.js";
import { count } from "../../plural.js";

interface CheckFlags {
  maxAge?: number;
  skipRemote?: boolean;
}

export function parseMaxAge(value: string): number {
  const parsed = readMaxAge(value);
  if ("problem" in parsed) throw new InvalidArgumentError(parsed.problem);
  return parsed.ms;
}

const HELP = `
Every check only reads: nothing is written to Command or to the snapshot DB.
Exit status 0 only when every check passes.

Liveness probe (cron, a Kubernetes CronJob's monitor):
  okta-command-sync check --skip-remote --max-age 1h
    fails when no sync succeeded in the last hour (a partial run is not a success),
    reading only the config and the snapshot DB: no network request.

Examples:
  okta-command-sync check                 test the config, Okta, Command and the snapshot
  okta-command-sync check --json          the same as {"ok": ..., "checks": [...]}
  okta-command-sync check --max-age 30m   everything, plus the staleness of the last sync
`;

export function registerCheck(program: Command, run: Runner): void {
  program
    .command("check")
    .description("validate the config and test the Okta and Command credentials and the snapshot DB (writes nothing)")
    .option("--max-age <duration>", "also fail when the last successful sync is older than this (90s, 30m, 1h, 2d): a liveness probe", parseMaxAge)
    .option("--skip-remote", "only check the config and the snapshot DB, without any network request (a fast probe)")
    .addHelpText("after", HELP)
    .action((flags: CheckFlags, command: Command) => run(command, (context) => check(context, flags)));
}

async function check(context: CommandContext, flags: CheckFlags): Promise<CommandResult> {
  const { out } = context;
  const [{ allPassed, configFailed, configPassed }, { checksFromConfig }, { loadFullConfig, registerSecrets }] = await Promise.all([
    import("../../engine/check.js"),
    import("../compose.js"),
    import("../context.js"),
  ]);
  let loaded: LoadedConfigOf;
  try {
    loaded = await loadFullConfig(context);
  } catch (error) {
    // The failed check goes with the error, so a script sees which check failed.
    if (context.options.json) out.printJson({ ...out.failureJson(error), ok: false, checks: [configFailed(error)] });
    throw error;
  }
  const { config, warnings, source } = loaded;
  registerSecrets(context, config);
  for (const warning of warnings) out.log("warn", warning);

  const checks = [
    configPassed(config, source, warnings),
    ...(await checksFromConfig(config, {
      skipRemote: flags.skipRemote === true,
      ...(flags.maxAge === undefined ? {} : { maxAgeMs: flags.maxAge }),
    })),
  ];
  const ok = allPassed(checks);
  if (context.options.json) out.printJson({ status: ok ? "succeeded" : "failed", ok, checks });
  else if (out.showsReport) out.print(renderChecks(out, checks, ok));
  else {
    // JSON logs: what failed, and its fix, as records; the counts end the run.
    for (const c of checks) if (c.status === "fail" || c.status === "warn") out.log(c.status === "fail" ? "error" : "warn", `${c.name}: ${c.detail}`, { check: c.id, status: c.status, ...(c.fix === undefined ? {} : { fix: c.fix }) });
  }
  const tally = (status: CheckResult["status"]) => checks.filter((c) => c.status === status).length;
  return { status: ok ? "succeeded" : "failed", summary: { passed: tally("pass"), warned: tally("warn"), failed: tally("fail"), skipped: tally("skip") } };
}

const SIDE_TITLES: Record<CheckSide, string> = {
  config: "Configuration",
  okta: "Okta",
  command: "Command",
  snapshot: "Snapshot",
};

const MARKS: Record<CheckResult["status"], { text: string; style: "green" | "red" | "yellow" }> = {
  pass: { text: "pass", style: "green" },
  warn: { text: "warn", style: "yellow" },
  fail: { text: "FAIL", style: "red" },
  skip: { text: "skip", style: "yellow" },
};

/** The checks grouped by side: name, result, detail; a failure's fix on its own line below it. */
export function renderChecks(out: Output, checks: readonly CheckResult[], passed: boolean): string {
  const width = Math.max(0, ...checks.map((c) => c.name.length));
  const indent = " ".repeat(2 + width + 2 + 4 + 2);
  const lines: string[] = [];
  let side: CheckSide | undefined;
  for (const check of checks) {
    if (check.side !== side) {
      side = check.side;
      if (lines.length > 0) lines.push("");
      lines.push(out.style("bold", SIDE_TITLES[side]));
    }
    const mark = MARKS[check.status];
    lines.push(`  ${check.name.padEnd(width)}  ${out.style(mark.style, mark.text)}  ${check.detail}`);
    if ((check.status === "fail" || check.status === "warn") && check.fix !== undefined) lines.push(`${indent}${out.style("cyan", "fix:")} ${check.fix}`);
  }
  const failed = checks.filter((c) => c.status === "fail").length;
  const skipped = checks.filter((c) => c.status === "skip").length;
  lines.push("");
  const warned = checks.filter((c) => c.status === "warn").length;
  if (passed) lines.push(out.style("green", `${checks.length === 1 ? "The check" : `All ${checks.length} checks`} passed${warned > 0 ? ` (${warned} with a warning)` : ""}.`));
  else {
    const parts = [`${failed} of ${count(checks.length, "check")} failed`, ...(skipped > 0 ? [`${skipped} skipped`] : [])];
    lines.push(out.style("red", `${parts.join(", ")}.`));
  }
  return lines.join("\n");
}
