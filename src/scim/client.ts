/**
 * Command's SCIM API over undici: the ScimTarget the applier drives, plus list helpers for
 * `import`. Every request goes through `send`, the one place where pacing and retries happen.
 */
import { type Dispatcher, Pool } from "undici";
import type { RemoteGroup, RemoteUser, ScimTarget } from "../apply/ports.js";
import type { RetryConfig } from "../config/types.js";
import { type NetworkError, ProtocolError, RemoteError } from "../errors.js";
import { type ClockOptions, clockFrom, type WaitListener } from "../http/clock.js";
import { CommandPacer } from "../http/pacer.js";
import { serverWait } from "../http/rate-limit-headers.js";
import { type AttemptResult, withRetries } from "../http/retry.js";
import { COMMAND_429_COOLDOWN_MS, type Failure, NO_RETRY } from "../http/retry-policy.js";
import { notifyResponse, type ResponseListener } from "../metrics/http-event.js";
import type { UserAttributes } from "../model.js";
import { filterLiteral, parseAttributePath } from "./attribute-path.js";
import { describeErrorBody, errorCode, networkError, redact, remoteError } from "./failures.js";
import { paginate } from "./paging.js";
import { addMembersBody, fromScimGroup, groupCreateBody, groupRenameBody, removeMembersBody } from "./group-resource.js";
import { activePatchBody, type PatchBody, patchBody, userPatchOperations } from "./user-patch.js";
import { fromScimUser, toScimUser } from "./user-resource.js";

export interface ScimClientOptions {
  /** Base URL of the SCIM API, e.g. `https://api.command.verkada.com/scim`. */
  baseUrl: string;
  token: string;
  /** Deadline for a whole request, response body included (ms). Default 30 000. */
  timeoutMs?: number;
  /** Deadline for opening a connection (ms). Default 10 000. */
  connectTimeoutMs?: number;
  /** Keep-alive connections to Command; match the request concurrency. Default 4. */
  connections?: number;
  userAgent?: string;
  /** The attribute paths the tool maps, in mapping order: read back from Command and used to order entries. */
  attributePaths?: readonly string[];
  /** How `updateUser` sends a change. Default `put`. */
  updateMethod?: "put" | "patch";
  /** Largest response body read (bytes). Default 10 MiB. */
  maxBodyBytes?: number;
  /**
   * Retries of 429s, 5xx, resets and timeouts (the engine passes `config.retry`). Default: one
   * attempt, no retries. 401 and 403 are never retried.
   */
  retry?: RetryConfig;
  /** Pacing: at most this many requests in any 60 s, retries included (`command.requestsPerMinute`). Default 0: off. */
  requestsPerMinute?: number;
  /** Pacing shared with other clients of the same run; wins over `requestsPerMinute`. */
  pacer?: CommandPacer;
  /** Told about waits of a second or more: pacing, a 429 cooldown, the backoff before a retry. */
  onWait?: WaitListener;
  /** Told about every attempt once its status is known (0: no answer), for metrics. */
  onResponse?: ResponseListener;
  /** Cuts waits short when the run is stopping; a request already sent is left to finish or time out. */
  signal?: AbortSignal;
  /** Clock and randomness (tests): epoch ms, a sleep, and a uniform [0, 1) source for jitter. */
  now?: ClockOptions["now"];
  sleep?: ClockOptions["sleep"];
  random?: ClockOptions["random"];
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

type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

interface SendInit {
  body?: unknown;
  query?: Record<string, string | number>;
  /** Whether the response body is needed (and must be JSON). */
  read?: boolean;
}

const SCIM_JSON = "application/scim+json";
const ERROR_BODY_BYTES = 64 * 1024;

class BodyTooLarge extends Error {}

async function readText(body: Dispatcher.ResponseData["body"], limit: number, truncate: boolean): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    if (size + chunk.length > limit) {
      if (!truncate) throw new BodyTooLarge();
      chunks.push(chunk.subarray(0, limit - size));
      break;
    }
    size += chunk.length;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}

function header(headers: Dispatcher.ResponseData["headers"], name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function resourceId(json: unknown): string | undefined {
  if (!isObject(json)) return undefined;
  if (typeof json.id === "string" && json.id !== "") return json.id;
  if (typeof json.id === "number" && Number.isFinite(json.id)) return String(json.id);
  return undefined;
}

function isTimeout(error: unknown): boolean {
  const code = errorCode(error);
  return (error instanceof Error && error.name === "TimeoutError") || code === "UND_ERR_HEADERS_TIMEOUT" || code === "UND_ERR_BODY_TIMEOUT";
}

/** A server that does not do filters: 400 invalidFilter (or a bare 400 to a filtered GET), or 501. */
export function isFilterRefusal(error: unknown): boolean {
  return error instanceof RemoteError && ((error.status === 400 && (error.code === "invalidFilter" || error.code === undefined)) || error.status === 501);
}

export function createScimClient(options: ScimClientOptions): ScimClient {
  const base = new URL(options.baseUrl);
  if (base.protocol !== "https:" && base.protocol !== "http:") throw new TypeError("the SCIM base URL must be http(s)");
  const basePath = base.pathname.replace(/\/+$/, "");
  const timeoutMs = options.timeoutMs ?? 30_000;
  const connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
  const maxBodyBytes = options.maxBodyBytes ?? 10 * 1024 * 1024;
  const updateMethod = options.updateMethod ?? "put";
  const paths = options.attributePaths;
  // A path the builders cannot place fails here, at start-up, rather than on the first user.
  for (const path of paths ?? []) parseAttributePath(path);
  const resourceOptions = paths === undefined ? undefined : { pathOrder: paths };
  const secrets = [options.token];
  const pool = new Pool(base.origin, {
    connections: Math.max(1, options.connections ?? 4),
    connect: { timeout: connectTimeoutMs },
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
    keepAliveTimeout: 10_000,
  });
  const headers = {
    authorization: `Bearer ${options.token}`,
    "content-type": SCIM_JSON,
    accept: `${SCIM_JSON}, application/json`,
    "user-agent": options.userAgent ?? "okta-command-sync",
  };
  let filterRefused = false;
  const clock = clockFrom(options);
  const retry = options.retry ?? NO_RETRY;
  const pacer = options.pacer ?? new CommandPacer({ requestsPerMinute: options.requestsPerMinute ?? 0, clock, onWait: options.onWait });

  /**
   * The single choke point for every request to Command: paced, and retried by the shared
   * policy. POST is retried too: a create that succeeded but whose answer was lost comes back
   * as a 409 on the retry, which the applier answers by looking the user up and adopting it.
   */
  async function send(method: Method, path: string, init: SendInit = {}): Promise<unknown> {
    const shownPath = `${basePath}${path}`;
    return withRetries(
      async () => {
        await pacer.acquire(options.signal);
        return sendOnce(method, shownPath, init);
      },
      {
        config: retry,
        clock,
        side: "command",
        what: `${method} ${shownPath}`,
        cooldownAfter429Ms: COMMAND_429_COOLDOWN_MS,
        onWait: options.onWait,
        signal: options.signal,
        // A 429 is about the whole organization: every request of the run waits it out.
        beforeWait: (step, failure) => {
          if (failure.kind === "status" && failure.status === 429) pacer.holdUntil(clock.now() + step.floorMs);
        },
      },
    );
  }

  function transportFailure(error: NetworkError, cause: unknown, timedOut: boolean): AttemptResult<never> {
    const failure: Failure = { kind: "network", code: timedOut ? "timeout" : errorCode(cause) };
    return { ok: false, error, failure };
  }

  async function sendOnce(method: Method, shownPath: string, init: SendInit): Promise<AttemptResult<unknown>> {
    const query = init.query
      ? `?${Object.entries(init.query)
          .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`)
          .join("&")}`
      : "";
    const signal = AbortSignal.timeout(timeoutMs);
    const failure = (error: unknown) =>
      transportFailure(
        networkError(error, { method, path: shownPath, host: base.host, timeoutMs, connectTimeoutMs, timedOut: signal.aborted, secrets }),
        error,
        signal.aborted || isTimeout(error),
      );

    let response: Dispatcher.ResponseData;
    const started = performance.now();
    const reportStatus = (status: number) =>
      notifyResponse(options.onResponse, { side: "command", method, status, durationMs: performance.now() - started });
    try {
      response = await pool.request({
        method,
        path: `${shownPath}${query}`,
        headers,
        body: init.body === undefined ? undefined : JSON.stringify(init.body),
        signal,
      });
    } catch (error) {
      reportStatus(0);
      return failure(error);
    }
    reportStatus(response.statusCode);

    const { statusCode, body } = response;
    const contentType = header(response.headers, "content-type");
    if (statusCode < 200 || statusCode > 299) {
      let text = "";
      try {
        text = await readText(body, ERROR_BODY_BYTES, true);
      } catch {
        // A broken error body still leaves the status to report.
      }
      const location = header(response.headers, "location");
      if (statusCode >= 300 && statusCode < 400 && location) text = `redirected to ${location}`;
      const error = remoteError({
        method,
        path: shownPath,
        status: statusCode,
        body: text,
        contentType,
        retryAfter: header(response.headers, "retry-after"),
        secrets,
      });
      return { ok: false, error, failure: { kind: "status", status: statusCode, serverWait: serverWait(response.headers, statusCode, clock.now()) } };
    }
    if (!init.read) {
      // The change is confirmed by the status; the body only needs draining for keep-alive.
      await body.dump().catch(() => undefined);
      return { ok: true, value: undefined };
    }
    let text: string;
    try {
      text = await readText(body, maxBodyBytes, false);
    } catch (error) {
      if (error instanceof BodyTooLarge) {
        throw new ProtocolError(`Command answered ${method} ${shownPath} with a body too large to read (larger than ${maxBodyBytes} bytes)`);
      }
      return failure(error);
    }
    try {
      return { ok: true, value: JSON.parse(text) as unknown };
    } catch {
      // The parser's own message quotes the body; the summary below is the safe part of it.
      const { detail } = describeErrorBody(text, contentType);
      const what = text.trim() === "" ? "an empty body" : `a body that is not JSON${detail ? ` (${redact(detail, secrets)})` : ""}`;
      throw new ProtocolError(`Command answered ${method} ${shownPath} with ${what}`);
    }
  }

  async function create(path: string, body: unknown, what: string): Promise<{ id: string }> {
    const json = await send("POST", path, { body, read: true });
    const id = resourceId(json);
    if (id === undefined) throw new ProtocolError(`Command answered POST ${basePath}${path} without the new ${what}'s id`);
    return { id };
  }

  async function patch(path: string, body: PatchBody): Promise<void> {
    if (body.Operations.length === 0) return;
    await send("PATCH", path, { body });
  }

  async function getOne<T>(path: string, read: (json: unknown) => T): Promise<T | undefined> {
    try {
      return read(await send("GET", path, { read: true }));
    } catch (error) {
      if (error instanceof RemoteError && error.status === 404) return undefined;
      throw error;
    }
  }

  async function page(path: string, query: Record<string, string | number>): Promise<{ resources: unknown[]; total: number | undefined }> {
    const json = await send("GET", path, { query, read: true });
    if (!isObject(json)) throw new ProtocolError(`Command answered GET ${basePath}${path} with something other than a ListResponse`);
    const resources = json.Resources ?? json.resources ?? [];
    if (!Array.isArray(resources)) throw new ProtocolError(`Command answered GET ${basePath}${path} with a ListResponse whose Resources is not a list`);
    const total = typeof json.totalResults === "number" ? json.totalResults : Number.parseInt(String(json.totalResults), 10);
    return { resources, total: Number.isFinite(total) ? total : undefined };
  }

  function list<T extends { id: string }>(path: string, read: (json: unknown) => T, opts: ListOptions = {}): AsyncGenerator<T> {
    const filter: Record<string, string> = opts.filter === undefined ? {} : { filter: opts.filter };
    return paginate((startIndex, count) => page(path, { ...filter, startIndex, count }), read, {
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

  const client: ScimClient = {
    async createUser(externalId: string, attributes: UserAttributes, active: boolean) {
      return create("/Users", toScimUser(externalId, attributes, active, resourceOptions), "User");
    },

    async updateUser(id, externalId, change) {
      const path = `/Users/${encodeURIComponent(id)}`;
      if (updateMethod === "patch") {
        await patch(path, patchBody(userPatchOperations(change.before, change.after, change.attributes, resourceOptions)));
        return;
      }
      const body = { ...toScimUser(externalId, change.attributes, change.active, resourceOptions) };
      await send("PUT", path, { body: { schemas: body.schemas, id, ...body } });
    },

    async setUserActive(id, active) {
      await patch(`/Users/${encodeURIComponent(id)}`, activePatchBody(active));
    },

    async findUserByUserName(userName) {
      if (!filterRefused) {
        try {
          const { resources, total } = await page("/Users", {
            filter: `userName eq ${filterLiteral(userName)}`,
            startIndex: 1,
            count: 100,
          });
          const users = resources.map(readUser);
          const found = pickUser(users, userName);
          const lower = userName.toLowerCase();
          const filterIgnored = users.some((u) => u.userName.toLowerCase() !== lower);
          // A server that ignored the filter sent some page of all users: only a full scan is sure.
          const more = total === undefined ? users.length >= 100 : total > users.length;
          if (found || !filterIgnored || !more) return found;
        } catch (error) {
          if (!isFilterRefusal(error)) throw error;
          filterRefused = true;
        }
      }
      return scanForUser(userName);
    },

    async createGroup(externalId, displayName, memberIds) {
      return create("/Groups", groupCreateBody(externalId, displayName, memberIds), "Group");
    },

    async renameGroup(id, displayName) {
      await patch(`/Groups/${encodeURIComponent(id)}`, groupRenameBody(id, displayName));
    },

    async addMembers(id, userIds) {
      if (userIds.length === 0) return;
      await patch(`/Groups/${encodeURIComponent(id)}`, addMembersBody(userIds));
    },

    async removeMembers(id, userIds) {
      if (userIds.length === 0) return;
      await patch(`/Groups/${encodeURIComponent(id)}`, removeMembersBody(userIds));
    },

    async deleteGroup(id) {
      await send("DELETE", `/Groups/${encodeURIComponent(id)}`);
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

    getServiceProviderConfig() {
      return getOne("/ServiceProviderConfig", (json) => {
        if (!isObject(json)) throw new ProtocolError(`Command answered GET ${basePath}/ServiceProviderConfig with something other than an object`);
        return json;
      });
    },

    async close() {
      await pool.close();
    },
  };
  return client;
}
