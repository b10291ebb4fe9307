/**
 * Service apps that require DPoP (RFC 9449), against the Okta emulator enforcing it: the nonce
 * handshake at the token endpoint and at the API, renewal of the token before it expires, a
 * server that binds tokens without requiring DPoP, and the emulator refusing bad proofs.
 */
import { createHash, createSign, generateKeyPairSync, type KeyObject, randomUUID, sign } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type OktaEmulator, startOktaEmulator } from "../../src/emulators/okta-emulator.js";
import { generateOrg } from "../../src/emulators/org-generator.js";
import { createOktaClient, getJson } from "../../src/okta/client.js";
import { rawCollection, readPages } from "../../src/okta/pages.js";
import { pullFromOkta } from "../../src/okta/pull.js";

const client = generateKeyPairSync("rsa", { modulusLength: 2048 });
const pem = client.privateKey.export({ type: "pkcs8", format: "pem" }).toString();
const publicPem = client.publicKey.export({ type: "spki", format: "pem" }).toString();
const SCOPES = ["okta.users.read", "okta.groups.read", "okta.apps.read", "okta.logs.read"];
const ecClient = generateKeyPairSync("ec", { namedCurve: "P-256" });
const REQUIRED = "0oaDpopRequired01";
const EC_APP = "0oaDpopEcKey00001";
const OPTIONAL = "0oaDpopOptional01";
const PLAIN = "0oaNoDpop000001";

let okta: OktaEmulator;
let clock = Date.now();

beforeAll(async () => {
  okta = await startOktaEmulator({
    org: generateOrg({ seed: 11, users: 25, groups: 3, assignedGroups: 2 }),
    token: "00unused-ssws-token",
    rateLimits: false,
    now: () => clock,
    oauthClients: [
      { clientId: REQUIRED, publicKey: publicPem, scopes: SCOPES, dpop: "required" },
      { clientId: OPTIONAL, publicKey: publicPem, scopes: SCOPES, dpop: "optional" },
      { clientId: PLAIN, publicKey: publicPem, scopes: SCOPES },
      { clientId: EC_APP, publicKey: ecClient.publicKey.export({ format: "jwk" }), scopes: SCOPES, dpop: "required" },
    ],
  });
});
afterAll(async () => {
  await okta.close();
});

const auth = (clientId: string) => ({ mode: "privateKey" as const, clientId, privateKey: pem, keyId: undefined, scopes: SCOPES });

/** The emulator's log from `from` on, as "METHOD path status auth". */
function logSince(from: number): string[] {
  return okta.requests.slice(from).map((r) => `${r.method} ${r.path.split("?")[0]} ${r.status} ${r.auth}`);
}

describe("a service app that requires DPoP, through the tool's Okta client", () => {
  it("a pull answers the nonce challenge at the token endpoint and at the API, and authenticates every read with DPoP", async () => {
    const from = okta.requests.length;
    const result = await pullFromOkta({ orgUrl: okta.url, appId: okta.org.app.id, auth: auth(REQUIRED), groups: "assigned", trackLog: true }, { now: () => clock });
    expect(result.appUsers.length).toBeGreaterThan(0);
    const log = logSince(from);
    expect(log.slice(0, 2)).toEqual(["POST /oauth2/v1/token 400 none", "POST /oauth2/v1/token 200 none"]);
    // The API's own nonce: its first request is challenged once, then every read passes.
    expect(log[2]).toMatch(/ 401 none$/);
    expect(log[3]).toMatch(/ 200 dpop$/);
    expect(log[3]!.split(" ").slice(0, 2)).toEqual(log[2]!.split(" ").slice(0, 2));
    const api = log.slice(3);
    expect(api.length).toBeGreaterThan(3);
    expect(api.every((line) => line.endsWith(" 200 dpop"))).toBe(true);
    expect(api.some((line) => line.startsWith("GET /api/v1/logs "))).toBe(true);
  });

  it("answers a 401 use_dpop_nonce on an API call once, with a fresh proof, without a new token", async () => {
    const connection = createOktaClient({ orgUrl: okta.url, auth: auth(REQUIRED), now: () => clock });
    const readLog = () => readPages(connection, rawCollection(connection, "/api/v1/logs", { limit: 1, sortOrder: "DESCENDING" }), () => false);
    await readLog();
    const from = okta.requests.length;
    okta.rotateDpopNonce();
    await readLog();
    expect(logSince(from)).toEqual(["GET /api/v1/logs 401 none", "GET /api/v1/logs 200 dpop"]);
  });

  it("an API call whose proof Okta refuses is not sent again, and its error blames the proof, not the key", async () => {
    const connection = createOktaClient({ orgUrl: okta.url, auth: auth(REQUIRED), now: () => clock });
    const getApp = () => getJson(connection, `/api/v1/apps/${okta.org.app.id}`);
    await getApp();
    okta.inject = (ctx) =>
      ctx.pathname.startsWith("/api/v1/apps/")
        ? { status: 401, headers: { "WWW-Authenticate": `DPoP error="invalid_dpop_proof", error_description="'iat' claim in the DPoP proof JWT is out of range."` } }
        : undefined;
    try {
      const from = okta.requests.length;
      const error = connection.toSyncError(await getApp().catch((e: unknown) => e));
      expect(okta.requests.length - from).toBe(1);
      expect(error.message).toContain("401");
      expect(error.hint).toContain("Okta refused the tool's DPoP proof: check this host's clock");
      expect(error.hint).not.toContain("okta.privateKey");
    } finally {
      okta.inject = undefined;
    }
  });

  it("a 401 to a token Okta no longer takes gets a new token and the request once more", async () => {
    const connection = createOktaClient({ orgUrl: okta.url, auth: auth(REQUIRED), now: () => clock });
    const getApp = () => getJson(connection, `/api/v1/apps/${okta.org.app.id}`);
    await getApp();
    let refused = 0;
    okta.inject = (ctx) => (ctx.pathname.startsWith("/api/v1/apps/") && refused++ === 0 ? { status: 401 } : undefined);
    try {
      const from = okta.requests.length;
      await getApp();
      expect(logSince(from)).toEqual([`GET /api/v1/apps/${okta.org.app.id} 401 dpop`, "POST /oauth2/v1/token 200 none", `GET /api/v1/apps/${okta.org.app.id} 200 dpop`]);
    } finally {
      okta.inject = undefined;
    }
  });

  it("renews the token a little before it expires, and again after an hour", async () => {
    const connection = createOktaClient({ orgUrl: okta.url, auth: auth(REQUIRED), now: () => clock });
    const getApp = () => getJson(connection, `/api/v1/apps/${okta.org.app.id}`);
    const tokenRequests = () => okta.requests.filter((r) => r.path === "/oauth2/v1/token" && r.status === 200).length;
    await getApp();
    const first = tokenRequests();
    clock += 30 * 60_000;
    await getApp();
    expect(tokenRequests()).toBe(first);
    // 30 s before the hour is up Okta would still take the token: only the margin renews it.
    clock += 29 * 60_000 + 30_000;
    const from = okta.requests.length;
    await getApp();
    expect(tokenRequests()).toBe(first + 1);
    expect(logSince(from).filter((line) => line.startsWith("GET "))).toEqual([`GET /api/v1/apps/${okta.org.app.id} 200 dpop`]);
    clock += 2 * 3_600_000;
    await getApp();
    expect(tokenRequests()).toBe(first + 2);
  });

  it("a service app whose key is an EC key (as a JWK) signs its assertions with ES256", async () => {
    const jwk = JSON.stringify({ ...ecClient.privateKey.export({ format: "jwk" }), kid: "ec-key-1" });
    const from = okta.requests.length;
    const result = await pullFromOkta(
      { orgUrl: okta.url, appId: okta.org.app.id, auth: { mode: "privateKey", clientId: EC_APP, privateKey: jwk, keyId: "ec-key-1", scopes: SCOPES }, groups: "assigned" },
      { now: () => clock },
    );
    expect(result.appUsers.length).toBeGreaterThan(0);
    // The nonce handshake, then the token.
    expect(logSince(from).filter((line) => line.startsWith("POST "))).toEqual(["POST /oauth2/v1/token 400 none", "POST /oauth2/v1/token 200 none"]);
  });

  it("a service app that does not require DPoP works with a token the server binds, and with a Bearer token", async () => {
    for (const [clientId, scheme] of [
      [OPTIONAL, "dpop"],
      [PLAIN, "bearer"],
    ] as const) {
      const from = okta.requests.length;
      const result = await pullFromOkta({ orgUrl: okta.url, appId: okta.org.app.id, auth: auth(clientId), groups: "assigned" }, { now: () => clock });
      expect(result.appUsers.length).toBeGreaterThan(0);
      const api = logSince(from).filter((line) => line.startsWith("GET ") && line.includes(" 200 "));
      expect(api.length).toBeGreaterThan(2);
      expect(api.every((line) => line.endsWith(` 200 ${scheme}`))).toBe(true);
    }
  });
});

// --- the emulator's checks, with proofs made by hand ---------------------------------------------

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
const dpopKey = generateKeyPairSync("ec", { namedCurve: "P-256" });
const otherKey = generateKeyPairSync("ec", { namedCurve: "P-256" });

function proof(claims: Record<string, unknown>, key: { privateKey: KeyObject; publicKey: KeyObject } = dpopKey): string {
  const { kty, crv, x, y } = key.publicKey.export({ format: "jwk" });
  const input = `${b64({ typ: "dpop+jwt", alg: "ES256", jwk: { kty, crv, x, y } })}.${b64(claims)}`;
  return `${input}.${sign("sha256", Buffer.from(input), { key: key.privateKey, dsaEncoding: "ieee-p1363" }).toString("base64url")}`;
}

function assertion(clientId: string): string {
  const now = Math.floor(clock / 1000);
  const claims = { iss: clientId, sub: clientId, aud: `${okta.url}/oauth2/v1/token`, iat: now, exp: now + 300, jti: randomUUID() };
  const body = `${b64({ alg: "RS256", typ: "JWT" })}.${b64(claims)}`;
  return `${body}.${createSign("RSA-SHA256").update(body).sign(client.privateKey).toString("base64url")}`;
}

async function tokenRequest(dpop: string | undefined) {
  const response = await fetch(`${okta.url}/oauth2/v1/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", ...(dpop === undefined ? {} : { DPoP: dpop }) },
    body: new URLSearchParams({
      grant_type: "client_credentials",
      scope: SCOPES.join(" "),
      client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
      client_assertion: assertion(REQUIRED),
    }),
  });
  return { status: response.status, nonce: response.headers.get("dpop-nonce"), body: (await response.json()) as Record<string, string> };
}

const iat = () => Math.floor(clock / 1000);
const ath = (token: string) => createHash("sha256").update(token).digest("base64url");

describe("the Okta emulator enforcing DPoP", () => {
  let token: string;
  let apiNonce: string;
  const appUrl = () => `${okta.url}/api/v1/apps/${okta.org.app.id}`;
  const tokenUrl = () => `${okta.url}/oauth2/v1/token`;

  async function api(dpop: string | undefined, options: { url?: string; scheme?: string } = {}) {
    const response = await fetch(options.url ?? appUrl(), {
      headers: { authorization: `${options.scheme ?? "DPoP"} ${token}`, ...(dpop === undefined ? {} : { DPoP: dpop }) },
    });
    return { status: response.status, challenge: response.headers.get("www-authenticate") ?? "", nonce: response.headers.get("dpop-nonce") };
  }
  const good = (overrides: Record<string, unknown> = {}) => ({ htm: "GET", htu: appUrl(), iat: iat(), jti: randomUUID(), ath: ath(token), nonce: apiNonce, ...overrides });

  beforeAll(async () => {
    const challenged = await tokenRequest(proof({ htm: "POST", htu: tokenUrl(), iat: iat(), jti: randomUUID() }));
    expect(challenged).toMatchObject({ status: 400, body: { error: "use_dpop_nonce" } });
    const issued = await tokenRequest(proof({ htm: "POST", htu: tokenUrl(), iat: iat(), jti: randomUUID(), nonce: challenged.nonce }));
    expect(issued.body.token_type).toBe("DPoP");
    token = issued.body.access_token!;
    const first = await api(proof({ htm: "GET", htu: appUrl(), iat: iat(), jti: randomUUID(), ath: ath(token) }));
    expect(first.status).toBe(401);
    expect(first.challenge).toContain('error="use_dpop_nonce"');
    apiNonce = first.nonce!;
  });

  it("takes a proof that is right in every way", async () => {
    expect((await api(proof(good()))).status).toBe(200);
  });

  it("refuses a token request without a proof, or with a lower-case htm", async () => {
    expect(await tokenRequest(undefined)).toMatchObject({ status: 400, body: { error: "invalid_dpop_proof" } });
    const challenged = await tokenRequest(proof({ htm: "POST", htu: tokenUrl(), iat: iat(), jti: randomUUID() }));
    const lower = await tokenRequest(proof({ htm: "post", htu: tokenUrl(), iat: iat(), jti: randomUUID(), nonce: challenged.nonce }));
    expect(lower.status).toBe(400);
    expect(lower.body).toMatchObject({ error: "invalid_dpop_proof", error_description: expect.stringContaining("'htm'") });
  });

  it.each([
    ["a lower-case htm", () => proof(good({ htm: "get" })), "'htm'"],
    ["an htu with the query", () => proof(good({ htu: `${appUrl()}?expand=user` })), "'htu'"],
    ["an ath of another token", () => proof(good({ ath: ath(`${token}x`) })), "'ath'"],
    ["no ath", () => proof(good({ ath: undefined })), "'ath'"],
    ["an iat ten minutes old", () => proof(good({ iat: iat() - 600 })), "'iat'"],
    ["a key the token is not bound to", () => proof(good(), otherKey), "not signed by the key the access token is bound to"],
    ["a signature that does not match", () => `${proof(good()).slice(0, -8)}AAAAAAAA`, "signature"],
  ])("refuses a proof with %s", async (_name, make, detail) => {
    const result = await api(make());
    expect(result.status).toBe(401);
    expect(result.challenge).toContain('error="invalid_dpop_proof"');
    expect(result.challenge).toContain(detail);
  });

  it("refuses a reused jti", async () => {
    const once = proof(good());
    expect((await api(once)).status).toBe(200);
    const again = await api(once);
    expect(again.status).toBe(401);
    expect(again.challenge).toContain("'jti' claim in the DPoP proof JWT was used before");
  });

  it("challenges a proof without the nonce, giving the nonce to use", async () => {
    const result = await api(proof(good({ nonce: undefined })));
    expect(result.status).toBe(401);
    expect(result.challenge).toContain('error="use_dpop_nonce"');
    expect(result.nonce).toBe(apiNonce);
  });

  it("refuses the bound token without a proof, or sent as a Bearer token", async () => {
    const missing = await api(undefined);
    expect(missing.status).toBe(401);
    expect(missing.challenge).toContain("The DPoP proof JWT header is missing");
    const bearer = await api(proof(good()), { scheme: "Bearer" });
    expect(bearer.status).toBe(401);
    expect(bearer.challenge).toContain('error="invalid_token"');
  });
});
