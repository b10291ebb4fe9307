/**
 * Finding a Command resource that already exists, before creating one or after a 409: by
 * `externalId` (the Okta id this tool writes), then by name. A server that refuses filters is
 * answered by listing everything and matching here.
 */
import type { RemoteGroup, RemoteUser } from "../model.js";
import { filterLiteral } from "./attribute-path.js";
import type { ScimGroups } from "./groups.js";
import { isFilterRefusal } from "./resource-io.js";
import type { ScimUsers } from "./users.js";

type Lister = Pick<ScimUsers, "listUsers"> & Pick<ScimGroups, "listGroups">;

export interface ScimLookupsOf {
  /** The user whose externalId is this Okta user id. */
  findUserByExternalId(externalId: string): Promise<RemoteUser | undefined>;
  /** The group whose externalId is this Okta group id. */
  findGroupByExternalId(externalId: string): Promise<RemoteGroup | undefined>;
  /** A group with this displayName (case-insensitive). */
  findGroupByName(displayName: string): Promise<RemoteGroup | undefined>;
}

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

export function scimLookups(client: Lister): ScimLookupsOf {
  const users = (filter?: string) => client.listUsers(filter === undefined ? {} : { filter });
  const groups = (filter?: string) => client.listGroups(filter === undefined ? {} : { filter });
  return {
    findUserByExternalId: (externalId) => find(users, `externalId eq ${filterLiteral(externalId)}`, (u) => u.externalId === externalId),
    findGroupByExternalId: (externalId) => find(groups, `externalId eq ${filterLiteral(externalId)}`, (g) => g.externalId === externalId),
    findGroupByName: (displayName) => {
      const lower = displayName.toLowerCase();
      return find(groups, `displayName eq ${filterLiteral(displayName)}`, (g) => g.displayName.toLowerCase() === lower);
    },
  };
}
