/**
 * An independent SCIM 2.0 service provider for tests, built on SCIMMY and its express routers:
 * SCIMMY parses and validates every request against the RFC 7643 schemas (User with the
 * enterprise extension, Group) and applies PATCH operations itself, so it checks our wire format
 * without sharing any code with the client. Resources live in memory, per server.
 */
import { randomUUID } from "node:crypto";
import type { AddressInfo } from "node:net";
import express from "express";
import SCIMMY from "scimmy";
import SCIMMYRouters from "scimmy-routers";

export type JsonObject = Record<string, unknown>;

export interface RecordedRequest {
  method: string;
  /** Path with query, as received. */
  url: string;
  headers: Record<string, string | string[] | undefined>;
  /** The parsed JSON body, when there was one. */
  body: unknown;
}

export interface ScimmyServer {
  /** Base URL of the SCIM API (ends in /scim). */
  url: string;
  token: string;
  users(): JsonObject[];
  groups(): JsonObject[];
  requests(): RecordedRequest[];
  clearRequests(): void;
  close(): Promise<void>;
}

interface Store {
  users: Map<string, JsonObject>;
  groups: Map<string, JsonObject>;
}

type Kind = "users" | "groups";

interface ResourceLike {
  id?: string;
  filter?: { match(values: JsonObject[]): JsonObject[] };
}

function notFound(id: string | undefined): Error {
  return new SCIMMY.Types.Error(404, null as unknown as string, `Resource ${id} not found`);
}

function plain(value: unknown): JsonObject {
  return JSON.parse(JSON.stringify(value)) as JsonObject;
}

function egress(kind: Kind) {
  return (resource: ResourceLike, ctx: Store): JsonObject | JsonObject[] => {
    const records = ctx[kind];
    if (resource.id !== undefined) {
      const found = records.get(resource.id);
      if (!found) throw notFound(resource.id);
      return structuredClone(found);
    }
    const all = [...records.values()].map((r) => structuredClone(r));
    return resource.filter ? resource.filter.match(all) : all;
  };
}

function ingress(kind: Kind) {
  return (resource: ResourceLike, instance: unknown, ctx: Store): JsonObject => {
    const records = ctx[kind];
    const data = plain(instance);
    const existing = resource.id === undefined ? undefined : records.get(resource.id);
    if (resource.id !== undefined && !existing) throw notFound(resource.id);
    const id = resource.id ?? randomUUID();

    if (kind === "users") {
      const userName = String(data.userName ?? "").toLowerCase();
      for (const [otherId, other] of records) {
        if (otherId !== id && String(other.userName).toLowerCase() === userName) {
          throw new SCIMMY.Types.Error(409, "uniqueness", `userName ${String(data.userName)} is already taken`);
        }
      }
    } else {
      const members = Array.isArray(data.members) ? (data.members as JsonObject[]) : [];
      for (const member of members) {
        if (!ctx.users.has(String(member.value))) {
          throw new SCIMMY.Types.Error(400, "invalidValue", `member ${String(member.value)} is not a User`);
        }
      }
    }

    const now = new Date().toISOString();
    const created = (existing?.meta as JsonObject | undefined)?.created ?? now;
    const record: JsonObject = { ...data, id, meta: { resourceType: kind === "users" ? "User" : "Group", created, lastModified: now } };
    delete record.schemas;
    records.set(id, record);
    return structuredClone(record);
  };
}

function degress(kind: Kind) {
  return (resource: ResourceLike, ctx: Store): void => {
    if (resource.id === undefined || !ctx[kind].delete(resource.id)) throw notFound(resource.id);
  };
}

let declared = false;

/** SCIMMY keeps declared resources in a process-wide registry: declare once, route by context. */
function declareResources(): void {
  if (declared) return;
  declared = true;
  type Handlers = Parameters<typeof SCIMMY.Resources.declare>[1];
  SCIMMY.Resources.declare(SCIMMY.Resources.User, {
    ingress: ingress("users"),
    egress: egress("users"),
    degress: degress("users"),
    extensions: [{ schema: SCIMMY.Schemas.EnterpriseUser, required: false }],
  } as unknown as Handlers);
  SCIMMY.Resources.declare(SCIMMY.Resources.Group, {
    ingress: ingress("groups"),
    egress: egress("groups"),
    degress: degress("groups"),
  } as unknown as Handlers);
}

export async function startScimmyServer(options: { token?: string } = {}): Promise<ScimmyServer> {
  declareResources();
  const token = options.token ?? `scimmy-${randomUUID()}`;
  const store: Store = { users: new Map(), groups: new Map() };
  const requests: RecordedRequest[] = [];

  const app = express();
  // Parsed here (same types as the routers accept) so the exact body sent can be recorded;
  // the routers' own parser then sees a finished request and keeps this body.
  app.use(express.json({ type: ["application/scim+json", "application/json"] }));
  app.use((req, _res, next) => {
    requests.push({ method: req.method, url: req.originalUrl, headers: { ...req.headers }, body: req.body });
    next();
  });
  app.use(
    "/scim",
    new SCIMMYRouters({
      type: "bearer",
      handler: (req) => {
        if (req.header("Authorization") !== `Bearer ${token}`) throw new Error("Invalid bearer token");
        return "test-client";
      },
      context: () => store,
    }) as unknown as express.Router,
  );

  const server = app.listen(0, "127.0.0.1");
  await new Promise<void>((resolve, reject) => {
    server.once("listening", () => resolve());
    server.once("error", reject);
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/scim`,
    token,
    users: () => [...store.users.values()].map((u) => structuredClone(u)),
    groups: () => [...store.groups.values()].map((g) => structuredClone(g)),
    requests: () => [...requests],
    clearRequests: () => {
      requests.length = 0;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
