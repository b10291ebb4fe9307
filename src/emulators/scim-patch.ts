/**
 * SCIM PATCH (RFC 7644 section 3.5.2) over plain JSON resources: parsing the PatchOp message and
 * applying add / replace / remove at attribute paths, value-filtered paths and extension paths.
 */
import { PATCH_OP_SCHEMA } from "../model.js";
import { badRequest } from "./scim-errors.js";
import {
  type AttrPath,
  type Filter,
  findKey,
  getCI,
  isObject,
  matchesFilter,
  parseAttrPath,
  parseFilter,
  sourceOf,
} from "./scim-filter.js";

export type PatchOpName = "add" | "remove" | "replace";

export interface PatchPath {
  path: AttrPath;
  /** The value filter of `attr[filter]` or `attr[filter].sub`. */
  filter: Filter | undefined;
}

export interface PatchOperation {
  op: PatchOpName;
  path: PatchPath | undefined;
  /** The path as sent, for messages. */
  rawPath: string | undefined;
  value: unknown;
}

export interface PatchContext {
  /** Lower-cased names of attributes the client may not change. */
  readOnly: ReadonlySet<string>;
  /** Lower-cased names of multi-valued attributes. */
  multiValued: ReadonlySet<string>;
  /**
   * A replace through a value filter that matches nothing: RFC 7644 says 400 noTarget; many
   * servers (and the clients built for them) expect the value to be added instead.
   */
  upsert: boolean;
  /**
   * The resource's id: Okta renames a group with `replace` value `{id, displayName}`, so an
   * unchanged id is accepted while any other value is a mutability error.
   */
  currentId?: string;
}

export function parsePatchPath(text: string): PatchPath {
  const invalid = () => badRequest("invalidPath", `invalid path "${text}"`);
  const open = text.indexOf("[");
  if (open < 0) {
    const path = parseAttrPath(text.trim());
    if (path === undefined) throw invalid();
    return { path, filter: undefined };
  }
  const close = text.lastIndexOf("]");
  const head = parseAttrPath(text.slice(0, open).trim());
  if (close < open || head === undefined || head.attr === "" || head.sub !== undefined) throw invalid();
  const filter = parseFilter(text.slice(open + 1, close), "invalidPath");
  const tail = text.slice(close + 1);
  if (tail !== "" && !/^\.(\$ref|[A-Za-z][\w-]*)$/.test(tail)) throw invalid();
  return { path: { urn: head.urn, attr: head.attr, sub: tail === "" ? undefined : tail.slice(1) }, filter };
}

export function parsePatchRequest(body: unknown): PatchOperation[] {
  if (!isObject(body)) throw badRequest("invalidSyntax", "request body must be a JSON object");
  const schemas = body.schemas;
  if (!Array.isArray(schemas) || !schemas.some((s) => typeof s === "string" && s.toLowerCase() === PATCH_OP_SCHEMA.toLowerCase())) {
    throw badRequest("invalidSyntax", `schemas must include ${PATCH_OP_SCHEMA}`);
  }
  const operations = getCI(body, "Operations");
  if (!Array.isArray(operations)) throw badRequest("invalidSyntax", "Operations must be an array");
  return operations.map((raw, i): PatchOperation => {
    if (!isObject(raw)) throw badRequest("invalidSyntax", `Operations[${i}] must be an object`);
    const opName = getCI(raw, "op");
    const op = typeof opName === "string" ? opName.toLowerCase() : "";
    if (op !== "add" && op !== "remove" && op !== "replace") {
      throw badRequest("invalidSyntax", `Operations[${i}].op must be add, remove or replace`);
    }
    const rawPath = getCI(raw, "path");
    if (rawPath !== undefined && typeof rawPath !== "string") throw badRequest("invalidPath", `Operations[${i}].path must be a string`);
    const value = getCI(raw, "value");
    if (op === "remove" && (rawPath === undefined || rawPath === "")) {
      throw badRequest("noTarget", `Operations[${i}]: remove needs a path`);
    }
    if (op !== "remove" && value === undefined) throw badRequest("invalidValue", `Operations[${i}]: ${op} needs a value`);
    const path = rawPath === undefined || rawPath === "" ? undefined : parsePatchPath(rawPath);
    return { op, path, rawPath: rawPath === "" ? undefined : rawPath, value };
  });
}

export function applyOperation(resource: Record<string, unknown>, op: PatchOperation, ctx: PatchContext): void {
  if (op.path === undefined) {
    if (op.op === "remove") throw badRequest("noTarget", "remove needs a path");
    if (!isObject(op.value)) throw badRequest("invalidValue", `${op.op} without a path needs an object value`);
    for (const [key, value] of Object.entries(op.value)) {
      const path = parseAttrPath(key);
      if (path === undefined) throw badRequest("invalidPath", `invalid attribute "${key}" in value`);
      setAt(resource, path, undefined, value, op.op, ctx);
    }
    return;
  }
  if (op.op === "remove") removeAt(resource, op.path.path, op.path.filter, op.value, ctx);
  else setAt(resource, op.path.path, op.path.filter, op.value, op.op, ctx);
}

function checkWritable(path: AttrPath, ctx: PatchContext): void {
  if (path.urn === undefined && ctx.readOnly.has(path.attr.toLowerCase())) {
    throw badRequest("mutability", `attribute "${path.attr}" cannot be modified`);
  }
}

function containerFor(resource: Record<string, unknown>, urn: string | undefined, create: boolean): Record<string, unknown> | undefined {
  if (urn === undefined) return resource;
  const key = findKey(resource, urn) ?? urn;
  const current = resource[key];
  if (isObject(current)) return current;
  if (!create) return undefined;
  const fresh: Record<string, unknown> = {};
  resource[key] = fresh;
  return fresh;
}

function assignCI(target: Record<string, unknown>, name: string, value: unknown): void {
  target[findKey(target, name) ?? name] = value;
}

function setAt(
  resource: Record<string, unknown>,
  path: AttrPath,
  filter: Filter | undefined,
  value: unknown,
  mode: "add" | "replace",
  ctx: PatchContext,
): void {
  if (value === null) {
    removeAt(resource, path, filter, undefined, ctx);
    return;
  }
  const sameId = path.urn === undefined && path.sub === undefined && filter === undefined && path.attr.toLowerCase() === "id";
  if (sameId && value === ctx.currentId) return;
  checkWritable(path, ctx);
  const container = containerFor(resource, path.urn, true)!;
  if (path.attr === "") {
    if (!isObject(value)) throw badRequest("invalidValue", `${path.urn} needs an object value`);
    for (const [key, v] of Object.entries(value)) setAt(container, { urn: undefined, attr: key, sub: undefined }, undefined, v, mode, ctx);
    cleanup(resource, path.urn);
    return;
  }
  const key = findKey(container, path.attr) ?? path.attr;
  const current = container[key];
  if (filter !== undefined) {
    const list = Array.isArray(current) ? [...current] : [];
    const matched = list.filter((el) => isObject(el) && matchesFilter(filter, sourceOf(el), path.attr)) as Record<string, unknown>[];
    if (matched.length === 0) {
      if (mode === "replace" && !ctx.upsert) throw badRequest("noTarget", `no value of "${path.attr}" matches the filter`);
      const seeded = seedFromFilter(filter);
      if (path.sub !== undefined) seeded[path.sub] = value;
      else if (isObject(value)) Object.assign(seeded, value);
      else throw badRequest("invalidValue", `"${path.attr}" values are objects`);
      list.push(seeded);
      matched.push(seeded);
    } else {
      for (const [i, el] of matched.entries()) {
        if (path.sub !== undefined) assignCI(el, path.sub, value);
        else if (!isObject(value)) throw badRequest("invalidValue", `"${path.attr}" values are objects`);
        else if (mode === "replace") {
          const fresh = { ...value };
          list[list.indexOf(el)] = fresh;
          matched[i] = fresh;
        } else Object.assign(el, value);
      }
    }
    container[key] = normalizePrimary(list, matched);
    cleanup(resource, path.urn);
    return;
  }
  if (path.sub !== undefined) {
    if (Array.isArray(current)) {
      for (const el of current) if (isObject(el)) assignCI(el, path.sub, value);
    } else {
      const obj = isObject(current) ? current : {};
      assignCI(obj, path.sub, value);
      container[key] = obj;
    }
    return;
  }
  if (ctx.multiValued.has(path.attr.toLowerCase()) || Array.isArray(current)) {
    const incoming = Array.isArray(value) ? value : [value];
    const merged = mode === "add" && Array.isArray(current) ? [...current] : [];
    for (const v of incoming) if (!merged.some((m) => deepEqual(m, v))) merged.push(v);
    container[key] = normalizePrimary(merged, incoming);
  } else if (isObject(value) && isObject(current)) {
    // A complex attribute keeps the sub-attributes the value does not mention.
    for (const [sub, v] of Object.entries(value)) {
      if (v === null) delete current[findKey(current, sub) ?? sub];
      else assignCI(current, sub, v);
    }
  } else {
    container[key] = value;
  }
  cleanup(resource, path.urn);
}

function removeAt(resource: Record<string, unknown>, path: AttrPath, filter: Filter | undefined, value: unknown, ctx: PatchContext): void {
  checkWritable(path, ctx);
  if (path.attr === "") {
    const key = findKey(resource, path.urn ?? "");
    if (key !== undefined) delete resource[key];
    return;
  }
  const container = containerFor(resource, path.urn, false);
  const key = container === undefined ? undefined : findKey(container, path.attr);
  if (container === undefined || key === undefined) return;
  const current = container[key];
  if (filter !== undefined) {
    if (!Array.isArray(current)) return;
    const hit = (el: unknown) => isObject(el) && matchesFilter(filter, sourceOf(el), path.attr);
    if (path.sub === undefined || path.sub.toLowerCase() === "value") {
      // An element without its value means nothing, so removing `value` drops the element.
      container[key] = current.filter((el) => !hit(el));
    } else {
      for (const el of current) if (hit(el)) delete (el as Record<string, unknown>)[findKey(el as Record<string, unknown>, path.sub) ?? path.sub];
    }
  } else if (path.sub !== undefined) {
    const elements = Array.isArray(current) ? current : [current];
    for (const el of elements) if (isObject(el)) delete el[findKey(el, path.sub) ?? path.sub];
  } else if (Array.isArray(current) && Array.isArray(value)) {
    // Not in RFC 7644, but common: remove the listed values of a multi-valued attribute.
    container[key] = current.filter((el) => !value.some((v) => sameValue(el, v)));
  } else {
    delete container[key];
  }
  const after = container[key];
  if (Array.isArray(after) ? after.length === 0 : isObject(after) && Object.keys(after).length === 0) delete container[key];
  cleanup(resource, path.urn);
}

/** Drops an extension object left empty. */
function cleanup(resource: Record<string, unknown>, urn: string | undefined): void {
  if (urn === undefined) return;
  const key = findKey(resource, urn);
  const ext = key === undefined ? undefined : resource[key];
  if (key !== undefined && isObject(ext) && Object.keys(ext).length === 0) delete resource[key];
}

/** The element a filter such as `type eq "work"` describes, for adding it when none matches. */
function seedFromFilter(filter: Filter): Record<string, unknown> {
  const seed: Record<string, unknown> = {};
  const visit = (f: Filter): void => {
    if (f.kind === "and") {
      visit(f.left);
      visit(f.right);
    } else if (f.kind === "compare" && f.op === "eq" && f.path.urn === undefined && f.path.sub === undefined && f.value !== null) {
      seed[f.path.attr] = f.value;
    }
  };
  visit(filter);
  return seed;
}

/** At most one value may be primary (RFC 7643 section 2.4): the newest one wins. */
function normalizePrimary(list: unknown[], fresh: readonly unknown[]): unknown[] {
  const newPrimary = fresh.some((v) => isObject(v) && getCI(v, "primary") === true);
  if (!newPrimary) return list;
  const isFresh = (el: unknown) => fresh.some((f) => f === el || deepEqual(f, el));
  return list.map((el) => (isObject(el) && !isFresh(el) && getCI(el, "primary") === true ? { ...el, primary: false } : el));
}

function sameValue(a: unknown, b: unknown): boolean {
  if (isObject(a) && isObject(b) && getCI(b, "value") !== undefined) return getCI(a, "value") === getCI(b, "value");
  return deepEqual(a, b);
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((v, i) => deepEqual(v, b[i]));
  if (!isObject(a) || !isObject(b)) return false;
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => Object.hasOwn(b, k) && deepEqual(a[k], b[k]));
}
