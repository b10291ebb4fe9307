/**
 * Okta pull result -> DesiredState. Pure: same pull, links and options, same state.
 *
 * A user who is still assigned and active in Okta but cannot be pushed (bad data, a userName
 * another Okta user holds, outside the SSO domains with `users.outsideDomains: skip`) is held:
 * it goes to `skipped`, never to "gone", so the planner leaves its Command user as it is. A user
 * Okta says has left (see isActive) is not held, whatever its data: there is nothing to push.
 */
import {
  compareStrings as compare,
  type DesiredGroup,
  type DesiredState,
  type DesiredUser,
  type SkippedUser,
  type SnapshotUser,
  type UserAttributes,
} from "../model.js";
import { userExcluder } from "../config/name-patterns.js";
import { isActive, type MappingOptions, mappingRules, mapUser, type Rule } from "./mapping.js";
import type { OktaAppUserView, OktaGroupView, OktaPullResult } from "./types.js";

export interface DesiredStateOptions extends MappingOptions {
  /** Email domains registered for SSO in Command (lower case); empty: no check. */
  domains?: readonly string[];
  /** A user outside those domains: pushed with a warning, or skipped. */
  outsideDomains?: "warn" | "skip";
  /**
   * Okta user id -> userName of the users the snapshot links to a Command user. In a userName
   * collision the linked user keeps its name; otherwise the lower Okta id does.
   */
  linked?: LinkedUsers;
  /**
   * What the snapshot holds of a linked user. A user whose mapped attributes are the snapshot's,
   * key for key and in the same order, takes the snapshot's objects instead of a copy of them: in
   * a run where little changed, the desired state then costs next to nothing beside the snapshot.
   */
  known?: (oktaId: string) => Pick<SnapshotUser, "oktaId" | "userName" | "attributes"> | undefined;
  /** The rules compiled once for the run; worked out from `attributes` and `phoneType` when left out. */
  rules?: readonly Rule[];
  /** `users.exclude`: logins, ids, globs or regexes of users never pushed. */
  exclude?: readonly string[] | undefined;
}

/** Okta user id -> userName of the linked users: a Map, or a view of the snapshot's users. */
export interface LinkedUsers extends Iterable<[string, string]> {
  has(oktaId: string): boolean;
  get(oktaId: string): string | undefined;
}

/** The userNames of the snapshot's users, as a view of them rather than a second map. */
export function linkedUserNames(known: ReadonlyMap<string, { userName: string }>): LinkedUsers {
  return {
    has: (oktaId) => known.has(oktaId),
    get: (oktaId) => known.get(oktaId)?.userName,
    *[Symbol.iterator]() {
      for (const [oktaId, user] of known) yield [oktaId, user.userName];
    },
  };
}

export const EXCLUDED_REASON = "excluded by users.exclude";

interface Mapped {
  user: DesiredUser;
  login: string;
}

/**
 * What mapping one app user came to, kept until every user is read: the order-dependent steps
 * (which of two users sharing a userName keeps it, the order of warnings) run over these in Okta
 * id order once the pull is complete, so reading page by page gives the same state.
 */
type Entry =
  | { kind: "mapped"; id: string; login: string; user: DesiredUser; warnings: readonly string[] | undefined }
  | { kind: "excluded"; id: string; login: string; entry: string }
  | { kind: "unmappable"; id: string; login: string; reason: string; active: boolean };

/** The desired state of a complete pull (see desiredStateBuilder). */
export function buildDesiredState(pull: Pick<OktaPullResult, "appUsers" | "groups">, options: DesiredStateOptions): DesiredState {
  const builder = desiredStateBuilder(options);
  for (const appUser of pull.appUsers) builder.add(appUser);
  return builder.finish(pull.groups);
}

export interface DesiredStateBuilder {
  /** Map one app user as it is read; the view is not kept. The first view of an id counts. */
  add(appUser: OktaAppUserView): void;
  /** The desired state once every app user was added, with the groups as read. */
  finish(groups: readonly OktaGroupView[]): DesiredState;
}

/**
 * Maps app users one at a time as the pull reads them, so a page of raw users is let go once
 * mapped; `finish` gives the same state as mapping the whole pull at once.
 */
export function desiredStateBuilder(options: DesiredStateOptions): DesiredStateBuilder {
  const rules = options.rules ?? mappingRules(options);
  const excludedBy = userExcluder(options.exclude ?? []);
  const entries: Entry[] = [];
  return {
    add(appUser) {
      // A repeated id is dropped in finish (no set of every id read meanwhile).
      const login = String(appUser.user.profile.login ?? appUser.id);
      const excludedEntry = excludedBy({ id: appUser.id, names: appUser.userName === undefined ? [login] : [login, appUser.userName] });
      if (excludedEntry !== undefined) {
        entries.push({ kind: "excluded", id: appUser.id, login, entry: excludedEntry });
        return;
      }
      const result = mapUser(appUser, options, rules);
      if (!result.ok) {
        entries.push({ kind: "unmappable", id: appUser.id, login, reason: result.reason, active: isActive(appUser, options.suspended) });
        return;
      }
      const known = options.known?.(appUser.id);
      const user: DesiredUser =
        known !== undefined && known.userName === result.userName && sameInOrder(known.attributes, result.attributes)
          ? { oktaId: known.oktaId, userName: known.userName, attributes: known.attributes, active: result.active }
          : { oktaId: appUser.id, userName: result.userName, attributes: result.attributes, active: result.active };
      const warnings = result.warnings.length === 0 ? undefined : result.warnings;
      entries.push({ kind: "mapped", id: user.oktaId, login: login === user.userName ? user.userName : login, user, warnings });
    },
    finish(groups) {
      // Pages usually come in id order: checking costs less than sorting again. The sort is
      // stable, so of entries with the same id the first added comes first and is the one kept.
      if (!inIdOrder(entries)) entries.sort((a, b) => compare(a.id, b.id));
      dropRepeats(entries);
      const state = assemble(entries, groups, excludedBy, options);
      entries.length = 0;
      return state;
    },
  };
}

function assemble(entries: readonly Entry[], groupViews: readonly OktaGroupView[], excludedBy: ReturnType<typeof userExcluder>, options: DesiredStateOptions): DesiredState {
  const warnings: string[] = [];
  const linked: LinkedUsers = options.linked ?? new Map<string, string>();
  const mapped = new Map<string, Mapped>();
  const skipped: SkippedUser[] = [];
  const seen = new Set<string>();
  const hold = (oktaId: string, login: string, reason: string) => {
    skipped.push({ oktaId, login, reason });
    const outcome = linked.has(oktaId) ? "its Command user is held as it is" : "it is not created in Command";
    warnings.push(`skipped Okta user ${login} (${oktaId}): ${reason}; ${outcome} until this is fixed in Okta`);
  };

  // An excluded user is never pushed; one already in Command is held, whatever Okta says of it
  // (a break-glass account stays as it is even when it leaves the app).
  const exclude = (oktaId: string, login: string, entry: string) => {
    if (!linked.has(oktaId)) return;
    skipped.push({ oktaId, login, reason: EXCLUDED_REASON });
    warnings.push(`Okta user ${login} (${oktaId}) is excluded by users.exclude (${JSON.stringify(entry)}): its Command user is held as it is, never updated or deactivated by this tool`);
  };

  for (const entry of entries) {
    seen.add(entry.id);
    if (entry.kind === "excluded") exclude(entry.id, entry.login, entry.entry);
    // A leaver is deactivated whatever its data: only the living are held.
    else if (entry.kind === "unmappable") {
      if (entry.active) hold(entry.id, entry.login, entry.reason);
    } else {
      for (const warning of entry.warnings ?? []) warnings.push(`Okta user ${entry.login} (${entry.id}): ${warning}`);
      // The entry itself: no second record per user.
      mapped.set(entry.id, entry);
    }
  }

  for (const [oktaId, userName] of linked) {
    if (seen.has(oktaId)) continue;
    const entry = excludedBy({ id: oktaId, names: [userName] });
    if (entry !== undefined) exclude(oktaId, userName, entry);
  }

  // userName is unique in Command (case-insensitively): of the Okta users sharing one, the user
  // the snapshot links under that name keeps it (it is the one in Command), else the lower Okta
  // id, so the choice is stable from run to run.
  // Only names with two or more claimants get a list: an org of 100,000 has a handful.
  const firstClaimant = new Map<string, Mapped>();
  const collisions = new Map<string, Mapped[]>();
  for (const entry of mapped.values()) {
    const key = entry.user.userName.toLowerCase();
    const first = firstClaimant.get(key);
    if (first === undefined) firstClaimant.set(key, entry);
    else {
      const claimants = collisions.get(key);
      if (claimants === undefined) collisions.set(key, [first, entry]);
      else claimants.push(entry);
    }
  }
  if (collisions.size > 0) {
    for (const key of firstClaimant.keys()) {
      const claimants = collisions.get(key);
      if (claimants === undefined) continue;
      const holder = claimants.find((c) => linked.get(c.user.oktaId)?.toLowerCase() === key) ?? claimants[0]!;
      for (const other of claimants) {
        if (other === holder) continue;
        mapped.delete(other.user.oktaId);
        const why = linked.get(holder.user.oktaId)?.toLowerCase() === key ? "the one linked to it in Command" : "the lower Okta id";
        if (other.user.active) hold(other.user.oktaId, other.login, `its userName ${other.user.userName} is also the userName of Okta user ${holder.user.oktaId} (${why})`);
      }
    }
  }
  firstClaimant.clear();

  // Command signs users in with SSO only for the email domains registered for the org.
  const domains = new Set((options.domains ?? []).map((d) => d.toLowerCase()));
  if (domains.size > 0) {
    const outside: string[] = [];
    for (const { user, login } of [...mapped.values()]) {
      const domain = user.userName.slice(user.userName.lastIndexOf("@") + 1).toLowerCase();
      if (domains.has(domain)) continue;
      if (options.outsideDomains !== "skip") outside.push(user.userName);
      else if (user.active) {
        mapped.delete(user.oktaId);
        hold(user.oktaId, login, `its domain ${domain} is not in command.domains (users.outsideDomains: skip)`);
      }
    }
    if (outside.length > 0) {
      const shown = outside.slice(0, 20).join(", ") + (outside.length > 20 ? `, and ${outside.length - 20} more` : "");
      warnings.push(`${outside.length} user(s) outside command.domains (${[...domains].join(", ")}): they cannot sign in to Command with SSO: ${shown}`);
    }
  }

  const groups: DesiredGroup[] = [];
  const seenGroups = new Set<string>();
  const names = new Map<string, string>();
  for (const group of groupViews) {
    if (seenGroups.has(group.id)) continue;
    seenGroups.add(group.id);
    const other = names.get(group.name.toLowerCase());
    if (other !== undefined) warnings.push(`Okta groups ${other} and ${group.id} are both named "${group.name}"`);
    names.set(group.name.toLowerCase(), group.id);
    const members = sortedUnique(group.memberIds.filter((id) => mapped.has(id)));
    groups.push({ oktaId: group.id, displayName: group.name, members });
  }
  groups.sort((a, b) => compare(a.oktaId, b.oktaId));

  skipped.sort((a, b) => compare(a.oktaId, b.oktaId));
  return { users: [...mapped.values()].map((m) => m.user), groups, skipped, warnings };
}

/** Keeps the first of each run of entries with the same id, in place. */
function dropRepeats(entries: Entry[]): void {
  let kept = 0;
  for (let i = 0; i < entries.length; i++) {
    if (kept > 0 && entries[kept - 1]!.id === entries[i]!.id) continue;
    entries[kept] = entries[i]!;
    kept += 1;
  }
  entries.length = kept;
}

function inIdOrder(entries: readonly Entry[]): boolean {
  for (let i = 1; i < entries.length; i++) if (compare(entries[i - 1]!.id, entries[i]!.id) > 0) return false;
  return true;
}

/** The same keys with the same values, in the same order. */
function sameInOrder(a: UserAttributes, b: UserAttributes): boolean {
  const keys = Object.keys(a);
  let i = 0;
  for (const key in b) {
    if (keys[i] !== key || a[key] !== b[key]) return false;
    i += 1;
  }
  return i === keys.length;
}

/** Sorted and unique; Okta's member lists already are, and checking costs less than sorting again. */
function sortedUnique(ids: string[]): string[] {
  for (let i = 1; i < ids.length; i++) if (compare(ids[i - 1]!, ids[i]!) >= 0) return [...new Set(ids)].sort(compare);
  return ids;
}
