/** Reading everything Command holds, and writing a refreshed view into the snapshot. */
import { count } from "../plural.js";
import type { SnapshotStore } from "../apply/ports.js";
import type { RemoteGroup, RemoteUser, Snapshot } from "../model.js";
import type { CommandClient } from "./ports.js";
import type { Reporter } from "./reporter.js";

/** Page size of full reads; Okta's own client pages Command by 100. */
export const COMMAND_PAGE_SIZE = 100;

/** The meta key holding when Command was last re-read (for `sync.refreshEvery`). */
export const LAST_REFRESH_KEY = "lastRefreshAt";

export async function readCommand(client: Pick<CommandClient, "listUsers" | "listGroups">, reporter: Reporter): Promise<{ users: RemoteUser[]; groups: RemoteGroup[] }> {
  reporter.step("Reading users and groups from Command");
  try {
    const users: RemoteUser[] = [];
    for await (const user of client.listUsers({ pageSize: COMMAND_PAGE_SIZE })) {
      users.push(user);
      if (users.length % COMMAND_PAGE_SIZE === 0) reporter.progress(`Reading from Command: ${count(users.length, "user")}`);
    }
    const groups: RemoteGroup[] = [];
    for await (const group of client.listGroups({ pageSize: COMMAND_PAGE_SIZE })) groups.push(group);
    reporter.stepDone(`Read ${count(users.length, "user")} and ${count(groups.length, "group")} from Command`);
    return { users, groups };
  } catch (error) {
    reporter.stepFailed("Reading from Command failed; nothing was planned or written");
    throw error;
  }
}

/** Make the snapshot say what `next` says (one transaction): links gone from Command are dropped. */
export function writeSnapshot(store: SnapshotStore, current: Snapshot, next: Snapshot): void {
  store.transaction(() => {
    const keepUsers = new Set(next.users.map((u) => u.oktaId));
    for (const user of current.users) if (!keepUsers.has(user.oktaId)) store.unlinkUser(user.oktaId);
    for (const user of next.users) store.saveUser(user);
    const keepGroups = new Set(next.groups.map((g) => g.oktaId));
    for (const group of current.groups) if (!keepGroups.has(group.oktaId)) store.deleteGroup(group.oktaId);
    const before = new Map(current.groups.map((g) => [g.oktaId, new Set(g.members)]));
    for (const group of next.groups) {
      store.saveGroup({ oktaId: group.oktaId, scimId: group.scimId, displayName: group.displayName });
      const had = before.get(group.oktaId) ?? new Set<string>();
      const want = new Set(group.members);
      store.removeGroupMembers(group.oktaId, [...had].filter((id) => !want.has(id)));
      store.addGroupMembers(group.oktaId, [...want].filter((id) => !had.has(id)));
    }
  });
}
