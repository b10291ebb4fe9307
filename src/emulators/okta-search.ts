/**
 * Okta's SCIM-like expression language for `search` and `filter`: `attr op "value"`, `attr pr`,
 * `and`, `or` and parentheses. Used for users, groups and the System Log.
 */

export type SearchExpr =
  | { kind: "and"; left: SearchExpr; right: SearchExpr }
  | { kind: "or"; left: SearchExpr; right: SearchExpr }
  | { kind: "cmp"; attr: string; op: string; value: string | number | boolean | null }
  | { kind: "pr"; attr: string };

export class SearchSyntaxError extends Error {}

const OPERATORS = new Set(["eq", "ne", "sw", "co", "gt", "ge", "lt", "le"]);

/** Parses an expression; `and` binds tighter than `or`. Throws SearchSyntaxError. */
export function parseSearch(text: string): SearchExpr {
  const tokens = text.match(/"(?:[^"\\]|\\.)*"|\(|\)|[^\s()"]+/g) ?? [];
  let pos = 0;
  const peek = () => tokens[pos];
  const take = () => {
    const token = tokens[pos++];
    if (token === undefined) throw new SearchSyntaxError(`unexpected end of "${text}"`);
    return token;
  };
  const parseOr = (): SearchExpr => {
    let left = parseAnd();
    while (peek()?.toLowerCase() === "or") {
      pos++;
      left = { kind: "or", left, right: parseAnd() };
    }
    return left;
  };
  const parseAnd = (): SearchExpr => {
    let left = parsePrimary();
    while (peek()?.toLowerCase() === "and") {
      pos++;
      left = { kind: "and", left, right: parsePrimary() };
    }
    return left;
  };
  const parsePrimary = (): SearchExpr => {
    const token = take();
    if (token === "(") {
      const inner = parseOr();
      if (take() !== ")") throw new SearchSyntaxError(`missing ) in "${text}"`);
      return inner;
    }
    if (!/^[A-Za-z_][\w.]*$/.test(token)) throw new SearchSyntaxError(`unexpected "${token}"`);
    const op = take().toLowerCase();
    if (op === "pr") return { kind: "pr", attr: token };
    if (!OPERATORS.has(op)) throw new SearchSyntaxError(`unknown operator "${op}"`);
    const raw = take();
    let value: string | number | boolean | null;
    if (raw.startsWith('"')) value = raw.slice(1, -1).replace(/\\(.)/g, "$1");
    else if (raw === "true" || raw === "false") value = raw === "true";
    else if (raw === "null") value = null;
    else if (/^-?\d+(\.\d+)?$/.test(raw)) value = Number(raw);
    else throw new SearchSyntaxError(`invalid value ${raw}`);
    return { kind: "cmp", attr: token, op, value };
  };
  const expr = parseOr();
  if (pos !== tokens.length) throw new SearchSyntaxError(`unexpected "${tokens[pos]}"`);
  return expr;
}

/**
 * The values at a dotted path. Arrays on the way fan out, so `target.id` of a log event names
 * the id of every target.
 */
function values(resource: unknown, parts: readonly string[], from = 0): unknown[] {
  if (from === parts.length) return [resource];
  if (Array.isArray(resource)) return resource.flatMap((item) => values(item, parts, from));
  if (resource === null || typeof resource !== "object") return [undefined];
  return values((resource as Record<string, unknown>)[parts[from]!], parts, from + 1);
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}T/;

function compare(actual: unknown, op: string, value: string | number | boolean | null): boolean {
  if (value === null || typeof value === "boolean" || typeof value === "number") {
    return op === "eq" ? actual === value : op === "ne" ? actual !== value : false;
  }
  if (typeof actual !== "string") return op === "ne";
  const a = actual.toLowerCase();
  const v = value.toLowerCase();
  switch (op) {
    case "eq":
      return a === v;
    case "ne":
      return a !== v;
    case "sw":
      return a.startsWith(v);
    case "co":
      return a.includes(v);
  }
  const order =
    ISO_DATE.test(actual) && ISO_DATE.test(value) ? Date.parse(actual) - Date.parse(value) : a < v ? -1 : a > v ? 1 : 0;
  return op === "gt" ? order > 0 : op === "ge" ? order >= 0 : op === "lt" ? order < 0 : order <= 0;
}

/**
 * Okta compares strings without regard to case; timestamps compare as times. Through an array
 * a comparison holds when it holds for any element.
 */
export function matches(expr: SearchExpr, resource: unknown): boolean {
  if (expr.kind === "and") return matches(expr.left, resource) && matches(expr.right, resource);
  if (expr.kind === "or") return matches(expr.left, resource) || matches(expr.right, resource);
  const found = values(resource, expr.attr.split("."));
  if (expr.kind === "pr") return found.some((actual) => actual !== undefined && actual !== null && actual !== "");
  return found.some((actual) => compare(actual, expr.op, expr.value));
}
