/** Command's Groups: creates with their first members, renames, membership PATCHes, deletes, reads. */
import type { RemoteGroup } from "../model.js";
import { addMembersBody, fromScimGroup, groupCreateBody, groupRenameBody, removeMembersBody } from "./group-resource.js";
import type { ListOptions, ResourceIo } from "./resource-io.js";

export interface ScimGroups {
  createGroup(externalId: string, displayName: string, memberIds?: readonly string[]): Promise<{ id: string }>;
  renameGroup(id: string, displayName: string): Promise<void>;
  addMembers(id: string, userIds: readonly string[]): Promise<void>;
  removeMembers(id: string, userIds: readonly string[]): Promise<void>;
  deleteGroup(id: string): Promise<void>;
  /** Every Group, page by page (startIndex/count); each group once. */
  listGroups(options?: ListOptions): AsyncGenerator<RemoteGroup>;
  /** GET /Groups/{id} with its members; undefined on 404. */
  getGroup(id: string): Promise<RemoteGroup | undefined>;
}

export function scimGroups(io: ResourceIo): ScimGroups {
  return {
    async createGroup(externalId, displayName, memberIds) {
      return io.create("/Groups", groupCreateBody(externalId, displayName, memberIds), { kind: "created-group", displayName, externalId });
    },

    async renameGroup(id, displayName) {
      await io.writeTo("Group", id, "PATCH", groupRenameBody(id, displayName));
    },

    async addMembers(id, userIds) {
      if (userIds.length === 0) return;
      await io.writeTo("Group", id, "PATCH", addMembersBody(userIds));
    },

    async removeMembers(id, userIds) {
      if (userIds.length === 0) return;
      await io.writeTo("Group", id, "PATCH", removeMembersBody(userIds));
    },

    async deleteGroup(id) {
      await io.writeTo("Group", id, "DELETE", undefined);
    },

    listGroups(options) {
      return io.list("/Groups", fromScimGroup, options);
    },

    getGroup(id) {
      return io.getOne(`/Groups/${encodeURIComponent(id)}`, fromScimGroup);
    },
  };
}
