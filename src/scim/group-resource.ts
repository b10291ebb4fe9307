/** SCIM Group bodies, shaped as Okta's own SCIM client sends them, and the reader. Pure. */
import { CORE_GROUP_SCHEMA, type RemoteGroup } from "../model.js";
import { ProtocolError } from "../errors.js";
import { filterLiteral } from "./attribute-path.js";
import { type PatchBody, patchBody } from "./user-patch.js";
import type { JsonObject } from "./user-resource.js";

/**
 * POST /Groups. Okta creates a group empty and adds members with PATCH; the tool may send the
 * first members inline (SCIM ids of users), which saves the first PATCH of a new group.
 */
export function groupCreateBody(externalId: string, displayName: string, memberIds: readonly string[] = []): JsonObject {
  return { schemas: [CORE_GROUP_SCHEMA], displayName, externalId, members: memberIds.map((value) => ({ value })) };
}

/** PATCH /Groups/{id} rename: Okta sends a path-less replace carrying `id` and `displayName`. */
export function groupRenameBody(id: string, displayName: string): PatchBody {
  return patchBody([{ op: "replace", value: { id, displayName } }]);
}

export function addMembersBody(userIds: readonly string[]): PatchBody {
  return patchBody([{ op: "add", path: "members", value: userIds.map((value) => ({ value })) }]);
}

/** One `remove` per member, all in the same request. */
export function removeMembersBody(userIds: readonly string[]): PatchBody {
  return patchBody(userIds.map((id) => ({ op: "remove", path: `members[value eq ${filterLiteral(id)}]` })));
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function asId(value: unknown): string | undefined {
  if (typeof value === "string" && value !== "") return value;
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  return undefined;
}

export function fromScimGroup(resource: unknown): RemoteGroup {
  if (!isObject(resource)) throw new ProtocolError("Command returned a Group that is not a JSON object");
  const id = asId(resource.id);
  if (id === undefined) throw new ProtocolError("Command returned a Group without an id");
  if (typeof resource.displayName !== "string") throw new ProtocolError(`Command returned Group ${id} without a displayName`);
  const members = Array.isArray(resource.members) ? resource.members : [];
  const memberIds = members.flatMap((m) => {
    const value = isObject(m) ? asId(m.value) : undefined;
    return value === undefined ? [] : [value];
  });
  return { id, displayName: resource.displayName, externalId: asId(resource.externalId), memberIds };
}
