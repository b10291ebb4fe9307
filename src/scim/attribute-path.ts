/**
 * Where a parsed attribute path goes in a SCIM document: filters, schema prefixes and the keys
 * that group entries. The grammar itself is config/attribute-path.ts, the same one the
 * configuration is checked with.
 */
import { type AttributePath, AttributePathError, parseAttributePath } from "../config/attribute-path.js";

export { type AttributePath, AttributePathError, parseAttributePath };

/** A SCIM filter string literal: quotes and backslashes escaped (RFC 7644 3.4.2.2 uses JSON strings). */
export function filterLiteral(value: string): string {
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/** `urn:...:` for extension attributes, nothing for core ones. */
export function schemaPrefix(path: AttributePath): string {
  return path.schema === undefined ? "" : `${path.schema}:`;
}

/** The path of the whole entry a multi-valued path selects: `emails[type eq "work"]`. */
export function entryPath(path: AttributePath & { kind: "multi" }): string {
  return `${schemaPrefix(path)}${path.name}[${path.filterAttr} eq ${filterLiteral(path.filterValue)}]`;
}

/** Identifies the entry of a multi-valued attribute a path selects (filter values compare case-insensitively). */
export function entryKey(path: AttributePath & { kind: "multi" }): string {
  return `${attributeKey(path)}[${path.filterAttr.toLowerCase()}=${path.filterValue.toLowerCase()}]`;
}

/** Identifies the top-level attribute a path writes into. */
export function attributeKey(path: AttributePath): string {
  return `${(path.schema ?? "").toLowerCase()}|${path.name.toLowerCase()}`;
}
