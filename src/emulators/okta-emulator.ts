/**
 * A loopback emulator of the slice of Okta's Management API this tool reads: app users and group
 * assignments, groups (list, search, get, members), users, the System Log, and the OAuth 2.0 token
 * endpoint for service apps. It serves a live, mutable `EmulatedOktaOrg`, speaks Okta's pagination
 * (`after` cursors, absolute `Link` headers), rate-limit headers and 429s, SSWS and Bearer auth,
 * and Okta's error bodies, so the real SDK can be driven against it over HTTP.
 */
import type { JsonWebKey } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { createDpopVerifier, type DpopMode, dpopResourceRefusal, verifyJws } from "./okta-dpop.js";
import { endlessPage, firstPageUrl, type InjectedFault, redirectReply, startStalledList } from "./okta-faults.js";
import { type SearchExpr, matches, parseSearch } from "./okta-search.js";
import { LOG_PAGE_LIMIT, parseLogQuery, queryLog, renderLogEvent } from "./okta-system-log.js";
import {
  appAccess,
  appProfileFor,
  directAssignment,
  type EffectiveAppUser,
  type EmulatedGroup,
  type EmulatedGroupAssignment,
  type EmulatedOktaOrg,
  type EmulatedUser,
  findDirectAssignment,
  listAssignedUsers,
  lookupUser,
} from "./org-generator.js";

export type { InjectedFault } from "./okta-faults.js";
export { matches, parseSearch, type SearchExpr } from "./okta-search.js";

export type RateLimitBucket = "apps" | "groups" | "group" | "users" | "user" | "logs" | "oauth" | "other";

/** Per-minute budgets, from Okta's last published table. */
export const DEFAULT_RATE_LIMITS: Readonly<Record<RateLimitBucket, number>> = {
  apps: 100,
  groups: 500,
  group: 1000,
  users: 600,
  user: 2000,
  logs: 120,
  oauth: 600,
  other: 1200,
};

/** Default and largest `limit` per list endpoint; a larger limit is clamped, as Okta does. */
export const PAGE_LIMITS = {
  appUsers: { default: 50, max: 500 },
  appGroups: { default: 20, max: 200 },
  groups: { default: 10000, max: 10000 },
  groupsQuery: { default: 300, max: 10000 },
  groupMembers: { default: 1000, max: 1000 },
  users: { default: 200, max: 200 },
  logs: LOG_PAGE_LIMIT,
} as const;

const WINDOW_MS = 60_000;
const UNLIMITED = 1_000_000;

export interface OktaOAuthClient {
  clientId: string;
  /** Public (or private) key as PEM, JWK object or JWK JSON; the assertion is checked against it. */
  publicKey: string | JsonWebKey;
  /** Scopes the service app was granted. */
  scopes: readonly string[];
  /**
   * DPoP: `required` (what Okta sets for API Services apps created since 2024) refuses a token
   * request without a valid proof and binds the token to the proof's key; `optional` binds it
   * when a proof is sent. Default: proofs are ignored and tokens are Bearer tokens.
   */
  dpop?: DpopMode;
}

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

export interface OktaEmulatorStats {
  requests: number;
  /** 429s sent, by the rate limiter or injected. */
  rateLimited: number;
  byBucket: Record<RateLimitBucket, number>;
  /**
   * Requests by method and templated path, whatever their answer, e.g.
   * "GET /api/v1/apps/{appId}/users", "GET /api/v1/groups/{groupId}/users", "GET /api/v1/logs",
   * "POST /oauth2/v1/token". Paths outside the known resources are counted as received.
   */
  byEndpoint: Record<string, number>;
  inFlight: number;
  maxInFlight: number;
}

export interface InjectContext {
  method: string;
  pathname: string;
  query: URLSearchParams;
  /** Requests received so far with this method and pathname, this one included. */
  count: number;
}

export interface OktaEmulatorBehavior {
  dropExpandOnNextLink: boolean;
  ignoreExpand: boolean;
  /** false: /api/v1/logs answers 403 E0000006. */
  systemLog: boolean;
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

interface Reply {
  status: number;
  body: unknown;
  /** Sent as text/html instead of `body`: what a proxy in front of Okta might answer. */
  text?: string;
  headers?: Record<string, string | string[]>;
}

interface Caller {
  kind: "ssws" | "bearer" | "dpop";
  scopes: ReadonlySet<string> | undefined;
}

// --- Okta error bodies ------------------------------------------------------------------------

let errorSerial = 0;

function oktaError(status: number, errorCode: string, errorSummary: string, causes: string[] = []): Reply {
  errorSerial++;
  return {
    status,
    body: {
      errorCode,
      errorSummary,
      errorLink: errorCode,
      errorId: `oae${errorSerial.toString(36).padStart(8, "0")}EmulatedOktaErr`,
      errorCauses: causes.map((errorSummary) => ({ errorSummary })),
    },
  };
}

const notFound = (id: string, type: string) => oktaError(404, "E0000007", `Not found: Resource not found: ${id} (${type})`);
const invalidToken = () => oktaError(401, "E0000011", "Invalid token provided");
const forbidden = () => oktaError(403, "E0000006", "You do not have permission to perform the requested action");
const rateLimited = () => oktaError(429, "E0000047", "API call exceeded rate limit due to too many requests.");
const invalidSearch = (detail: string) => oktaError(400, "E0000031", "Invalid search criteria.", [detail]);

function defaultFaultBody(status: number): unknown {
  if (status === 429) return rateLimited().body;
  if (status === 401) return invalidToken().body;
  if (status === 403) return forbidden().body;
  if (status === 404) return oktaError(404, "E0000007", "Not found: Resource not found").body;
  if (status === 503) return oktaError(503, "E0000010", "Service is in read only mode").body;
  return oktaError(status, "E0000009", "Internal Server Error").body;
}

// --- pagination -------------------------------------------------------------------------------

function parseLimit(raw: string | null, spec: { default: number; max: number }): number | Reply {
  if (raw === null) return spec.default;
  if (!/^-?\d+$/.test(raw.trim())) {
    return oktaError(400, "E0000001", "Api validation failed: limit", ["limit: must be an integer"]);
  }
  const n = Number(raw);
  if (n < 1) return oktaError(400, "E0000001", "Api validation failed: limit", ["limit: must be at least 1"]);
  return Math.min(n, spec.max);
}

/** Items must be sorted by key; the cursor is the key of the last item of the previous page. */
function pageAfter<T>(items: readonly T[], key: (item: T) => string, after: string | null, limit: number) {
  let start = 0;
  if (after) {
    let lo = 0;
    let hi = items.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (key(items[mid]!) <= after) lo = mid + 1;
      else hi = mid;
    }
    start = lo;
  }
  const page = items.slice(start, start + limit);
  const more = start + limit < items.length && page.length > 0;
  return { page, next: more ? key(page[page.length - 1]!) : undefined };
}

const byKey = <T>(key: (item: T) => string) => (a: T, b: T) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0);

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

const emptyBuckets = (): Record<RateLimitBucket, number> => ({ apps: 0, groups: 0, group: 0, users: 0, user: 0, logs: 0, oauth: 0, other: 0 });

/**
 * The app's users as listAssignedUsers lists them, worked out again only when the org changed:
 * the helpers move the org clock, and edits behind their back show in a list replaced or resized.
 * A page of 500 out of 100,000 app users must not cost a full recomputation.
 */
function assignedUsersCache() {
  let key: unknown[] = [];
  let value: EffectiveAppUser[] = [];
  return (org: EmulatedOktaOrg): EffectiveAppUser[] => {
    const next: unknown[] = [org, org.clock, org.users, org.users.length, org.groups, org.groups.length, org.app, org.app.users, org.app.users.length, org.app.groups, org.app.groups.length];
    for (const ga of org.app.groups) {
      const group = org.groups.find((g) => g.id === ga.groupId);
      next.push(ga, ga.groupId, ga.lastUpdated, group, group?.members, group?.members.length);
    }
    if (next.length !== key.length || next.some((part, i) => part !== key[i])) {
      value = listAssignedUsers(org);
      key = next;
    }
    return value;
  };
}

const TEMPLATE_IDS: Record<string, string> = { apps: "{appId}", groups: "{groupId}", users: "{userId}" };

/** "GET /api/v1/apps/{appId}/users": the method and the path with its ids templated. */
export function endpointOf(method: string, pathname: string): string {
  const parts = pathname.replace(/\/+$/, "").split("/");
  if (parts[1] === "api" && parts[2] === "v1" && parts.length <= 7) {
    const [, , , collection = "", id, sub, subId] = parts;
    const idName = TEMPLATE_IDS[collection];
    if (idName !== undefined || (collection === "logs" && id === undefined)) {
      let template = `/api/v1/${collection}`;
      if (id !== undefined) template += `/${idName}`;
      if (sub !== undefined) template += `/${sub}`;
      if (subId !== undefined) template += `/${TEMPLATE_IDS[sub ?? ""] ?? "{id}"}`;
      return `${method} ${template}`;
    }
  }
  return `${method} ${pathname}`;
}

// --- the server -------------------------------------------------------------------------------

export async function startOktaEmulator(options: OktaEmulatorOptions): Promise<OktaEmulator> {
  const now = options.now ?? Date.now;
  const budgets: Record<RateLimitBucket, number> | false =
    options.rateLimits === false ? false : { ...DEFAULT_RATE_LIMITS, ...(options.rateLimits ?? {}) };
  const windows = new Map<RateLimitBucket, { start: number; used: number }>();
  const counts = new Map<string, number>();
  /** `jkt`: the thumbprint of the key a DPoP-bound token is bound to. */
  const accessTokens = new Map<string, { clientId: string; scopes: Set<string>; expiresAt: number; jkt: string | undefined }>();
  const dpop = createDpopVerifier(now);
  const usedAssertions = new Set<string>();
  let requestSerial = 0;

  const assignedUsers = assignedUsersCache();

  const emulator: OktaEmulator = {
    url: "",
    org: options.org,
    requests: [],
    stats: {
      requests: 0,
      rateLimited: 0,
      byBucket: emptyBuckets(),
      byEndpoint: {},
      inFlight: 0,
      maxInFlight: 0,
    },
    behavior: {
      dropExpandOnNextLink: options.dropExpandOnNextLink ?? false,
      ignoreExpand: options.ignoreExpand ?? false,
      systemLog: options.systemLog ?? true,
      latencyMs: options.latencyMs ?? 0,
      dpopResourceNonce: options.dpopResourceNonce ?? true,
    },
    inject: undefined,
    resetRateLimits: () => windows.clear(),
    rotateDpopNonce: () => dpop.rotateNonce(),
    resetStats: () => {
      const { stats } = emulator;
      stats.requests = 0;
      stats.rateLimited = 0;
      stats.byBucket = emptyBuckets();
      stats.byEndpoint = {};
      stats.maxInFlight = stats.inFlight;
    },
    close: async () => {},
  };
  let base = "";

  const takeBudget = (bucket: RateLimitBucket) => {
    const at = now();
    let window = windows.get(bucket);
    if (!window || at >= window.start + WINDOW_MS) {
      window = { start: at, used: 0 };
      windows.set(bucket, window);
    }
    window.used++;
    const limit = budgets === false ? UNLIMITED : budgets[bucket];
    return {
      allowed: window.used <= limit,
      headers: {
        "X-Rate-Limit-Limit": String(limit),
        "X-Rate-Limit-Remaining": String(Math.max(0, limit - window.used)),
        "X-Rate-Limit-Reset": String(Math.ceil((window.start + WINDOW_MS) / 1000)),
      },
    };
  };

  /** The caller, the refusal of a DPoP-bound token's request, or undefined (no valid credential). */
  const authenticate = (req: IncomingMessage, method: string, url: URL): Caller | Reply | undefined => {
    const header = req.headers.authorization;
    if (!header) return undefined;
    const [scheme, value] = [header.slice(0, header.indexOf(" ")), header.slice(header.indexOf(" ") + 1)];
    if (scheme === "SSWS" && value === options.token) return { kind: "ssws", scopes: undefined };
    const token = scheme === "Bearer" || scheme === "DPoP" ? accessTokens.get(value) : undefined;
    if (!token || token.expiresAt <= now()) return undefined;
    if (token.jkt === undefined) return scheme === "Bearer" ? { kind: "bearer", scopes: token.scopes } : undefined;
    const refusal = (error: string, description: string, nonce?: string): Reply => ({ ...invalidToken(), ...dpopResourceRefusal(error, description, nonce) });
    if (scheme !== "DPoP") return refusal("invalid_token", "The access token is DPoP-bound: it must be sent with the DPoP scheme and a proof.");
    const proof = req.headers.dpop;
    const outcome = dpop.check(typeof proof === "string" ? proof : undefined, {
      method,
      htu: `${base}${url.pathname}`,
      accessToken: value,
      jkt: token.jkt,
      nonce: emulator.behavior.dpopResourceNonce ? "resource" : undefined,
    });
    if (!outcome.ok) return refusal(outcome.error, outcome.description, outcome.nonce);
    return { kind: "dpop", scopes: token.scopes };
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

  const write = (
    req: IncomingMessage,
    res: ServerResponse,
    reply: Reply,
    bucket: RateLimitBucket,
    auth: RequestLogEntry["auth"],
    rateHeaders: Record<string, string>,
  ) => {
    emulator.requests.push({
      method: req.method ?? "GET",
      path: req.url ?? "/",
      status: reply.status,
      bucket,
      auth,
      userAgent: req.headers["user-agent"],
    });
    const body = reply.text ?? JSON.stringify(reply.body);
    res.writeHead(reply.status, {
      "Content-Type": reply.text === undefined ? "application/json" : "text/html",
      "Content-Length": String(Buffer.byteLength(body)),
      Date: new Date(now()).toUTCString(),
      "X-Okta-Request-Id": `emu${(++requestSerial).toString(36)}`,
      ...rateHeaders,
      ...reply.headers,
    });
    res.end(body);
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? "GET";
    const url = new URL(req.url ?? "/", base);
    const bucket = bucketOf(url.pathname);
    const { stats } = emulator;
    stats.requests++;
    stats.byBucket[bucket]++;
    const endpoint = endpointOf(method, url.pathname);
    stats.byEndpoint[endpoint] = (stats.byEndpoint[endpoint] ?? 0) + 1;
    const key = `${method} ${url.pathname}`;
    const count = (counts.get(key) ?? 0) + 1;
    counts.set(key, count);
    const body = method === "POST" ? await readBody(req) : "";

    const budget = takeBudget(bucket);
    const authenticated = url.pathname === "/oauth2/v1/token" ? undefined : authenticate(req, method, url);
    const caller = authenticated !== undefined && "kind" in authenticated ? authenticated : undefined;
    const auth: RequestLogEntry["auth"] = caller?.kind ?? "none";
    const send = async (reply: Reply) => {
      if (emulator.behavior.latencyMs > 0) await sleep(emulator.behavior.latencyMs);
      write(req, res, reply, bucket, auth, budget.headers);
    };

    if (url.pathname !== "/oauth2/v1/token" && !caller) return send(authenticated !== undefined && "status" in authenticated ? authenticated : invalidToken());
    if (!budget.allowed) {
      stats.rateLimited++;
      return send(rateLimited());
    }
    const fault = emulator.inject?.({ method, pathname: url.pathname, query: url.searchParams, count });
    if (fault && "reset" in fault) {
      emulator.requests.push({ method, path: req.url ?? "/", status: 0, bucket, auth, userAgent: req.headers["user-agent"] });
      req.socket.destroy();
      return;
    }
    if (fault && "stall" in fault) {
      emulator.requests.push({ method, path: req.url ?? "/", status: 200, bucket, auth, userAgent: req.headers["user-agent"] });
      startStalledList(res, budget.headers);
      return;
    }
    if (fault && "endlessNext" in fault) {
      if (fault.endlessNext === "empty") return send(endlessPage(base, url, []));
      const first = route(firstPageUrl(url));
      return send(first.status === 200 && Array.isArray(first.body) ? endlessPage(base, url, first.body) : first);
    }
    if (fault && "redirect" in fault) return send(redirectReply(fault));
    if (fault) {
      const headers = { ...(fault.status === 429 ? { "X-Rate-Limit-Reset": String(Math.floor(now() / 1000)) } : {}), ...fault.headers };
      if (fault.status === 429) stats.rateLimited++;
      return send({ status: fault.status, body: fault.body ?? defaultFaultBody(fault.status), text: fault.text, headers });
    }
    if (url.pathname === "/oauth2/v1/token") {
      const proof = req.headers.dpop;
      return send(method === "POST" ? issueToken(body, typeof proof === "string" ? proof : undefined) : oktaError(405, "E0000022", "The endpoint does not support the provided HTTP method"));
    }
    if (method !== "GET") return send(oktaError(405, "E0000022", "The endpoint does not support the provided HTTP method"));
    const scope = requiredScope(bucket);
    if (caller?.scopes && scope && !caller.scopes.has(scope)) {
      const reply = forbidden();
      reply.headers = { "WWW-Authenticate": `Bearer authorization_uri="${base}/oauth2/v1/authorize", error="insufficient_scope"` };
      return send(reply);
    }
    send(route(url));
  }

  // --- OAuth 2.0 client credentials with private_key_jwt ----------------------------------------

  const oauthError = (status: number, error: string, description: string): Reply => ({
    status,
    body: { error, error_description: description },
  });

  function issueToken(body: string, proof: string | undefined): Reply {
    const form = new URLSearchParams(body);
    if (form.get("grant_type") !== "client_credentials") {
      return oauthError(400, "unsupported_grant_type", "The authorization grant type is not supported by the authorization server.");
    }
    if (form.get("client_assertion_type") !== "urn:ietf:params:oauth:client-assertion-type:jwt-bearer") {
      return oauthError(401, "invalid_client", "Client authentication failed: a private_key_jwt client assertion is required.");
    }
    const assertion = form.get("client_assertion") ?? "";
    const [h, p, s] = assertion.split(".");
    if (!h || !p || !s) return oauthError(401, "invalid_client", "The client_assertion is not a JWT.");
    let header: { alg?: string };
    let claims: { iss?: string; sub?: string; aud?: string; exp?: number; iat?: number; jti?: string };
    try {
      header = JSON.parse(Buffer.from(h, "base64url").toString("utf8"));
      claims = JSON.parse(Buffer.from(p, "base64url").toString("utf8"));
    } catch {
      return oauthError(401, "invalid_client", "The client_assertion is not a JWT.");
    }
    const client = options.oauthClients?.find((c) => c.clientId === claims.iss);
    if (!client || claims.sub !== claims.iss) return oauthError(401, "invalid_client", "The client_assertion names an unknown client.");
    if (!verifyJws(header.alg, `${h}.${p}`, Buffer.from(s, "base64url"), client.publicKey)) {
      return oauthError(401, "invalid_client", "The client_assertion signature is invalid.");
    }
    const seconds = Math.floor(now() / 1000);
    if (claims.aud !== `${base}/oauth2/v1/token`) return oauthError(401, "invalid_client", "The audience of the client_assertion is invalid.");
    if (typeof claims.exp !== "number" || claims.exp <= seconds) return oauthError(401, "invalid_client", "The client_assertion has expired.");
    if (claims.exp - (claims.iat ?? seconds) > 3600) return oauthError(401, "invalid_client", "The client_assertion lives longer than an hour.");
    if (claims.jti && usedAssertions.has(claims.jti)) return oauthError(401, "invalid_client", "The client_assertion was used before.");
    let jkt: string | undefined;
    if (client.dpop === "required" || (client.dpop === "optional" && proof !== undefined)) {
      const outcome = dpop.check(proof, { method: "POST", htu: `${base}/oauth2/v1/token`, nonce: "token" });
      if (!outcome.ok) {
        const reply = oauthError(400, outcome.error, outcome.description);
        if (outcome.nonce !== undefined) reply.headers = { "DPoP-Nonce": outcome.nonce };
        return reply;
      }
      jkt = outcome.jkt;
    }
    if (claims.jti) usedAssertions.add(claims.jti);
    const requested = (form.get("scope") ?? "").split(" ").filter(Boolean);
    const denied = requested.filter((scope) => !client.scopes.includes(scope));
    if (requested.length === 0 || denied.length > 0) {
      return oauthError(400, "invalid_scope", `The following scopes are not allowed: ${denied.join(" ") || "(none requested)"}`);
    }
    const accessToken = `emu.${Buffer.from(`${client.clientId}:${now()}:${accessTokens.size}`).toString("base64url")}`;
    accessTokens.set(accessToken, { clientId: client.clientId, scopes: new Set(requested), expiresAt: now() + 3_600_000, jkt });
    const tokenType = jkt === undefined ? "Bearer" : "DPoP";
    return { status: 200, body: { token_type: tokenType, expires_in: 3600, access_token: accessToken, scope: requested.join(" ") } };
  }

  // --- resources --------------------------------------------------------------------------------

  const org = () => emulator.org;

  const renderUser = (user: EmulatedUser) => ({
    id: user.id,
    status: user.status,
    created: user.created,
    activated: user.activated,
    statusChanged: user.statusChanged,
    lastLogin: user.lastLogin,
    lastUpdated: user.lastUpdated,
    passwordChanged: user.passwordChanged,
    type: { id: "oty1emulatedusertype" },
    profile: { ...user.profile },
    credentials: { provider: { type: "OKTA", name: "OKTA" } },
    _links: { self: { href: `${base}/api/v1/users/${user.id}` } },
  });

  const renderGroup = (group: EmulatedGroup) => ({
    id: group.id,
    created: group.created,
    lastUpdated: group.lastUpdated,
    lastMembershipUpdated: group.lastMembershipUpdated,
    objectClass: ["okta:user_group"],
    type: group.type,
    profile: { name: group.name, description: group.description },
    _links: {
      logo: [{ name: "medium", href: `${base}/img/logos/groups/okta-medium.png`, type: "image/png" }],
      users: { href: `${base}/api/v1/groups/${group.id}/users` },
      apps: { href: `${base}/api/v1/groups/${group.id}/apps` },
    },
  });

  /** One app user, without listing them all. */
  const assignedUser = (userId: string): EffectiveAppUser | undefined => {
    const access = appAccess(org(), userId);
    const user = lookupUser(org(), userId);
    if (access === undefined || user === undefined) return undefined;
    if (access.scope === "USER") {
      const assignment = findDirectAssignment(org(), userId)!;
      return { user, scope: "USER", assignment };
    }
    return { user, scope: "GROUP", assignment: directAssignment(user, access.since) };
  };

  const renderAppUser = (entry: EffectiveAppUser, expandUser: boolean) => {
    const { user, scope } = entry;
    // Through a group, the app data follows the user's profile as it is now.
    const assignment =
      scope === "GROUP" ? { ...entry.assignment, userName: user.profile.login, profile: appProfileFor(user.profile) } : entry.assignment;
    const appUser: Record<string, unknown> = {
      id: user.id,
      externalId: assignment.externalId,
      created: assignment.created,
      lastUpdated: assignment.lastUpdated,
      scope,
      status: assignment.status,
      statusChanged: assignment.statusChanged,
      passwordChanged: null,
      syncState: assignment.syncState,
      lastSync: assignment.lastUpdated,
      credentials: { userName: assignment.userName },
      profile: { ...assignment.profile },
      _links: {
        app: { href: `${base}/api/v1/apps/${org().app.id}` },
        user: { href: `${base}/api/v1/users/${user.id}` },
      },
    };
    if (expandUser) appUser._embedded = { user: renderUser(user) };
    return appUser;
  };

  const renderGroupAssignment = (assignment: EmulatedGroupAssignment, group: EmulatedGroup | undefined, expandGroup: boolean) => {
    const rendered: Record<string, unknown> = {
      id: assignment.groupId,
      lastUpdated: assignment.lastUpdated,
      priority: assignment.priority,
      profile: { ...assignment.profile },
      _links: {
        app: { href: `${base}/api/v1/apps/${org().app.id}` },
        self: { href: `${base}/api/v1/apps/${org().app.id}/groups/${assignment.groupId}` },
        group: { href: `${base}/api/v1/groups/${assignment.groupId}` },
      },
    };
    if (expandGroup && group) rendered._embedded = { group: renderGroup(group) };
    return rendered;
  };

  const renderApp = () => {
    const app = org().app;
    return {
      id: app.id,
      name: app.name,
      label: app.label,
      status: app.status,
      created: app.created,
      lastUpdated: app.lastUpdated,
      signOnMode: app.signOnMode,
      features: ["PUSH_NEW_USERS", "PUSH_USER_DEACTIVATION", "PUSH_PROFILE_UPDATES", "GROUP_PUSH", "REACTIVATE_USERS"],
      accessibility: { selfService: false, errorRedirectUrl: null, loginRedirectUrl: null },
      visibility: { autoSubmitToolbar: false, hide: { iOS: false, web: false }, appLinks: { login: true } },
      credentials: { userNameTemplate: { template: `\${source.login}`, type: "BUILT_IN" }, signing: {} },
      settings: { app: {} },
      _links: {
        users: { href: `${base}/api/v1/apps/${app.id}/users` },
        groups: { href: `${base}/api/v1/apps/${app.id}/groups` },
      },
    };
  };

  const list = (url: URL, items: readonly unknown[], next: string | undefined, dropExpand = false): Reply => {
    const links = [`<${base}${url.pathname}${url.search}>; rel="self"`];
    if (next !== undefined) {
      const params = new URLSearchParams(url.searchParams);
      params.set("after", next);
      if (dropExpand) params.delete("expand");
      links.push(`<${base}${url.pathname}?${params.toString()}>; rel="next"`);
    }
    return { status: 200, body: items, headers: { Link: links } };
  };

  /** Applies `search` or `filter` to rendered resources; a bad expression is a 400. */
  const where = <T>(items: T[], query: URLSearchParams, render: (item: T) => unknown): T[] | Reply => {
    let result = items;
    for (const param of ["search", "filter"]) {
      const text = query.get(param);
      if (text === null) continue;
      let expr: SearchExpr;
      try {
        expr = parseSearch(text);
      } catch (error) {
        return invalidSearch(error instanceof Error ? error.message : String(error));
      }
      result = result.filter((item) => matches(expr, render(item)));
    }
    return result;
  };

  function route(url: URL): Reply {
    const q = url.searchParams;
    const parts = url.pathname.replace(/\/+$/, "").split("/").slice(1).map(decodeURIComponent);
    if (parts[0] !== "api" || parts[1] !== "v1") return notFound(url.pathname, "Resource");
    const [, , collection, id, sub, subId, ...rest] = parts;
    if (rest.length > 0) return notFound(url.pathname, "Resource");

    if (collection === "apps" && id !== undefined) {
      if (id !== org().app.id) return notFound(id, "AppInstance");
      if (sub === undefined) return { status: 200, body: renderApp() };
      if (sub === "users") {
        if (subId !== undefined) {
          const entry = assignedUser(subId);
          const expand = q.get("expand") === "user" && !emulator.behavior.ignoreExpand;
          return entry ? { status: 200, body: renderAppUser(entry, expand) } : notFound(subId, "AppUser");
        }
        const assigned = assignedUsers(org());
        const limit = parseLimit(q.get("limit"), PAGE_LIMITS.appUsers);
        if (typeof limit !== "number") return limit;
        const prefix = q.get("q")?.toLowerCase();
        const filtered = prefix
          ? assigned.filter((e) =>
              [e.assignment.userName, e.user.profile.firstName, e.user.profile.lastName, e.user.profile.email].some(
                (v) => typeof v === "string" && v.toLowerCase().startsWith(prefix),
              ),
            )
          : assigned;
        const { page, next } = pageAfter(filtered, (e) => e.user.id, q.get("after"), limit);
        const expand = q.get("expand") === "user" && !emulator.behavior.ignoreExpand;
        return list(url, page.map((e) => renderAppUser(e, expand)), next, emulator.behavior.dropExpandOnNextLink);
      }
      if (sub === "groups") {
        const groups = new Map(org().groups.map((g) => [g.id, g]));
        const assignments = [...org().app.groups].sort(byKey((a) => a.groupId));
        if (subId !== undefined) {
          const assignment = assignments.find((a) => a.groupId === subId);
          return assignment
            ? { status: 200, body: renderGroupAssignment(assignment, groups.get(subId), q.get("expand") === "group") }
            : notFound(subId, "ApplicationGroupAssignment");
        }
        const limit = parseLimit(q.get("limit"), PAGE_LIMITS.appGroups);
        if (typeof limit !== "number") return limit;
        const prefix = q.get("q")?.toLowerCase();
        const filtered = prefix
          ? assignments.filter((a) => groups.get(a.groupId)?.name.toLowerCase().startsWith(prefix))
          : assignments;
        const { page, next } = pageAfter(filtered, (a) => a.groupId, q.get("after"), limit);
        const expand = q.get("expand") === "group";
        return list(url, page.map((a) => renderGroupAssignment(a, groups.get(a.groupId), expand)), next);
      }
      return notFound(url.pathname, "Resource");
    }

    if (collection === "groups") {
      if (id === undefined) {
        const all = [...org().groups].sort(byKey((g) => g.id));
        const query = q.get("q");
        if (query !== null) {
          // Okta: a query is for pickers; it is not paged.
          const limit = parseLimit(q.get("limit"), PAGE_LIMITS.groupsQuery);
          if (typeof limit !== "number") return limit;
          const found = all.filter((g) => g.name.toLowerCase().startsWith(query.toLowerCase())).slice(0, limit);
          return list(url, found.map(renderGroup), undefined);
        }
        const limit = parseLimit(q.get("limit"), PAGE_LIMITS.groups);
        if (typeof limit !== "number") return limit;
        const filtered = where(all, q, renderGroup);
        if (!Array.isArray(filtered)) return filtered;
        const { page, next } = pageAfter(filtered, (g) => g.id, q.get("after"), limit);
        return list(url, page.map(renderGroup), next);
      }
      const group = org().groups.find((g) => g.id === id);
      if (!group) return notFound(id, "UserGroup");
      if (sub === undefined) return { status: 200, body: renderGroup(group) };
      if (sub === "users" && subId === undefined) {
        const limit = parseLimit(q.get("limit"), PAGE_LIMITS.groupMembers);
        if (typeof limit !== "number") return limit;
        const members = [...new Set(group.members)]
          .sort()
          .map((memberId) => lookupUser(org(), memberId))
          .filter((u): u is EmulatedUser => u !== undefined);
        const { page, next } = pageAfter(members, (u) => u.id, q.get("after"), limit);
        return list(url, page.map(renderUser), next);
      }
      return notFound(url.pathname, "Resource");
    }

    if (collection === "logs" && id === undefined) {
      if (!emulator.behavior.systemLog) return forbidden();
      const limit = parseLimit(q.get("limit"), PAGE_LIMITS.logs);
      if (typeof limit !== "number") return limit;
      const parsed = parseLogQuery(q, limit);
      if (!parsed.ok) {
        return parsed.search ? invalidSearch(parsed.message) : oktaError(400, "E0000001", `Api validation failed: ${parsed.param}`, [parsed.message]);
      }
      const result = queryLog(org(), parsed.query);
      if (!result.ok) return oktaError(400, "E0000001", `Api validation failed: ${result.param}`, [result.message]);
      const links = [`<${base}${url.pathname}${url.search}>; rel="self"`];
      if (result.next !== undefined) {
        const params = new URLSearchParams(q);
        if (result.next.after === undefined) params.delete("after");
        else params.set("after", result.next.after);
        links.push(`<${base}${url.pathname}?${params.toString()}>; rel="next"`);
      }
      return { status: 200, body: result.page.map(renderLogEvent), headers: { Link: links } };
    }

    if (collection === "users") {
      if (id === undefined) {
        const limit = parseLimit(q.get("limit"), PAGE_LIMITS.users);
        if (typeof limit !== "number") return limit;
        let users = [...org().users].sort(byKey((u) => u.id));
        const prefix = q.get("q")?.toLowerCase();
        if (prefix) {
          users = users.filter((u) =>
            [u.profile.firstName, u.profile.lastName, u.profile.email, u.profile.login].some(
              (v) => typeof v === "string" && v.toLowerCase().startsWith(prefix),
            ),
          );
        }
        const filtered = where(users, q, renderUser);
        if (!Array.isArray(filtered)) return filtered;
        const { page, next } = pageAfter(filtered, (u) => u.id, q.get("after"), limit);
        return list(url, page.map(renderUser), next);
      }
      if (sub !== undefined) return notFound(url.pathname, "Resource");
      const user =
        lookupUser(org(), id) ?? org().users.find((u) => u.profile.login.toLowerCase() === id.toLowerCase());
      return user ? { status: 200, body: renderUser(user) } : notFound(id, "User");
    }

    return notFound(url.pathname, "Resource");
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

function bucketOf(pathname: string): RateLimitBucket {
  if (pathname === "/oauth2/v1/token") return "oauth";
  if (pathname === "/api/v1/apps" || pathname.startsWith("/api/v1/apps/")) return "apps";
  if (pathname === "/api/v1/groups" || /^\/api\/v1\/groups\/[^/]+\/users\/?$/.test(pathname)) return "groups";
  if (/^\/api\/v1\/groups\/[^/]+\/?$/.test(pathname)) return "group";
  if (pathname === "/api/v1/users") return "users";
  if (/^\/api\/v1\/users\/[^/]+\/?$/.test(pathname)) return "user";
  if (pathname === "/api/v1/logs" || pathname === "/api/v1/logs/") return "logs";
  return "other";
}

function requiredScope(bucket: RateLimitBucket): string | undefined {
  if (bucket === "apps") return "okta.apps.read";
  if (bucket === "groups" || bucket === "group") return "okta.groups.read";
  if (bucket === "users" || bucket === "user") return "okta.users.read";
  if (bucket === "logs") return "okta.logs.read";
  return undefined;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}
