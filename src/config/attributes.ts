/** Rules for `attributes` entries (Okta Profile Editor style mappings). Pure. */
import { CORE_USER_SCHEMA } from "../model.js";
import { type AttributePath, AttributePathError, parseAttributePath } from "./attribute-path.js";

export const OKTA_EXPRESSION_RULE = "must be user.<attribute> (Okta user profile) or appuser.<attribute> (app user profile), such as user.department";
export const SCIM_PATH_RULE =
  'must be a SCIM attribute path: a name (title), a sub-attribute (name.givenName) or a typed value (phoneNumbers[type eq "mobile"].value)';
export const NAMESPACE_RULE = `must be a schema URN such as ${CORE_USER_SCHEMA} (the default) or urn:ietf:params:scim:schemas:extension:enterprise:2.0:User`;

const OKTA_EXPRESSION = /^(user|appuser)\.[A-Za-z_][A-Za-z0-9_]*$/;
const URN = /^urn:[A-Za-z0-9][A-Za-z0-9-]{0,31}:[^\s]+$/i;

/**
 * Core User attributes this tool owns or SCIM makes read-only. `userName` is not here: mapping
 * it replaces the default (the app username), as in Okta's Profile Editor.
 */
const RESERVED: Readonly<Record<string, string>> = {
  id: "is assigned by Command",
  externalid: "is the Okta user id, the key that links users",
  active: "follows the user's Okta status and app assignment",
  meta: "is maintained by Command",
  schemas: "is set by the SCIM client",
  groups: "is read-only in SCIM; use groups.push",
  password: "is not synced",
};

/** Core attributes that hold several typed values and need `[type eq "..."].sub`. */
const MULTI_VALUED = new Set(["emails", "phonenumbers", "ims", "photos", "addresses", "entitlements", "roles", "x509certificates"]);
/** Core attributes with sub-attributes only. */
const COMPLEX = new Set(["name"]);

export function isOktaExpression(value: string): boolean {
  return OKTA_EXPRESSION.test(value);
}

/** A typed entry without the sub-attribute to write into it: `phoneNumbers[type eq "mobile"]`. */
type ExternalPath = AttributePath | { kind: "entry"; name: string };

/**
 * `externalName` read with the one attribute-path grammar, within what a mapping may name: no
 * schema prefix (that is `externalNamespace`), and only `type` filters, as Okta writes them.
 */
function externalPath(value: string): ExternalPath | undefined {
  if (value.toLowerCase().startsWith("urn:")) return undefined;
  const full = tryParse(value);
  // Without a full path, the entry alone: the sub-attribute is missing, which scimPathProblem explains.
  const entry = full === undefined ? tryParse(`${value}.value`) : undefined;
  const path = full ?? (entry?.kind === "multi" ? entry : undefined);
  if (path === undefined || path.schema !== undefined) return undefined;
  if (path.kind === "multi" && (path.filterAttr !== "type" || path.filterValue === "")) return undefined;
  return full === undefined ? { kind: "entry", name: path.name } : path;
}

function tryParse(value: string): AttributePath | undefined {
  try {
    return parseAttributePath(value);
  } catch (error) {
    if (error instanceof AttributePathError) return undefined;
    throw error;
  }
}

export function isScimPath(value: string): boolean {
  return externalPath(value) !== undefined;
}

export function isNamespace(value: string): boolean {
  return URN.test(value);
}

/** Undefined when `externalName` is a usable target in `namespace`; otherwise what is wrong. */
export function scimPathProblem(externalName: string, namespace: string): string | undefined {
  const path = externalPath(externalName);
  if (path === undefined) return SCIM_PATH_RULE;
  if (namespace.toLowerCase() !== CORE_USER_SCHEMA.toLowerCase()) return undefined;
  const head = path.name.toLowerCase();
  const reason = RESERVED[head];
  if (reason !== undefined) return `cannot be mapped: ${head === "externalid" ? "externalId" : head} ${reason}`;
  const filtered = path.kind === "multi" || path.kind === "entry";
  if (MULTI_VALUED.has(head) && path.kind !== "multi") {
    return `is a multi-valued attribute: name one typed value, such as ${path.name}[type eq "work"].value`;
  }
  if (COMPLEX.has(head) && (path.kind === "simple" || path.kind === "entry")) return "is a complex attribute: name a sub-attribute, such as name.givenName";
  if (filtered && !MULTI_VALUED.has(head)) return `${SCIM_PATH_RULE}; only multi-valued attributes take [type eq "..."]`;
  return undefined;
}

/** What makes two mappings write the same value: SCIM names are case-insensitive. */
export function targetKey(externalName: string, namespace: string): string {
  return `${namespace}:${externalName}`.toLowerCase();
}
