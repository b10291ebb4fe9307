/**
 * `demo --serve`: after the demo the emulators stay up, with a config file and the environment
 * that point every command at them, so `plan`, `sync`, `check`, `runs`, `backfill` and
 * `import` can be tried by hand from another shell until Ctrl-C.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";
import type { Sandbox } from "../emulators/sandbox.js";

export interface ServeSetup {
  /** The variables to export in another shell, in the order they are printed. */
  env: Record<string, string>;
  configPath: string;
  statePath: string;
}

const PROXY_NAMES = ["https_proxy", "HTTPS_PROXY", "http_proxy", "HTTP_PROXY"];

/**
 * Writes the demo's config (no tokens: those come from the environment, as in a real set-up)
 * and returns what another shell needs. `OCS_STATE` is exported too, so that a state path left
 * in that shell from real use cannot point the demo at a real snapshot.
 */
export function prepareServe(sandbox: Sandbox, dir: string, statePath: string, env: NodeJS.ProcessEnv): ServeSetup {
  const configPath = join(dir, "config.yaml");
  const config = {
    okta: { orgUrl: sandbox.okta.url, appId: sandbox.org.app.id },
    // The emulator has no rate limit: no pacing.
    command: { scimUrl: sandbox.command.url, requestsPerMinute: 0 },
    groups: { push: sandbox.groupNames },
    state: { path: statePath },
  };
  writeFileSync(configPath, `# Written by \`okta-command-sync demo --serve\`: the local emulators, gone when it stops.\n${stringify(config)}`, { mode: 0o600 });
  const exports: Record<string, string> = { ...sandbox.env(), OCS_CONFIG: configPath, OCS_STATE: statePath };
  // The emulators are on 127.0.0.1, which a proxy from the environment would be asked to reach.
  if (PROXY_NAMES.some((name) => env[name]?.trim())) {
    for (const name of ["no_proxy", "NO_PROXY"]) exports[name] = env[name] ?? "127.0.0.1";
  }
  return { env: exports, configPath, statePath };
}

function shellQuote(value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

/** The text shown while serving: the exports first, so they can be copied in one go. */
export function renderServe(setup: ServeSetup, keep: boolean): string {
  return [
    "The emulators keep running until Ctrl-C. In another shell:",
    "",
    ...Object.entries(setup.env).map(([name, value]) => `  export ${name}=${shellQuote(value)}`),
    "",
    "then try any command: plan, sync, check, runs, import, backfill --group NAME.",
    "The two tokens are the emulators' own throwaway values: they open nothing but these local",
    "emulators, which is why they are shown. Never paste a real token into a terminal like this.",
    `Config: ${setup.configPath}`,
    `Snapshot: ${setup.statePath} (${keep ? "kept" : "removed"} when the demo stops)`,
  ].join("\n");
}

/** Resolves with the first of SIGINT, SIGTERM or SIGHUP; listening starts at once. */
export function untilStopped(): Promise<NodeJS.Signals> {
  const signals: NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP"];
  return new Promise((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      for (const name of signals) process.off(name, stop);
      resolve(signal);
    };
    for (const name of signals) process.on(name, stop);
  });
}
