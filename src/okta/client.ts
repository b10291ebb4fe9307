/**
 * The connection to Okta: plain HTTP over the request executor, with every failure turned into a
 * SyncError that never carries a secret. Only this tool's configuration counts: no okta.yaml nor
 * OKTA_CLIENT_* variable is read.
 *
 * Okta's Node SDK is not used at run time. Of it, this tool would need only the reads of a few
 * endpoints as JSON and Link-header paging; its HTTP layer brings node-fetch, lodash and its
 * OAuth and JWT libraries (about 490 modules, a fifth of a second of every start), follows
 * redirects with the credentials, reads only HTTPS_PROXY, and cannot answer a DPoP nonce
 * challenge, so auth, proxies, deadlines, paging and errors are all done here instead.
 */
import { createPrivateKey } from "node:crypto";
import { platform, release } from "node:os";
import type { OktaAuth } from "../config/types.js";
import { ConfigError, NetworkError, RemoteError, SyncError } from "../errors.js";
import { type ClockOptions, clockFrom, type WaitListener } from "../http/clock.js";
import { formatDuration } from "../duration.js";
import { proxySecrets } from "../http/proxy.js";
import { errorCodeOf, ProxyFailure } from "../http/proxy-dispatcher.js";
import { createRedactor, type Redactor } from "../http/redact.js";
import { retryNoteOf } from "../http/retry.js";
import { NO_RETRY, type RetryConfig } from "../http/retry-policy.js";
import type { ResponseListener } from "../http/http-event.js";
import { type BufferedResponse, OktaDeadlineError } from "./bounded-response.js";
import { dpopError } from "./dpop.js";
import { OktaHttpFailure, OktaRedirectError, OktaRequestExecutor, OktaTransportError } from "./request-executor.js";
import { OktaTokenError, ServiceAppAuth } from "./service-app-auth.js";

export interface OktaClientOptions extends ClockOptions {
  orgUrl: string;
  auth: OktaAuth;
  /**
   * Retries of 429s, 5xx, resets and timeouts (the engine passes `config.retry`). Default: one
   * attempt, no retries. 401 and 403 are never retried.
   */
  retry?: RetryConfig;
  /** Share of each Okta rate-limit bucket to use per window (`okta.maxRateShare`). Default: no pacing. */
  maxRateShare?: number;
  /** Deadline of one attempt, response body included (ms); `okta.timeoutMs`. Default 60 000. */
  requestTimeoutMs?: number;
  /** Told about waits: Okta's rate limit, the backoff before a retry. */
  onWait?: WaitListener;
  /** Told about every HTTP attempt once its status is known (0: no answer), for metrics. */
  onResponse?: ResponseListener;
  /** Cuts waits short when the run is stopping. */
  signal?: AbortSignal;
}

/** GETs of the org's API: default headers, then any status but 2xx thrown as an OktaHttpFailure. */
export class OktaHttp {
  readonly defaultHeaders: Record<string, string> = {};

  constructor(private readonly executor: OktaRequestExecutor) {}

  async http(uri: string, request: { method?: string; headers?: Record<string, string> } = {}): Promise<BufferedResponse> {
    const method = (request.method ?? "GET").toUpperCase();
    const response = await this.executor.fetch({ url: uri, method, headers: { ...this.defaultHeaders, ...request.headers } });
    if (response.ok) return response;
    throw new OktaHttpFailure(method, uri, response.status, await response.text(), response.headers);
  }
}

export interface OktaConnection {
  http: OktaHttp;
  /** The org URL without a trailing slash. */
  orgUrl: string;
  /** A service app's access token and DPoP key; undefined with an API token. */
  serviceApp: ServiceAppAuth | undefined;
  /** HTTP requests sent so far: retries and token requests included. */
  requestCount(): number;
  /** Anything a request threw, as a SyncError without secrets. */
  toSyncError(error: unknown): SyncError;
}

export const DEFAULT_REQUEST_TIMEOUT_MS = 60_000;
const USER_AGENT = "okta-command-sync";

/** Who is asking, as Okta's logs show it. */
function userAgent(): string {
  return `${USER_AGENT} node/${process.versions.node} ${platform()}/${release()}`;
}

/** GET of one resource of the org as plain JSON, through the executor (auth, pacing, retries, deadline). */
export async function getJson(connection: OktaConnection, path: string): Promise<unknown> {
  const response = await connection.http.http(`${connection.orgUrl}${path}`, { method: "GET", headers: { Accept: "application/json" } });
  return response.json();
}

export function createOktaClient(options: OktaClientOptions): OktaConnection {
  const { auth } = options;
  let serviceApp: ServiceAppAuth | undefined;
  const credential = auth.mode === "token" ? [auth.token] : [auth.privateKey];
  let redactSecrets: Redactor = createRedactor(credential);
  // Access tokens are secrets too, known only once obtained.
  const redact: Redactor = (text) => {
    const out = redactSecrets(text);
    return serviceApp === undefined || serviceApp.issued.size === 0 ? out : createRedactor([...serviceApp.issued])(out);
  };
  const orgUrl = options.orgUrl.trim().replace(/\/+$/, "");
  let parsed: URL;
  try {
    parsed = new URL(orgUrl);
  } catch {
    throw new ConfigError([`okta.orgUrl: "${redact(orgUrl)}" is not a URL`]);
  }
  if (auth.mode === "privateKey") checkPrivateKey(auth.privateKey);

  const clock = clockFrom(options);
  const executor = new OktaRequestExecutor({
    org: parsed,
    retry: options.retry ?? NO_RETRY,
    maxRateShare: options.maxRateShare,
    requestTimeoutMs: options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
    clock,
    onWait: options.onWait,
    onResponse: options.onResponse,
    signal: options.signal,
  });
  // A proxy URL's password is a secret too.
  redactSecrets = createRedactor([...credential, ...proxySecrets(executor.proxy)]);
  const http = new OktaHttp(executor);
  http.defaultHeaders["User-Agent"] = userAgent();
  if (auth.mode === "token") {
    http.defaultHeaders.Authorization = `SSWS ${auth.token}`;
  } else {
    // A service app's token is the executor's to get, bind and renew for every request.
    serviceApp = new ServiceAppAuth({
      orgUrl,
      clientId: auth.clientId,
      scopes: auth.scopes,
      privateKey: auth.privateKey,
      keyId: auth.keyId,
      userAgent: userAgent(),
      clock,
      send: (request) => executor.send(request),
    });
    executor.auth = serviceApp;
  }

  return {
    http,
    orgUrl,
    serviceApp,
    requestCount: () => executor.count,
    toSyncError: (error) => toOktaSyncError(error, redact, auth.mode),
  };
}

function checkPrivateKey(privateKey: string): void {
  try {
    const text = privateKey.trim();
    if (text.startsWith("{")) createPrivateKey({ key: JSON.parse(text), format: "jwk" });
    else createPrivateKey(text);
  } catch {
    throw new ConfigError(["okta.privateKey: not a private key in PEM or JWK form"]);
  }
}

const KEY_HINT =
  "check okta.clientId, okta.keyId and okta.privateKey, and that the service app's public key is registered in Okta " +
  "(Applications > the service app > General > Client Credentials: Public key / Private key)";
const DPOP_HINT =
  "Okta refused the tool's DPoP proof: check this host's clock (proofs are dated) and that no proxy rewrites the request's URL or headers; " +
  'to do without DPoP, clear "Require Demonstrating Proof of Possession (DPoP) header in token requests" in the service app\'s General settings in Okta';
const NONCE_HINT =
  "Okta asked for a new DPoP nonce again after the tool had sent the one it gave: run again, and check that no proxy drops the DPoP and DPoP-Nonce headers";

/** What to change for a refused token request, by OAuth error code. */
function tokenHint(error: OktaTokenError): string {
  if (error.error === "invalid_dpop_proof") return DPOP_HINT;
  if (error.error === "use_dpop_nonce") return NONCE_HINT;
  if (error.error === "invalid_scope") {
    const named = [...new Set(error.description.match(/okta\.[a-z]+\.[a-z]+/gi) ?? [])];
    const scopes = named.length > 0 ? named.join(", ") : "the scopes in okta.scopes";
    return `grant ${scopes} to the service app in the Okta admin console (Applications > the service app > Okta API Scopes), or remove ${named.length === 1 ? "it" : "them"} from okta.scopes`;
  }
  if (error.error === "unauthorized_client") {
    return "the service app must allow the Client Credentials grant: create it in Okta as an API Services app (Applications > Create App Integration > API Services)";
  }
  return KEY_HINT;
}

function hintFor(status: number, url: string, authMode: OktaAuth["mode"], wwwAuthenticate?: string): string | undefined {
  if (status === 401 && authMode === "privateKey") {
    const dpop = dpopError(wwwAuthenticate);
    if (dpop === "invalid_dpop_proof") return DPOP_HINT;
    if (dpop === "use_dpop_nonce") return NONCE_HINT;
  }
  if (status === 401) {
    return authMode === "token"
      ? "check okta.token: the API token is invalid, expired (Okta expires tokens unused for 30 days) or revoked; " +
          "create a new one in the Okta admin console (Security > API > Tokens) and update OKTA_API_TOKEN"
      : KEY_HINT;
  }
  if (status === 403) {
    return (
      "the token's admin or the service app lacks a scope or permission: it needs okta.apps.read, okta.groups.read and okta.users.read " +
      "(an API token has its admin's rights; a service app needs the scopes granted and an admin role)"
    );
  }
  if (status === 404 && /\/api\/v1\/apps\/[^/?]+(\/users|\/groups)?(\?|$)/.test(url)) {
    return "check okta.appId: Okta has no app with this id (it is the 0oa... id in the app's admin URL)";
  }
  if (status === 429) {
    return "Okta's rate limit for this endpoint is used up (the org shares it with every integration); lower okta.maxRateShare, or run again after the reset";
  }
  if (status >= 500) return "Okta had a problem; try again later";
  return undefined;
}

function causeSummaries(causes: unknown): string[] {
  if (!Array.isArray(causes)) return [];
  return causes
    .map((cause) => (typeof cause === "object" && cause !== null ? (cause as { errorSummary?: unknown }).errorSummary : undefined))
    .filter((summary): summary is string => typeof summary === "string" && summary !== "");
}

/**
 * Translates what an Okta request threw into a SyncError; why retrying stopped,
 * when it did, stays in the message.
 */
export function toOktaSyncError(error: unknown, redact: Redactor, authMode: OktaAuth["mode"] = "token"): SyncError {
  const converted = convert(error, redact, authMode);
  const note = retryNoteOf(error);
  if (note !== undefined && converted !== error && !converted.message.endsWith(`(${note})`)) {
    Object.defineProperty(converted, "message", { value: `${converted.message} (${note})`, writable: true, configurable: true, enumerable: false });
  }
  return converted;
}

/** `1m`, `1.5s`: exact, so that it reads as the setting does. */
function deadlineText(ms: number): string {
  return formatDuration(ms);
}

function transportError(inner: unknown, method: string, rawUrl: string, redact: Redactor): SyncError {
  const message = redact(inner instanceof Error ? inner.message : String(inner));
  const url = redact(rawUrl);
  let origin = url;
  try {
    origin = redact(new URL(rawUrl).origin);
  } catch {
    // keep the raw text
  }
  if (inner instanceof OktaDeadlineError) {
    return new NetworkError(
      "okta",
      `no answer from ${origin} in time (${method} ${url}): the response was not complete within ${deadlineText(inner.timeoutMs)}, the deadline of each request (okta.timeoutMs)`,
      inner,
    );
  }
  // The proxy's own failure names the proxy (never its password) and says what to change.
  if (inner instanceof ProxyFailure) return new NetworkError("okta", `${method} ${url}: ${message}`, inner);
  const code = errorCodeOf(inner);
  if (code === "UND_ERR_HEADERS_TIMEOUT" || code === "UND_ERR_BODY_TIMEOUT") return new NetworkError("okta", `no answer from ${origin} in time (${method} ${url})`, inner);
  if (code === "ECONNRESET" || code === "UND_ERR_SOCKET" || code === "EPIPE") {
    return new NetworkError("okta", `${method} ${url}: the connection to ${origin} was closed before a complete response arrived (${code})`, inner);
  }
  if (code !== undefined || inner instanceof Error) return new NetworkError("okta", `cannot reach ${origin}${code ? ` (${code})` : ""}: ${message}`, inner);
  return new SyncError("internal", `Okta request failed: ${message}`);
}

function convert(error: unknown, redact: Redactor, authMode: OktaAuth["mode"]): SyncError {
  if (error instanceof SyncError) return error;

  if (error instanceof OktaTokenError) {
    return new SyncError(
      "auth",
      `Okta refused the service app's token request (${error.httpStatus} ${redact(error.error)}): ${redact(error.description)}`,
      { hint: tokenHint(error) },
    );
  }

  if (error instanceof OktaTransportError) return transportError(error.cause, error.method, error.url, redact);

  if (error instanceof OktaRedirectError) {
    return new RemoteError({
      side: "okta",
      method: error.method,
      url: redact(error.url),
      status: error.status,
      detail: error.location === undefined ? "a redirect without a Location header" : `redirected to ${redact(error.location)}`,
      hint: "redirects are not followed, so that no credential goes anywhere but okta.orgUrl: set okta.orgUrl to the org's own URL (https://<org>.okta.com or its custom domain)",
    });
  }

  if (error instanceof OktaHttpFailure) {
    const url = redact(error.url);
    let detail: string | undefined;
    if (typeof error.errorSummary === "string" || error.errorCode !== undefined) {
      const parts = [String(error.errorSummary ?? ""), ...causeSummaries(error.errorCauses)].filter(Boolean);
      detail = parts.join("; ");
    } else {
      // The body was not JSON (a proxy's error page, say): keep a short excerpt of it.
      detail = error.bodyText.replace(/<[^>]*>/g, " ").replace(/\s+/g, " ").trim().slice(0, 200);
    }
    return new RemoteError({
      side: "okta",
      method: error.method,
      url,
      status: error.status,
      detail: detail ? redact(detail) : undefined,
      code: typeof error.errorCode === "string" ? error.errorCode : undefined,
      hint: hintFor(error.status, url, authMode, error.headers?.get("www-authenticate") ?? undefined),
    });
  }

  const message = redact(error instanceof Error ? error.message : String(error));
  if (authMode === "privateKey" && /private key|key type|PEM|JWK/i.test(message)) {
    return new ConfigError([`okta.privateKey: cannot sign the client assertion: ${message}`]);
  }
  return new SyncError("internal", `Okta client failed: ${message}`);
}
