/**
 * The OAuth 2.0 token endpoint (`POST /oauth2/v1/token`) for service apps: client credentials
 * with a private_key_jwt assertion, scopes the app was granted, and DPoP-bound tokens for apps
 * that require (or offer) a proof.
 */
import type { JsonWebKey } from "node:crypto";
import type { AccessToken } from "./okta-auth.js";
import { type DpopMode, type DpopVerifier, verifyJws } from "./okta-dpop.js";
import type { Reply } from "./okta-http.js";

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

export interface TokenIssuer {
  clients: readonly OktaOAuthClient[];
  /** Tokens issued, by value. */
  accessTokens: Map<string, AccessToken>;
  /** `jti`s of the assertions already used, which may not come again. */
  usedAssertions: Set<string>;
  dpop: DpopVerifier;
  now: () => number;
}

const oauthError = (status: number, error: string, description: string): Reply => ({
  status,
  body: { error, error_description: description },
});

/** Answers a token request; `base` is the emulator's public URL (the audience is its token endpoint). */
export function issueToken(body: string, proof: string | undefined, base: string, issuer: TokenIssuer): Reply {
  const { accessTokens, dpop, now, usedAssertions } = issuer;
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
  const client = issuer.clients.find((c) => c.clientId === claims.iss);
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
