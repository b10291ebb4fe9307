/**
 * Reads and writes of SCIM resources over the transport, each believed only when its answer
 * proves it (see confirm.ts): the building blocks of the users, groups and lookups pieces.
 */
import { errorMessage, GoneError, ProtocolError, RemoteError, type SyncError } from "../errors.js";
import { confirmWrite, type Expectation, idOf, readObject } from "./confirm.js";
import { ScimRemoteError } from "./failures.js";
import { paginate } from "./paging.js";
import type { Answer, Method, Transport } from "./transport.js";

export interface ListOptions {
  /** `count` per page. Default 100. */
  pageSize?: number;
  /** A SCIM filter expression. */
  filter?: string;
}

/** One page of a list: the resources as sent, and `totalResults` when it was stated. */
export interface Page {
  resources: unknown[];
  total: number | undefined;
}

export interface ResourceIo {
  readonly basePath: string;
  /** A write to one resource, confirmed by its answer; a 404 is "gone" only when Command says so in SCIM. */
  writeTo(noun: "User" | "Group", id: string, method: Method, body: unknown, active?: boolean): Promise<void>;
  /** POST a new resource; its id once the answer proves it was created as asked. */
  create(path: string, body: unknown, expect: Expectation): Promise<{ id: string }>;
  /** GET a JSON object. */
  read(path: string, query?: Record<string, string | number>): Promise<Record<string, unknown>>;
  /** GET one resource; undefined when Command says in SCIM that there is no such resource. */
  getOne<T>(path: string, parse: (json: unknown) => T): Promise<T | undefined>;
  page(path: string, query: Record<string, string | number>): Promise<Page>;
  /** Every resource of a list, page by page (startIndex/count), each once. */
  list<T extends { id: string }>(path: string, parse: (json: unknown) => T, options?: ListOptions): AsyncGenerator<T>;
}

/** A server that does not do filters: 400 invalidFilter (or a bare 400 to a filtered GET), or 501. */
export function isFilterRefusal(error: unknown): boolean {
  return error instanceof RemoteError && ((error.status === 400 && (error.code === "invalidFilter" || error.code === undefined)) || error.status === 501);
}

export function resourceIo(transport: Transport): ResourceIo {
  const { basePath } = transport;

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

  const io: ResourceIo = {
    basePath,

    // Any 404 that is not Command's own SCIM answer (a proxy, a wrong path) fails the write, so it
    // is tried again rather than taken as done.
    async writeTo(noun, id, method, body, active) {
      const path = `/${noun}s/${encodeURIComponent(id)}`;
      let answer: Answer;
      try {
        answer = await transport.send(method, path, body === undefined ? {} : { body });
      } catch (error) {
        if (error instanceof RemoteError && error.status === 404) throw await confirmGone(noun, path, method, error);
        throw error;
      }
      confirmWrite(method, `${basePath}${path}`, answer, { kind: "resource", noun, id, ...(active === undefined ? {} : { active }) });
    },

    async create(path, body, expect) {
      const answer = await transport.send("POST", path, { body });
      const json = confirmWrite("POST", `${basePath}${path}`, answer, expect);
      return { id: idOf(json)! };
    },

    async read(path, query) {
      const answer = await transport.send("GET", path, query === undefined ? {} : { query });
      return readObject("GET", `${basePath}${path}`, answer, "a SCIM resource");
    },

    async getOne(path, parse) {
      try {
        return parse(await io.read(path));
      } catch (error) {
        if (error instanceof ScimRemoteError && error.status === 404 && error.scim) return undefined;
        throw error;
      }
    },

    async page(path, query) {
      const json = await io.read(path, query);
      const resources = json.Resources ?? json.resources;
      const total = typeof json.totalResults === "number" ? json.totalResults : Number.parseInt(String(json.totalResults), 10);
      // A list is believed only when it says what it holds: an object with neither is not a ListResponse.
      if (resources === undefined && !Number.isFinite(total)) {
        throw new ProtocolError(`Command answered GET ${basePath}${path} with something other than a ListResponse; check command.scimUrl`);
      }
      if (resources !== undefined && !Array.isArray(resources)) throw new ProtocolError(`Command answered GET ${basePath}${path} with a ListResponse whose Resources is not a list`);
      return { resources: resources ?? [], total: Number.isFinite(total) ? total : undefined };
    },

    list(path, parse, options = {}) {
      const filter: Record<string, string> = options.filter === undefined ? {} : { filter: options.filter };
      return paginate((startIndex, count) => io.page(path, { ...filter, startIndex, count }), parse, {
        pageSize: options.pageSize ?? 100,
        what: `GET ${basePath}${path}`,
      });
    },
  };
  return io;
}
