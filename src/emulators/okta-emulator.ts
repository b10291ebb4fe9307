/**
 * A loopback emulator of the slice of Okta's Management API this tool reads: app users and group
 * assignments, groups (list, search, get, members), users, the System Log, and the OAuth 2.0 token
 * endpoint for service apps. It serves a live, mutable `EmulatedOktaOrg`, speaks Okta's pagination
 * (`after` cursors, absolute `Link` headers), rate-limit headers and 429s, SSWS and Bearer auth,
 * and Okta's error bodies, so the real SDK can be driven against it over HTTP.
 *
 * This file is the server and its handle: each request is counted, authenticated (okta-auth.ts),
 * charged to its rate-limit bucket (okta-rate-limit.ts), given a chance to fail (okta-faults.ts),
 * then answered by the token endpoint (okta-token-endpoint.ts) or the resources (okta-routes.ts).
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { authenticate, type Credentials, insufficientScope, requiredScope } from "./okta-auth.js";
import { createDpopVerifier } from "./okta-dpop.js";
import { invalidToken, methodNotAllowed, oktaError, rateLimited } from "./okta-errors.js";
import { faultReply, type InjectedFault, startStalledList } from "./okta-faults.js";
import { type Reply, readBody, sendReply, sleep } from "./okta-http.js";
import type { EmulatedOktaOrg } from "./okta-org.js";
import { bucketOf, OktaRateLimiter, type RateLimitBucket } from "./okta-rate-limit.js";
import { type RouteContext, type RouteSwitches, route } from "./okta-routes.js";
import { countRequest, emptyStats, type OktaEmulatorStats, resetStats } from "./okta-stats.js";
import { issueToken, type OktaOAuthClient, type TokenIssuer } from "./okta-token-endpoint.js";
import { assignedUsersCache } from "./org-assignments.js";

export type { InjectedFault } from "./okta-faults.js";
export type { RateLimitBucket } from "./okta-rate-limit.js";
export type { OktaEmulatorStats } from "./okta-stats.js";
export type { OktaOAuthClient } from "./okta-token-endpoint.js";

const TOKEN_PATH = "/oauth2/v1/token";

export interface OktaEmulatorOptions {
  org: EmulatedOktaOrg;
  /** The SSWS API token that is accepted. */
  token: string;
  /** Service apps that may get access tokens with private_key_jwt. */
  oauthClients?: readonly OktaOAuthClient[];
  port?: number;
  /** Base of the absolute URLs in Link headers and `_links`; default the listening URL. */
  publicUrl?: string;
  /** Epoch ms; drives Date, rate-limit windows and token expiry. Default Date.now. */
  now?: () => number;
  /** `false`: no 429s (headers report a huge budget). Otherwise per-bucket budgets over the defaults. */
  rateLimits?: false | Partial<Record<RateLimitBucket, number>>;
  /** Okta SDK issue #439: the next link of app users loses `expand=user`. */
  dropExpandOnNextLink?: boolean;
  /** Never embed users in app users, whatever `expand` says. */
  ignoreExpand?: boolean;
  /** Serve the System Log (default true); false answers 403 E0000006, as for a token without okta.logs.read. */
  systemLog?: boolean;
  /** Delay before every response, in ms. Default 0. */
  latencyMs?: number;
  /** API requests with a DPoP-bound token must carry the API's nonce in their proof (default true). */
  dpopResourceNonce?: boolean;
}

export interface RequestLogEntry {
  method: string;
  /** Path and query, as received. */
  path: string;
  status: number;
  bucket: RateLimitBucket;
  auth: "ssws" | "bearer" | "dpop" | "none";
  userAgent: string | undefined;
}

export interface InjectContext {
  method: string;
  pathname: string;
  query: URLSearchParams;
  /** Requests received so far with this method and pathname, this one included. */
  count: number;
}

/** The switches of OktaEmulatorOptions, as tests may flip them between requests. */
export interface OktaEmulatorBehavior extends RouteSwitches {
  /** Delay before every response, in ms. */
  latencyMs: number;
  /** API requests with a DPoP-bound token must carry the API's nonce. */
  dpopResourceNonce: boolean;
}

export interface OktaEmulator {
  url: string;
  org: EmulatedOktaOrg;
  requests: RequestLogEntry[];
  stats: OktaEmulatorStats;
  /** Switches that tests may flip between requests. */
  behavior: OktaEmulatorBehavior;
  /** Called for every authenticated, non-rate-limited request; a returned fault replaces the answer. */
  inject: ((context: InjectContext) => InjectedFault | undefined) | undefined;
  /** Starts every rate-limit window afresh. */
  resetRateLimits(): void;
  /** New DPoP nonces: the next proof with an old one gets the use_dpop_nonce challenge. */
  rotateDpopNonce(): void;
  /** Zeroes the counters of `stats` (the request log is kept). */
  resetStats(): void;
  close(): Promise<void>;
}

export async function startOktaEmulator(options: OktaEmulatorOptions): Promise<OktaEmulator> {
  const now = options.now ?? Date.now;
  const limiter = new OktaRateLimiter(options.rateLimits, now);
  /** Requests so far by method and pathname, for `InjectContext.count`. */
  const counts = new Map<string, number>();
  const credentials: Credentials & TokenIssuer = {
    apiToken: options.token,
    clients: options.oauthClients ?? [],
    accessTokens: new Map(),
    usedAssertions: new Set(),
    dpop: createDpopVerifier(now),
    now,
  };
  const assignedUsers = assignedUsersCache();
  let requestSerial = 0;
  /** The public URL, known once the server listens. */
  let base = "";

  const emulator: OktaEmulator = {
    url: "",
    org: options.org,
    requests: [],
    stats: emptyStats(),
    behavior: {
      dropExpandOnNextLink: options.dropExpandOnNextLink ?? false,
      ignoreExpand: options.ignoreExpand ?? false,
      systemLog: options.systemLog ?? true,
      latencyMs: options.latencyMs ?? 0,
      dpopResourceNonce: options.dpopResourceNonce ?? true,
    },
    inject: undefined,
    resetRateLimits: () => limiter.reset(),
    rotateDpopNonce: () => credentials.dpop.rotateNonce(),
    resetStats: () => resetStats(emulator.stats),
    close: async () => {},
  };

  const answer = (url: URL): Reply => {
    const context: RouteContext = { org: emulator.org, base, switches: emulator.behavior, assignedUsers };
    return route(url, context);
  };

  const server = createServer((req, res) => {
    emulator.stats.inFlight++;
    emulator.stats.maxInFlight = Math.max(emulator.stats.maxInFlight, emulator.stats.inFlight);
    res.on("close", () => emulator.stats.inFlight--);
    handle(req, res).catch((error: unknown) => {
      const reply = oktaError(500, "E0000009", `Internal Server Error: ${String(error)}`);
      if (!res.headersSent) write(req, res, reply, "other", "none", {});
    });
  });

  const logRequest = (req: IncomingMessage, status: number, bucket: RateLimitBucket, auth: RequestLogEntry["auth"]) => {
    emulator.requests.push({ method: req.method ?? "GET", path: req.url ?? "/", status, bucket, auth, userAgent: req.headers["user-agent"] });
  };

  const write = (
    req: IncomingMessage,
    res: ServerResponse,
    reply: Reply,
    bucket: RateLimitBucket,
    auth: RequestLogEntry["auth"],
    rateHeaders: Record<string, string>,
  ) => {
    logRequest(req, reply.status, bucket, auth);
    sendReply(res, reply, { Date: new Date(now()).toUTCString(), "X-Okta-Request-Id": `emu${(++requestSerial).toString(36)}`, ...rateHeaders });
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? "GET";
    const url = new URL(req.url ?? "/", base);
    const bucket = bucketOf(url.pathname);
    const { stats } = emulator;
    countRequest(stats, method, url.pathname, bucket);
    const key = `${method} ${url.pathname}`;
    const count = (counts.get(key) ?? 0) + 1;
    counts.set(key, count);
    const body = method === "POST" ? await readBody(req) : "";

    const budget = limiter.take(bucket);
    const tokenRequest = url.pathname === TOKEN_PATH;
    const authenticated = tokenRequest ? undefined : authenticate(req, url, base, emulator.behavior.dpopResourceNonce, credentials);
    const caller = authenticated !== undefined && "kind" in authenticated ? authenticated : undefined;
    const auth: RequestLogEntry["auth"] = caller?.kind ?? "none";
    const send = async (reply: Reply) => {
      if (emulator.behavior.latencyMs > 0) await sleep(emulator.behavior.latencyMs);
      write(req, res, reply, bucket, auth, budget.headers);
    };

    if (!tokenRequest && !caller) return send(authenticated !== undefined && "status" in authenticated ? authenticated : invalidToken());
    if (!budget.allowed) {
      stats.rateLimited++;
      return send(rateLimited());
    }
    const fault = emulator.inject?.({ method, pathname: url.pathname, query: url.searchParams, count });
    if (fault && "reset" in fault) {
      logRequest(req, 0, bucket, auth);
      req.socket.destroy();
      return;
    }
    if (fault && "stall" in fault) {
      logRequest(req, 200, bucket, auth);
      startStalledList(res, budget.headers);
      return;
    }
    if (fault) {
      if ("status" in fault && !("redirect" in fault) && fault.status === 429) stats.rateLimited++;
      return send(faultReply(fault, base, url, now(), answer));
    }
    if (tokenRequest) {
      const proof = req.headers.dpop;
      return send(method === "POST" ? issueToken(body, typeof proof === "string" ? proof : undefined, base, credentials) : methodNotAllowed());
    }
    if (method !== "GET") return send(methodNotAllowed());
    const scope = requiredScope(bucket);
    if (caller?.scopes && scope && !caller.scopes.has(scope)) return send(insufficientScope(base));
    send(answer(url));
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  emulator.url = `http://127.0.0.1:${port}`;
  base = (options.publicUrl ?? emulator.url).replace(/\/+$/, "");
  emulator.close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return emulator;
}
