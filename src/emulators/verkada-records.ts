/**
 * What the emulator's user and group stores share: record shapes, value indexes, the clock and
 * resource metadata. Both stores see both Maps so memberships stay in step on both sides.
 */
import { randomUUID } from "node:crypto";
import { ScimError } from "./scim-errors.js";
import { type Filter, pinnedValues } from "./scim-filter.js";

export interface StoreOptions {
  /** The SCIM base URL, for `meta.location` and `$ref`. */
  baseUrl: () => string;
  now: () => number;
  extensions: readonly string[];
  uniqueGroupNames: boolean;
  unknownMembers: "reject" | "ignore";
  /** Verkada: a deactivated user's memberships cannot change ("reject", 400) until reactivated. */
  inactiveMembers: "reject" | "allow";
  patchNoTarget: "upsert" | "error";
  userNameChanges: "apply" | "ignore";
}

export interface Versioned {
  id: string;
  /** Creation order, for stable listing. */
  seq: number;
  attrs: Record<string, unknown>;
  created: string;
  lastModified: string;
  version: number;
}

export interface UserRecord extends Versioned {
  /** Ids of the groups the user is a member of. */
  groups: Set<string>;
}

export interface GroupRecord extends Versioned {
  /** Ids of the member users, in the order they were added. */
  members: Set<string>;
}

export interface ScimMeta {
  resourceType: "User" | "Group";
  created: string;
  lastModified: string;
  location: string;
  version: string;
}

/** A multimap from an attribute value (lower-cased when not caseExact) to ids. */
export class Index {
  private readonly map = new Map<string, Set<string>>();
  constructor(private readonly caseExact: boolean) {}
  private norm(key: unknown): string | undefined {
    if (typeof key !== "string") return undefined;
    return this.caseExact ? key : key.toLowerCase();
  }
  add(key: unknown, id: string): void {
    const k = this.norm(key);
    if (k === undefined) return;
    const set = this.map.get(k) ?? new Set<string>();
    set.add(id);
    this.map.set(k, set);
  }
  remove(key: unknown, id: string): void {
    const k = this.norm(key);
    const set = k === undefined ? undefined : this.map.get(k);
    set?.delete(id);
    if (set?.size === 0) this.map.delete(k!);
  }
  /** Ids holding `key`, other than `except`. */
  others(key: unknown, except: string | undefined): string[] {
    const k = this.norm(key);
    const set = k === undefined ? undefined : this.map.get(k);
    return set === undefined ? [] : [...set].filter((id) => id !== except);
  }
}

export class StoreContext {
  readonly users = new Map<string, UserRecord>();
  readonly groups = new Map<string, GroupRecord>();
  private seq = 0;

  constructor(readonly opts: StoreOptions) {}

  stamp(): string {
    return new Date(this.opts.now()).toISOString();
  }

  /** A new record; an id chosen by the caller (seeding) must be free. */
  fresh(id: string | undefined, taken: Map<string, unknown>): Versioned {
    if (id !== undefined && taken.has(id)) throw new ScimError(409, `id ${id} already exists`, "uniqueness");
    const at = this.stamp();
    return { id: id ?? randomUUID(), seq: ++this.seq, attrs: {}, created: at, lastModified: at, version: 1 };
  }

  touch(rec: Versioned): void {
    rec.version++;
    rec.lastModified = this.stamp();
  }

  meta(rec: Versioned, resourceType: "User" | "Group"): ScimMeta {
    return {
      resourceType,
      created: rec.created,
      lastModified: rec.lastModified,
      location: `${this.opts.baseUrl()}/${resourceType}s/${rec.id}`,
      version: etagOf(rec),
    };
  }
}

export function etagOf(rec: { version: number }): string {
  return `W/"${rec.version}"`;
}

/** Narrows a filter's candidates through an index when it pins id or an indexed attribute. */
export function candidatesOf<R extends Versioned>(filter: Filter | undefined, all: Map<string, R>, indexes: [string, Index][]): R[] {
  if (filter === undefined) return [...all.values()];
  let ids = pinnedValues(filter, "id");
  for (const [attr, index] of indexes) {
    if (ids !== undefined) break;
    const values = pinnedValues(filter, attr);
    if (values !== undefined) ids = values.flatMap((v) => index.others(v, undefined));
  }
  if (ids === undefined) return [...all.values()];
  const found = [...new Set(ids)].map((id) => all.get(id)).filter((r): r is R => r !== undefined);
  return found.sort((a, b) => a.seq - b.seq);
}
