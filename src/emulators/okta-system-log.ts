/**
 * The emulated org's System Log: the events Okta records when users, groups and app assignments
 * change, and the query behind `GET /api/v1/logs` (since/until, limit, `after` cursors, sort
 * order, `filter`, `q`), with Okta's polling behaviour.
 */
import type { EmulatedApp, EmulatedGroup, EmulatedOktaOrg, EmulatedUser } from "./org-generator.js";
import { matches, parseSearch, type SearchExpr } from "./okta-search.js";

export interface EmulatedLogTarget {
  id: string;
  type: "User" | "UserGroup" | "AppInstance";
  alternateId: string;
  displayName: string;
}

export interface EmulatedLogActor {
  id: string;
  type: "User";
  alternateId: string;
  displayName: string;
}

/** A System Log event as Okta returns it (the fields a sync reads; the rest is added when served). */
export interface EmulatedLogEvent {
  uuid: string;
  /** ISO 8601, the org clock's time of the change. */
  published: string;
  eventType: string;
  displayMessage: string;
  severity: "INFO";
  actor: EmulatedLogActor;
  outcome: { result: "SUCCESS" };
  target: EmulatedLogTarget[];
}

const DISPLAY_MESSAGES: Record<string, string> = {
  "user.lifecycle.create": "Create Okta user",
  "user.lifecycle.activate": "Activate Okta user",
  "user.lifecycle.reactivate": "Reactivate Okta user",
  "user.lifecycle.deactivate": "Deactivate Okta user",
  "user.lifecycle.suspend": "Suspend Okta user",
  "user.lifecycle.unsuspend": "Unsuspend Okta user",
  "user.account.update_profile": "Update user profile for Okta",
  "user.account.lock": "Max sign in attempts exceeded",
  "user.account.unlock": "User account unlocked",
  "user.account.expire_password": "Expire user password",
  "user.account.reset_password": "Reset user password",
  "user.account.update_password": "Update user password",
  "application.user_membership.add": "Add user to application membership",
  "application.user_membership.remove": "Remove users from application membership",
  "application.user_membership.change_profile": "Update user's application profile",
  "group.user_membership.add": "Add user to group membership",
  "group.user_membership.remove": "Remove user from group membership",
  "group.lifecycle.create": "Create Okta group",
  "group.profile.update": "Update group profile",
  "group.application_assignment.add": "Add assigned application to group",
  "group.application_assignment.update": "Update assigned application in group",
  "group.application_assignment.remove": "Remove assigned application from group",
};

export const userTarget = (user: EmulatedUser): EmulatedLogTarget => ({
  id: user.id,
  type: "User",
  alternateId: user.profile.login,
  displayName: `${user.profile.firstName} ${user.profile.lastName}`.trim() || user.profile.login,
});

export const groupTarget = (group: EmulatedGroup): EmulatedLogTarget => ({
  id: group.id,
  type: "UserGroup",
  alternateId: "unknown",
  displayName: group.name,
});

export const appTarget = (app: EmulatedApp): EmulatedLogTarget => ({
  id: app.id,
  type: "AppInstance",
  alternateId: app.label,
  displayName: app.label,
});

/** The administrator every change of the emulated org is attributed to. */
export function logActor(org: EmulatedOktaOrg): EmulatedLogActor {
  return { id: "00uemulatedadmin0001", type: "User", alternateId: `admin@${org.domain}`, displayName: "Okta Admin" };
}

const hex = (n: number, width: number) => (n >>> 0).toString(16).padStart(width, "0").slice(-width);

/** A deterministic uuid: the seed, then the event's serial in the log. */
function eventUuid(seed: number, serial: number): string {
  const s = hex(Math.imul(seed ^ 0x51ed270b, 0x9e3779b1), 8);
  return `${s}-${hex(serial / 2 ** 32, 4)}-4${hex(serial >>> 16, 3)}-8${hex(serial >>> 4, 3)}-${hex(seed, 8)}${hex(serial, 4)}`;
}

/** Records an event at `published` (the org clock's time of the change) and returns it. */
export function appendLogEvent(
  org: EmulatedOktaOrg,
  eventType: string,
  target: EmulatedLogTarget[],
  published: string,
): EmulatedLogEvent {
  if (!Array.isArray(org.systemLog)) org.systemLog = [];
  org.logSerial = (org.logSerial ?? org.systemLog.length) + 1;
  const event: EmulatedLogEvent = {
    uuid: eventUuid(org.seed, org.logSerial),
    published,
    eventType,
    displayMessage: DISPLAY_MESSAGES[eventType] ?? eventType,
    severity: "INFO",
    actor: logActor(org),
    outcome: { result: "SUCCESS" },
    target,
  };
  org.systemLog.push(event);
  return event;
}

/** The event type Okta records for a change of a user's status. */
export function statusEventType(from: string, to: string): string {
  switch (to) {
    case "DEPROVISIONED":
      return "user.lifecycle.deactivate";
    case "SUSPENDED":
      return "user.lifecycle.suspend";
    case "LOCKED_OUT":
      return "user.account.lock";
    case "PASSWORD_EXPIRED":
      return "user.account.expire_password";
    case "RECOVERY":
      return "user.account.reset_password";
  }
  switch (from) {
    case "SUSPENDED":
      return "user.lifecycle.unsuspend";
    case "LOCKED_OUT":
      return "user.account.unlock";
    case "DEPROVISIONED":
      return "user.lifecycle.reactivate";
    case "PASSWORD_EXPIRED":
    case "RECOVERY":
      return "user.account.update_password";
    default:
      return "user.lifecycle.activate";
  }
}

// --- GET /api/v1/logs -------------------------------------------------------------------------

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
