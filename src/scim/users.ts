/**
 * Command's Users: creates, updates (PUT or PATCH), activation, reads, and the lookup by userName
 * that a server without filters answers by a scan.
 */
import type { RemoteUser, UserAttributes } from "../model.js";
import { filterLiteral } from "./attribute-path.js";
import { isFilterRefusal, type ListOptions, type ResourceIo } from "./resource-io.js";
import { activePatchBody, patchBody, userPatchOperations } from "./user-patch.js";
import { fromScimUser, toScimUser, type UserResourceOptions } from "./user-resource.js";

export interface UserSettings {
  /** The attribute paths the tool maps, in mapping order: read back from Command and used to order entries. */
  attributePaths?: readonly string[] | undefined;
  /** How `updateUser` sends a change. Default `put`. */
  updateMethod?: "put" | "patch" | undefined;
}

export interface ScimUsers {
  createUser(externalId: string, attributes: UserAttributes, active: boolean): Promise<{ id: string }>;
  updateUser(
    id: string,
    externalId: string,
    change: { attributes: UserAttributes; before: UserAttributes; after: UserAttributes; active: boolean },
  ): Promise<void>;
  setUserActive(id: string, active: boolean): Promise<void>;
  /** A filtered GET by userName (exact case first); a scan of every user where filters are refused. */
  findUserByUserName(userName: string): Promise<RemoteUser | undefined>;
  /** Every User, page by page (startIndex/count); each user once. */
  listUsers(options?: ListOptions): AsyncGenerator<RemoteUser>;
  /** GET /Users/{id}; undefined on 404. */
  getUser(id: string): Promise<RemoteUser | undefined>;
}

function pickUser(users: RemoteUser[], userName: string): RemoteUser | undefined {
  const lower = userName.toLowerCase();
  return users.find((u) => u.userName === userName) ?? users.find((u) => u.userName.toLowerCase() === lower);
}

export function scimUsers(io: ResourceIo, settings: UserSettings): ScimUsers {
  const paths = settings.attributePaths;
  const updateMethod = settings.updateMethod ?? "put";
  const resourceOptions: UserResourceOptions | undefined = paths === undefined ? undefined : { pathOrder: paths };
  const readUser = (json: unknown) => fromScimUser(json, paths);
  /** Filters proved unsupported: a plain `userName eq` was refused, so every lookup scans. */
  let filtersOff = false;

  async function scanForUser(userName: string): Promise<RemoteUser | undefined> {
    const lower = userName.toLowerCase();
    let caseInsensitive: RemoteUser | undefined;
    for await (const user of io.list("/Users", readUser)) {
      if (user.userName === userName) return user;
      if (!caseInsensitive && user.userName.toLowerCase() === lower) caseInsensitive = user;
    }
    return caseInsensitive;
  }

  /** A filtered lookup by userName; undefined when the answer cannot settle it (then a scan does). */
  async function filteredUser(userName: string): Promise<{ settled: boolean; user: RemoteUser | undefined }> {
    let answer: Awaited<ReturnType<ResourceIo["page"]>>;
    try {
      answer = await io.page("/Users", { filter: `userName eq ${filterLiteral(userName)}`, startIndex: 1, count: 100 });
    } catch (error) {
      if (!isFilterRefusal(error)) throw error;
      // A refused plain value proves filters are off; one with quotes or backslashes may only be
      // an escape the server cannot read, so it costs a scan for this lookup alone.
      if (!/["\\]/.test(userName)) filtersOff = true;
      return { settled: false, user: undefined };
    }
    const users = answer.resources.map(readUser);
    const found = pickUser(users, userName);
    const lower = userName.toLowerCase();
    const filterIgnored = users.some((u) => u.userName.toLowerCase() !== lower);
    // A server that ignored the filter sent some page of all users: only a full scan is sure.
    const more = answer.total === undefined ? users.length >= 100 : answer.total > users.length;
    return { settled: found !== undefined || !filterIgnored || !more, user: found };
  }

  return {
    async createUser(externalId, attributes, active) {
      const body = toScimUser(externalId, attributes, active, resourceOptions);
      return io.create("/Users", body, { kind: "created-user", userName: String(body.userName), externalId });
    },

    async updateUser(id, externalId, change) {
      if (updateMethod === "patch") {
        const body = patchBody(userPatchOperations(change.before, change.after, change.attributes, resourceOptions));
        if (body.Operations.length > 0) await io.writeTo("User", id, "PATCH", body);
        return;
      }
      const body = { ...toScimUser(externalId, change.attributes, change.active, resourceOptions) };
      await io.writeTo("User", id, "PUT", { schemas: body.schemas, id, ...body }, change.active);
    },

    async setUserActive(id, active) {
      await io.writeTo("User", id, "PATCH", activePatchBody(active), active);
    },

    async findUserByUserName(userName) {
      if (!filtersOff) {
        const { settled, user } = await filteredUser(userName);
        if (settled) return user;
      }
      return scanForUser(userName);
    },

    listUsers(options) {
      return io.list("/Users", readUser, options);
    },

    getUser(id) {
      return io.getOne(`/Users/${encodeURIComponent(id)}`, readUser);
    },
  };
}
