/** Okta's pagination: a `limit` clamped per endpoint, `after` cursors and absolute `Link` headers. */
import { invalidParam } from "./okta-errors.js";
import type { Reply } from "./okta-http.js";
import { LOG_PAGE_LIMIT } from "./okta-log-query.js";

export interface PageLimit {
  default: number;
  max: number;
}

/** Default and largest `limit` per list endpoint; a larger limit is clamped, as Okta does. */
export const PAGE_LIMITS = {
  appUsers: { default: 50, max: 500 },
  appGroups: { default: 20, max: 200 },
  groups: { default: 10000, max: 10000 },
  groupsQuery: { default: 300, max: 10000 },
  groupMembers: { default: 1000, max: 1000 },
  users: { default: 200, max: 200 },
  logs: LOG_PAGE_LIMIT,
} as const;

/** The `limit` parameter, or the 400 Okta answers to one that is no positive integer. */
export function parseLimit(raw: string | null, spec: PageLimit): number | Reply {
  if (raw === null) return spec.default;
  if (!/^-?\d+$/.test(raw.trim())) return invalidParam("limit", "limit: must be an integer");
  const n = Number(raw);
  if (n < 1) return invalidParam("limit", "limit: must be at least 1");
  return Math.min(n, spec.max);
}

/** Items must be sorted by key; the cursor is the key of the last item of the previous page. */
export function pageAfter<T>(items: readonly T[], key: (item: T) => string, after: string | null, limit: number) {
  let start = 0;
  if (after) {
    let lo = 0;
    let hi = items.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (key(items[mid]!) <= after) lo = mid + 1;
      else hi = mid;
    }
    start = lo;
  }
  const page = items.slice(start, start + limit);
  const more = start + limit < items.length && page.length > 0;
  return { page, next: more ? key(page[page.length - 1]!) : undefined };
}

export const byKey = <T>(key: (item: T) => string) => (a: T, b: T) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0);

/**
 * The `Link` header: self, and next when `after` is given (the same query with `after` set to it,
 * or removed when it is null). `dropExpand`: the next link loses `expand` (see `dropExpandOnNextLink`).
 */
export function pageLinks(base: string, url: URL, after: string | null | undefined, dropExpand = false): string[] {
  const links = [`<${base}${url.pathname}${url.search}>; rel="self"`];
  if (after !== undefined) {
    const params = new URLSearchParams(url.searchParams);
    if (after === null) params.delete("after");
    else params.set("after", after);
    if (dropExpand) params.delete("expand");
    links.push(`<${base}${url.pathname}?${params.toString()}>; rel="next"`);
  }
  return links;
}

/** A page of a list as Okta answers it. */
export function listReply(base: string, url: URL, items: readonly unknown[], next: string | undefined, dropExpand = false): Reply {
  return { status: 200, body: items, headers: { Link: pageLinks(base, url, next, dropExpand) } };
}
