/**
 * The Okta SDK client, built so that only our configuration counts, with every failure turned
 * into a SyncError that never carries a secret.
 *
 * The SDK's Client constructor always merges `~/.okta/okta.yaml`, `./okta.yaml` and `OKTA_CLIENT_*`
 * environment variables under the given config: a stray file could switch the auth mode, change
 * the user agent, or make the constructor throw on bad YAML. We build the client while its
 * ConfigLoader's `applyDefaults` applies only the built-in default, then check the result.
 */
import { createPrivateKey } from "node:crypto";
import { createRequire } from "node:module";
import { Client, DefaultRequestExecutor } from "@okta/okta-sdk-nodejs";
import type { OktaAuth } from "../config/types.js";
import { ConfigError, NetworkError, RemoteError, SyncError } from "../errors.js";
import { createRedactor, type Redactor } from "../http/redact.js";

export interface OktaClientOptions {
  orgUrl: string;
  auth: OktaAuth;
  /** Retries of a 429 by the SDK, each after waiting for X-Rate-Limit-Reset. Default 2; 0 disables. */
  maxRetries?: number;
  /** Budget of one request, its 429 waits included (ms). Default 120 000. */
  requestTimeoutMs?: number;
}

export interface OktaConnection {
  client: Client;
  /** The org URL without a trailing slash. */
  orgUrl: string;
  /** HTTP requests sent so far: retries and token requests included. */
  requestCount(): number;
  /** Anything the SDK threw, as a SyncError without secrets. */
  toSyncError(error: unknown): SyncError;
}

export const DEFAULT_MAX_RETRIES = 2;
export const DEFAULT_REQUEST_TIMEOUT_MS = 120_000;
const USER_AGENT = "okta-command-sync";

interface ConfigLoaderPrototype {
  applyDefaults(this: ConfigLoaderPrototype): void;
  apply(this: ConfigLoaderPrototype, config: unknown): void;
}

const requireFromHere = createRequire(import.meta.url);

function sdkConfigLoader(): ConfigLoaderPrototype {
  const loaded = requireFromHere("@okta/okta-sdk-nodejs/src/config-loader.js") as {
    ConfigLoader?: { prototype?: Partial<ConfigLoaderPrototype> };
  };
  const proto = loaded.ConfigLoader?.prototype;
  if (typeof proto?.applyDefaults !== "function" || typeof proto.apply !== "function") {
    // Fail closed: without the hook the SDK would read the user's okta.yaml and OKTA_CLIENT_*.
    throw new SyncError("internal", "unsupported @okta/okta-sdk-nodejs: its config loader cannot be isolated");
  }
  return proto as ConfigLoaderPrototype;
}

/** Runs `build` while the SDK's config loader ignores okta.yaml files and OKTA_CLIENT_* variables. */
function withoutAmbientConfig<T>(build: () => T): T {
  const proto = sdkConfigLoader();
  const original = proto.applyDefaults;
  proto.applyDefaults = function applyBuiltInDefaultsOnly(this: ConfigLoaderPrototype) {
    this.apply({ client: { authorizationMode: "SSWS" } });
  };
  try {
    return build();
  } finally {
    proto.applyDefaults = original;
  }
}

type SdkRequest = Parameters<DefaultRequestExecutor["fetch"]>[0];

interface SdkResponse {
  ok: boolean;
  status: number;
  clone(): { text(): Promise<string> };
}

/** A request that got no usable HTTP answer; keeps the URL the SDK's own errors lack. */
class OktaTransportError extends Error {
  constructor(
    readonly method: string,
    readonly url: string,
    override readonly cause: unknown,
  ) {
    super(cause instanceof Error ? cause.message : String(cause));
    this.name = "OktaTransportError";
  }
}

/** The token endpoint refused the client assertion (no `status` field: the SDK must not retry it). */
class OktaTokenError extends Error {
  constructor(
    readonly httpStatus: number,
    readonly error: string,
    readonly description: string,
  ) {
    super(`${error}: ${description}`);
    this.name = "OktaTokenError";
  }
}

/**
 * The SDK's executor (429 retries after X-Rate-Limit-Reset, request timeout), plus a request count
 * and clear errors. The SDK's OAuth code skips its error filter on the token response (it calls an
 * undefined `Http.errorFilter`), so a refused assertion would otherwise surface as a confusing 401
 * on the API call; we fail on the token response itself.
 */
class CountingRequestExecutor extends DefaultRequestExecutor {
  count = 0;

  constructor(maxRetries: number, requestTimeout: number) {
    super({ maxRetries, requestTimeout });
    this.on("request", () => {
      this.count++;
    });
  }

  override fetch(request: SdkRequest): ReturnType<DefaultRequestExecutor["fetch"]> {
    const target = request as { method?: unknown; url?: unknown };
    const method = String(target.method ?? "GET").toUpperCase();
    const url = String(target.url ?? "");
    return super.fetch(request).then(
      async (response: SdkResponse) => {
        if (!response.ok && isTokenEndpoint(url)) {
          const text = await response.clone().text();
          let body: { error?: unknown; error_description?: unknown } = {};
          try {
            body = JSON.parse(text) as typeof body;
          } catch {
            // not JSON: keep the status alone
          }
          // A DPoP nonce challenge is answered by the SDK itself.
          if (body.error !== "use_dpop_nonce") {
            throw new OktaTokenError(response.status, String(body.error ?? "error"), String(body.error_description ?? text.slice(0, 200)));
          }
        }
        return response;
      },
      (error: unknown) => {
        if (error instanceof OktaTransportError || error instanceof OktaTokenError) throw error;
        throw new OktaTransportError(method, url, error);
      },
    );
  }
}

function isTokenEndpoint(url: string): boolean {
  return /\/oauth2\/v1\/token(\?|$)/.test(url);
}

function isLoopback(url: URL): boolean {
  const host = url.hostname.replace(/^\[|\]$/g, "");
  return host === "localhost" || host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(host);
}

export function createOktaClient(options: OktaClientOptions): OktaConnection {
  const { auth } = options;
  const secrets = auth.mode === "token" ? [auth.token] : [auth.privateKey];
  const redact = createRedactor(secrets);
  const orgUrl = options.orgUrl.trim().replace(/\/+$/, "");
  let parsed: URL;
  try {
    parsed = new URL(orgUrl);
  } catch {
    throw new ConfigError([`okta.orgUrl: "${redact(orgUrl)}" is not a URL`]);
  }
  if (auth.mode === "privateKey") checkPrivateKey(auth.privateKey);

  const executor = new CountingRequestExecutor(
    options.maxRetries ?? DEFAULT_MAX_RETRIES,
    options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
  );
  const config: ConstructorParameters<typeof Client>[0] & { userAgent: string } = {
    orgUrl,
    requestExecutor: executor,
    // Single-resource responses would otherwise be cached in memory across the run.
    cacheMiddleware: null,
    userAgent: USER_AGENT,
    ...(auth.mode === "token"
      ? { authorizationMode: "SSWS", token: auth.token }
      : {
          authorizationMode: "PrivateKey",
          clientId: auth.clientId,
          scopes: auth.scopes,
          privateKey: auth.privateKey,
          ...(auth.keyId ? { keyId: auth.keyId } : {}),
        }),
  };

  let client: Client;
  try {
    client = withoutAmbientConfig(() => new Client(config));
  } catch (error) {
    if (error instanceof SyncError) throw error;
    const lines = redact(error instanceof Error ? error.message : String(error))
      .split("\n")
      .filter((line) => line && !line.startsWith("Found ") && !line.startsWith("See "));
    throw new ConfigError(lines.map((line) => `okta: ${line}`));
  }
  const expectedMode = auth.mode === "token" ? "SSWS" : "PrivateKey";
  if (client.baseUrl !== orgUrl || client.authorizationMode !== expectedMode) {
    throw new SyncError("internal", "the Okta SDK did not take the given configuration");
  }
  // The SDK honours HTTPS_PROXY but not NO_PROXY: never tunnel a loopback org through a proxy.
  if (isLoopback(parsed)) client.http.agent = undefined;

  return {
    client,
    orgUrl,
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

function hintFor(status: number, url: string, authMode: OktaAuth["mode"]): string | undefined {
  if (status === 401) {
    return authMode === "token"
      ? "check okta.token: the API token is wrong, revoked, or expired (Okta expires tokens unused for 30 days)"
      : "check okta.clientId, okta.keyId and okta.privateKey, and that the service app's public key is registered in Okta";
  }
  if (status === 403) {
    return "the token's admin (or the service app's granted scopes) may not read this; it needs okta.apps.read, okta.groups.read and okta.users.read";
  }
  if (status === 404 && /\/api\/v1\/apps\/[^/?]+(\/users|\/groups)?(\?|$)/.test(url)) {
    return "check okta.appId: Okta has no app with this id (it is the 0oa... id in the app's admin URL)";
  }
  if (status === 429) {
    return "Okta's rate limit for this endpoint is used up (the org shares it with every integration); try again in a minute";
  }
  if (status >= 500) return "Okta had a problem; try again later";
  return undefined;
}

interface HttpFailure {
  status: number;
  url: string;
  errorCode?: unknown;
  errorSummary?: unknown;
  errorCauses?: unknown;
  message?: unknown;
}

function isHttpFailure(error: unknown): error is HttpFailure {
  if (typeof error !== "object" || error === null) return false;
  const e = error as Record<string, unknown>;
  return typeof e.status === "number" && typeof e.url === "string";
}

function causeSummaries(causes: unknown): string[] {
  if (!Array.isArray(causes)) return [];
  return causes
    .map((cause) => (typeof cause === "object" && cause !== null ? (cause as { errorSummary?: unknown }).errorSummary : undefined))
    .filter((summary): summary is string => typeof summary === "string" && summary !== "");
}

/** Translates what the SDK (or node-fetch under it) threw into a SyncError. */
export function toOktaSyncError(error: unknown, redact: Redactor, authMode: OktaAuth["mode"] = "token"): SyncError {
  if (error instanceof SyncError) return error;

  if (error instanceof OktaTokenError) {
    return new SyncError(
      "auth",
      `Okta refused the service app's token request (${error.httpStatus} ${redact(error.error)}): ${redact(error.description)}`,
      { hint: hintFor(401, "", "privateKey") },
    );
  }

  if (error instanceof OktaTransportError) {
    const inner = error.cause as { name?: unknown; type?: unknown; code?: unknown; message?: unknown } | undefined;
    const message = redact(String(inner?.message ?? error.message));
    const url = redact(error.url);
    let origin = url;
    try {
      origin = new URL(error.url).origin;
    } catch {
      // keep the raw text
    }
    if (message.startsWith("HTTP 429 retry delay would exceed")) {
      return new RemoteError({
        side: "okta",
        method: error.method,
        url,
        status: 429,
        detail: "rate limit exceeded, and waiting for its reset would pass the request timeout",
        hint: hintFor(429, url, authMode),
      });
    }
    if (inner?.type === "request-timeout" || message.startsWith("HTTP request time exceeded")) {
      return new NetworkError("okta", `no answer from ${origin} in time (${error.method} ${url})`, error.cause);
    }
    if (inner?.name === "FetchError") {
      const code = typeof inner.code === "string" ? inner.code : undefined;
      return new NetworkError("okta", `cannot reach ${origin}${code ? ` (${code})` : ""}: ${message}`, error.cause);
    }
    return new SyncError("internal", `Okta request failed: ${message}`);
  }

  if (isHttpFailure(error)) {
    const url = redact(error.url);
    let detail: string | undefined;
    if (typeof error.errorSummary === "string" || error.errorCode !== undefined) {
      const parts = [String(error.errorSummary ?? ""), ...causeSummaries(error.errorCauses)].filter(Boolean);
      detail = parts.join("; ");
    } else if (typeof error.message === "string") {
      // HttpError: the body was not JSON; keep a short excerpt of it.
      detail = error.message.replace(/^HTTP \d+\s*/, "").replace(/<[^>]*>/g, " ").replace(/\s+/g, " ").trim().slice(0, 200);
    }
    return new RemoteError({
      side: "okta",
      method: "GET",
      url,
      status: error.status,
      detail: detail ? redact(detail) : undefined,
      code: typeof error.errorCode === "string" ? error.errorCode : undefined,
      hint: hintFor(error.status, url, authMode),
    });
  }

  const message = redact(error instanceof Error ? error.message : String(error));
  if (authMode === "privateKey" && /private key|key type|PEM|JWK/i.test(message)) {
    return new ConfigError([`okta.privateKey: cannot sign the client assertion: ${message}`]);
  }
  return new SyncError("internal", `Okta client failed: ${message}`);
}
