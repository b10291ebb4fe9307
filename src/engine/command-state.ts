/** Reading everything Command holds, and writing a refreshed view into the snapshot. */
import type { RemoteGroup, RemoteUser, SnapshotStore } from "../apply/ports.js";
import type { Config } from "../config/types.js";
import type { Snapshot } from "../model.js";
import { mappedPaths } from "../okta/mapping.js";
import { createScimClient, type ScimClient } from "../scim/client.js";
import { withLookups } from "../scim/lookups.js";
import type { ResponseListener } from "../metrics/http-event.js";
import { type Reporter, reportWait } from "./reporter.js";

/** Page size of full reads; Okta's own client pages Command by 100. */
export const COMMAND_PAGE_SIZE = 100;

export type CommandClient = ReturnType<typeof openCommand>;

export function openCommand(config: Config, reporter: Reporter, signal?: AbortSignal, onResponse?: ResponseListener) {
  return withLookups(
    createScimClient({
      baseUrl: config.command.scimUrl,
      token: config.command.token,
      timeoutMs: config.command.timeoutMs,
      connections: config.command.concurrency,
      updateMethod: config.command.updateMethod,
      attributePaths: mappedPaths({ attributes: config.attributes, phoneType: config.users.phoneType }),
      retry: config.retry,
      requestsPerMinute: config.command.requestsPerMinute,
      onWait: reportWait(reporter),
      ...(signal === undefined ? {} : { signal }),
      ...(onResponse === undefined ? {} : { onResponse }),
    }),
  );
}

export async function readCommand(client: Pick<ScimClient, "listUsers" | "listGroups">, reporter: Reporter): Promise<{ users: RemoteUser[]; groups: RemoteGroup[] }> {
  reporter.step("Reading users and groups from Command");
  try {
    const users: RemoteUser[] = [];
    for await (const user of client.listUsers({ pageSize: COMMAND_PAGE_SIZE })) {
      users.push(user);
      if (users.length % COMMAND_PAGE_SIZE === 0) reporter.progress(`Reading from Command: ${users.length} users`);
    }
    const groups: RemoteGroup[] = [];
    for await (const group of client.listGroups({ pageSize: COMMAND_PAGE_SIZE })) groups.push(group);
    reporter.stepDone(`Read ${users.length} users and ${groups.length} groups from Command`);
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
