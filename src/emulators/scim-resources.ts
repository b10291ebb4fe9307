/** Validation of User and Group bodies, attribute projection and list responses. */
import { CORE_GROUP_SCHEMA, CORE_USER_SCHEMA, LIST_RESPONSE_SCHEMA } from "../model.js";
import { badRequest } from "./scim-errors.js";
import { type AttrPath, findKey, getCI, isObject, parseAttrPath } from "./scim-filter.js";

/** Lower-cased names of the multi-valued attributes of Users and Groups (RFC 7643). */
export const MULTI_VALUED: ReadonlySet<string> = new Set([
  "emails",
  "phonenumbers",
  "ims",
  "photos",
  "addresses",
  "groups",
  "entitlements",
  "roles",
  "x509certificates",
  "members",
]);

/** Attributes the server owns: ignored in POST/PUT bodies, refused in PATCH. */
export const USER_READ_ONLY: ReadonlySet<string> = new Set(["id", "meta", "schemas", "groups"]);
export const GROUP_READ_ONLY: ReadonlySet<string> = new Set(["id", "meta", "schemas"]);

const STRING_ATTRS = ["userName", "externalId", "displayName", "nickName", "title", "userType", "profileUrl", "preferredLanguage", "locale", "timezone"];

function checkSchemas(body: Record<string, unknown>, core: string, allowed: readonly string[]): void {
  const schemas = body.schemas;
  if (!Array.isArray(schemas) || !schemas.every((s) => typeof s === "string")) {
    throw badRequest("invalidSyntax", "schemas must be an array of schema URNs");
  }
  const known = new Set([core, ...allowed].map((s) => s.toLowerCase()));
  if (!schemas.some((s: string) => s.toLowerCase() === core.toLowerCase())) throw badRequest("invalidSyntax", `schemas must include ${core}`);
  const unknown = schemas.find((s: string) => !known.has(s.toLowerCase()));
  if (unknown !== undefined) throw badRequest("invalidValue", `unsupported schema ${unknown}`);
}

const CANONICAL_NAMES = new Map(
  [
    ...STRING_ATTRS,
    "active",
    "name",
    "emails",
    "phoneNumbers",
    "ims",
    "photos",
    "addresses",
    "entitlements",
    "roles",
    "x509Certificates",
    "members",
  ].map((n) => [n.toLowerCase(), n]),
);

/**
 * Renames keys to the schema's spelling (attribute names are case-insensitive, RFC 7643
 * section 2.1) so that `USERNAME` and `userName` are one attribute.
 */
export function canonicalize(attrs: Record<string, unknown>, extensions: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(attrs)) {
    const lower = key.toLowerCase();
    out[CANONICAL_NAMES.get(lower) ?? extensions.find((e) => e.toLowerCase() === lower) ?? key] = value;
  }
  return out;
}

/** The client-writable attributes of a body: read-only ones and the write-only password dropped. */
function writableAttributes(body: Record<string, unknown>, readOnly: ReadonlySet<string>, extensions: readonly string[]): Record<string, unknown> {
  const attrs: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(body)) {
    const lower = key.toLowerCase();
    if (readOnly.has(lower) || lower === "password" || value === null) continue;
    attrs[key] = structuredClone(value);
  }
  return canonicalize(attrs, extensions);
}

export function validateUserBody(body: unknown, extensions: readonly string[]): Record<string, unknown> {
  if (!isObject(body)) throw badRequest("invalidSyntax", "request body must be a JSON object");
  checkSchemas(body, CORE_USER_SCHEMA, extensions);
  const attrs = writableAttributes(body, USER_READ_ONLY, extensions);
  checkUserAttributes(attrs, extensions);
  return attrs;
}

/** Type checks on a user's attributes, run after every create, replace and patch. */
export function checkUserAttributes(attrs: Record<string, unknown>, extensions: readonly string[]): void {
  const userName = getCI(attrs, "userName");
  if (typeof userName !== "string" || userName.trim() === "") throw badRequest("invalidValue", "userName is required");
  for (const name of STRING_ATTRS) {
    const v = getCI(attrs, name);
    if (v !== undefined && typeof v !== "string") throw badRequest("invalidValue", `${name} must be a string`);
  }
  const active = getCI(attrs, "active");
  if (active !== undefined && typeof active !== "boolean") throw badRequest("invalidValue", "active must be a boolean");
  const name = getCI(attrs, "name");
  if (name !== undefined && (!isObject(name) || Object.values(name).some((v) => typeof v !== "string"))) {
    throw badRequest("invalidValue", "name must be an object of strings");
  }
  for (const [key, value] of Object.entries(attrs)) {
    if (!MULTI_VALUED.has(key.toLowerCase())) continue;
    if (!Array.isArray(value) || !value.every(isObject)) throw badRequest("invalidValue", `${key} must be an array of objects`);
    if (value.filter((v) => getCI(v, "primary") === true).length > 1) throw badRequest("invalidValue", `at most one of ${key} may be primary`);
  }
  for (const ext of extensions) {
    const v = attrs[ext];
    if (v !== undefined && !isObject(v)) throw badRequest("invalidValue", `${ext} must be an object`);
  }
}

export interface GroupBody {
  attrs: Record<string, unknown>;
  /** Member ids as sent; undefined when `members` was absent. */
  memberIds: string[] | undefined;
}

export function validateGroupBody(body: unknown): GroupBody {
  if (!isObject(body)) throw badRequest("invalidSyntax", "request body must be a JSON object");
  checkSchemas(body, CORE_GROUP_SCHEMA, []);
  const attrs = writableAttributes(body, GROUP_READ_ONLY, []);
  const membersKey = findKey(attrs, "members");
  const members = membersKey === undefined ? undefined : attrs[membersKey];
  if (membersKey !== undefined) delete attrs[membersKey];
  checkGroupAttributes(attrs);
  return { attrs, memberIds: members === undefined ? undefined : memberIdsOf(members) };
}

export function checkGroupAttributes(attrs: Record<string, unknown>): void {
  const displayName = getCI(attrs, "displayName");
  if (typeof displayName !== "string" || displayName.trim() === "") throw badRequest("invalidValue", "displayName is required");
  const externalId = getCI(attrs, "externalId");
  if (externalId !== undefined && typeof externalId !== "string") throw badRequest("invalidValue", "externalId must be a string");
}

/** The ids in a `members` value: an array of `{value}` (a single object is tolerated). */
export function memberIdsOf(value: unknown): string[] {
  const list = Array.isArray(value) ? value : [value];
  return list.map((m) => {
    const id = isObject(m) ? getCI(m, "value") : undefined;
    if (typeof id !== "string" || id === "") throw badRequest("invalidValue", "members must be objects with a string value");
    return id;
  });
}

function parseList(text: string | null): AttrPath[] | undefined {
  if (text === null || text.trim() === "") return undefined;
  return text
    .split(",")
    .map((s) => parseAttrPath(s.trim()))
    .filter((p): p is AttrPath => p !== undefined);
}

/** Applies `attributes` / `excludedAttributes` (RFC 7644 section 3.9); `id` and `schemas` always stay. */
export function project(resource: Record<string, unknown>, attributes: string | null, excluded: string | null): Record<string, unknown> {
  const include = parseList(attributes);
  if (include !== undefined) {
    const out: Record<string, unknown> = { schemas: resource.schemas, id: resource.id };
    for (const path of include) copyPath(resource, out, path);
    return out;
  }
  const exclude = parseList(excluded);
  if (exclude === undefined) return resource;
  const out: Record<string, unknown> = { ...resource };
  for (const path of exclude) {
    const container = path.urn === undefined ? out : out[findKey(out, path.urn) ?? path.urn];
    if (!isObject(container)) continue;
    if (path.attr === "") {
      delete out[findKey(out, path.urn ?? "") ?? ""];
      continue;
    }
    const key = findKey(container, path.attr);
    if (key === undefined || (path.urn === undefined && (key === "id" || key === "schemas"))) continue;
    if (path.sub === undefined) {
      if (container === out) delete out[key];
      else out[findKey(out, path.urn ?? "")!] = withoutKey(container, key);
    } else {
      const v = container[key];
      const sub = path.sub;
      const strip = (el: unknown) => (isObject(el) ? withoutKey(el, findKey(el, sub) ?? sub) : el);
      const stripped = Array.isArray(v) ? v.map(strip) : strip(v);
      if (container === out) out[key] = stripped;
      else out[findKey(out, path.urn ?? "")!] = { ...container, [key]: stripped };
    }
  }
  return out;
}

function withoutKey(obj: Record<string, unknown>, key: string): Record<string, unknown> {
  const { [key]: _dropped, ...rest } = obj;
  return rest;
}

function copyPath(from: Record<string, unknown>, to: Record<string, unknown>, path: AttrPath): void {
  let src = from;
  let dst = to;
  if (path.urn !== undefined) {
    const key = findKey(from, path.urn);
    const ext = key === undefined ? undefined : from[key];
    if (key === undefined || !isObject(ext)) return;
    if (path.attr === "") {
      to[key] = ext;
      return;
    }
    src = ext;
    dst = isObject(to[key]) ? (to[key] as Record<string, unknown>) : {};
    to[key] = dst;
  }
  const key = findKey(src, path.attr);
  if (key === undefined) return;
  const value = src[key];
  if (path.sub === undefined) {
    dst[key] = value;
    return;
  }
  const sub = path.sub;
  const pick = (el: unknown): Record<string, unknown> => {
    const subKey = isObject(el) ? findKey(el, sub) : undefined;
    return isObject(el) && subKey !== undefined ? { [subKey]: el[subKey] } : {};
  };
  if (Array.isArray(value)) dst[key] = value.map(pick);
  else if (isObject(value)) dst[key] = { ...(isObject(dst[key]) ? dst[key] : {}), ...pick(value) };
}

export interface ListResponse {
  schemas: string[];
  totalResults: number;
  startIndex: number;
  itemsPerPage: number;
  Resources: unknown[];
}

export function listResponse(resources: unknown[], totalResults: number, startIndex: number): ListResponse {
  return { schemas: [LIST_RESPONSE_SCHEMA], totalResults, startIndex, itemsPerPage: resources.length, Resources: resources };
}
