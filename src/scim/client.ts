/**
 * Command's SCIM API: the ScimTarget the applier drives, plus list helpers for `import`. Requests
 * go through the transport (pacing, retries, deadlines); every write is believed only when its
 * answer confirms it (see confirm.ts).
 */
import type { RemoteGroup, RemoteUser, ScimTarget } from "../apply/ports.js";
import { errorMessage, GoneError, ProtocolError, RemoteError, type SyncError } from "../errors.js";
import type { UserAttributes } from "../model.js";
import { filterLiteral, parseAttributePath } from "./attribute-path.js";
import { confirmWrite, type Expectation, idOf, readObject } from "./confirm.js";
import { ScimRemoteError } from "./failures.js";
import { addMembersBody, fromScimGroup, groupCreateBody, groupRenameBody, removeMembersBody } from "./group-resource.js";
import { paginate } from "./paging.js";
import { type Answer, createTransport, type Method, type TransportOptions } from "./transport.js";
import { activePatchBody, patchBody, userPatchOperations } from "./user-patch.js";
import { fromScimUser, toScimUser } from "./user-resource.js";

export interface ScimClientOptions extends TransportOptions {
  /** The attribute paths the tool maps, in mapping order: read back from Command and used to order entries. */
  attributePaths?: readonly string[];
  /** How `updateUser` sends a change. Default `put`. */
  updateMethod?: "put" | "patch";
}

export interface ListOptions {
  /** `count` per page. Default 100. */
  pageSize?: number;
  /** A SCIM filter expression. */
  filter?: string;
}

export interface ScimClient extends ScimTarget {
  /** Every User, page by page (startIndex/count); each user once. */
  listUsers(options?: ListOptions): AsyncGenerator<RemoteUser>;
  /** Every Group, page by page (startIndex/count); each group once. */
  listGroups(options?: ListOptions): AsyncGenerator<RemoteGroup>;
  /** GET /Users/{id}; undefined on 404. */
  getUser(id: string): Promise<RemoteUser | undefined>;
  /** GET /Groups/{id}; undefined on 404. */
  getGroup(id: string): Promise<RemoteGroup | undefined>;
  /** GET /ServiceProviderConfig (RFC 7644 section 5) as sent; undefined on 404, when it is not offered. */
  getServiceProviderConfig(): Promise<Record<string, unknown> | undefined>;
  /** Closes the keep-alive connections; requests after this fail. */
  close(): Promise<void>;
}

/** A server that does not do filters: 400 invalidFilter (or a bare 400 to a filtered GET), or 501. */
export function isFilterRefusal(error: unknown): boolean {
  return error instanceof RemoteError && ((error.status === 400 && (error.code === "invalidFilter" || error.code === undefined)) || error.status === 501);
}

export function createScimClient(options: ScimClientOptions): ScimClient {
  const transport = createTransport(options);
  const { basePath } = transport;
  const updateMethod = options.updateMethod ?? "put";
  const paths = options.attributePaths;
  // A path the builders cannot place fails here, at start-up, rather than on the first user.
  for (const path of paths ?? []) parseAttributePath(path);
  const resourceOptions = paths === undefined ? undefined : { pathOrder: paths };
  /** Filters proved unsupported: a plain `userName eq` was refused, so every lookup scans. */
  let filtersOff = false;

  /**
   * A write to one resource, confirmed by its answer. A 404 means "gone" only when Command says
   * so in SCIM, directly or to a GET of the same resource; any other 404 (a proxy, a wrong path)
   * fails the write, so it is tried again rather than taken as done.
   */
  async function writeTo(noun: "User" | "Group", id: string, method: Method, body: unknown, active?: boolean): Promise<void> {
    const path = `/${noun}s/${encodeURIComponent(id)}`;
    let answer: Answer;
    try {
      answer = await transport.send(method, path, body === undefined ? {} : { body });
    } catch (error) {
      if (error instanceof RemoteError && error.status === 404) throw await confirmGone(noun, path, method, error);
      throw error;
    }
    confirmWrite(method, `${basePath}${path}`, answer, { kind: "resource", noun, id, ...(active === undefined ? {} : { active }) });
  }

  async function confirmGone(noun: string, path: string, method: Method, error: RemoteError): Promise<SyncError> {
    const gone = new GoneError({ side: "command", method, url: error.url, detail: error.detail });
    if (error instanceof ScimRemoteError && error.scim) return gone;
    let answer: Answer;
    try {
      answer = await transport.send("GET", path);
    } catch (lookup) {
      if (lookup instanceof ScimRemoteError && lookup.status === 404 && lookup.scim) return gone;
      return new ProtocolError(
        `${error.message}; that is not a SCIM answer, and GET ${basePath}${path} did not confirm the ${noun} is gone (${errorMessage(lookup)}); it is not taken as gone and is tried again next run; check command.scimUrl`,
      );
    }
    const seen = idOf(answer.json);
    return new ProtocolError(
      `${error.message}; that is not a SCIM answer, and GET ${basePath}${path} answered ${answer.status} with ${seen === undefined ? answer.described : `the ${noun} (id ${seen})`}; it is tried again next run; check command.scimUrl and any proxy in between`,
    );
  }

  async function create(path: string, body: unknown, expect: Expectation): Promise<{ id: string }> {
    const answer = await transport.send("POST", path, { body });
    const json = confirmWrite("POST", `${basePath}${path}`, answer, expect);
    return { id: idOf(json)! };
  }

  async function read(path: string, query?: Record<string, string | number>): Promise<Record<string, unknown>> {
    const answer = await transport.send("GET", path, query === undefined ? {} : { query });
    return readObject("GET", `${basePath}${path}`, answer, "a SCIM resource");
  }

  async function getOne<T>(path: string, parse: (json: unknown) => T): Promise<T | undefined> {
    try {
      return parse(await read(path));
    } catch (error) {
      if (error instanceof ScimRemoteError && error.status === 404 && error.scim) return undefined;
      throw error;
    }
  }

  async function page(path: string, query: Record<string, string | number>): Promise<{ resources: unknown[]; total: number | undefined }> {
    const json = await read(path, query);
    const resources = json.Resources ?? json.resources;
    const total = typeof json.totalResults === "number" ? json.totalResults : Number.parseInt(String(json.totalResults), 10);
    // A list is believed only when it says what it holds: an object with neither is not a ListResponse.
    if (resources === undefined && !Number.isFinite(total)) {
      throw new ProtocolError(`Command answered GET ${basePath}${path} with something other than a ListResponse; check command.scimUrl`);
    }
    if (resources !== undefined && !Array.isArray(resources)) throw new ProtocolError(`Command answered GET ${basePath}${path} with a ListResponse whose Resources is not a list`);
    return { resources: resources ?? [], total: Number.isFinite(total) ? total : undefined };
  }

  function list<T extends { id: string }>(path: string, parse: (json: unknown) => T, opts: ListOptions = {}): AsyncGenerator<T> {
    const filter: Record<string, string> = opts.filter === undefined ? {} : { filter: opts.filter };
    return paginate((startIndex, count) => page(path, { ...filter, startIndex, count }), parse, {
      pageSize: opts.pageSize ?? 100,
      what: `GET ${basePath}${path}`,
    });
  }

  const readUser = (json: unknown) => fromScimUser(json, paths);

  function pickUser(users: RemoteUser[], userName: string): RemoteUser | undefined {
    const lower = userName.toLowerCase();
    return users.find((u) => u.userName === userName) ?? users.find((u) => u.userName.toLowerCase() === lower);
  }

  async function scanForUser(userName: string): Promise<RemoteUser | undefined> {
    const lower = userName.toLowerCase();
    let caseInsensitive: RemoteUser | undefined;
    for await (const user of list("/Users", readUser)) {
      if (user.userName === userName) return user;
      if (!caseInsensitive && user.userName.toLowerCase() === lower) caseInsensitive = user;
    }
    return caseInsensitive;
  }

  /** A filtered lookup by userName; undefined when the answer cannot settle it (then a scan does). */
  async function filteredUser(userName: string): Promise<{ settled: boolean; user: RemoteUser | undefined }> {
    let answer: { resources: unknown[]; total: number | undefined };
    try {
      answer = await page("/Users", { filter: `userName eq ${filterLiteral(userName)}`, startIndex: 1, count: 100 });
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

  const client: ScimClient = {
    async createUser(externalId: string, attributes: UserAttributes, active: boolean) {
      const body = toScimUser(externalId, attributes, active, resourceOptions);
      return create("/Users", body, { kind: "created-user", userName: String(body.userName), externalId });
    },

    async updateUser(id, externalId, change) {
      if (updateMethod === "patch") {
        const body = patchBody(userPatchOperations(change.before, change.after, change.attributes, resourceOptions));
        if (body.Operations.length > 0) await writeTo("User", id, "PATCH", body);
        return;
      }
      const body = { ...toScimUser(externalId, change.attributes, change.active, resourceOptions) };
      await writeTo("User", id, "PUT", { schemas: body.schemas, id, ...body }, change.active);
    },

    async setUserActive(id, active) {
      await writeTo("User", id, "PATCH", activePatchBody(active), active);
    },

    async findUserByUserName(userName) {
      if (!filtersOff) {
        const { settled, user } = await filteredUser(userName);
        if (settled) return user;
      }
      return scanForUser(userName);
    },

    async createGroup(externalId, displayName, memberIds) {
      return create("/Groups", groupCreateBody(externalId, displayName, memberIds), { kind: "created-group", displayName, externalId });
    },

    async renameGroup(id, displayName) {
      await writeTo("Group", id, "PATCH", groupRenameBody(id, displayName));
    },

    async addMembers(id, userIds) {
      if (userIds.length === 0) return;
      await writeTo("Group", id, "PATCH", addMembersBody(userIds));
    },

    async removeMembers(id, userIds) {
      if (userIds.length === 0) return;
      await writeTo("Group", id, "PATCH", removeMembersBody(userIds));
    },

    async deleteGroup(id) {
      await writeTo("Group", id, "DELETE", undefined);
    },

    listUsers(opts) {
      return list("/Users", readUser, opts);
    },

    listGroups(opts) {
      return list("/Groups", fromScimGroup, opts);
    },

    getUser(id) {
      return getOne(`/Users/${encodeURIComponent(id)}`, readUser);
    },

    getGroup(id) {
      return getOne(`/Groups/${encodeURIComponent(id)}`, fromScimGroup);
    },

    async getServiceProviderConfig() {
      try {
        return await read("/ServiceProviderConfig");
      } catch (error) {
        // Optional in practice: any 404 says it is not offered here.
        if (error instanceof RemoteError && error.status === 404) return undefined;
        throw error;
      }
    },

    close: () => transport.close(),
  };
  return client;
}
