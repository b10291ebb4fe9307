/**
 * The direction of imports in src/, lowest layer first:
 *
 *   errors.ts, model.ts, duration.ts, plural.ts -> checklist.ts, http/, plan/ -> config/ -> okta/, scim/, store/, metrics/, notify/
 *   -> apply/ -> engine/ -> cli/
 *
 * A module may import its own folder and any lower layer, never a higher one nor a neighbour of
 * its own layer (okta/ and scim/ do not know each other). The emulators stand aside: they may use
 * the lowest layer only, and only `demo` (and tests and benchmarks) may use them.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), "../../src");
/** The files of `demo`, the one command that runs the emulators. */
const DEMO_FILES = new Set(["cli/commands/demo.ts", "cli/demo-serve.ts"]);

const LAYERS: readonly (readonly string[])[] = [
  ["errors.ts", "model.ts", "duration.ts", "plural.ts"],
  ["checklist.ts", "http", "plan"],
  ["config"],
  ["okta", "scim", "store", "metrics", "notify"],
  ["apply"],
  ["engine"],
  ["cli"],
];

/** The unit of a file: its top folder under src/, or the file itself at the top. */
function unitOf(file: string, root = SRC): string {
  return relative(root, file).split("/")[0]!;
}

function layerOf(unit: string): number | undefined {
  const index = LAYERS.findIndex((units) => units.includes(unit));
  return index === -1 ? undefined : index;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith(".ts") ? [path] : [];
  });
}

/** Relative imports and re-exports of a file (static, dynamic and type-only alike), as absolute .ts paths. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const found: string[] = [];
  for (const match of text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)"(\.{1,2}\/[^"]+)"/g)) {
    found.push(resolve(dirname(file), match[1]!.replace(/\.js$/, ".ts")));
  }
  return found;
}

/** Every import that breaks the rule, as "from -> to". */
function violations(root = SRC): string[] {
  const wrong: string[] = [];
  for (const file of sourceFiles(root)) {
    const from = unitOf(file, root);
    for (const target of importsOf(file)) {
      const to = unitOf(target, root);
      if (from === to) continue;
      const edge = `${relative(root, file)} -> ${relative(root, target)}`;
      if (to === "emulators") {
        if (!DEMO_FILES.has(relative(root, file))) wrong.push(edge);
        continue;
      }
      const fromLayer = from === "emulators" ? 1 : layerOf(from);
      const toLayer = layerOf(to);
      if (fromLayer === undefined || toLayer === undefined || toLayer >= fromLayer) wrong.push(edge);
    }
  }
  return wrong;
}

describe("layering", () => {
  it("every import in src/ goes to the same folder or down the layers", () => {
    expect(violations()).toEqual([]);
  });

  it("catches an import up the layers, sideways, into the emulators, and a type-only or dynamic one", () => {
    const root = mkdtempSync(join(tmpdir(), "ocs-layers-"));
    const write = (path: string, text: string) => {
      mkdirSync(dirname(join(root, path)), { recursive: true });
      writeFileSync(join(root, path), text);
    };
    write("model.ts", "export type A = 1;\n");
    write("plan/planner.ts", 'import type { Run } from "../engine/run.js";\nimport type { A } from "../model.js";\n');
    write("okta/pull.ts", 'const scim = await import("../scim/client.js");\n');
    write("scim/client.ts", "export {};\n");
    write("engine/run.ts", 'import { start } from "../emulators/sandbox.js";\nexport type Run = 1;\n');
    write("emulators/sandbox.ts", "export const start = 1;\n");
    write("cli/commands/demo.ts", 'import { start } from "../../emulators/sandbox.js";\n');
    expect(violations(root).sort()).toEqual(["engine/run.ts -> emulators/sandbox.ts", "okta/pull.ts -> scim/client.ts", "plan/planner.ts -> engine/run.ts"]);
  });

  it("knows every folder and top-level file of src/", () => {
    const units = new Set(sourceFiles(SRC).map((file) => unitOf(file)));
    const unknown = [...units].filter((unit) => unit !== "emulators" && layerOf(unit) === undefined);
    expect(unknown).toEqual([]);
  });
});
