/**
 * The direction of imports in src/, lowest layer first:
 *
 *   errors.ts, model.ts -> checklist.ts, http/, plan/ -> config/ -> okta/, scim/, store/, metrics/
 *   -> apply/ -> engine/ -> cli/
 *
 * A module may import its own folder and any lower layer, never a higher one nor a neighbour of
 * its own layer (okta/ and scim/ do not know each other). The emulators stand aside: they may use
 * the lowest layer only, and only `demo` (and tests and benchmarks) may use them.
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), "../../src");

const LAYERS: readonly (readonly string[])[] = [
  ["errors.ts", "model.ts"],
  ["checklist.ts", "http", "plan"],
  ["config"],
  ["okta", "scim", "store", "metrics"],
  ["apply"],
  ["engine"],
  ["cli"],
];

/** The unit of a file: its top folder under src/, or the file itself at the top. */
function unitOf(file: string): string {
  return relative(SRC, file).split("/")[0]!;
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
function violations(): string[] {
  const wrong: string[] = [];
  for (const file of sourceFiles(SRC)) {
    const from = unitOf(file);
    for (const target of importsOf(file)) {
      const to = unitOf(target);
      if (from === to) continue;
      const edge = `${relative(SRC, file)} -> ${relative(SRC, target)}`;
      if (to === "emulators") {
        if (relative(SRC, file) !== "cli/commands/demo.ts") wrong.push(edge);
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

  it("knows every folder and top-level file of src/", () => {
    const units = new Set(sourceFiles(SRC).map(unitOf));
    const unknown = [...units].filter((unit) => unit !== "emulators" && layerOf(unit) === undefined);
    expect(unknown).toEqual([]);
  });
});
