/**
 * SCIM filter expressions (RFC 7644 section 3.4.2.2) and attribute paths: parsing and evaluation
 * against plain JSON resources. Attribute names match case-insensitively (RFC 7643 section 2.1).
 */
import { CORE_GROUP_SCHEMA, CORE_USER_SCHEMA, ENTERPRISE_USER_SCHEMA } from "../model.js";
import { badRequest, type ScimType } from "./scim-errors.js";

/** Schema URNs an attribute path may be prefixed with. */
export const KNOWN_SCHEMAS: readonly string[] = [CORE_USER_SCHEMA, CORE_GROUP_SCHEMA, ENTERPRISE_USER_SCHEMA];
const CORE_SCHEMAS = new Set([CORE_USER_SCHEMA.toLowerCase(), CORE_GROUP_SCHEMA.toLowerCase()]);

export interface AttrPath {
  /** An extension schema URN; undefined for core attributes (a core URN prefix is dropped). */
  urn: string | undefined;
  /** Empty when the path names a whole extension. */
  attr: string;
  sub: string | undefined;
}

export type CompareOp = "eq" | "ne" | "co" | "sw" | "ew" | "gt" | "ge" | "lt" | "le";
export type CompValue = string | number | boolean | null;

export type Filter =
  | { kind: "and" | "or"; left: Filter; right: Filter }
  | { kind: "not"; filter: Filter }
  | { kind: "compare"; path: AttrPath; op: CompareOp; value: CompValue }
  | { kind: "present"; path: AttrPath }
  | { kind: "valuePath"; path: AttrPath; filter: Filter };

/** Looks up a top-level attribute of the resource (or element) being matched. */
export type AttrSource = (name: string) => unknown;

const ATTR_NAME = /^(\$ref|[A-Za-z][\w-]*)$/;
const COMPARE_OPS = new Set<string>(["eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le"]);

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The key of `obj` that matches `name` case-insensitively, if any. */
export function findKey(obj: Record<string, unknown>, name: string): string | undefined {
  if (Object.hasOwn(obj, name)) return name;
  const lower = name.toLowerCase();
  for (const key of Object.keys(obj)) if (key.toLowerCase() === lower) return key;
  return undefined;
}

export function getCI(obj: Record<string, unknown>, name: string): unknown {
  const key = findKey(obj, name);
  return key === undefined ? undefined : obj[key];
}

/** Parses `[urn:]attr[.sub]`; returns undefined when it is not a valid attribute path. */
export function parseAttrPath(text: string): AttrPath | undefined {
  let urn: string | undefined;
  let rest = text;
  const lower = text.toLowerCase();
  if (lower.startsWith("urn:")) {
    const known = KNOWN_SCHEMAS.find((s) => lower === s.toLowerCase() || lower.startsWith(`${s.toLowerCase()}:`));
    const end = known !== undefined ? known.length : text.lastIndexOf(":");
    urn = known ?? text.slice(0, end);
    rest = text.slice(end + 1);
    if (CORE_SCHEMAS.has(urn.toLowerCase())) {
      urn = undefined;
      if (rest === "") return undefined;
    }
    if (rest === "") return { urn, attr: "", sub: undefined };
  }
  const dot = rest.indexOf(".");
  const attr = dot < 0 ? rest : rest.slice(0, dot);
  const sub = dot < 0 ? undefined : rest.slice(dot + 1);
  if (!ATTR_NAME.test(attr) || (sub !== undefined && !ATTR_NAME.test(sub))) return undefined;
  return { urn, attr, sub };
}

type Token = { t: "(" | ")" | "[" | "]" } | { t: "str"; v: string } | { t: "word"; v: string };

function tokenize(text: string, fail: (detail: string) => Error): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === " " || c === "\t" || c === "\n" || c === "\r") {
      i++;
    } else if (c === "(" || c === ")" || c === "[" || c === "]") {
      tokens.push({ t: c });
      i++;
    } else if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === "\\" ? 2 : 1;
      if (j >= text.length) throw fail("unterminated string");
      try {
        tokens.push({ t: "str", v: JSON.parse(text.slice(i, j + 1)) as string });
      } catch {
        throw fail(`bad string literal ${text.slice(i, j + 1)}`);
      }
      i = j + 1;
    } else {
      let j = i;
      while (j < text.length && !' \t\n\r()[]"'.includes(text[j]!)) j++;
      tokens.push({ t: "word", v: text.slice(i, j) });
      i = j;
    }
  }
  return tokens;
}

/** Parses a filter; syntax errors are 400s with `scimType` (invalidFilter, or invalidPath in PATCH). */
export function parseFilter(text: string, scimType: ScimType = "invalidFilter"): Filter {
  const fail = (detail: string) => badRequest(scimType, `invalid filter "${text}": ${detail}`);
  const tokens = tokenize(text, fail);
  let pos = 0;
  const peekWord = (word: string): boolean => {
    const tok = tokens[pos];
    return tok?.t === "word" && tok.v.toLowerCase() === word;
  };
  const expect = (t: "(" | ")" | "]"): void => {
    if (tokens[pos]?.t !== t) throw fail(`expected "${t}"`);
    pos++;
  };

  const parseOr = (): Filter => {
    let left = parseAnd();
    while (peekWord("or")) {
      pos++;
      left = { kind: "or", left, right: parseAnd() };
    }
    return left;
  };
  const parseAnd = (): Filter => {
    let left = parseUnary();
    while (peekWord("and")) {
      pos++;
      left = { kind: "and", left, right: parseUnary() };
    }
    return left;
  };
  const parseUnary = (): Filter => {
    const tok = tokens[pos];
    if (tok === undefined) throw fail("unexpected end");
    if (peekWord("not") && tokens[pos + 1]?.t === "(") {
      pos += 2;
      const filter = parseOr();
      expect(")");
      return { kind: "not", filter };
    }
    if (tok.t === "(") {
      pos++;
      const filter = parseOr();
      expect(")");
      return filter;
    }
    if (tok.t !== "word") throw fail(`unexpected ${tok.t === "str" ? "string" : `"${tok.t}"`}`);
    pos++;
    const path = parseAttrPath(tok.v);
    if (path === undefined || path.attr === "") throw fail(`bad attribute path "${tok.v}"`);
    if (tokens[pos]?.t === "[") {
      pos++;
      const filter = parseOr();
      expect("]");
      return { kind: "valuePath", path, filter };
    }
    const opTok = tokens[pos++];
    const op = opTok?.t === "word" ? opTok.v.toLowerCase() : "";
    if (op === "pr") return { kind: "present", path };
    if (!COMPARE_OPS.has(op)) throw fail(`expected an operator after "${tok.v}"`);
    const value = parseValue(tokens[pos++], fail);
    if (typeof value === "boolean" || value === null) {
      if (op !== "eq" && op !== "ne") throw fail(`"${op}" cannot compare with ${String(value)}`);
    } else if (typeof value === "number" && (op === "co" || op === "sw" || op === "ew")) {
      throw fail(`"${op}" needs a string`);
    }
    return { kind: "compare", path, op: op as CompareOp, value };
  };

  const filter = parseOr();
  if (pos < tokens.length) throw fail("unexpected trailing input");
  return filter;
}

function parseValue(tok: Token | undefined, fail: (detail: string) => Error): CompValue {
  if (tok?.t === "str") return tok.v;
  if (tok?.t !== "word") throw fail("expected a value");
  const word = tok.v.toLowerCase();
  if (word === "true") return true;
  if (word === "false") return false;
  if (word === "null") return null;
  if (/^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(tok.v)) return Number(tok.v);
  throw fail(`bad value ${tok.v} (strings need double quotes)`);
}

/** Whether string comparisons on this attribute are case-sensitive (RFC 7643 caseExact). */
export function isCaseExact(parent: string | undefined, attr: string, sub: string | undefined): boolean {
  const a = attr.toLowerCase();
  const s = sub?.toLowerCase();
  if (parent !== undefined) {
    const p = parent.toLowerCase();
    return (p === "members" || p === "groups") && (a === "value" || a === "$ref");
  }
  if (s === undefined) return a === "id" || a === "externalid";
  if (a === "members" || a === "groups") return s === "value" || s === "$ref";
  return a === "meta" && s === "version";
}

/** The values an attribute path points at; multi-valued complex attributes yield their `value`. */
export function resolvePath(path: AttrPath, source: AttrSource): unknown[] {
  let top: unknown;
  if (path.urn !== undefined) {
    const ext = source(path.urn);
    top = isObject(ext) ? getCI(ext, path.attr) : undefined;
  } else {
    top = source(path.attr);
  }
  if (top === undefined || top === null) return [];
  const values = Array.isArray(top) ? top : [top];
  const out: unknown[] = [];
  for (const v of values) {
    const picked = path.sub !== undefined ? (isObject(v) ? getCI(v, path.sub) : undefined) : isObject(v) && Array.isArray(top) ? getCI(v, "value") : v;
    if (picked !== undefined && picked !== null) out.push(picked);
  }
  return out;
}

export function sourceOf(obj: Record<string, unknown>): AttrSource {
  return (name) => getCI(obj, name);
}

export function matchesFilter(filter: Filter, source: AttrSource, parent?: string): boolean {
  switch (filter.kind) {
    case "and":
      return matchesFilter(filter.left, source, parent) && matchesFilter(filter.right, source, parent);
    case "or":
      return matchesFilter(filter.left, source, parent) || matchesFilter(filter.right, source, parent);
    case "not":
      return !matchesFilter(filter.filter, source, parent);
    case "present":
      return resolvePath(filter.path, source).some((v) => v !== "" && !(isObject(v) && Object.keys(v).length === 0));
    case "valuePath": {
      const { path } = filter;
      const ext = path.urn !== undefined ? source(path.urn) : undefined;
      const top = path.urn === undefined ? source(path.attr) : isObject(ext) ? getCI(ext, path.attr) : undefined;
      const elements = Array.isArray(top) ? top : top === undefined ? [] : [top];
      return elements.some((el) => isObject(el) && matchesFilter(filter.filter, sourceOf(el), path.attr));
    }
    case "compare": {
      const { path, op, value } = filter;
      const values = resolvePath(path, source);
      if (value === null) return op === "eq" ? values.length === 0 : values.length > 0;
      const caseExact = isCaseExact(parent, path.attr, path.sub);
      const eqAny = (): boolean => values.some((v) => compare(v, "eq", value, caseExact));
      if (op === "ne") return !eqAny();
      return op === "eq" ? eqAny() : values.some((v) => compare(v, op, value, caseExact));
    }
  }
}

function compare(actual: unknown, op: CompareOp, expected: string | number | boolean, caseExact: boolean): boolean {
  if (typeof expected === "boolean") return typeof actual === "boolean" && actual === expected;
  if (typeof expected === "number") {
    if (typeof actual !== "number") return false;
    return ordered(actual, op, expected);
  }
  if (typeof actual !== "string") return false;
  const a = caseExact ? actual : actual.toLowerCase();
  const b = caseExact ? expected : expected.toLowerCase();
  if (op === "co") return a.includes(b);
  if (op === "sw") return a.startsWith(b);
  if (op === "ew") return a.endsWith(b);
  return ordered(a, op, b);
}

function ordered<T extends string | number>(a: T, op: CompareOp, b: T): boolean {
  switch (op) {
    case "eq":
      return a === b;
    case "gt":
      return a > b;
    case "ge":
      return a >= b;
    case "lt":
      return a < b;
    case "le":
      return a <= b;
    default:
      return false;
  }
}

/**
 * Exact-match lookups a filter implies for an indexed attribute (lower-cased when not caseExact):
 * the values any match must have, or undefined when the filter does not pin the attribute.
 */
export function pinnedValues(filter: Filter, attr: string): string[] | undefined {
  switch (filter.kind) {
    case "compare": {
      const { path, op, value } = filter;
      if (op !== "eq" || typeof value !== "string" || path.urn !== undefined || path.sub !== undefined) return undefined;
      if (path.attr.toLowerCase() !== attr.toLowerCase()) return undefined;
      return [isCaseExact(undefined, path.attr, undefined) ? value : value.toLowerCase()];
    }
    case "and":
      return pinnedValues(filter.left, attr) ?? pinnedValues(filter.right, attr);
    case "or": {
      const left = pinnedValues(filter.left, attr);
      const right = left === undefined ? undefined : pinnedValues(filter.right, attr);
      return left !== undefined && right !== undefined ? [...left, ...right] : undefined;
    }
    default:
      return undefined;
  }
}
