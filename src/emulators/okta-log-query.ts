/**
 * The query behind `GET /api/v1/logs` over the emulated org's System Log (since/until, limit,
 * `after` cursors, sort order, `filter`, `q`), with Okta's polling behaviour, and the events in
 * the shape Okta serves them.
 */
import type { EmulatedLogEvent, EmulatedOktaOrg } from "./okta-org.js";
import { matches, parseSearch, type SearchExpr } from "./okta-search.js";

export const LOG_PAGE_LIMIT = { default: 100, max: 1000 } as const;
/** Okta's default window: `since` is 7 days before `until`. */
const DEFAULT_WINDOW_MS = 7 * 86_400_000;

export interface LogQuery {
  since?: string;
  until?: string;
  limit: number;
  after?: string;
  sortOrder: "ASCENDING" | "DESCENDING";
  filter?: SearchExpr;
  q?: string;
}

export type LogQueryResult =
  /** `next`: absent when there is no next page; `after` absent when the next link repeats the query. */
  | { ok: true; page: EmulatedLogEvent[]; next: { after: string | undefined } | undefined }
  | { ok: false; param: string; message: string };

/** Reads and checks the query parameters of `GET /api/v1/logs`; limit is parsed by the caller. */
export function parseLogQuery(
  params: URLSearchParams,
  limit: number,
): { ok: true; query: LogQuery } | { ok: false; param: string; message: string; search?: boolean } {
  const query: LogQuery = { limit, sortOrder: "ASCENDING" };
  for (const name of ["since", "until"] as const) {
    const raw = params.get(name);
    if (raw === null) continue;
    const ms = ISO_8601.test(raw.trim()) ? Date.parse(raw.trim()) : Number.NaN;
    if (Number.isNaN(ms)) return { ok: false, param: name, message: `${name}: must be an ISO 8601 date and time` };
    query[name] = new Date(ms).toISOString();
  }
  const sortOrder = params.get("sortOrder");
  if (sortOrder !== null) {
    if (sortOrder !== "ASCENDING" && sortOrder !== "DESCENDING") {
      return { ok: false, param: "sortOrder", message: "sortOrder: must be ASCENDING or DESCENDING" };
    }
    query.sortOrder = sortOrder;
  }
  const after = params.get("after");
  if (after !== null && after !== "") query.after = after;
  const filter = params.get("filter");
  if (filter !== null && filter.trim() !== "") {
    try {
      query.filter = parseSearch(filter);
    } catch (error) {
      return { ok: false, param: "filter", message: error instanceof Error ? error.message : String(error), search: true };
    }
  }
  const q = params.get("q");
  if (q !== null && q.trim() !== "") query.q = q.trim().toLowerCase();
  return { ok: true, query };
}

const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/;

/** The cursor after an event: its time and uuid, so it still works if older events are trimmed. */
function cursorOf(event: EmulatedLogEvent): string {
  return Buffer.from(`${event.published}|${event.uuid}`).toString("base64url");
}

function readCursor(after: string): { published: string; uuid: string } | undefined {
  const [published, uuid] = Buffer.from(after, "base64url").toString("utf8").split("|");
  return published && uuid && !Number.isNaN(Date.parse(published)) ? { published, uuid } : undefined;
}

function keywordMatch(event: EmulatedLogEvent, keywords: readonly string[]): boolean {
  const text = [event.eventType, event.displayMessage, event.actor.alternateId, event.actor.displayName]
    .concat(event.target.flatMap((t) => [t.id, t.alternateId, t.displayName]))
    .join(" ")
    .toLowerCase();
  return keywords.every((k) => text.includes(k));
}

/**
 * One page of the log. Events are kept in `published` order (the org clock only moves on).
 * `since` is inclusive, `until` exclusive; without `since` the window starts 7 days before `until`
 * or, without that, before the org clock (the emulated org's "now").
 *
 * Polling: in ASCENDING order without `until`, Okta treats the request as a poll of an endless
 * stream and always sends a next link, even after an empty page; following it later returns the
 * events recorded meanwhile. A client reading "up to now" must stop at a page shorter than its
 * `limit`, not at a missing next link. Bounded requests (with `until`) and DESCENDING ones end
 * like other lists: the last page has no next link.
 */
export function queryLog(org: EmulatedOktaOrg, query: LogQuery): LogQueryResult {
  const events = org.systemLog ?? [];
  const untilMs = query.until === undefined ? undefined : Date.parse(query.until);
  const since = query.since ?? new Date((untilMs ?? org.clock) - DEFAULT_WINDOW_MS).toISOString();
  const until = query.until;
  const ascending = query.sortOrder === "ASCENDING";
  const cursor = query.after === undefined ? undefined : readCursor(query.after);
  if (query.after !== undefined && cursor === undefined) return { ok: false, param: "after", message: "after: not a valid cursor" };
  const keywords = query.q?.split(/\s+/) ?? [];

  // Where the previous page stopped: at the cursor's event, or (when it is gone) at its time.
  let start = ascending ? 0 : events.length - 1;
  if (cursor !== undefined) {
    let at = -1;
    for (let i = events.length - 1; i >= 0; i--) {
      if (events[i]!.uuid === cursor.uuid) {
        at = i;
        break;
      }
      if (events[i]!.published < cursor.published) break;
    }
    if (at >= 0) start = ascending ? at + 1 : at - 1;
    else if (ascending) {
      start = events.findIndex((e) => e.published > cursor.published);
      if (start < 0) start = events.length;
    } else {
      start = events.findLastIndex((e) => e.published < cursor.published);
    }
  }

  const page: EmulatedLogEvent[] = [];
  let more = false;
  const step = ascending ? 1 : -1;
  for (let i = start; i >= 0 && i < events.length; i += step) {
    const event = events[i]!;
    if (event.published < since) {
      if (ascending) continue;
      break;
    }
    if (until !== undefined && event.published >= until) {
      if (ascending) break;
      continue;
    }
    if (query.filter !== undefined && !matches(query.filter, event)) continue;
    if (keywords.length > 0 && !keywordMatch(event, keywords)) continue;
    if (page.length === query.limit) {
      more = true;
      break;
    }
    page.push(event);
  }

  const last = page.at(-1);
  if (ascending && until === undefined) {
    // A poll: continue after this page, or after the end of the log as it is now.
    const end = last ?? (query.after === undefined ? events.at(-1) : undefined);
    return { ok: true, page, next: { after: end === undefined ? query.after : cursorOf(end) } };
  }
  return { ok: true, page, next: more && last !== undefined ? { after: cursorOf(last) } : undefined };
}

/** The event as served: Okta's full LogEvent shape around the recorded fields. */
export function renderLogEvent(event: EmulatedLogEvent): Record<string, unknown> {
  return {
    actor: { ...event.actor, detailEntry: null },
    client: {
      userAgent: { rawUserAgent: "okta-emulator", os: "Unknown", browser: "UNKNOWN" },
      zone: "null",
      device: "Unknown",
      id: null,
      ipAddress: "127.0.0.1",
      geographicalContext: null,
    },
    authenticationContext: { authenticationProvider: null, credentialProvider: null, credentialType: null, issuer: null, externalSessionId: "trsEmulated", interface: null },
    displayMessage: event.displayMessage,
    eventType: event.eventType,
    outcome: { result: event.outcome.result, reason: null },
    published: event.published,
    securityContext: { asNumber: null, asOrg: null, isp: null, domain: null, isProxy: null },
    severity: event.severity,
    debugContext: { debugData: {} },
    legacyEventType: null,
    transaction: { type: "WEB", id: `emu-${event.uuid.slice(0, 8)}`, detail: {} },
    uuid: event.uuid,
    version: "0",
    request: { ipChain: [] },
    target: event.target.map((t) => ({ ...t, detailEntry: null })),
  };
}
