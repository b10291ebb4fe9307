/** YAML text -> plain data, with syntax errors located by line and column. Pure. */
import { LineCounter, parseDocument, Scalar, visit } from "yaml";

export type YamlResult = { ok: true; value: unknown; warnings: string[] } | { ok: false; problems: string[] };

export function parseConfigYaml(text: string, fileName: string): YamlResult {
  const lines = new LineCounter();
  // Messages are built here without the source excerpt the library adds: the excerpt could
  // show a secret written inline in the file.
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number) => {
    const { line, col } = lines.linePos(offset);
    return `line ${line}, column ${col}`;
  };
  if (doc.errors.length > 0) {
    return { ok: false, problems: doc.errors.map((error) => `${fileName}: YAML syntax error at ${at(error.pos[0])}: ${error.message}`) };
  }
  const warnings = doc.warnings.map((warning) => `${fileName}: ${at(warning.pos[0])}: ${warning.message}`);
  // Keep the exact spelling of plain scalars the YAML core schema would turn into something
  // else: a group named 007 or an id like 1e3 must not become the number 7 or 1000. Numbers that
  // print back the same stay numbers.
  visit(doc, {
    Scalar(_key, node: Scalar) {
      if (node.type !== Scalar.PLAIN || node.source === undefined || node.value === null || typeof node.value === "string") return;
      if (typeof node.value === "number" && String(node.value) === node.source) return;
      node.value = node.source;
    },
  });
  return { ok: true, value: doc.toJS({ maxAliasCount: 100 }), warnings };
}
