/**
 * Command's SCIM API as one client: the users, groups and lookups pieces over one transport
 * (pacing, retries, deadlines). It fits the applier's Command port (ScimTarget and ScimLookups)
 * and adds the full reads `import` and refreshes use. Every write is believed only when its
 * answer confirms it (see confirm.ts).
 */
import { RemoteError } from "../errors.js";
import { parseAttributePath } from "./attribute-path.js";
import { type ScimGroups, scimGroups } from "./groups.js";
import { type ScimLookupsOf, scimLookups } from "./lookups.js";
import { resourceIo } from "./resource-io.js";
import { createTransport, type TransportOptions } from "./transport.js";
import { type ScimUsers, scimUsers, type UserSettings } from "./users.js";

export { isFilterRefusal, type ListOptions } from "./resource-io.js";

export interface ScimClientOptions extends TransportOptions, UserSettings {}

export interface ScimClient extends ScimUsers, ScimGroups, ScimLookupsOf {
  /** GET /ServiceProviderConfig (RFC 7644 section 5) as sent; undefined on 404, when it is not offered. */
  getServiceProviderConfig(): Promise<Record<string, unknown> | undefined>;
  /** Closes the keep-alive connections; requests after this fail. */
  close(): Promise<void>;
}

export function createScimClient(options: ScimClientOptions): ScimClient {
  // A path the builders cannot place fails here, at start-up, rather than on the first user.
  for (const path of options.attributePaths ?? []) parseAttributePath(path);
  const transport = createTransport(options);
  const io = resourceIo(transport);
  const users = scimUsers(io, options);
  const groups = scimGroups(io);
  return {
    ...users,
    ...groups,
    ...scimLookups({ listUsers: users.listUsers, listGroups: groups.listGroups }),
    async getServiceProviderConfig() {
      try {
        return await io.read("/ServiceProviderConfig");
      } catch (error) {
        // Optional in practice: any 404 says it is not offered here.
        if (error instanceof RemoteError && error.status === 404) return undefined;
        throw error;
      }
    },
    close: () => transport.close(),
  };
}
