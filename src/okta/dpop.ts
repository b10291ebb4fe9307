/**
 * DPoP (RFC 9449) proofs, signed with a key pair of the tool's own made afresh for each run: a
 * token Okta binds to it is worth nothing to whoever copies it, and the service app's private key
 * signs client assertions only.
 */
import { createHash, generateKeyPairSync, type JsonWebKey, type KeyObject, randomUUID, sign } from "node:crypto";

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

/** `ath`: base64url of the SHA-256 of the access token. */
export function accessTokenHash(accessToken: string): string {
  return createHash("sha256").update(accessToken, "ascii").digest("base64url");
}

/** `htu`: the request's URL without its query and fragment. */
export function htuOf(url: string): string {
  const parsed = new URL(url);
  parsed.search = "";
  parsed.hash = "";
  return parsed.href;
}

export interface ProofClaims {
  method: string;
  url: string;
  /** Epoch ms; `iat` is its second. */
  now: number;
  /** Bound token sent along with the proof (resource requests): gives `ath`. */
  accessToken?: string | undefined;
  /** The server's latest `DPoP-Nonce`, if it gave one. */
  nonce?: string | undefined;
}

/** An ES256 key pair that lives as long as the process. */
export class DpopKey {
  private readonly privateKey: KeyObject;
  /** The public key, as the proof's `jwk` header carries it. */
  readonly publicJwk: JsonWebKey;

  constructor() {
    const pair = generateKeyPairSync("ec", { namedCurve: "P-256" });
    this.privateKey = pair.privateKey;
    const { kty, crv, x, y } = pair.publicKey.export({ format: "jwk" });
    this.publicJwk = { kty, crv, x, y };
  }

  /** A fresh proof for one HTTP request: never reuse it, its `jti` is single-use. */
  proof(claims: ProofClaims): string {
    const header = { typ: "dpop+jwt", alg: "ES256", jwk: this.publicJwk };
    const payload = {
      // Methods are case-sensitive: a caller may hold them in lower case.
      htm: claims.method.toUpperCase(),
      htu: htuOf(claims.url),
      iat: Math.floor(claims.now / 1000),
      jti: randomUUID(),
      ...(claims.accessToken === undefined ? {} : { ath: accessTokenHash(claims.accessToken) }),
      ...(claims.nonce === undefined ? {} : { nonce: claims.nonce }),
    };
    const input = `${b64url(header)}.${b64url(payload)}`;
    const signature = sign("sha256", Buffer.from(input), { key: this.privateKey, dsaEncoding: "ieee-p1363" });
    return `${input}.${signature.toString("base64url")}`;
  }
}

export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

/**
 * The challenges of a `WWW-Authenticate` header (RFC 9110 11.6.1), e.g.
 * `DPoP algs="ES256", error="use_dpop_nonce"`; parameter names in lower case.
 */
export function parseChallenges(header: string | null | undefined): Challenge[] {
  if (!header) return [];
  const challenges: Challenge[] = [];
  const token = /\s*,?\s*([!#$%&'*+.^_`|~0-9A-Za-z-]+)(\s*=\s*("(?:[^"\\]|\\.)*"|[^\s,]*))?/y;
  let current: Challenge | undefined;
  while (token.lastIndex < header.length) {
    const start = token.lastIndex;
    const match = token.exec(header);
    if (match === null || token.lastIndex === start) break;
    const [, name, assignment, raw] = match;
    if (assignment === undefined) {
      // A bare token starts a new challenge (token68 credentials are not used by DPoP or Bearer).
      current = { scheme: name!, params: {} };
      challenges.push(current);
    } else if (current !== undefined) {
      const value = raw!.startsWith('"') ? raw!.slice(1, -1).replace(/\\(.)/g, "$1") : raw!;
      current.params[name!.toLowerCase()] = value;
    }
  }
  return challenges;
}

/** The `error` of the DPoP challenge of a response, if it has one. */
export function dpopError(wwwAuthenticate: string | null | undefined): string | undefined {
  return parseChallenges(wwwAuthenticate).find((c) => c.scheme.toLowerCase() === "dpop")?.params.error;
}
