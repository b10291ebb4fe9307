/**
 * An in-memory Verkada Command SCIM 2.0 server on loopback, for tests, the demo and benchmarks.
 * It follows RFC 7643/7644 as Command is used by Okta's SCIM client; where Command's behaviour is
 * not documented, the choice is an option (filters, discovery endpoints, duplicate group names).
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { CORE_GROUP_SCHEMA, CORE_USER_SCHEMA, ENTERPRISE_USER_SCHEMA } from "../model.js";
import { FaultInjector, type FaultHandle, type FaultSpec } from "./verkada-faults.js";
import { GroupStore } from "./verkada-groups.js";
import { VerkadaLimiter } from "./verkada-rate-limit.js";
import { type GroupRecord, type ScimMeta, StoreContext, type UserRecord } from "./verkada-records.js";
import { type Reply, type RouteSettings, route } from "./verkada-routes.js";
import { UserStore } from "./verkada-users.js";
import { errorBody, ScimError } from "./scim-errors.js";
import { errorReply, headersForLog, parseBody, parseJson, type RawBody, readBody, segmentsOf, send } from "./verkada-http.js";
import { isObject } from "./scim-filter.js";

export type { FaultHandle, FaultMatch, FaultSpec } from "./verkada-faults.js";
export type { ScimMeta } from "./verkada-records.js";

export interface VerkadaEmulatorOptions {
  /** The SCIM token clients must send as `Authorization: Bearer <token>`. Default "command-emulator-token". */
  token?: string;
  /** Default "/scim", as Command's base URLs. */
  basePath?: string;
  /** true (default): filters work; false: 400 invalidFilter; "notImplemented": 501; "ignore": filter silently ignored. */
  filters?: boolean | "notImplemented" | "ignore";
  /** Serve /ServiceProviderConfig, /ResourceTypes and /Schemas (default true); false answers 404. */
  discovery?: boolean;
  /** `count` when the client sends none. Default 100. */
  defaultPageSize?: number;
  /** Larger `count`s are capped to this. Default 1000. */
  maxPageSize?: number;
  /** 409 uniqueness on a second group with the same displayName (case-insensitive). Default true. */
  uniqueGroupNames?: boolean;
  /** Member ids that are no user: "reject" (default) answers 400 invalidValue; "ignore" drops them. */
  unknownMembers?: "reject" | "ignore";
  /**
   * Command's rule: a deactivated user's group memberships cannot be changed until the user is
   * reactivated. "reject" (default) answers such a change with a SCIM 400; "allow" takes it.
   */
  inactiveMembers?: "reject" | "allow";
  /** PATCH answers 200 with the resource (default) or 204 without a body. */
  patchResponse?: "resource" | "noContent";
  /** A replace through a value filter matching nothing: "upsert" (default) adds it; "error" is RFC 400 noTarget. */
  patchNoTarget?: "upsert" | "error";
  /** "ignore" emulates Command's known issue: a changed userName does not take effect. Default "apply". */
  userNameChanges?: "apply" | "ignore";
  /**
   * Command's rate limit: requests allowed per sliding 60 s window; over budget answers 429 with
   * Retry-After, then 429 to everything for 5 s, and another 429 for more than 25 requests in
   * the 5 s after that (see VerkadaLimiter). Default off.
   */
  requestsPerMinute?: number;
  /** A per-second limit on top (a gateway's); needs `requestsPerMinute`. Default none. */
  requestsPerSecond?: number;
  /** Send Retry-After with 429s (default true). */
  retryAfterHeader?: boolean;
  /** The clock for rate limiting and meta timestamps (ms since epoch). Default Date.now. */
  now?: () => number;
  /** Delay added before every response. Default 0. */
  latencyMs?: number;
  /** Faults active from the start (see injectFault). */
  faults?: FaultSpec[];
  /** Keep the request log (default true); benchmarks may turn it off. */
  logRequests?: boolean;
}

export interface RequestLogEntry {
  method: string;
  /** Path relative to the SCIM base, e.g. "/Users/abc" (the full path when outside it). */
  path: string;
  query: Record<string, string>;
  /** The response status; 0 when the connection was reset. */
  status: number;
  /** The request body parsed as JSON (the raw text when it is not JSON; undefined when empty). */
  body: unknown;
  /** Request headers, lower-case names, without Authorization. */
  headers: Record<string, string>;
  /** When the request arrived, by the emulator's clock. */
  at: number;
}

export interface EmulatedScimUser {
  schemas: string[];
  id: string;
  userName: string;
  externalId?: string;
  active: boolean;
  meta: ScimMeta;
  [attribute: string]: unknown;
}

export interface EmulatedScimMember {
  value: string;
  display?: string;
  $ref: string;
  type: "User";
}

export interface EmulatedScimGroup {
  schemas: string[];
  id: string;
  displayName: string;
  externalId?: string;
  members: EmulatedScimMember[];
  meta: ScimMeta;
  [attribute: string]: unknown;
}

export interface VerkadaEmulatorStats {
  /** Requests received. */
  requests: number;
  /** 429 answers sent (by the rate limit or an injected fault). */
  rateLimited: number;
  /**
   * Requests by method and templated path relative to the SCIM base, e.g. "POST /Users",
   * "PATCH /Groups/{id}", "GET /ServiceProviderConfig"; a path outside the base is counted as received.
   */
  byEndpoint: Record<string, number>;
}

export interface VerkadaEmulator {
  /** The SCIM base URL, e.g. http://127.0.0.1:PORT/scim. */
  readonly url: string;
  readonly token: string;
  /** Every request since the last resetLog(), in arrival order. */
  readonly requests: RequestLogEntry[];
  users(): EmulatedScimUser[];
  groups(): EmulatedScimGroup[];
  getUser(id: string): EmulatedScimUser | undefined;
  getGroup(id: string): EmulatedScimGroup | undefined;
  /** POST, PUT, PATCH and DELETE requests received since the last resetLog(), whatever their outcome. */
  writeCount(): number;
  /** Counters since the start or the last resetStats()/resetLog(), kept even when `logRequests` is off. A copy. */
  stats(): VerkadaEmulatorStats;
  /** Zeroes the counters of stats(). */
  resetStats(): void;
  /** Clears the request log and zeroes writeCount() and stats(). */
  resetLog(): void;
  /** Adds a user as if it existed before; `schemas` may be left out and `id` chosen. */
  seedUser(resource: Record<string, unknown>): EmulatedScimUser;
  /** Adds a group; `members` as [{value: userId}]. */
  seedGroup(resource: Record<string, unknown>): EmulatedScimGroup;
  /** Changes made by an admin in Command, behind the tool's back. */
  deleteUserDirect(id: string): boolean;
  updateUserDirect(id: string, patch: Record<string, unknown>): EmulatedScimUser;
  deleteGroupDirect(id: string): boolean;
  updateGroupDirect(id: string, patch: { displayName?: string; externalId?: string | null; memberIds?: readonly string[] }): EmulatedScimGroup;
  injectFault(spec: FaultSpec): FaultHandle;
  clearFaults(): void;
  /** Refreshing the token in Command invalidates the old one at once. */
  setToken(token: string): void;
  close(): Promise<void>;
}

const WRITE_METHODS = new Set(["POST", "PUT", "PATCH", "DELETE"]);

const RESOURCE_NAMES: Record<string, string> = {
  users: "Users",
  groups: "Groups",
  serviceproviderconfig: "ServiceProviderConfig",
  resourcetypes: "ResourceTypes",
  schemas: "Schemas",
};

/** "PATCH /Groups/{id}": the method and the path below the SCIM base with its id templated. */
export function scimEndpointOf(method: string, segments: readonly string[] | undefined, pathname: string): string {
  if (segments === undefined) return `${method} ${pathname}`;
  const [type, id, ...rest] = segments;
  if (type === undefined) return `${method} /`;
  let path = `/${RESOURCE_NAMES[type.toLowerCase()] ?? type}`;
  if (id !== undefined) path += "/{id}";
  for (const part of rest) path += `/${part}`;
  return `${method} ${path}`;
}
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function decodedQuery(url: URL): string {
  try {
    return decodeURIComponent(url.search.replace(/\+/g, " "));
  } catch {
    return url.search;
  }
}

export async function startVerkadaEmulator(options: VerkadaEmulatorOptions = {}): Promise<VerkadaEmulator> {
  let token = options.token ?? "command-emulator-token";
  const basePath = `/${(options.basePath ?? "/scim").replace(/^\/+|\/+$/g, "")}`;
  const now = options.now ?? Date.now;
  const logRequests = options.logRequests ?? true;
  const settings: RouteSettings = {
    filters: options.filters ?? true,
    discovery: options.discovery ?? true,
    defaultPageSize: options.defaultPageSize ?? 100,
    maxPageSize: options.maxPageSize ?? 1000,
    patchResponse: options.patchResponse ?? "resource",
  };
  let baseUrl = "";
  const ctx = new StoreContext({
    baseUrl: () => baseUrl,
    now,
    extensions: [ENTERPRISE_USER_SCHEMA],
    uniqueGroupNames: options.uniqueGroupNames ?? true,
    unknownMembers: options.unknownMembers ?? "reject",
    inactiveMembers: options.inactiveMembers ?? "reject",
    patchNoTarget: options.patchNoTarget ?? "upsert",
    userNameChanges: options.userNameChanges ?? "apply",
  });
  const users = new UserStore(ctx);
  const groups = new GroupStore(ctx);
  const limiter =
    options.requestsPerMinute === undefined
      ? undefined
      : new VerkadaLimiter({ requestsPerMinute: options.requestsPerMinute, requestsPerSecond: options.requestsPerSecond }, now);
  const faults = new FaultInjector();
  for (const spec of options.faults ?? []) faults.add(spec);
  const requests: RequestLogEntry[] = [];
  let writes = 0;
  let stats: VerkadaEmulatorStats = { requests: 0, rateLimited: 0, byEndpoint: {} };
  const answered = (status: number) => {
    if (status === 429) stats.rateLimited++;
    return status;
  };

  const answer = (req: IncomingMessage, raw: RawBody, url: URL, segments: string[] | undefined): Reply => {
    try {
      if (segments === undefined) throw new ScimError(404, `no such endpoint ${url.pathname}`);
      const auth = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? "");
      if (auth?.[1] !== token) {
        const reply = errorReply(new ScimError(401, auth === null ? "missing bearer token" : "invalid bearer token"));
        return { ...reply, headers: { "WWW-Authenticate": 'Bearer realm="scim"' } };
      }
      const decision = limiter?.take();
      if (decision !== undefined && !decision.ok) {
        const reply = errorReply(new ScimError(429, "rate limit exceeded", "tooMany"));
        return (options.retryAfterHeader ?? true) ? { ...reply, headers: { "Retry-After": String(decision.retryAfterSeconds) } } : reply;
      }
      const method = req.method ?? "GET";
      const body = method === "POST" || method === "PUT" || method === "PATCH" ? parseBody(raw, req.headers["content-type"]) : undefined;
      const ifMatch = req.headers["if-match"];
      return route({ users, groups, baseUrl, settings }, { method, segments, query: url.searchParams, body, ifMatch });
    } catch (err) {
      if (err instanceof ScimError) return errorReply(err);
      return errorReply(new ScimError(500, err instanceof Error ? err.message : String(err)));
    }
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const method = req.method ?? "GET";
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const segments = segmentsOf(url.pathname, basePath);
    const raw = parseJson(await readBody(req));
    const path = segments === undefined ? url.pathname : `/${segments.map(encodeURIComponent).join("/")}`;
    const entry: RequestLogEntry = logRequests
      ? {
          method,
          path,
          query: Object.fromEntries(url.searchParams),
          status: 0,
          body: raw === undefined ? undefined : raw.ok ? raw.value : raw.text,
          headers: headersForLog(req),
          at: now(),
        }
      : { method, path, query: {}, status: 0, body: undefined, headers: {}, at: 0 };
    if (logRequests) requests.push(entry);
    if (WRITE_METHODS.has(method)) writes++;
    stats.requests++;
    const endpoint = scimEndpointOf(method, segments, url.pathname);
    stats.byEndpoint[endpoint] = (stats.byEndpoint[endpoint] ?? 0) + 1;

    const fault = faults.pick(method, [path, url.pathname], decodedQuery(url));
    if (fault?.stall !== undefined) {
      const status = answered(fault.status ?? 200);
      entry.status = status;
      res.writeHead(status, { "Content-Type": "application/scim+json", ...fault.headers });
      res.write(fault.stall);
      return;
    }
    if (fault?.rewrite !== undefined) {
      const real = answer(req, raw, url, segments);
      const status = answered(fault.status ?? real.status);
      entry.status = status;
      send(res, { ...real, status, body: fault.rewrite(real.body) });
      return;
    }
    // afterApply: the change is made first and the answer is held (or lost) afterwards, as when a
    // client dies or a connection drops after the server committed.
    const appliedFirst = fault?.afterApply === true ? answer(req, raw, url, segments) : undefined;
    if (fault?.delayMs !== undefined) await sleep(fault.delayMs);
    const faultFails = fault !== undefined && (fault.resetConnection === true || fault.status !== undefined || fault.delayMs === undefined);
    if (options.latencyMs !== undefined && options.latencyMs > 0) await sleep(options.latencyMs);
    const reply = appliedFirst ?? (fault !== undefined && faultFails ? undefined : answer(req, raw, url, segments));
    if (fault !== undefined && faultFails) {
      if (fault.resetConnection === true) {
        entry.status = 0;
        req.socket.destroy();
        return;
      }
      const status = answered(fault.status ?? 500);
      entry.status = status;
      const body = fault.body ?? JSON.stringify(errorBody(status, "injected fault"));
      res.writeHead(status, { "Content-Type": "application/scim+json", ...fault.headers });
      res.end(body);
      return;
    }
    entry.status = answered(reply!.status);
    send(res, reply!);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (res.headersSent) return;
      send(res, errorReply(err instanceof ScimError ? err : new ScimError(500, err instanceof Error ? err.message : String(err))));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  baseUrl = `http://127.0.0.1:${port}${basePath}`;

  const userView = (rec: UserRecord) => structuredClone(users.renderUser(rec)) as EmulatedScimUser;
  const groupView = (rec: GroupRecord) => structuredClone(groups.renderGroup(rec)) as EmulatedScimGroup;
  let closing: Promise<void> | undefined;

  return {
    url: baseUrl,
    get token() {
      return token;
    },
    requests,
    users: () => users.all().map(userView),
    groups: () => groups.all().map(groupView),
    getUser: (id) => {
      const rec = users.get(id);
      return rec === undefined ? undefined : userView(rec);
    },
    getGroup: (id) => {
      const rec = groups.get(id);
      return rec === undefined ? undefined : groupView(rec);
    },
    writeCount: () => writes,
    stats: () => ({ ...stats, byEndpoint: { ...stats.byEndpoint } }),
    resetStats: () => {
      stats = { requests: 0, rateLimited: 0, byEndpoint: {} };
    },
    resetLog: () => {
      requests.length = 0;
      writes = 0;
      stats = { requests: 0, rateLimited: 0, byEndpoint: {} };
    },
    seedUser: (resource) => {
      const extensions = isObject(resource[ENTERPRISE_USER_SCHEMA]) ? [ENTERPRISE_USER_SCHEMA] : [];
      const body = resource.schemas === undefined ? { schemas: [CORE_USER_SCHEMA, ...extensions], ...resource } : resource;
      return userView(users.createUser(body, typeof resource.id === "string" ? resource.id : undefined));
    },
    seedGroup: (resource) => {
      const body = resource.schemas === undefined ? { schemas: [CORE_GROUP_SCHEMA], ...resource } : resource;
      return groupView(groups.createGroup(body, typeof resource.id === "string" ? resource.id : undefined));
    },
    deleteUserDirect: (id) => {
      if (users.get(id) === undefined) return false;
      users.deleteUser(id);
      return true;
    },
    updateUserDirect: (id, patch) => userView(users.updateUserDirect(id, patch)),
    deleteGroupDirect: (id) => {
      if (groups.get(id) === undefined) return false;
      groups.deleteGroup(id);
      return true;
    },
    updateGroupDirect: (id, patch) => groupView(groups.updateGroupDirect(id, patch)),
    injectFault: (spec) => faults.add(spec),
    clearFaults: () => faults.clear(),
    setToken: (next) => {
      token = next;
    },
    close: () => {
      closing ??= new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
