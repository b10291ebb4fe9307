/**
 * The access token of an OAuth 2.0 service app (client credentials, private_key_jwt), owned here
 * rather than by the Okta SDK: its OAuth code cannot answer Okta's DPoP nonce challenge and signs
 * proofs Okta refuses. Every token request carries a DPoP proof; Okta answers with a token bound
 * to the proof's key (`token_type: DPoP`) when the app requires DPoP, or a plain Bearer token when
 * it does not, and every API request then authenticates the way the token says.
 */
import { createPrivateKey, type JsonWebKey, type KeyObject, randomUUID, sign } from "node:crypto";
import { ConfigError, ProtocolError } from "../errors.js";
import type { Clock } from "../http/clock.js";
import type { BufferedResponse, ResponseHeaders } from "./bounded-response.js";
import { DpopKey, dpopError } from "./dpop.js";

/** The token endpoint refused the request; `error` is OAuth's code (`invalid_client`, `invalid_dpop_proof`, ...). */
export class OktaTokenError extends Error {
  constructor(
    readonly httpStatus: number,
    readonly error: string,
    readonly description: string,
  ) {
    super(`${error}: ${description}`);
    this.name = "OktaTokenError";
  }
}

export type TokenType = "Bearer" | "DPoP";

export interface AccessToken {
  value: string;
  type: TokenType;
  /** The scopes Okta granted, when it said. */
  scopes: string[] | undefined;
  /** Epoch ms, by the run's clock. */
  expiresAt: number;
}

export interface TokenRequest {
  url: string;
  method: "POST";
  headers: Record<string, string>;
  body: string;
}

export interface ServiceAppAuthOptions {
  orgUrl: string;
  clientId: string;
  scopes: readonly string[];
  /** PEM or JWK JSON. */
  privateKey: string;
  keyId: string | undefined;
  userAgent: string;
  clock: Clock;
  /** Sends a token request as it is (paced, retried, under a deadline) and returns Okta's answer. */
  send: (request: TokenRequest) => Promise<BufferedResponse>;
}

export interface Authorization {
  headers: Record<string, string>;
  /** The access token sent. */
  token: string;
  /** The nonce the proof carried. */
  nonce: string | undefined;
}

/** How the request that got a 401 should go on. */
export type Retry = "nonce" | "token" | undefined;

/** Renew this long before Okta says the token expires (or at three quarters of a short life). */
export const RENEWAL_MARGIN_MS = 60_000;
const ASSERTION_LIFETIME_S = 300;

const EC_ALGORITHMS: Record<string, { alg: string; hash: string; ec: boolean }> = {
  prime256v1: { alg: "ES256", hash: "sha256", ec: true },
  secp384r1: { alg: "ES384", hash: "sha384", ec: true },
  secp521r1: { alg: "ES512", hash: "sha512", ec: true },
};

/** The JWS algorithm Okta accepts for the key: RS256 (or the JWK's RS384/RS512), ES256/384/512 by curve. */
function signingAlgorithm(key: KeyObject, jwkAlg: unknown): { alg: string; hash: string; ec: boolean } {
  if (key.asymmetricKeyType === "ec") {
    const spec = EC_ALGORITHMS[key.asymmetricKeyDetails?.namedCurve ?? ""];
    if (spec !== undefined) return spec;
  } else if (key.asymmetricKeyType === "rsa") {
    if (jwkAlg === "RS384") return { alg: "RS384", hash: "sha384", ec: false };
    if (jwkAlg === "RS512") return { alg: "RS512", hash: "sha512", ec: false };
    return { alg: "RS256", hash: "sha256", ec: false };
  }
  throw new ConfigError(["okta.privateKey: Okta takes RSA keys and EC keys on P-256, P-384 or P-521 for client assertions; create the service app's key as one of these"]);
}

function parseKey(privateKey: string): { key: KeyObject; jwkAlg: unknown } {
  const text = privateKey.trim();
  if (text.startsWith("{")) {
    const jwk = JSON.parse(text) as JsonWebKey & { alg?: unknown };
    return { key: createPrivateKey({ key: jwk, format: "jwk" }), jwkAlg: jwk.alg };
  }
  return { key: createPrivateKey(text), jwkAlg: undefined };
}

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

export class ServiceAppAuth {
  readonly dpopKey = new DpopKey();
  readonly tokenUrl: string;
  private readonly options: ServiceAppAuthOptions;
  private readonly signingKey: KeyObject;
  private readonly algorithm: { alg: string; hash: string; ec: boolean };
  private current: AccessToken | undefined;
  private pending: Promise<AccessToken> | undefined;
  /** Nonces by server: the token endpoint's and the API's may differ (RFC 9449 sections 8 and 9). */
  private tokenNonce: string | undefined;
  private resourceNonce: string | undefined;
  /** Every access token obtained, so that none can reach an error message. */
  readonly issued = new Set<string>();

  constructor(options: ServiceAppAuthOptions) {
    this.options = options;
    this.tokenUrl = `${options.orgUrl}/oauth2/v1/token`;
    const { key, jwkAlg } = parseKey(options.privateKey);
    this.signingKey = key;
    this.algorithm = signingAlgorithm(key, jwkAlg);
  }

  /** A valid access token: the cached one until shortly before it expires, else a new one. */
  token(): Promise<AccessToken> {
    const now = this.options.clock.now();
    if (this.current !== undefined && now < this.current.expiresAt) return Promise.resolve(this.current);
    // One token request at a time, however many API calls are waiting for it.
    this.pending ??= this.requestToken().finally(() => {
      this.pending = undefined;
    });
    return this.pending;
  }

  /** Forgets `value` if it is still the cached token (Okta no longer takes it). */
  invalidate(value: string): void {
    if (this.current?.value === value) this.current = undefined;
  }

  /** The headers that authenticate one API request, and what they carry. */
  async authorize(method: string, url: string): Promise<Authorization> {
    const token = await this.token();
    if (token.type === "Bearer") return { headers: { Authorization: `Bearer ${token.value}` }, token: token.value, nonce: undefined };
    const nonce = this.resourceNonce;
    const proof = this.dpopKey.proof({ method, url, now: this.options.clock.now(), accessToken: token.value, nonce });
    return { headers: { Authorization: `DPoP ${token.value}`, DPoP: proof }, token: token.value, nonce };
  }

  /**
   * Takes note of an API answer (a new nonce may come with any of them) and, for a 401, says
   * whether to send the request again: with a fresh proof when the server asked for a new nonce,
   * or with a new token when the one sent may have been revoked or expired early.
   */
  afterResponse(response: Pick<BufferedResponse, "status" | "headers">, sent: Authorization): Retry {
    const nonce = response.headers.get("dpop-nonce") ?? undefined;
    if (nonce) this.resourceNonce = nonce;
    if (response.status !== 401) return undefined;
    const error = dpopError(response.headers.get("www-authenticate"));
    // Asked for a nonce again although the proof had the latest: sending it again would not help.
    if (error === "use_dpop_nonce") return nonce && nonce !== sent.nonce ? "nonce" : undefined;
    if (error === "invalid_dpop_proof") return undefined;
    this.invalidate(sent.token);
    return "token";
  }

  private assertion(): string {
    const { clientId, keyId } = this.options;
    const iat = Math.floor(this.options.clock.now() / 1000);
    const header = { alg: this.algorithm.alg, typ: "JWT", ...(keyId ? { kid: keyId } : {}) };
    const claims = { iss: clientId, sub: clientId, aud: this.tokenUrl, iat, exp: iat + ASSERTION_LIFETIME_S, jti: randomUUID() };
    const input = `${b64url(header)}.${b64url(claims)}`;
    const key = this.algorithm.ec ? { key: this.signingKey, dsaEncoding: "ieee-p1363" as const } : this.signingKey;
    return `${input}.${sign(this.algorithm.hash, Buffer.from(input), key).toString("base64url")}`;
  }

  private async post(): Promise<BufferedResponse> {
    const now = this.options.clock.now();
    const body = new URLSearchParams({
      grant_type: "client_credentials",
      scope: this.options.scopes.join(" "),
      client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
      client_assertion: this.assertion(),
    }).toString();
    return this.options.send({
      url: this.tokenUrl,
      method: "POST",
      headers: {
        Accept: "application/json",
        "Content-Type": "application/x-www-form-urlencoded",
        "User-Agent": this.options.userAgent,
        DPoP: this.dpopKey.proof({ method: "POST", url: this.tokenUrl, now, nonce: this.tokenNonce }),
      },
      body,
    });
  }

  private noteTokenNonce(headers: ResponseHeaders): string | undefined {
    const nonce = headers.get("dpop-nonce") ?? undefined;
    if (nonce) this.tokenNonce = nonce;
    return nonce;
  }

  private async requestToken(): Promise<AccessToken> {
    const sentAt = this.options.clock.now();
    let response = await this.post();
    let body = await readJson(response);
    const nonce = this.noteTokenNonce(response.headers);
    if (!response.ok && body?.error === "use_dpop_nonce" && nonce) {
      // The nonce handshake: the same request once more, with the nonce in a fresh proof.
      response = await this.post();
      body = await readJson(response);
      this.noteTokenNonce(response.headers);
    }
    if (!response.ok) {
      const text = body === undefined ? (await response.text()).slice(0, 200) : "";
      throw new OktaTokenError(response.status, String(body?.error ?? "error"), String(body?.error_description ?? text));
    }
    const value = body?.access_token;
    const type = typeof body?.token_type === "string" ? body.token_type.toLowerCase() : undefined;
    if (typeof value !== "string" || value === "" || (type !== "bearer" && type !== "dpop")) {
      throw new ProtocolError(`Okta's token endpoint answered ${this.tokenUrl} without a Bearer or DPoP access token`);
    }
    this.issued.add(value);
    const lifetimeMs = (typeof body?.expires_in === "number" && body.expires_in > 0 ? body.expires_in : 3600) * 1000;
    const margin = Math.min(RENEWAL_MARGIN_MS, lifetimeMs / 4);
    const scopes = typeof body?.scope === "string" ? body.scope.split(/\s+/).filter(Boolean) : undefined;
    this.current = { value, type: type === "dpop" ? "DPoP" : "Bearer", scopes, expiresAt: sentAt + lifetimeMs - margin };
    return this.current;
  }
}

interface TokenBody {
  error?: unknown;
  error_description?: unknown;
  access_token?: unknown;
  token_type?: unknown;
  expires_in?: unknown;
  scope?: unknown;
}

async function readJson(response: BufferedResponse): Promise<TokenBody | undefined> {
  try {
    const parsed: unknown = JSON.parse(await response.text());
    return typeof parsed === "object" && parsed !== null && !Array.isArray(parsed) ? (parsed as TokenBody) : undefined;
  } catch {
    return undefined;
  }
}
