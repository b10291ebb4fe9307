/**
 * Finding a Command resource that already exists, before creating one or after a 409: by
 * `externalId` (the Okta id this tool writes), then by name. A server that refuses filters is
 * answered by listing everything and matching here.
 */
import type { RemoteGroup, RemoteUser, ScimLookups, ScimTarget } from "../apply/ports.js";
import { filterLiteral } from "./attribute-path.js";
import { isFilterRefusal, type ScimClient } from "./client.js";

type Lister = Pick<ScimClient, "listUsers" | "listGroups" | "getGroup">;

async function first<T>(items: AsyncIterable<T>, match: (item: T) => boolean): Promise<T | undefined> {
  for await (const item of items) if (match(item)) return item;
  return undefined;
}

/** Filtered when the server allows it, otherwise a full scan; the match is always checked here too. */
async function find<T>(list: (filter?: string) => AsyncIterable<T>, filter: string, match: (item: T) => boolean): Promise<T | undefined> {
  try {
    return await first(list(filter), match);
  } catch (error) {
    if (!isFilterRefusal(error)) throw error;
    return first(list(), match);
  }
}

export function findUserByExternalId(client: Lister, externalId: string): Promise<RemoteUser | undefined> {
  return find((filter) => client.listUsers(filter === undefined ? {} : { filter }), `externalId eq ${filterLiteral(externalId)}`, (u) => u.externalId === externalId);
}

export function findGroupByExternalId(client: Lister, externalId: string): Promise<RemoteGroup | undefined> {
  return find((filter) => client.listGroups(filter === undefined ? {} : { filter }), `externalId eq ${filterLiteral(externalId)}`, (g) => g.externalId === externalId);
}

export function findGroupByName(client: Lister, displayName: string): Promise<RemoteGroup | undefined> {
  const lower = displayName.toLowerCase();
  return find((filter) => client.listGroups(filter === undefined ? {} : { filter }), `displayName eq ${filterLiteral(displayName)}`, (g) => g.displayName.toLowerCase() === lower);
}

/** A client with the lookups the applier uses to adopt instead of duplicating. */
export function withLookups<T extends ScimTarget & Lister>(client: T): T & ScimLookups {
  return Object.assign(client, {
    findUserByExternalId: (externalId: string) => findUserByExternalId(client, externalId),
    findGroupByExternalId: (externalId: string) => findGroupByExternalId(client, externalId),
    findGroupByName: (displayName: string) => findGroupByName(client, displayName),
  });
}
