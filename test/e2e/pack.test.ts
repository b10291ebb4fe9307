/**
 * The package as users get it: `npm pack` of a checkout that was never built, installed into an
 * empty directory, and the installed binary run. Also the start-up check of the Node version,
 * through the real bin file.
 *
 * The install works without the network: it pins the package's dependencies to the versions of
 * package-lock.json, whose tarballs `npm ci` left in npm's cache. better-sqlite3's install
 * script (a native build, minutes of compiling SQLite) is skipped and the binary `npm ci` built
 * for this same Node and version is copied in: that build is the dependency's business, what
 * is tested here is what this package ships and declares.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { delimiter, dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BIN, type CliResult, cleanEnv, runProcess, workdir } from "../support/cli.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
  name: string;
  version: string;
  license: string;
  bin: Record<string, string>;
  engines: { node: string };
  dependencies: Record<string, string>;
};

const run = runProcess;

/**
 * npm's own settings from the shell, without what `npm test` passes to its children (the
 * running script, this package's fields, a --prefix): the nested npm must see only its own
 * directory.
 */
function npmEnv(): Record<string, string> {
  const env = cleanEnv({});
  for (const key of Object.keys(env)) {
    if (/^npm_/i.test(key) && !/^npm_config_(cache|registry|userconfig)$/i.test(key)) delete env[key];
  }
  // The installed binary's `#!/usr/bin/env node` finds the Node running these tests first.
  env.PATH = `${dirname(process.execPath)}${delimiter}${env.PATH ?? ""}`;
  return env;
}

/** The prod part of package-lock.json, as the lock of a project that depends on the tarball. */
function lockFor(tarball: string): unknown {
  const lock = JSON.parse(readFileSync(join(ROOT, "package-lock.json"), "utf8")) as { packages: Record<string, { dev?: boolean }> };
  const spec = `file:${tarball}`;
  const packages: Record<string, unknown> = {
    "": { name: "pack-test", dependencies: { [pkg.name]: spec } },
    [`node_modules/${pkg.name}`]: {
      version: pkg.version,
      resolved: spec,
      license: pkg.license,
      dependencies: pkg.dependencies,
      bin: pkg.bin,
      engines: pkg.engines,
    },
  };
  for (const [path, entry] of Object.entries(lock.packages)) {
    if (path.startsWith("node_modules/") && entry.dev !== true) packages[path] = entry;
  }
  return { name: "pack-test", lockfileVersion: 3, requires: true, packages };
}

/** Runs a bin file with `process.versions.node` reading `version`, as an older Node would report it. */
function runAsNode(version: string, bin: string, args: string[], cwd: string): Promise<CliResult> {
  const script = [
    `Object.defineProperty(process.versions, "node", { value: ${JSON.stringify(version)} });`,
    `process.argv.splice(1, 0, ${JSON.stringify(bin)});`,
    `await import(${JSON.stringify(pathToFileURL(bin).href)});`,
  ].join("\n");
  return run(process.execPath, ["--input-type=module", "--eval", script, "--", ...args], { cwd, env: cleanEnv({}) });
}

const OLD_NODE = "18.19.1";

function expectRefusedOldNode(result: CliResult): void {
  expect(result.code).toBe(1);
  const lines = result.stderr.trim().split("\n");
  expect(lines).toHaveLength(1);
  expect(lines[0]).toContain(`needs Node.js ${pkg.engines.node.replace(/^>=\s*/, "")} or newer, but this is Node.js ${OLD_NODE} (${process.execPath})`);
  expect(lines[0]).toContain("https://nodejs.org/");
}

describe("npm pack of a checkout that was never built", () => {
  const dir = mkdtempSync(join(tmpdir(), "ocs-pack-"));
  const checkout = join(dir, "checkout");
  const project = join(dir, "installed");
  let packed: { filename: string; files: { path: string; mode: number }[] };
  let installedBin: string;

  beforeAll(async () => {
    // The working tree as a fresh clone has it: no dist/, no snapshots; node_modules as `npm ci` left it.
    const skip = new Set(["node_modules", "dist", ".git", ".bench", "coverage"]);
    cpSync(ROOT, checkout, {
      recursive: true,
      filter: (source) => {
        const relative = source.slice(ROOT.length).replace(/^[/\\]/, "");
        const top = relative.split(/[/\\]/)[0]!;
        return !skip.has(top) && !/\.db(-wal|-shm|-journal)?$/.test(relative);
      },
    });
    symlinkSync(realpathSync(join(ROOT, "node_modules")), join(checkout, "node_modules"), "dir");
    expect(existsSync(join(checkout, "dist"))).toBe(false);

    const pack = await run("npm", ["pack", "--json", "--pack-destination", dir], { cwd: checkout, env: npmEnv(), timeoutMs: 120_000 });
    expect(pack.code, pack.stderr).toBe(0);
    packed = (JSON.parse(pack.stdout) as (typeof packed)[])[0]!;

    mkdirSync(project);
    writeFileSync(join(project, "package.json"), JSON.stringify({ name: "pack-test", private: true, dependencies: { [pkg.name]: `file:../${packed.filename}` } }));
    writeFileSync(join(project, "package-lock.json"), JSON.stringify(lockFor(`../${packed.filename}`), null, 2));
    const install = await run("npm", ["ci", "--prefix", project, "--prefer-offline", "--ignore-scripts", "--no-audit", "--no-fund"], {
      cwd: project,
      env: npmEnv(),
      timeoutMs: 120_000,
    });
    expect(install.code, install.stderr).toBe(0);

    const nativeFrom = join(dirname(createRequire(join(ROOT, "package.json")).resolve("better-sqlite3/package.json")), "build", "Release", "better_sqlite3.node");
    const nativeTo = join(project, "node_modules", "better-sqlite3", "build", "Release");
    mkdirSync(nativeTo, { recursive: true });
    cpSync(nativeFrom, join(nativeTo, "better_sqlite3.node"));
    installedBin = join(project, "node_modules", ".bin", Object.keys(pkg.bin)[0]!);
  }, 180_000);

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it("builds dist/ on prepack and ships it with the bin, the LICENSE and the example config", () => {
    const paths = packed.files.map((file) => file.path);
    expect(paths).toContain("dist/bin/main.js");
    expect(paths).toContain("dist/cli/node-version.js");
    expect(paths).toContain("dist/emulators/sandbox.js");
    for (const bin of Object.values(pkg.bin)) expect(paths).toContain(bin.replace(/^\.\//, ""));
    expect(paths).toContain("LICENSE");
    expect(paths).toContain("config.example.yaml");
    expect(paths).toContain("README.md");
    expect(readFileSync(join(ROOT, "LICENSE"), "utf8")).toMatch(new RegExp(`^${pkg.license} License\\n`));
    // Nothing of the development set-up: sources, tests, snapshots, a real config.
    expect(paths.filter((path) => /^(src|test|bench|node_modules)\/|\.db$|^config\.yaml$/.test(path))).toEqual([]);
  });

  it("ships every file and directory README.md links to", () => {
    const readme = readFileSync(join(ROOT, "README.md"), "utf8");
    const targets = [...readme.matchAll(/\]\(([^)#\s]+)\)/g)].map((match) => match[1]!).filter((target) => !/^[a-z]+:/.test(target));
    expect(targets.length).toBeGreaterThan(0);
    const paths = packed.files.map((file) => file.path);
    for (const target of targets) {
      const found = target.endsWith("/") ? paths.some((path) => path.startsWith(target)) : paths.includes(target);
      expect(found, `README links to ${target}`).toBe(true);
    }
  });

  it("installs a binary that prints the package's version", async () => {
    const result = await run(installedBin, ["--version"], { cwd: project, env: npmEnv() });
    expect(result.stderr).toBe("");
    expect(result.stdout.trim()).toBe(pkg.version);
    expect(result.code).toBe(0);
  });

  it("installs a binary that runs the demo with its production dependencies only", async () => {
    const cwd = workdir(undefined);
    const result = await run(installedBin, ["demo", "--users", "12", "--json"], { cwd, env: npmEnv() });
    expect(result.code, result.stderr).toBe(0);
    const demo = JSON.parse(result.stdout) as { status: string; rounds: { sync: { status: string } }[] };
    expect(demo.status).toBe("succeeded");
    expect(demo.rounds.map((round) => round.sync.status)).toEqual(["succeeded", "succeeded"]);
    // Nothing of the checkout's node_modules can have been used: no dev dependency is installed.
    expect(existsSync(join(project, "node_modules", "vitest"))).toBe(false);
  });

  it("installs a binary that checks the Node version before loading the program", async () => {
    const installed = realpathSync(installedBin);
    expectRefusedOldNode(await runAsNode(OLD_NODE, installed, ["--version"], project));
  });
});

describe("start-up on an older Node", () => {
  it("prints one line naming the Node found, the one needed and where to get it, and exits 1 without loading the program", async () => {
    const cwd = workdir(undefined);
    const result = await runAsNode(OLD_NODE, BIN, ["--version"], cwd);
    expectRefusedOldNode(result);
    // --version would have printed the version had the program been loaded.
    expect(result.stdout).toBe("");
  });

  it("gives a script reading --json its one-line failure object", async () => {
    const result = await runAsNode(OLD_NODE, BIN, ["plan", "--json"], workdir(undefined));
    expectRefusedOldNode(result);
    const lines = result.stdout.trim().split("\n");
    expect(lines).toHaveLength(1);
    const parsed = JSON.parse(lines[0]!) as { status: string; error: { kind: string; message: string; hint: string } };
    expect(parsed.status).toBe("failed");
    expect(parsed.error.kind).toBe("config");
    expect(parsed.error.message).toContain(OLD_NODE);
    expect(parsed.error.hint).toContain("https://nodejs.org/");
  });

  it("starts normally on a Node that is new enough, through the same harness", async () => {
    const result = await runAsNode(process.versions.node, BIN, ["--version"], workdir(undefined));
    expect(result.stderr).toBe("");
    expect(result.stdout.trim()).toBe(pkg.version);
    expect(result.code).toBe(0);
  });
});
