/**
 * DPoP (RFC 9449) as the Okta emulator enforces it for service apps that require it: each proof
 * is checked (signature by its embedded key, typ, htm, htu, iat, single-use jti, ath, nonce), an
 * access token is bound to the proof's key (`cnf.jkt`), and a missing or stale nonce gets the
 * `use_dpop_nonce` challenge, at the token endpoint and at the API alike.
 */
import { createHash, createPublicKey, type JsonWebKey, type KeyObject, randomBytes, verify } from "node:crypto";

const JWS_ALGORITHMS: Record<string, { hash: string; ec: boolean }> = {
  RS256: { hash: "sha256", ec: false },
  RS384: { hash: "sha384", ec: false },
  RS512: { hash: "sha512", ec: false },
  ES256: { hash: "sha256", ec: true },
  ES384: { hash: "sha384", ec: true },
  ES512: { hash: "sha512", ec: true },
};

/** Checks a JWS signature with a public key given as PEM, JWK object or JWK JSON. */
export function verifyJws(alg: string | undefined, signingInput: string, signature: Buffer, key: string | JsonWebKey): boolean {
  const spec = alg === undefined ? undefined : JWS_ALGORITHMS[alg];
  if (!spec) return false;
  let publicKey: KeyObject;
  try {
    const jwk = typeof key === "string" && key.trim().startsWith("{") ? (JSON.parse(key) as JsonWebKey) : key;
    publicKey = typeof jwk === "string" ? createPublicKey(jwk) : createPublicKey({ key: jwk, format: "jwk" });
  } catch {
    return false;
  }
  try {
    return verify(spec.hash, Buffer.from(signingInput), spec.ec ? { key: publicKey, dsaEncoding: "ieee-p1363" } : publicKey, signature);
  } catch {
    return false;
  }
}

/** RFC 7638 thumbprint of a public JWK: what a bound token's `cnf.jkt` holds. */
export function jwkThumbprint(jwk: JsonWebKey): string {
  const members = jwk.kty === "EC" ? ["crv", "kty", "x", "y"] : jwk.kty === "RSA" ? ["e", "kty", "n"] : ["crv", "kty", "x"];
  const canonical = `{${members.map((m) => `${JSON.stringify(m)}:${JSON.stringify((jwk as Record<string, unknown>)[m])}`).join(",")}}`;
  return createHash("sha256").update(canonical).digest("base64url");
}

/** How a service app treats DPoP: `required` refuses a token request without a proof; `optional` binds the token when one is sent. */
export type DpopMode = "required" | "optional";

export type DpopOutcome =
  | { ok: true; jkt: string }
  | { ok: false; error: "invalid_dpop_proof" | "use_dpop_nonce"; description: string; nonce?: string };

export interface ExpectedProof {
  method: string;
  /** The request's URL without query. */
  htu: string;
  /** The access token sent along (API requests): the proof's `ath` must be its hash. */
  accessToken?: string | undefined;
  /** The key the access token is bound to. */
  jkt?: string | undefined;
  /** Which nonce the proof must carry, if any. */
  nonce?: "token" | "resource" | undefined;
}

export interface DpopVerifier {
  check(proof: string | undefined, expected: ExpectedProof): DpopOutcome;
  /** New nonces: proofs carrying the old ones get the use_dpop_nonce challenge. */
  rotateNonce(): void;
  nonceOf(server: "token" | "resource"): string;
}

/** How far `iat` may be from the emulator's clock. */
const PROOF_PAST_S = 300;
const PROOF_FUTURE_S = 60;

const newNonce = () => randomBytes(18).toString("base64url");
const refuse = (description: string): DpopOutcome => ({ ok: false, error: "invalid_dpop_proof", description });

export function createDpopVerifier(now: () => number): DpopVerifier {
  const nonces = { token: newNonce(), resource: newNonce() };
  /** jti -> when it can be forgotten (its proof is too old by then). */
  const usedJtis = new Map<string, number>();

  function check(proof: string | undefined, expected: ExpectedProof): DpopOutcome {
    if (!proof) return refuse("The DPoP proof JWT header is missing.");
    // Node joins repeated headers with ", ", which no compact JWS contains.
    if (proof.includes(",")) return refuse("Only one DPoP proof JWT header is allowed.");
    const [h, p, s, extra] = proof.split(".");
    if (!h || !p || !s || extra !== undefined) return refuse("The DPoP proof JWT is malformed.");
    let header: { typ?: unknown; alg?: unknown; jwk?: unknown };
    let claims: { htm?: unknown; htu?: unknown; iat?: unknown; jti?: unknown; ath?: unknown; nonce?: unknown };
    try {
      header = JSON.parse(Buffer.from(h, "base64url").toString("utf8"));
      claims = JSON.parse(Buffer.from(p, "base64url").toString("utf8"));
    } catch {
      return refuse("The DPoP proof JWT is malformed.");
    }
    if (header.typ !== "dpop+jwt") return refuse("The DPoP proof JWT 'typ' header is invalid.");
    const jwk = header.jwk as JsonWebKey | undefined;
    if (typeof jwk !== "object" || jwk === null || "d" in jwk) return refuse("The DPoP proof JWT 'jwk' header is missing or not a public key.");
    if (typeof header.alg !== "string" || !verifyJws(header.alg, `${h}.${p}`, Buffer.from(s, "base64url"), jwk)) {
      return refuse("The DPoP proof JWT signature is invalid.");
    }
    if (claims.htm !== expected.method) return refuse("'htm' claim in the DPoP proof JWT is invalid.");
    if (claims.htu !== expected.htu) return refuse("'htu' claim in the DPoP proof JWT is invalid.");
    const seconds = Math.floor(now() / 1000);
    if (typeof claims.iat !== "number" || claims.iat < seconds - PROOF_PAST_S || claims.iat > seconds + PROOF_FUTURE_S) {
      return refuse("'iat' claim in the DPoP proof JWT is missing or out of range.");
    }
    if (typeof claims.jti !== "string" || claims.jti === "") return refuse("'jti' claim in the DPoP proof JWT is missing.");
    for (const [jti, until] of usedJtis) if (until < now()) usedJtis.delete(jti);
    if (usedJtis.has(claims.jti)) return refuse("'jti' claim in the DPoP proof JWT was used before.");
    if (expected.accessToken !== undefined) {
      const ath = createHash("sha256").update(expected.accessToken, "ascii").digest("base64url");
      if (claims.ath !== ath) return refuse("'ath' claim in the DPoP proof JWT is invalid.");
    }
    const jkt = jwkThumbprint(jwk);
    if (expected.jkt !== undefined && jkt !== expected.jkt) return refuse("The DPoP proof JWT is not signed by the key the access token is bound to.");
    if (expected.nonce !== undefined && claims.nonce !== nonces[expected.nonce]) {
      const server = expected.nonce === "token" ? "Authorization server" : "Resource server";
      return { ok: false, error: "use_dpop_nonce", description: `${server} requires nonce in DPoP proof.`, nonce: nonces[expected.nonce] };
    }
    usedJtis.set(claims.jti, (claims.iat + PROOF_PAST_S + PROOF_FUTURE_S) * 1000);
    return { ok: true, jkt };
  }

  return {
    check,
    rotateNonce: () => {
      nonces.token = newNonce();
      nonces.resource = newNonce();
    },
    nonceOf: (server) => nonces[server],
  };
}

/** Okta's answer to an API request whose DPoP proof or binding is wrong. */
export function dpopResourceRefusal(error: string, description: string, nonce?: string): { headers: Record<string, string> } {
  const challenge = `DPoP algs="${Object.keys(JWS_ALGORITHMS).join(" ")}", error="${error}", error_description="${description.replace(/"/g, "'")}"`;
  return { headers: { "WWW-Authenticate": challenge, ...(nonce === undefined ? {} : { "DPoP-Nonce": nonce }) } };
}
