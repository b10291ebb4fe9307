/**
 * YAML text -> plain data, with syntax errors located by line and column. Pure.
 *
 * Hostile documents are problems like any other, never a crash: aliases that expand without
 * bound ("billion laughs") and nesting deep enough to exhaust the stack.
 */
import { createRequire } from "node:module";
import type { CST, LineCounter, Scalar } from "yaml";

// Loaded when a file is read: a run configured by the environment alone never pays for it.
const require = createRequire(import.meta.url);
const yaml = (): typeof import("yaml") => require("yaml") as typeof import("yaml");

export type YamlResult = { ok: true; value: unknown; warnings: string[] } | { ok: false; problems: string[] };

/** Far deeper than any configuration; the library composes nodes recursively, one frame a level. */
export const MAX_YAML_DEPTH = 64;
/** Alias uses weighted by the size of what they expand to (the `yaml` package's own measure). */
const MAX_ALIAS_COUNT = 100;

export function parseConfigYaml(text: string, fileName: string): YamlResult {
  const { LineCounter, parseDocument, Scalar, visit } = yaml();
  const lines = new LineCounter();
  const at = (offset: number) => {
    const { line, col } = lines.linePos(offset);
    return `line ${line}, column ${col}`;
  };
  try {
    const deep = firstTooDeep(text, lines);
    if (deep !== undefined) {
      return { ok: false, problems: [`${fileName}: nested deeper than ${MAX_YAML_DEPTH} levels at ${at(deep)}; a configuration needs a few`] };
    }
    // Messages are built here without the source excerpt the library adds: the excerpt could
    // show a secret written inline in the file.
    const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true });
    if (doc.errors.length > 0) {
      return { ok: false, problems: doc.errors.map((error) => `${fileName}: YAML syntax error at ${at(error.pos[0])}: ${error.message}`) };
    }
    const warnings = doc.warnings.map((warning) => `${fileName}: ${at(warning.pos[0])}: ${warning.message}`);
    // Keep the exact spelling of plain scalars the YAML core schema would turn into something
    // else: a group named 007 or an id like 1e3 must not become the number 7 or 1000. Numbers
    // that print back the same stay numbers.
    visit(doc, {
      Scalar(_key, node: Scalar) {
        if (node.type !== Scalar.PLAIN || node.source === undefined || node.value === null || typeof node.value === "string") return;
        if (typeof node.value === "number" && String(node.value) === node.source) return;
        node.value = node.source;
      },
    });
    return { ok: true, value: doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }), warnings };
  } catch (error) {
    // The library throws a ReferenceError when aliases would expand past maxAliasCount.
    if (error instanceof ReferenceError && /alias/i.test(error.message)) {
      return {
        ok: false,
        problems: [`${fileName}: its aliases (*name) expand to far more data than they take to write, as in a "billion laughs" document; write the values out instead`],
      };
    }
    const reason = error instanceof RangeError ? "it is too large or too deeply nested" : error instanceof Error ? error.message : String(error);
    return { ok: false, problems: [`${fileName}: cannot be read as YAML: ${reason}`] };
  }
}

/**
 * Offset of the first node nested deeper than MAX_YAML_DEPTH, found on the library's concrete
 * syntax tree (built without recursion) with a stack of our own, before anything recurses.
 */
function firstTooDeep(text: string, lines: LineCounter): number | undefined {
  const pending: Array<{ token: CST.Token | null | undefined; depth: number }> = [];
  const { CST, Parser } = yaml();
  for (const token of new Parser(lines.addNewLine).parse(text)) pending.push({ token, depth: 0 });
  let found: number | undefined;
  while (pending.length > 0) {
    const { token, depth } = pending.pop()!;
    if (token === null || token === undefined) continue;
    if (depth > MAX_YAML_DEPTH) {
      found = found === undefined ? token.offset : Math.min(found, token.offset);
      continue;
    }
    if (token.type === "document") pending.push({ token: token.value, depth });
    else if (CST.isCollection(token)) {
      for (const item of token.items) pending.push({ token: item.key, depth: depth + 1 }, { token: item.value, depth: depth + 1 });
    }
  }
  return found;
}
