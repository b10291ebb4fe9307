/**
 * Looking up users, groups and direct app assignments in an org, cheaply even with 100,000 users.
 */
import type { EmulatedAppUser, EmulatedGroup, EmulatedOktaOrg, EmulatedUser } from "./okta-org.js";

interface UserIndex {
  users: EmulatedUser[];
  length: number;
  byId: Map<string, number>;
}

const userIndexes = new WeakMap<EmulatedOktaOrg, UserIndex>();

/**
 * A user by id, or undefined. Backed by an index that follows `org.users` as it grows, so lookups
 * stay cheap in orgs of 100,000 users; a hit is checked against the array itself.
 */
export function lookupUser(org: EmulatedOktaOrg, userId: string): EmulatedUser | undefined {
  let index = userIndexes.get(org);
  if (!index || index.users !== org.users || index.length > org.users.length) {
    index = { users: org.users, length: 0, byId: new Map() };
    userIndexes.set(org, index);
  }
  for (; index.length < org.users.length; index.length++) {
    const id = org.users[index.length]!.id;
    if (!index.byId.has(id)) index.byId.set(id, index.length);
  }
  const at = index.byId.get(userId);
  const user = at === undefined ? undefined : org.users[at];
  if (user?.id === userId) return user;
  // The array was edited in place: look the slow way and index afresh next time.
  const found = org.users.find((u) => u.id === userId);
  if (found) userIndexes.delete(org);
  return found;
}

export function findUser(org: EmulatedOktaOrg, userId: string): EmulatedUser {
  const user = lookupUser(org, userId);
  if (!user) throw new Error(`no Okta user ${userId}`);
  return user;
}

/** A group by id or exact name. */
export function findGroup(org: EmulatedOktaOrg, idOrName: string): EmulatedGroup {
  const group = org.groups.find((g) => g.id === idOrName) ?? org.groups.find((g) => g.name === idOrName);
  if (!group) throw new Error(`no Okta group ${idOrName}`);
  return group;
}

interface DirectIndex {
  list: EmulatedAppUser[];
  length: number;
  byUser: Map<string, number>;
}

const directIndexes = new WeakMap<EmulatedOktaOrg, DirectIndex>();

/** A user's direct assignment to the app, if any; indexed like lookupUser. */
export function findDirectAssignment(org: EmulatedOktaOrg, userId: string): EmulatedAppUser | undefined {
  const list = org.app.users;
  let index = directIndexes.get(org);
  if (!index || index.list !== list || index.length > list.length) {
    index = { list, length: 0, byUser: new Map() };
    directIndexes.set(org, index);
  }
  for (; index.length < list.length; index.length++) {
    const id = list[index.length]!.userId;
    if (!index.byUser.has(id)) index.byUser.set(id, index.length);
  }
  const at = index.byUser.get(userId);
  if (at === undefined) return undefined;
  const assignment = list[at];
  if (assignment?.userId === userId) return assignment;
  directIndexes.delete(org);
  return list.find((a) => a.userId === userId);
}
