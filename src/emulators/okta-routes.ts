/**
 * The resources of the Okta emulator's API, read-only as a sync reads them: the app with its users
 * and groups, groups and their members, users, and the System Log.
 */
import { forbidden, invalidParam, invalidSearch, notFound } from "./okta-errors.js";
import type { Reply } from "./okta-http.js";
import { parseLogQuery, queryLog, renderLogEvent } from "./okta-log-query.js";
import type { EmulatedGroup, EmulatedOktaOrg, EmulatedUser } from "./okta-org.js";
import { byKey, listReply, PAGE_LIMITS, pageAfter, pageLinks, parseLimit } from "./okta-paging.js";
import { renderApp, renderAppUser, renderGroup, renderGroupAssignment, renderUser } from "./okta-render.js";
import { matches, parseSearch, type SearchExpr } from "./okta-search.js";
import { type EffectiveAppUser, findAssignedUser } from "./org-assignments.js";
import { lookupUser } from "./org-lookup.js";

/** Switches that change what the routes answer; tests may flip them between requests. */
export interface RouteSwitches {
  /** Okta SDK issue #439: the next link of app users loses `expand=user`. */
  dropExpandOnNextLink: boolean;
  /** Never embed users in app users, whatever `expand` says. */
  ignoreExpand: boolean;
  /** false: /api/v1/logs answers 403 E0000006. */
  systemLog: boolean;
}

export interface RouteContext {
  org: EmulatedOktaOrg;
  /** The emulator's public URL: the base of every link. */
  base: string;
  switches: RouteSwitches;
  /** The app's users as listAssignedUsers lists them, cached between requests. */
  assignedUsers: (org: EmulatedOktaOrg) => EffectiveAppUser[];
}

/** The answer to a GET of `url`. */
export function route(url: URL, ctx: RouteContext): Reply {
  const parts = url.pathname.replace(/\/+$/, "").split("/").slice(1).map(decodeURIComponent);
  if (parts[0] !== "api" || parts[1] !== "v1") return notFound(url.pathname, "Resource");
  const [, , collection, id, sub, subId, ...rest] = parts;
  if (rest.length > 0) return notFound(url.pathname, "Resource");
  if (collection === "apps" && id !== undefined) return appRoute(url, ctx, id, sub, subId);
  if (collection === "groups") return groupRoute(url, ctx, id, sub, subId);
  if (collection === "logs" && id === undefined) return logRoute(url, ctx);
  if (collection === "users") return userRoute(url, ctx, id, sub);
  return notFound(url.pathname, "Resource");
}

/** Applies `search` or `filter` to rendered resources; a bad expression is a 400. */
function where<T>(items: T[], query: URLSearchParams, render: (item: T) => unknown): T[] | Reply {
  let result = items;
  for (const param of ["search", "filter"]) {
    const text = query.get(param);
    if (text === null) continue;
    let expr: SearchExpr;
    try {
      expr = parseSearch(text);
    } catch (error) {
      return invalidSearch(error instanceof Error ? error.message : String(error));
    }
    result = result.filter((item) => matches(expr, render(item)));
  }
  return result;
}

/** /api/v1/apps/{appId}, its users and its group assignments. */
function appRoute(url: URL, ctx: RouteContext, id: string, sub: string | undefined, subId: string | undefined): Reply {
  const { org, base } = ctx;
  const q = url.searchParams;
  if (id !== org.app.id) return notFound(id, "AppInstance");
  if (sub === undefined) return { status: 200, body: renderApp(base, org.app) };
  if (sub === "users") {
    const expand = q.get("expand") === "user" && !ctx.switches.ignoreExpand;
    if (subId !== undefined) {
      const entry = findAssignedUser(org, subId);
      return entry ? { status: 200, body: renderAppUser(base, org.app, entry, expand) } : notFound(subId, "AppUser");
    }
    const assigned = ctx.assignedUsers(org);
    const limit = parseLimit(q.get("limit"), PAGE_LIMITS.appUsers);
    if (typeof limit !== "number") return limit;
    const prefix = q.get("q")?.toLowerCase();
    const filtered = prefix
      ? assigned.filter((e) =>
          [e.assignment.userName, e.user.profile.firstName, e.user.profile.lastName, e.user.profile.email].some(
            (v) => typeof v === "string" && v.toLowerCase().startsWith(prefix),
          ),
        )
      : assigned;
    const { page, next } = pageAfter(filtered, (e) => e.user.id, q.get("after"), limit);
    const items = page.map((e) => renderAppUser(base, org.app, e, expand));
    return listReply(base, url, items, next, ctx.switches.dropExpandOnNextLink);
  }
  if (sub === "groups") {
    const groups = new Map(org.groups.map((g) => [g.id, g]));
    const assignments = [...org.app.groups].sort(byKey((a) => a.groupId));
    const expand = q.get("expand") === "group";
    if (subId !== undefined) {
      const assignment = assignments.find((a) => a.groupId === subId);
      return assignment
        ? { status: 200, body: renderGroupAssignment(base, org.app, assignment, groups.get(subId), expand) }
        : notFound(subId, "ApplicationGroupAssignment");
    }
    const limit = parseLimit(q.get("limit"), PAGE_LIMITS.appGroups);
    if (typeof limit !== "number") return limit;
    const prefix = q.get("q")?.toLowerCase();
    const filtered = prefix ? assignments.filter((a) => groups.get(a.groupId)?.name.toLowerCase().startsWith(prefix)) : assignments;
    const { page, next } = pageAfter(filtered, (a) => a.groupId, q.get("after"), limit);
    return listReply(base, url, page.map((a) => renderGroupAssignment(base, org.app, a, groups.get(a.groupId), expand)), next);
  }
  return notFound(url.pathname, "Resource");
}

/** /api/v1/groups (list, search, query), one group, and its members. */
function groupRoute(url: URL, ctx: RouteContext, id: string | undefined, sub: string | undefined, subId: string | undefined): Reply {
  const { org, base } = ctx;
  const q = url.searchParams;
  const render = (group: EmulatedGroup) => renderGroup(base, group);
  if (id === undefined) {
    const all = [...org.groups].sort(byKey((g) => g.id));
    const query = q.get("q");
    if (query !== null) {
      // Okta: a query is for pickers; it is not paged.
      const limit = parseLimit(q.get("limit"), PAGE_LIMITS.groupsQuery);
      if (typeof limit !== "number") return limit;
      const found = all.filter((g) => g.name.toLowerCase().startsWith(query.toLowerCase())).slice(0, limit);
      return listReply(base, url, found.map(render), undefined);
    }
    const limit = parseLimit(q.get("limit"), PAGE_LIMITS.groups);
    if (typeof limit !== "number") return limit;
    const filtered = where(all, q, render);
    if (!Array.isArray(filtered)) return filtered;
    const { page, next } = pageAfter(filtered, (g) => g.id, q.get("after"), limit);
    return listReply(base, url, page.map(render), next);
  }
  const group = org.groups.find((g) => g.id === id);
  if (!group) return notFound(id, "UserGroup");
  if (sub === undefined) return { status: 200, body: render(group) };
  if (sub === "users" && subId === undefined) {
    const limit = parseLimit(q.get("limit"), PAGE_LIMITS.groupMembers);
    if (typeof limit !== "number") return limit;
    const members = [...new Set(group.members)]
      .sort()
      .map((memberId) => lookupUser(org, memberId))
      .filter((u): u is EmulatedUser => u !== undefined);
    const { page, next } = pageAfter(members, (u) => u.id, q.get("after"), limit);
    return listReply(base, url, page.map((u) => renderUser(base, u)), next);
  }
  return notFound(url.pathname, "Resource");
}

/** /api/v1/logs: the System Log (okta-log-query.ts), unless the switch answers it 403. */
function logRoute(url: URL, ctx: RouteContext): Reply {
  const q = url.searchParams;
  if (!ctx.switches.systemLog) return forbidden();
  const limit = parseLimit(q.get("limit"), PAGE_LIMITS.logs);
  if (typeof limit !== "number") return limit;
  const parsed = parseLogQuery(q, limit);
  if (!parsed.ok) return parsed.search ? invalidSearch(parsed.message) : invalidParam(parsed.param, parsed.message);
  const result = queryLog(ctx.org, parsed.query);
  if (!result.ok) return invalidParam(result.param, result.message);
  const links = pageLinks(ctx.base, url, result.next === undefined ? undefined : (result.next.after ?? null));
  return { status: 200, body: result.page.map(renderLogEvent), headers: { Link: links } };
}

/** /api/v1/users (list, `q`, search, filter) and one user by id or login. */
function userRoute(url: URL, ctx: RouteContext, id: string | undefined, sub: string | undefined): Reply {
  const { org, base } = ctx;
  const q = url.searchParams;
  const render = (user: EmulatedUser) => renderUser(base, user);
  if (id === undefined) {
    const limit = parseLimit(q.get("limit"), PAGE_LIMITS.users);
    if (typeof limit !== "number") return limit;
    let users = [...org.users].sort(byKey((u) => u.id));
    const prefix = q.get("q")?.toLowerCase();
    if (prefix) {
      users = users.filter((u) =>
        [u.profile.firstName, u.profile.lastName, u.profile.email, u.profile.login].some(
          (v) => typeof v === "string" && v.toLowerCase().startsWith(prefix),
        ),
      );
    }
    const filtered = where(users, q, render);
    if (!Array.isArray(filtered)) return filtered;
    const { page, next } = pageAfter(filtered, (u) => u.id, q.get("after"), limit);
    return listReply(base, url, page.map(render), next);
  }
  if (sub !== undefined) return notFound(url.pathname, "Resource");
  const user = lookupUser(org, id) ?? org.users.find((u) => u.profile.login.toLowerCase() === id.toLowerCase());
  return user ? { status: 200, body: render(user) } : notFound(id, "User");
}
