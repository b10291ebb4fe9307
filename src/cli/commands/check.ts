import { type Command, InvalidArgumentError } from "commander";
import { loadConfig } from "../../config/load.js";
import { parseMaxAge as readMaxAge } from "../../config/duration.js";
import { allPassed, type CheckResult, type CheckSide, configFailed, configPassed } from "../../engine/check.js";
import { checksFromConfig } from "../compose.js";
import { type CommandContext, registerSecrets } from "../context.js";
import type { Output } from "../output.js";

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

export function registerCheck(program: Command, run: (command: Command, action: (context: CommandContext) => Promise<number>) => Promise<void>): void {
  program
    .command("check")
    .description("validate the config and test the Okta and Command credentials and the snapshot DB (writes nothing)")
    .option("--max-age <duration>", "also fail when the last successful sync is older than this (90s, 30m, 1h, 2d): a liveness probe", parseMaxAge)
    .option("--skip-remote", "only check the config and the snapshot DB, without any network request (a fast probe)")
    .addHelpText("after", HELP)
    .action((flags: CheckFlags, command: Command) =>
      run(command, async (context) => {
        let loaded: ReturnType<typeof loadConfig>;
        try {
          loaded = loadConfig({
            ...(context.options.config === undefined ? {} : { configPath: context.options.config }),
            env: context.streams.env,
            cwd: context.cwd,
          });
        } catch (error) {
          // A script reading --json gets a result even when the configuration is invalid.
          if (context.options.json) context.out.printJson({ ok: false, checks: [configFailed(error)] });
          throw error;
        }
        const { config, warnings, source } = loaded;
        registerSecrets(context, config);
        for (const warning of warnings) context.out.log("warn", warning);

        const checks = [
          configPassed(config, source, warnings),
          ...(await checksFromConfig(config, {
            skipRemote: flags.skipRemote === true,
            ...(flags.maxAge === undefined ? {} : { maxAgeMs: flags.maxAge }),
          })),
        ];
        const ok = allPassed(checks);
        if (context.options.json) context.out.printJson({ ok, checks });
        else context.out.print(renderChecks(context.out, checks));
        return ok ? 0 : 1;
      }),
    );
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
export function renderChecks(out: Output, checks: readonly CheckResult[]): string {
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
  if (allPassed(checks)) lines.push(out.style("green", `All ${checks.length} checks passed${warned > 0 ? ` (${warned} with a warning)` : ""}.`));
  else {
    const parts = [`${failed} of ${checks.length} checks failed`, ...(skipped > 0 ? [`${skipped} skipped`] : [])];
    lines.push(out.style("red", `${parts.join(", ")}.`));
  }
  return lines.join("\n");
}
