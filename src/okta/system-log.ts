/**
 * The System Log as a change feed for incremental pulls: which users an event names, and where
 * the last read stopped. Okta's log is ordered by `published` and is eventually consistent (an
 * event can show up a little after later ones), so each read starts a margin before the newest
 * event seen, and events already handled in that margin are recognised by their uuid.
 */
import { ProtocolError } from "../errors.js";
import type { OktaConnection } from "./client.js";
import { rawCollection, readPages } from "./pages.js";
import { minus, oktaTime } from "./time.js";

/** How far before the newest event seen the next read starts. */
export const LOG_OVERLAP_MS = 5 * 60_000;
/** Events per page: Okta's maximum. */
const LOG_PAGE_SIZE = 1000;

/**
 * Events that can change what GET /api/v1/apps/{appId}/users returns for a user: assignment,
 * app profile and username, the Okta user's profile, status and account state (lock, password
 * expiry). Group membership events are here too, since membership in an assigned group assigns
 * the app; and group events: assigned to the app or not, renamed, deleted. Prefixes keep the
 * filter short: Okta repeats it in every next link, and common Link-header parsers give up on
 * headers over 2,000 characters.
 */
export const LOG_EVENT_PREFIXES: readonly string[] = [
  "application.user_membership.",
  "group.user_membership.",
  "group.application_assignment.",
  "user.lifecycle.",
  "user.account.",
];
export const LOG_EVENT_TYPES: readonly string[] = ["group.profile.update", "group.lifecycle.delete"];

const LOG_FILTER = [...LOG_EVENT_PREFIXES.map((prefix) => `eventType sw "${prefix}"`), ...LOG_EVENT_TYPES.map((type) => `eventType eq "${type}"`)].join(" or ");

export interface LogCheckpoint {
  /** The newest `published` seen, by Okta's clock; undefined when the log had no such event yet. */
  published: string | undefined;
  /** uuids of the events handled within LOG_OVERLAP_MS before `published`. */
  seen: string[];
  /**
   * Events published up to this time are reflected in the cached data: it was read by a full
   * pull that started after them (however late they show up in the log).
   */
  coveredThrough?: string | undefined;
  /** Group changes stamped up to this time (lastUpdated, lastMembershipUpdated) are in the cached groups. */
  groupsThrough?: string | undefined;
}

export interface LogRead {
  /** Okta user ids named by new events. */
  userIds: Set<string>;
  /** Okta group ids named by new group events, by what happened to them. */
  groups: { assignment: Set<string>; renamed: Set<string>; deleted: Set<string> };
  /** New events read (already handled ones not counted). */
  events: number;
  checkpoint: LogCheckpoint;
}

interface EventLike {
  uuid?: unknown;
  published?: unknown;
  eventType?: unknown;
  target?: unknown;
}

/**
 * The user ids an event names for this app, or none when it is about another app. Group
 * membership events name no user: a group's members are read again when its
 * lastMembershipUpdated moves, and gaining or losing the app through a group is an
 * application.user_membership event of its own.
 */
export function usersNamedBy(event: EventLike, appId: string): string[] {
  const targets = Array.isArray(event.target) ? (event.target as { id?: unknown; type?: unknown }[]) : [];
  const type = String(event.eventType ?? "");
  if (!type.startsWith("application.user_membership.") && !type.startsWith("user.")) return [];
  if (type.startsWith("application.")) {
    const apps = targets.filter((t) => t?.type === "AppInstance");
    if (apps.length > 0 && !apps.some((t) => t.id === appId)) return [];
  }
  // Okta's AppUser target carries the id of the app user object (0ua...), not the Okta user's.
  return targets.filter((t) => t?.type === "User" && typeof t.id === "string").map((t) => t.id as string);
}

/** What a group event says about a group of this app, if anything. */
function groupChange(event: EventLike, appId: string): { kind: keyof LogRead["groups"]; ids: string[] } | undefined {
  const type = String(event.eventType ?? "");
  const targets = Array.isArray(event.target) ? (event.target as { id?: unknown; type?: unknown }[]) : [];
  const ids = targets.filter((t) => t?.type === "UserGroup" && typeof t.id === "string").map((t) => t.id as string);
  if (type.startsWith("group.application_assignment.")) {
    const apps = targets.filter((t) => t?.type === "AppInstance");
    if (apps.length > 0 && !apps.some((t) => t.id === appId)) return undefined;
    return { kind: "assignment", ids };
  }
  if (type === "group.profile.update") return { kind: "renamed", ids };
  if (type === "group.lifecycle.delete") return { kind: "deleted", ids };
  return undefined;
}

/**
 * Where the next read starts, by Okta's clock: a margin before the newest event seen (events can
 * show up late), but never before what the cached data already reflects. Undefined: from the
 * start of what Okta keeps.
 */
export function readFrom(checkpoint: LogCheckpoint): string | undefined {
  // With no event yet, the groups' own stamps still tell Okta's time before the last full read:
  // starting there re-reads a little (harmless); starting nowhere would be Okta's 7-day default.
  const newest = checkpoint.published ?? checkpoint.groupsThrough;
  const margin = newest === undefined ? undefined : minus(newest, LOG_OVERLAP_MS);
  const covered = checkpoint.coveredThrough;
  return margin === undefined || (covered !== undefined && covered > margin) ? covered : margin;
}

/** Where the log stands now: the newest relevant event (one request). */
export async function logHead(connection: OktaConnection): Promise<LogCheckpoint> {
  const collection = rawCollection(connection, "/api/v1/logs", { sortOrder: "DESCENDING", limit: 1, filter: LOG_FILTER });
  let head: LogCheckpoint = { published: undefined, seen: [] };
  await readPages(connection, collection, (page) => {
    const event = page[0] as EventLike | undefined;
    const at = event === undefined ? undefined : oktaTime(event.published);
    if (event !== undefined && at !== undefined) head = { published: at, seen: [], coveredThrough: at };
    return false;
  });
  return head;
}

/**
 * Reads the events since `from` and collects the users they name: app users (`known`), and
 * anyone an app membership event names. Stops early, returning undefined, once more than
 * `maxUsers` users are named: a full pull is then cheaper.
 */
export async function readLogSince(
  connection: OktaConnection,
  appId: string,
  from: LogCheckpoint,
  maxUsers: number,
  known: { has(id: string): boolean },
): Promise<LogRead | undefined> {
  const since = readFrom(from);
  const covered = from.coveredThrough;
  const collection = rawCollection(connection, "/api/v1/logs", { since, sortOrder: "ASCENDING", limit: LOG_PAGE_SIZE, filter: LOG_FILTER });
  const handled = new Set(from.seen);
  const userIds = new Set<string>();
  const groups: LogRead["groups"] = { assignment: new Set(), renamed: new Set(), deleted: new Set() };
  const recent: { uuid: string; at: string }[] = [];
  let newest = from.published;
  let events = 0;
  let tooMany = false;
  await readPages(connection, collection, (page) => {
    for (const raw of page) {
      const event = raw as EventLike;
      const at = oktaTime(event.published);
      if (typeof event.uuid !== "string" || at === undefined) throw new ProtocolError("Okta's System Log sent an event without uuid or published time");
      recent.push({ uuid: event.uuid, at });
      if (newest === undefined || at > newest) newest = at;
      if (handled.has(event.uuid) || (covered !== undefined && at <= covered)) continue;
      handled.add(event.uuid);
      events += 1;
      const change = groupChange(event, appId);
      if (change !== undefined) for (const id of change.ids) groups[change.kind].add(id);
      else {
        // Someone who is not an app user can only become one through an app membership event:
        // the lockouts and profile edits of the rest of the org cost nothing.
        const membership = String(event.eventType ?? "").startsWith("application.user_membership.");
        for (const id of usersNamedBy(event, appId)) if (membership || known.has(id)) userIds.add(id);
      }
    }
    if (userIds.size > maxUsers) {
      tooMany = true;
      return false;
    }
    // Okta's polling links never end: a page shorter than asked for is the end for now.
    return page.length >= LOG_PAGE_SIZE;
  });
  if (tooMany) return undefined;
  const cutoff = newest === undefined ? undefined : new Date(Date.parse(newest) - LOG_OVERLAP_MS).toISOString();
  const seen = new Set<string>();
  for (const { uuid, at } of recent) if (cutoff === undefined || at >= cutoff) seen.add(uuid);
  return { userIds, groups, events, checkpoint: { published: newest, seen: [...seen], ...(covered === undefined ? {} : { coveredThrough: covered }) } };
}
