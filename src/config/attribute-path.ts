/**
 * The one grammar of SCIM attribute paths, in the forms Okta's Profile Editor writes them (see
 * UserAttributes in model.ts): read by the config's `attributes` rules and by the SCIM resource
 * builders, which place each path in a User document. Pure.
 */
import { CORE_USER_SCHEMA } from "../model.js";

interface PathBase {
  /** Extension schema URN; undefined for the core User schema. */
  schema: string | undefined;
  /** The attribute name inside the schema: `title`, `name`, `emails`, `department`. */
  name: string;
}

/**
 * - `simple`: `title`, `urn:...:User:department`
 * - `complex`: a sub-attribute of a single-valued complex attribute: `name.givenName`, `urn:...:User:manager.value`
 * - `multi`: a sub-attribute of the entry of a multi-valued attribute selected by an `eq` filter:
 *   `emails[type eq "work"].value`
 */
export type AttributePath =
  | (PathBase & { kind: "simple" })
  | (PathBase & { kind: "complex"; sub: string })
  | (PathBase & { kind: "multi"; filterAttr: string; filterValue: string; sub: string });

export class AttributePathError extends Error {
  constructor(path: string, reason: string) {
    super(`unsupported SCIM attribute path "${path}": ${reason}`);
    this.name = "AttributePathError";
  }
}

const NAME = "[A-Za-z$][\\w$-]*";
const PATH_PATTERN = new RegExp(
  `^(${NAME})(?:\\[\\s*(${NAME})\\s+eq\\s+"((?:[^"\\\\]|\\\\.)*)"\\s*\\])?(?:\\.(${NAME}))?$`,
  "i",
);

/** Splits `urn:...:User:attr.sub` at the last colon outside a filter (attribute names have no colon). */
function splitSchema(path: string): { schema: string | undefined; rest: string } {
  if (!path.toLowerCase().startsWith("urn:")) return { schema: undefined, rest: path };
  let depth = 0;
  let inString = false;
  let split = -1;
  for (let i = 0; i < path.length; i++) {
    const c = path[i];
    if (inString) {
      if (c === "\\") i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === "[") depth++;
    else if (c === "]") depth--;
    else if (c === ":" && depth === 0) split = i;
  }
  const schema = path.slice(0, split);
  const rest = path.slice(split + 1);
  return { schema: schema.toLowerCase() === CORE_USER_SCHEMA.toLowerCase() ? undefined : schema, rest };
}

export function parseAttributePath(path: string): AttributePath {
  const { schema, rest } = splitSchema(path);
  if (schema !== undefined && !/^urn:[^:]+(:[^:]+)+$/i.test(schema)) throw new AttributePathError(path, "malformed schema URN");
  const match = PATH_PATTERN.exec(rest);
  if (!match) {
    throw new AttributePathError(path, 'expected attr, attr.sub or attr[type eq "value"].sub');
  }
  const [, name, filterAttr, rawValue, sub] = match as unknown as [string, string, string | undefined, string | undefined, string | undefined];
  if (filterAttr !== undefined) {
    if (sub === undefined) throw new AttributePathError(path, "a filtered path must name a sub-attribute, e.g. .value");
    return { kind: "multi", schema, name, filterAttr, filterValue: (rawValue ?? "").replace(/\\(.)/g, "$1"), sub };
  }
  if (sub !== undefined) return { kind: "complex", schema, name, sub };
  return { kind: "simple", schema, name };
}
