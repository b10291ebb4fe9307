/**
 * SCIM PATCH bodies for users: activation, and the attribute changes of an update when
 * `command.updateMethod` is `patch`. Pure.
 */
import { PATCH_OP_SCHEMA, type UserAttributes } from "../model.js";
import { type AttributePath, attributeKey, entryKey, entryPath, parseAttributePath, schemaPrefix } from "./attribute-path.js";
import { collectEntries, entryObject, type JsonObject, type MultiPath, parsedEntries, type UserResourceOptions } from "./user-resource.js";

export interface PatchOperation {
  op: "add" | "replace" | "remove";
  path?: string;
  value?: unknown;
}

export interface PatchBody {
  schemas: [typeof PATCH_OP_SCHEMA];
  Operations: PatchOperation[];
}

export function patchBody(operations: PatchOperation[]): PatchBody {
  return { schemas: [PATCH_OP_SCHEMA], Operations: operations };
}

/** `{"op":"replace","value":{"active":false}}`, as Okta deactivates and reactivates. */
export function activePatchBody(active: boolean): PatchBody {
  return patchBody([{ op: "replace", value: { active } }]);
}

function withoutKeys(attributes: UserAttributes, keys: Iterable<string>): Record<string, string> {
  const out: Record<string, string> = { ...attributes };
  for (const key of keys) delete out[key];
  return out;
}

function nonEmpty(attributes: UserAttributes): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(attributes)) if (value !== undefined && value !== "") out[key] = value;
  return out;
}

function entrySubs(attributes: UserAttributes, key: string): Record<string, string> {
  const subs: Record<string, string> = {};
  for (const [path, parsed, value] of parsedEntries(attributes)) {
    if (parsed.kind === "multi" && entryKey(parsed) === key) subs[path] = value;
  }
  return subs;
}

/** Every mapped sub-attribute of a single-valued complex attribute, as its replace value. */
function complexValue(attributes: UserAttributes, path: AttributePath): JsonObject {
  const value: JsonObject = {};
  for (const [, parsed, v] of parsedEntries(attributes)) {
    if (parsed.kind === "complex" && attributeKey(parsed) === attributeKey(path)) value[parsed.sub] = v;
  }
  return value;
}

function primaryPath(entry: MultiPath): string {
  return `${entryPath(entry)}.primary`;
}

/**
 * The PATCH operations that turn the user's attributes from `before` into `after` (only the keys
 * that change; a key of `before` missing from `after` is removed):
 * - simple attributes: `replace` / `remove` by path (`title`, `urn:...:User:department`);
 * - sub-attributes of a complex attribute (`name.givenName`, `urn:...:User:manager.value`):
 *   `remove` by path, and one `replace` of the complex attribute carrying all its mapped
 *   sub-attributes, so servers that merge and servers that overwrite (SCIMMY) end up with what a
 *   PUT would give;
 * - entries of multi-valued attributes: `replace` / `remove` by filter path
 *   (`emails[type eq "work"].value`) when the entry exists; a new entry is an `add` of the whole
 *   entry (a `replace` on a filter that matches nothing fails with noTarget, RFC 7644 3.5.2.3);
 *   an entry that loses its last value is removed whole; the primary flag stays on the first.
 * `attributes` is the full desired map: without it, only `before` tells which entries exist.
 */
export function userPatchOperations(
  before: UserAttributes,
  after: UserAttributes,
  attributes?: UserAttributes,
  options?: UserResourceOptions,
): PatchOperation[] {
  const beforeSet = nonEmpty(before);
  const afterSet = nonEmpty(after);
  const changedKeys = new Set([...Object.keys(beforeSet), ...Object.keys(after)]);
  const prior = { ...withoutKeys(attributes ?? {}, changedKeys), ...beforeSet };
  const next = attributes
    ? { ...withoutKeys(nonEmpty(attributes), changedKeys), ...afterSet }
    : { ...withoutKeys(prior, changedKeys), ...afterSet };

  const removes: PatchOperation[] = [];
  const sets: PatchOperation[] = [];
  const handledEntries = new Set<string>();
  const handledComplex = new Set<string>();
  const addedEntries = new Set<string>();

  for (const key of [...changedKeys].sort()) {
    if (beforeSet[key] === afterSet[key]) continue;
    const path = parseAttributePath(key);
    if (path.kind === "simple") {
      if (afterSet[key] === undefined) removes.push({ op: "remove", path: key });
      else sets.push({ op: "replace", path: key, value: afterSet[key] });
      continue;
    }
    if (path.kind === "complex") {
      if (afterSet[key] === undefined) removes.push({ op: "remove", path: key });
      else if (!handledComplex.has(attributeKey(path))) {
        handledComplex.add(attributeKey(path));
        sets.push({ op: "replace", path: `${schemaPrefix(path)}${path.name}`, value: complexValue(next, path) });
      }
      continue;
    }
    const entry = entryKey(path);
    const priorSubs = entrySubs(prior, entry);
    const nextSubs = entrySubs(next, entry);
    const existedBefore = Object.keys(priorSubs).length > 0;
    const existsAfter = Object.keys(nextSubs).length > 0;
    if (existedBefore && existsAfter) {
      if (afterSet[key] === undefined) removes.push({ op: "remove", path: key });
      else sets.push({ op: "replace", path: key, value: afterSet[key] });
    } else if (!handledEntries.has(entry)) {
      handledEntries.add(entry);
      if (existedBefore) removes.push({ op: "remove", path: entryPath(path) });
      else if (existsAfter) {
        addedEntries.add(entry);
        const entries = collectEntries(next, options).get(attributeKey(path)) ?? [];
        const mine = entries.find((e) => entryKey(e.path) === entry);
        if (mine) sets.push({ op: "add", path: `${schemaPrefix(path)}${path.name}`, value: [entryObject(mine, entries[0] === mine)] });
      }
    }
  }

  // Keep exactly one primary entry, the first one, as a PUT of the same attributes would.
  const primaries: PatchOperation[] = [];
  const priorEntries = collectEntries(prior, options);
  const nextEntries = collectEntries(next, options);
  for (const [attribute, entries] of nextEntries) {
    const nextFirst = entries[0];
    const priorList = priorEntries.get(attribute) ?? [];
    const priorFirst = priorList[0];
    if (!nextFirst || (priorFirst && entryKey(priorFirst.path) === entryKey(nextFirst.path))) continue;
    if (priorFirst && entries.some((e) => entryKey(e.path) === entryKey(priorFirst.path))) {
      primaries.push({ op: "replace", path: primaryPath(priorFirst.path), value: false });
    }
    if (!addedEntries.has(entryKey(nextFirst.path))) {
      primaries.push({ op: "replace", path: primaryPath(nextFirst.path), value: true });
    }
  }
  return [...removes, ...sets, ...primaries];
}

export function userPatchBody(
  before: UserAttributes,
  after: UserAttributes,
  attributes?: UserAttributes,
  options?: UserResourceOptions,
): PatchBody {
  return patchBody(userPatchOperations(before, after, attributes, options));
}
