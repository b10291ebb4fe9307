/** Maps a SCIM request (already authenticated, body parsed) to a reply from the stores. */
import type { GroupStore } from "./verkada-groups.js";
import { etagOf, type Versioned } from "./verkada-records.js";
import type { UserStore } from "./verkada-users.js";
import { resourceTypes, schemas, serviceProviderConfig } from "./scim-discovery.js";
import { badRequest, notFound, ScimError } from "./scim-errors.js";
import { type Filter, parseAttrPath, parseFilter } from "./scim-filter.js";
import { parsePatchRequest } from "./scim-patch.js";
import { listResponse, project } from "./scim-resources.js";

export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface RouteSettings {
  /** true: filters work; false: 400 invalidFilter; "notImplemented": 501; "ignore": every resource. */
  filters: boolean | "notImplemented" | "ignore";
  discovery: boolean;
  defaultPageSize: number;
  maxPageSize: number;
  patchResponse: "resource" | "noContent";
}

export interface RouteContext {
  users: UserStore;
  groups: GroupStore;
  baseUrl: string;
  settings: RouteSettings;
}

export interface ScimRequest {
  method: string;
  /** Decoded path segments after the base path, e.g. ["Users", "<id>"]. */
  segments: string[];
  query: URLSearchParams;
  body: unknown;
  ifMatch: string | undefined;
}

const methodNotAllowed = (method: string) => new ScimError(405, `${method} is not supported here`);

export function route(ctx: RouteContext, req: ScimRequest): Reply {
  const [type = "", id, ...rest] = req.segments;
  if (rest.length > 0) throw notFound(`no such endpoint /${req.segments.join("/")}`);
  switch (type.toLowerCase()) {
    case "users":
      return id === undefined ? usersCollection(ctx, req) : userResource(ctx, req, id);
    case "groups":
      return id === undefined ? groupsCollection(ctx, req) : groupResource(ctx, req, id);
    case "serviceproviderconfig":
    case "resourcetypes":
    case "schemas":
      return discovery(ctx, req, type.toLowerCase(), id);
    default:
      throw notFound(`no such endpoint /${req.segments.join("/")}`);
  }
}

function usersCollection(ctx: RouteContext, req: ScimRequest): Reply {
  if (req.method === "GET") {
    const found = ctx.users.queryUsers(filterOf(req.query, ctx.settings));
    return page(found, req.query, ctx.settings, (rec) => ctx.users.renderUser(rec));
  }
  if (req.method === "POST") return resourceReply(201, ctx.users.renderUser(ctx.users.createUser(req.body)), req.query);
  throw methodNotAllowed(req.method);
}

function userResource(ctx: RouteContext, req: ScimRequest, id: string): Reply {
  const rec = ctx.users.requireUser(id);
  if (req.method !== "GET") checkIfMatch(req.ifMatch, rec);
  switch (req.method) {
    case "GET":
      return resourceReply(200, ctx.users.renderUser(rec), req.query);
    case "PUT":
      return resourceReply(200, ctx.users.renderUser(ctx.users.replaceUser(id, req.body)), req.query);
    case "PATCH": {
      const updated = ctx.users.patchUser(id, parsePatchRequest(req.body));
      return ctx.settings.patchResponse === "noContent" ? noContent(updated) : resourceReply(200, ctx.users.renderUser(updated), req.query);
    }
    case "DELETE":
      ctx.users.deleteUser(id);
      return { status: 204 };
    default:
      throw methodNotAllowed(req.method);
  }
}

function groupsCollection(ctx: RouteContext, req: ScimRequest): Reply {
  if (req.method === "GET") {
    const found = ctx.groups.queryGroups(filterOf(req.query, ctx.settings));
    const withMembers = wantsMembers(req.query);
    return page(found, req.query, ctx.settings, (rec) => ctx.groups.renderGroup(rec, withMembers));
  }
  if (req.method === "POST") return resourceReply(201, ctx.groups.renderGroup(ctx.groups.createGroup(req.body)), req.query);
  throw methodNotAllowed(req.method);
}

function groupResource(ctx: RouteContext, req: ScimRequest, id: string): Reply {
  const rec = ctx.groups.requireGroup(id);
  if (req.method !== "GET") checkIfMatch(req.ifMatch, rec);
  const render = (r: typeof rec) => ctx.groups.renderGroup(r, wantsMembers(req.query));
  switch (req.method) {
    case "GET":
      return resourceReply(200, render(rec), req.query);
    case "PUT":
      return resourceReply(200, render(ctx.groups.replaceGroup(id, req.body)), req.query);
    case "PATCH": {
      const updated = ctx.groups.patchGroup(id, parsePatchRequest(req.body));
      return ctx.settings.patchResponse === "noContent" ? noContent(updated) : resourceReply(200, render(updated), req.query);
    }
    case "DELETE":
      ctx.groups.deleteGroup(id);
      return { status: 204 };
    default:
      throw methodNotAllowed(req.method);
  }
}

function discovery(ctx: RouteContext, req: ScimRequest, type: string, id: string | undefined): Reply {
  if (!ctx.settings.discovery) throw notFound(`no such endpoint /${req.segments.join("/")}`);
  if (req.method !== "GET") throw methodNotAllowed(req.method);
  if (type === "serviceproviderconfig") {
    if (id !== undefined) throw notFound(`no such endpoint /${req.segments.join("/")}`);
    const filterSupported = ctx.settings.filters === true;
    return { status: 200, body: serviceProviderConfig({ baseUrl: ctx.baseUrl, filterSupported, maxResults: ctx.settings.maxPageSize }) };
  }
  const all = type === "resourcetypes" ? resourceTypes(ctx.baseUrl) : schemas(ctx.baseUrl);
  if (id === undefined) return { status: 200, body: listResponse(all, all.length, 1) };
  const one = all.find((r) => typeof r.id === "string" && r.id.toLowerCase() === id.toLowerCase());
  if (one === undefined) throw notFound(`no such ${type === "schemas" ? "schema" : "resource type"} ${id}`);
  return { status: 200, body: one };
}

function filterOf(query: URLSearchParams, settings: RouteSettings): Filter | undefined {
  const text = query.get("filter");
  if (text === null || text.trim() === "") return undefined;
  if (settings.filters === false) throw badRequest("invalidFilter", "filtering is not supported");
  if (settings.filters === "notImplemented") throw new ScimError(501, "filtering is not supported");
  if (settings.filters === "ignore") return undefined;
  return parseFilter(text);
}

function intParam(query: URLSearchParams, name: string, fallback: number): number {
  const text = query.get(name);
  if (text === null || text.trim() === "") return fallback;
  const n = Number(text);
  if (!Number.isInteger(n)) throw badRequest("invalidValue", `${name} must be an integer`);
  return n;
}

/** RFC 7644 section 3.4.2.4: 1-based startIndex (below 1 means 1), count capped, below 0 means 0. */
function page<R>(found: R[], query: URLSearchParams, settings: RouteSettings, render: (rec: R) => Record<string, unknown>): Reply {
  const startIndex = Math.max(1, intParam(query, "startIndex", 1));
  const count = Math.min(settings.maxPageSize, Math.max(0, intParam(query, "count", settings.defaultPageSize)));
  const attributes = query.get("attributes");
  const excluded = query.get("excludedAttributes");
  const resources = found.slice(startIndex - 1, startIndex - 1 + count).map((rec) => project(render(rec), attributes, excluded));
  return { status: 200, body: listResponse(resources, found.length, startIndex) };
}

function wantsMembers(query: URLSearchParams): boolean {
  const names = (param: string) =>
    (query.get(param) ?? "")
      .split(",")
      .map((s) => parseAttrPath(s.trim()))
      .filter((p) => p !== undefined && p.urn === undefined && p.attr.toLowerCase() === "members");
  if ((query.get("attributes") ?? "").trim() !== "") return names("attributes").length > 0;
  return names("excludedAttributes").every((p) => p?.sub !== undefined);
}

function resourceReply(status: number, resource: Record<string, unknown>, query: URLSearchParams): Reply {
  const meta = resource.meta as { location: string; version: string };
  const headers: Record<string, string> = { ETag: meta.version };
  if (status === 201) headers.Location = meta.location;
  return { status, body: project(resource, query.get("attributes"), query.get("excludedAttributes")), headers };
}

function noContent(rec: Versioned): Reply {
  return { status: 204, headers: { ETag: etagOf(rec) } };
}

/** A stale If-Match fails with 412 (RFC 7644 section 3.14). */
function checkIfMatch(ifMatch: string | undefined, rec: Versioned): void {
  if (ifMatch === undefined || ifMatch.trim() === "*") return;
  const strip = (tag: string) => tag.trim().replace(/^W\//, "");
  const current = strip(etagOf(rec));
  if (!ifMatch.split(",").some((tag) => strip(tag) === current)) {
    throw new ScimError(412, `resource ${rec.id} has changed (version ${etagOf(rec)})`);
  }
}
