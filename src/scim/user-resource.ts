/**
 * SCIM User documents built from, and read back into, the flat attribute map (UserAttributes)
 * the rest of the tool works with. Pure: no I/O.
 */
import { ProtocolError } from "../errors.js";
import { CORE_USER_SCHEMA, ENTERPRISE_USER_SCHEMA, type RemoteUser, type UserAttributes } from "../model.js";
import { type AttributePath, attributeKey, entryKey, filterLiteral, parseAttributePath } from "./attribute-path.js";

export type JsonObject = Record<string, unknown>;

export interface UserResourceOptions {
  /**
   * The attribute paths in mapping order. The entry of a multi-valued attribute whose path comes
   * first is the primary one; without it (or for paths not listed) `work` comes first, then the
   * other types alphabetically.
   */
  pathOrder?: readonly string[];
}

export type MultiPath = AttributePath & { kind: "multi" };

export interface Entry {
  path: MultiPath;
  subs: Record<string, string>;
}

/** The non-empty attributes with their parsed paths, in key order (shared with user-patch.ts). */
export function parsedEntries(attributes: UserAttributes): Array<[string, AttributePath, string]> {
  return Object.keys(attributes)
    .sort()
    .filter((key) => attributes[key] !== undefined && attributes[key] !== "")
    .map((key) => [key, parseAttributePath(key), attributes[key] as string]);
}

function entryRank(options: UserResourceOptions | undefined): (entry: MultiPath) => [number, number, string] {
  const order = new Map<string, number>();
  (options?.pathOrder ?? []).forEach((p, i) => {
    const parsed = parseAttributePath(p);
    if (parsed.kind === "multi" && !order.has(entryKey(parsed))) order.set(entryKey(parsed), i);
  });
  return (entry) => {
    const value = entry.filterValue.toLowerCase();
    return [order.get(entryKey(entry)) ?? Number.MAX_SAFE_INTEGER, value === "work" ? 0 : 1, value];
  };
}

function compareRanks(a: [number, number, string], b: [number, number, string]): number {
  return a[0] - b[0] || a[1] - b[1] || (a[2] < b[2] ? -1 : a[2] > b[2] ? 1 : 0);
}

/** Entries of each multi-valued attribute, grouped by attribute and ordered primary first. */
export function collectEntries(attributes: UserAttributes, options: UserResourceOptions | undefined): Map<string, Entry[]> {
  const byEntry = new Map<string, Entry>();
  for (const [, path, value] of parsedEntries(attributes)) {
    if (path.kind !== "multi") continue;
    const key = entryKey(path);
    const entry = byEntry.get(key) ?? { path, subs: {} };
    entry.subs[path.sub] = value;
    byEntry.set(key, entry);
  }
  const rank = entryRank(options);
  const byAttribute = new Map<string, Entry[]>();
  for (const entry of byEntry.values()) {
    const key = attributeKey(entry.path);
    byAttribute.set(key, [...(byAttribute.get(key) ?? []), entry]);
  }
  for (const entries of byAttribute.values()) entries.sort((a, b) => compareRanks(rank(a.path), rank(b.path)));
  return byAttribute;
}

/** One entry of a multi-valued attribute as sent: the filter attribute, the values, `primary`. */
export function entryObject(entry: Entry, primary: boolean): JsonObject {
  const subs = Object.keys(entry.subs).sort();
  const object: JsonObject = { [entry.path.filterAttr]: entry.path.filterValue };
  for (const sub of subs) object[sub] = entry.subs[sub];
  object.primary = primary;
  return object;
}

/**
 * The full SCIM User representation (POST and PUT bodies). Empty values are left out; the first
 * entry of each multi-valued attribute is marked primary.
 */
export function toScimUser(
  externalId: string,
  attributes: UserAttributes,
  active: boolean,
  options?: UserResourceOptions,
): JsonObject {
  const core: JsonObject = {};
  const extensions = new Map<string, JsonObject>();
  const container = (path: AttributePath): JsonObject => {
    if (path.schema === undefined) return core;
    const existing = extensions.get(path.schema);
    if (existing) return existing;
    const created: JsonObject = {};
    extensions.set(path.schema, created);
    return created;
  };

  for (const [, path, value] of parsedEntries(attributes)) {
    const target = container(path);
    if (path.kind === "simple") target[path.name] = value;
    else if (path.kind === "complex") {
      const current = target[path.name];
      const complex = typeof current === "object" && current !== null ? (current as JsonObject) : {};
      complex[path.sub] = value;
      target[path.name] = complex;
    }
  }
  for (const entries of collectEntries(attributes, options).values()) {
    const first = entries[0];
    if (!first) continue;
    container(first.path)[first.path.name] = entries.map((entry, i) => entryObject(entry, i === 0));
  }

  const urns = [...extensions.keys()].sort((a, b) =>
    a === ENTERPRISE_USER_SCHEMA ? -1 : b === ENTERPRISE_USER_SCHEMA ? 1 : a < b ? -1 : a > b ? 1 : 0,
  );
  const user: JsonObject = { schemas: [CORE_USER_SCHEMA, ...urns], externalId };
  if (core.userName !== undefined) user.userName = core.userName;
  for (const key of Object.keys(core).sort()) if (key !== "userName") user[key] = core[key];
  user.active = active;
  for (const urn of urns) user[urn] = extensions.get(urn);
  return user;
}

// ---------------------------------------------------------------------------------------------
// Reading

function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** SCIM attribute names are case-insensitive. */
function getCI(object: JsonObject, key: string): unknown {
  if (key in object) return object[key];
  const lower = key.toLowerCase();
  for (const k of Object.keys(object)) if (k.toLowerCase() === lower) return object[k];
  return undefined;
}

function leaf(value: unknown): string | undefined {
  if (typeof value === "string") return value === "" ? undefined : value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return undefined;
}

function readPath(resource: JsonObject, path: AttributePath): string | undefined {
  const container = path.schema === undefined ? resource : getCI(resource, path.schema);
  if (!isObject(container)) return undefined;
  const value = getCI(container, path.name);
  if (path.kind === "simple") return leaf(value);
  if (path.kind === "complex") return isObject(value) ? leaf(getCI(value, path.sub)) : undefined;
  if (!Array.isArray(value)) return undefined;
  const wanted = path.filterValue.toLowerCase();
  const matches = value.filter(
    (e): e is JsonObject => isObject(e) && typeof getCI(e, path.filterAttr) === "string" && (getCI(e, path.filterAttr) as string).toLowerCase() === wanted,
  );
  const entry = matches.find((e) => getCI(e, "primary") === true) ?? matches[0];
  return entry ? leaf(getCI(entry, path.sub)) : undefined;
}

const NOT_ATTRIBUTES = new Set(["schemas", "id", "externalid", "meta", "active", "groups", "password"]);
const SERVER_SUBS = new Set(["type", "primary", "display", "$ref"]);

/** Every string attribute of a container, in path form (core or one extension). */
function readAll(container: JsonObject, prefix: string, out: Record<string, string>, top: boolean): void {
  for (const [key, value] of Object.entries(container)) {
    if (top && (NOT_ATTRIBUTES.has(key.toLowerCase()) || key.toLowerCase().startsWith("urn:"))) continue;
    if (typeof value === "string") {
      if (value !== "") out[`${prefix}${key}`] = value;
    } else if (isObject(value)) {
      for (const [sub, subValue] of Object.entries(value)) {
        if (typeof subValue === "string" && subValue !== "" && sub !== "$ref") out[`${prefix}${key}.${sub}`] = subValue;
      }
    } else if (Array.isArray(value)) {
      const seen = new Set<string>();
      for (const entry of value) {
        if (!isObject(entry) || typeof entry.type !== "string" || seen.has(entry.type.toLowerCase())) continue;
        seen.add(entry.type.toLowerCase());
        for (const [sub, subValue] of Object.entries(entry)) {
          if (typeof subValue !== "string" || subValue === "" || SERVER_SUBS.has(sub)) continue;
          out[`${prefix}${key}[type eq ${filterLiteral(entry.type)}].${sub}`] = subValue;
        }
      }
    }
  }
}

function readDefault(resource: JsonObject): Record<string, string> {
  const out: Record<string, string> = {};
  readAll(resource, "", out, true);
  for (const [key, value] of Object.entries(resource)) {
    if (key.toLowerCase().startsWith("urn:") && isObject(value)) readAll(value, `${key}:`, out, false);
  }
  return out;
}

function asId(value: unknown): string | undefined {
  if (typeof value === "string" && value !== "") return value;
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  return undefined;
}

/** Some servers send `"active": "false"`; a missing `active` means the server does not track it. */
function readActive(value: unknown): boolean {
  if (typeof value === "string") return value.toLowerCase() !== "false";
  return value !== false;
}

/**
 * Reads a SCIM User as returned by Command. With `paths`, exactly those attribute paths are read
 * (plus `userName`); without, every string attribute of the core schema and of the extensions,
 * with multi-valued entries addressed by their `type`.
 */
export function fromScimUser(resource: unknown, paths?: readonly string[]): RemoteUser {
  if (!isObject(resource)) throw new ProtocolError("Command returned a User that is not a JSON object");
  const id = asId(getCI(resource, "id"));
  if (id === undefined) throw new ProtocolError("Command returned a User without an id");
  const userName = getCI(resource, "userName");
  if (typeof userName !== "string" || userName === "") {
    throw new ProtocolError(`Command returned User ${id} without a userName`);
  }
  let attributes: Record<string, string>;
  if (paths === undefined) attributes = readDefault(resource);
  else {
    attributes = {};
    for (const path of paths) {
      const value = readPath(resource, parseAttributePath(path));
      if (value !== undefined) attributes[path] = value;
    }
  }
  attributes.userName = userName;
  const externalId = asId(getCI(resource, "externalId"));
  return { id, userName, externalId, active: readActive(getCI(resource, "active")), attributes };
}
