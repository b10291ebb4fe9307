/**
 * Faults the Okta emulator answers with when its `inject` hook asks for one: HTTP errors and
 * dropped connections, and the ways a server can keep a client from ever finishing (a body that
 * stalls, next links that never end) or lure its credentials elsewhere (a redirect).
 */
import type { ServerResponse } from "node:http";
import { defaultFaultBody } from "./okta-errors.js";
import type { Reply } from "./okta-http.js";

/** A fault to answer with instead of the real response. */
export type InjectedFault =
  /** An HTTP error: Okta's error body for `status` unless `body` or `text` (an HTML page) is given. */
  | { status: number; body?: unknown; text?: string; headers?: Record<string, string> }
  /** The connection is dropped without an answer. */
  | { reset: true }
  /** 200 with Okta's headers and the first byte of a JSON list (`[`), then nothing, until the client gives up. */
  | { stall: true }
  /**
   * A page with a next link to `after=N+1` (N: this request's `after`, 0 without one), forever:
   * `empty` pages, or pages that `repeat` the first page of the real list.
   */
  | { endlessNext: "empty" | "repeat" }
  /** A redirect (default 302) to `redirect`, say the same path on another port. */
  | { redirect: string; status?: 301 | 302 | 303 | 307 | 308 };

/** The faults that are answered with a reply; `reset` and `stall` act on the connection instead. */
export type AnsweredFault = Exclude<InjectedFault, { reset: true } | { stall: true }>;

/**
 * The reply to send for `fault`. `route` answers a request as the emulator would, for `repeat`;
 * `nowMs` stamps the reset time of an injected 429.
 */
export function faultReply(fault: AnsweredFault, base: string, url: URL, nowMs: number, route: (url: URL) => Reply): Reply {
  if ("endlessNext" in fault) {
    if (fault.endlessNext === "empty") return endlessPage(base, url, []);
    const first = route(firstPageUrl(url));
    return first.status === 200 && Array.isArray(first.body) ? endlessPage(base, url, first.body) : first;
  }
  if ("redirect" in fault) return redirectReply(fault);
  const headers = { ...(fault.status === 429 ? { "X-Rate-Limit-Reset": String(Math.floor(nowMs / 1000)) } : {}), ...fault.headers };
  return { status: fault.status, body: fault.body ?? defaultFaultBody(fault.status), text: fault.text, headers };
}

/** Sends the status line, the headers and `[`, and leaves the response open (closing the server ends it). */
export function startStalledList(res: ServerResponse, headers: Record<string, string>): void {
  res.writeHead(200, { "Content-Type": "application/json", ...headers });
  res.write("[");
}

/** The cursor of the next link after this request: `after` + 1, counting from 0. */
function nextCursor(url: URL): string {
  const after = Number(url.searchParams.get("after"));
  return String(Number.isSafeInteger(after) && after >= 0 ? after + 1 : 1);
}

/** The request without its cursor: where `repeat` takes its items from. */
function firstPageUrl(url: URL): URL {
  const first = new URL(url.href);
  first.searchParams.delete("after");
  return first;
}

/**
 * A page of an endless list: `items` (none for `empty`, the first page's for `repeat`) and a
 * next link to the following cursor. `base` is the emulator's public URL.
 */
function endlessPage(base: string, url: URL, items: readonly unknown[]): Reply {
  const next = new URLSearchParams(url.searchParams);
  next.set("after", nextCursor(url));
  return {
    status: 200,
    body: items,
    headers: { Link: [`<${base}${url.pathname}${url.search}>; rel="self"`, `<${base}${url.pathname}?${next.toString()}>; rel="next"`] },
  };
}

function redirectReply(fault: { redirect: string; status?: number }): Reply {
  return { status: fault.status ?? 302, body: undefined, text: `Found. Redirecting to ${fault.redirect}`, headers: { Location: fault.redirect } };
}
