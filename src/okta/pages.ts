/** Paging through Okta collections (RFC 8288 Link headers), and bounded concurrency for reads. */
import { ProtocolError } from "../errors.js";
import type { OktaConnection } from "./client.js";

/** A list endpoint read a page at a time: `nextUri` is the page to read next, undefined after the last. */
export interface PagedList {
  nextUri: string | undefined;
  /** Reads the page at `nextUri` as JSON and moves `nextUri` to the page after it, if Okta links one. */
  getNextPage(): Promise<unknown>;
}

/**
 * The `rel="next"` target of a Link header (`<url>; rel="next", <url>; rel="self"`), or
 * undefined. Okta sends self and next as one field or as two, which read as one joined by ", ".
 */
export function nextLink(header: string | null): string | undefined {
  if (header === null) return undefined;
  for (const part of header.split(/,(?=\s*<)/)) {
    const link = /^\s*<([^>]*)>(.*)$/s.exec(part);
    if (link === null) continue;
    const rel = /;\s*rel\s*=\s*(?:"([^"]*)"|([^\s;,]+))/i.exec(link[2]!);
    const rels = (rel?.[1] ?? rel?.[2] ?? "").toLowerCase().split(/\s+/);
    if (rels.includes("next")) return link[1];
  }
  return undefined;
}

/**
 * A list endpoint read page by page as plain JSON, through the connection (so auth, pacing,
 * retries and deadlines all apply), each item left as Okta sent it.
 */
export function rawCollection(connection: OktaConnection, path: string, query: Record<string, string | number | undefined>): PagedList {
  // Spaces as %20, as Okta's own links carry them, rather than URLSearchParams' "+".
  const params = Object.entries(query)
    .filter((entry): entry is [string, string | number] => entry[1] !== undefined)
    .map(([key, value]) => `${encodeURIComponent(key)}=${encodeURIComponent(String(value))}`)
    .join("&");
  const list: PagedList = {
    nextUri: `${connection.orgUrl}${path}${params === "" ? "" : `?${params}`}`,
    async getNextPage() {
      const uri = list.nextUri;
      if (uri === undefined) return [];
      const response = await connection.http.http(uri, { method: "GET", headers: { Accept: "application/json" } });
      list.nextUri = nextLink(response.headers.get("link"));
      return response.json();
    },
  };
  return list;
}

/** What tells one listed item from another: Okta's id (users, groups, assignments) or uuid (log events). */
function itemKey(item: unknown): string {
  if (typeof item === "object" && item !== null) {
    const { id, uuid } = item as { id?: unknown; uuid?: unknown };
    if (typeof id === "string") return `id:${id}`;
    if (typeof uuid === "string") return `uuid:${uuid}`;
  }
  return `json:${JSON.stringify(item)}`;
}

/**
 * Reads a collection page by page. Each next link must stay on the org's origin, since the
 * credentials go wherever it points, and the read must progress: a next link
 * that repeats, or one that follows a page bringing no item not seen before (an empty page
 * included), fails the read instead of looping forever. `onPage` may return false to stop (the
 * System Log's polling links never end).
 */
export async function readPages<T>(
  connection: OktaConnection,
  collection: PagedList,
  onPage: (items: readonly T[]) => unknown,
  repairNext?: (next: URL) => boolean,
): Promise<void> {
  const origin = new URL(connection.orgUrl).origin;
  const seen = new Set<string>();
  const items = new Set<string>();
  while (collection.nextUri) {
    const current = collection.nextUri;
    if (seen.has(current)) throw new ProtocolError(`Okta sent the same next link twice: ${current}`);
    seen.add(current);
    const page: unknown = await collection.getNextPage();
    if (!Array.isArray(page)) throw new ProtocolError(`Okta answered ${current} with something that is not a list`);
    if (onPage(page as T[]) === false) break;
    const next = collection.nextUri;
    if (!next) break;
    let fresh = 0;
    for (const item of page) {
      const key = itemKey(item);
      if (!items.has(key)) {
        items.add(key);
        fresh++;
      }
    }
    if (fresh === 0) {
      const what = page.length === 0 ? "an empty page" : `a page of ${page.length} items all listed before`;
      throw new ProtocolError(`Okta's list does not progress: it answered ${current} with ${what}, and a next link (${next}); refusing to follow it`);
    }
    let nextUrl: URL;
    try {
      nextUrl = new URL(next, current);
    } catch {
      throw new ProtocolError(`Okta sent a next link that is not a URL: ${next}`);
    }
    if (nextUrl.origin !== origin) {
      throw new ProtocolError(`Okta's next link points to ${nextUrl.origin}, not ${origin}; refusing to follow it`);
    }
    const repaired = repairNext?.(nextUrl) ?? false;
    if (repaired || nextUrl.href !== next) collection.nextUri = nextUrl.href;
  }
}

/** Runs `task` over `items`, at most `limit` at a time; the first failure stops new tasks. */
export async function forEachLimited<T>(items: readonly T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (!failed && next < items.length) {
      const item = items[next++]!;
      try {
        await task(item);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
}

export function isNotFound(error: unknown): boolean {
  return typeof error === "object" && error !== null && (error as { status?: unknown }).status === 404;
}
