/**
 * Who is calling the Okta emulator's API: the SSWS API token, or an access token of a service app
 * sent as Bearer or, when bound to a key, as DPoP with a proof (okta-dpop.ts). Scopes of access
 * tokens are checked per endpoint bucket, as Okta does.
 */
import type { IncomingMessage } from "node:http";
import { type DpopVerifier, dpopResourceRefusal } from "./okta-dpop.js";
import { forbidden, invalidToken } from "./okta-errors.js";
import type { Reply } from "./okta-http.js";
import type { RateLimitBucket } from "./okta-rate-limit.js";

/** An access token issued by the token endpoint. */
export interface AccessToken {
  clientId: string;
  scopes: Set<string>;
  expiresAt: number;
  /** The thumbprint of the key a DPoP-bound token is bound to. */
  jkt: string | undefined;
}

export interface Caller {
  kind: "ssws" | "bearer" | "dpop";
  /** The access token's scopes; undefined for the API token, which may do everything. */
  scopes: ReadonlySet<string> | undefined;
}

export interface Credentials {
  /** The SSWS API token that is accepted. */
  apiToken: string;
  accessTokens: ReadonlyMap<string, AccessToken>;
  dpop: DpopVerifier;
  now: () => number;
}

/**
 * The caller, the refusal of a DPoP-bound token's request, or undefined (no valid credential).
 * `base` is the emulator's public URL, the start of a proof's `htu`; `resourceNonce`: proofs must
 * carry the API's nonce.
 */
export function authenticate(
  req: IncomingMessage,
  url: URL,
  base: string,
  resourceNonce: boolean,
  credentials: Credentials,
): Caller | Reply | undefined {
  const header = req.headers.authorization;
  if (!header) return undefined;
  const [scheme, value] = [header.slice(0, header.indexOf(" ")), header.slice(header.indexOf(" ") + 1)];
  if (scheme === "SSWS" && value === credentials.apiToken) return { kind: "ssws", scopes: undefined };
  const token = scheme === "Bearer" || scheme === "DPoP" ? credentials.accessTokens.get(value) : undefined;
  if (!token || token.expiresAt <= credentials.now()) return undefined;
  if (token.jkt === undefined) return scheme === "Bearer" ? { kind: "bearer", scopes: token.scopes } : undefined;
  const refusal = (error: string, description: string, nonce?: string): Reply => ({ ...invalidToken(), ...dpopResourceRefusal(error, description, nonce) });
  if (scheme !== "DPoP") return refusal("invalid_token", "The access token is DPoP-bound: it must be sent with the DPoP scheme and a proof.");
  const proof = req.headers.dpop;
  const outcome = credentials.dpop.check(typeof proof === "string" ? proof : undefined, {
    method: req.method ?? "GET",
    htu: `${base}${url.pathname}`,
    accessToken: value,
    jkt: token.jkt,
    nonce: resourceNonce ? "resource" : undefined,
  });
  if (!outcome.ok) return refusal(outcome.error, outcome.description, outcome.nonce);
  return { kind: "dpop", scopes: token.scopes };
}

/** The scope an access token needs for the bucket's endpoints. */
export function requiredScope(bucket: RateLimitBucket): string | undefined {
  if (bucket === "apps") return "okta.apps.read";
  if (bucket === "groups" || bucket === "group") return "okta.groups.read";
  if (bucket === "users" || bucket === "user") return "okta.users.read";
  if (bucket === "logs") return "okta.logs.read";
  return undefined;
}

/** Okta's 403 for an access token without the endpoint's scope. */
export function insufficientScope(base: string): Reply {
  const reply = forbidden();
  reply.headers = { "WWW-Authenticate": `Bearer authorization_uri="${base}/oauth2/v1/authorize", error="insufficient_scope"` };
  return reply;
}
