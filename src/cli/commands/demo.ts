/**
 * `demo`: the whole cycle against local emulators, with no credentials: plan, sync, a few
 * changes in the emulated Okta, plan and sync again. With `--serve` the emulators then stay up
 * for trying commands by hand; with `--keep` the snapshot outlives the demo.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Command } from "commander";
import { ConfigError } from "../../errors.js";
import type { SyncResult } from "../../engine/sync-run.js";
import type { Plan } from "../../model.js";
import { count } from "../../plural.js";
import type { CommandContext, CommandResult, Runner } from "../context.js";
import { planJson, renderFailures, renderPlan, summaryTable } from "../render.js";

interface DemoFlags {
  users: string;
  keep?: boolean;
  serve?: boolean;
}

export function registerDemo(program: Command, run: Runner): void {
  program
    .command("demo")
    .description("run plan and sync against local Okta and Command emulators with a sample org")
    .option("--users <n>", "users in the sample org", "60")
    .option("--keep", "keep the temporary snapshot DB and print its path")
    .option("--serve", "keep the emulators running after the demo, with the exports and config to try every command by hand, until Ctrl-C")
    .action((flags: DemoFlags, command: Command) => run(command, (context) => demo(context, flags), { reportAlways: true }));
}

/** The emulators run in this process on 127.0.0.1, which no proxy from HTTPS_PROXY / HTTP_PROXY can reach. */
function bypassProxyForLoopback(): void {
  for (const name of ["no_proxy", "NO_PROXY"]) {
    const current = process.env[name]?.trim();
    process.env[name] = current ? `127.0.0.1,${current}` : "127.0.0.1";
  }
}

async function demo(context: CommandContext, flags: DemoFlags): Promise<CommandResult> {
  const users = Number(flags.users);
  if (!Number.isInteger(users) || users < 10 || users > 100_000) throw new ConfigError(["--users: must be a whole number from 10 to 100000"]);
  const [{ registerSecrets }, { validateConfig }, { listAssignedUsers }, { addGroupMember }, { unassignUser, updateProfile }, { startSandbox }, { planFromConfig, syncFromConfig }, { prepareServe, renderServe, untilStopped }] =
    await Promise.all([
      import("../context.js"),
      import("../../config/validate.js"),
      import("../../emulators/org-assignments.js"),
      import("../../emulators/org-group-changes.js"),
      import("../../emulators/org-user-changes.js"),
      import("../../emulators/sandbox.js"),
      import("../compose.js"),
      import("../demo-serve.js"),
    ]);
  const { out } = context;
  const json = context.options.json === true;
  const dir = mkdtempSync(join(tmpdir(), "okta-command-sync-demo-"));
  const sandbox = await startSandbox({ org: { users, groups: 5, seed: 7 } });
  bypassProxyForLoopback();
  const rounds: Record<string, unknown>[] = [];
  try {
    const checked = validateConfig({
      okta: { orgUrl: sandbox.okta.url, appId: sandbox.org.app.id, token: sandbox.oktaToken },
      // The emulator has no rate limit: no pacing, so the demo takes seconds.
      command: { scimUrl: sandbox.command.url, token: sandbox.commandToken, requestsPerMinute: 0 },
      groups: { push: sandbox.groupNames },
      state: { path: join(dir, "demo.db") },
    });
    if (checked.config === undefined) throw new ConfigError(checked.problems);
    const config = checked.config;
    registerSecrets(context, config);
    const say = (text: string) => {
      if (!json) out.print(text);
    };

    say(out.style("bold", `Okta emulator ${sandbox.okta.url} (app ${sandbox.org.app.id}), Command SCIM emulator ${sandbox.command.url}`));
    say(`Sample org: ${sandbox.org.users.length} Okta users, ${listAssignedUsers(sandbox.org).length} assigned to the app, groups ${sandbox.groupNames.join(", ")}\nSnapshot: ${config.state.path}\n`);

    const cycle = async (label: string) => {
      say(out.style("bold", `== ${label}: plan ==`));
      const { plan } = await planFromConfig(config, out.reporter());
      say(renderPlan(out, plan));
      say(out.style("bold", `\n== ${label}: sync ==`));
      const result = await syncFromConfig(config, { command: "demo", dryRun: false, force: false, maxDeactivations: undefined }, out.reporter());
      say(renderResult(out, result));
      rounds.push({ round: label, plan: planJson(plan), sync: resultJson(result) });
      say("");
      return result;
    };

    const first = await cycle("Round 1 (empty snapshot)");
    const assigned = listAssignedUsers(sandbox.org).map((a) => a.user.id).sort();
    const [promoted, leaver] = [assigned[0]!, assigned[1]!];
    const candidate = (g: { members: string[] }) => (id: string) => !g.members.includes(id) && id !== leaver && id !== promoted;
    const group = sandbox.org.groups.find((g) => assigned.some(candidate(g)))!;
    const joiner = assigned.find(candidate(group))!;
    updateProfile(sandbox.org, promoted, { title: "VP of Demonstrations" });
    unassignUser(sandbox.org, leaver);
    addGroupMember(sandbox.org, group.id, joiner);
    const login = (id: string) => sandbox.org.users.find((u) => u.id === id)!.profile.login;
    say(out.style("bold", "== Changes in Okta =="));
    say(`  ${login(promoted)}: title changed to "VP of Demonstrations"\n  ${login(leaver)}: unassigned from the app\n  ${login(joiner)}: added to group ${group.name}\n`);

    const second = await cycle("Round 2 (after the changes)");
    const ok = [first, second].every((r) => r.kind === "applied" && r.status === "succeeded");
    say(
      `Command now holds ${count(sandbox.command.users().length, "user")} (${sandbox.command.users().filter((u) => !u.active).length} deactivated) and ${count(sandbox.command.groups().length, "group")}.` +
        (flags.keep ? `\nSnapshot kept at ${config.state.path}` : ""),
    );
    if (!flags.serve) {
      if (json) out.printJson({ status: ok ? "succeeded" : "failed", rounds });
      return { status: ok ? "succeeded" : "failed" };
    }

    const setup = prepareServe(sandbox, dir, config.state.path, process.env);
    // Listening before the exports are shown: whoever reads them may stop the demo at once.
    const stopped = untilStopped();
    // The emulators' tokens are throwaway values, shown on purpose so they can be exported.
    out.setSecrets([]);
    if (json) out.printJson({ status: ok ? "succeeded" : "failed", rounds, serve: { env: setup.env, config: setup.configPath, state: setup.statePath } });
    else say(`\n${renderServe(setup, flags.keep === true)}`);
    const signal = await stopped;
    out.log("info", `${signal} received: stopping the emulators`);
    return { status: ok ? "succeeded" : "failed" };
  } finally {
    await sandbox.close();
    if (!flags.keep) rmSync(dir, { recursive: true, force: true });
    // What is kept is the snapshot; the config would point at emulators that are gone.
    else rmSync(join(dir, "config.yaml"), { force: true });
  }
}

function resultJson(result: SyncResult): Record<string, unknown> {
  if (result.kind !== "applied") return { status: result.kind };
  return { status: result.status, runId: result.runId, summary: result.applied, failed: result.failed, warnings: result.warnings };
}

function renderResult(out: CommandContext["out"], result: SyncResult): string {
  if (result.kind !== "applied") return `Sync ${result.kind}`;
  if (result.plan.operations.length === 0) return "Nothing to apply.";
  const plan: Plan = result.plan;
  return [
    out.style("bold", `Sync ${result.status} (run ${result.runId}): ${count(plan.operations.length, "operation")}`),
    ...summaryTable(result.applied, "applied"),
    ...renderFailures(out, result.failed),
  ].join("\n");
}
