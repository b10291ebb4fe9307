/**
 * The Okta emulator's token endpoint checks a private_key_jwt client assertion the way Okta
 * does (signature, audience, issuer, expiry, reuse), so a pull that authenticates against it
 * proves the tool's assertions are right.
 */
import { createSign, generateKeyPairSync, randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type OktaEmulator, startOktaEmulator } from "../../src/emulators/okta-emulator.js";
import { generateOrg } from "../../src/emulators/org-generator.js";
import { pullFromOkta } from "../../src/okta/pull.js";

const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
const other = generateKeyPairSync("rsa", { modulusLength: 2048 });
const pem = privateKey.export({ type: "pkcs8", format: "pem" }).toString();
const CLIENT = "0oaServiceApp1";
const SCOPES = ["okta.users.read", "okta.groups.read", "okta.apps.read"];
let okta: OktaEmulator;

beforeAll(async () => {
  okta = await startOktaEmulator({
    org: generateOrg({ seed: 4, users: 30, groups: 2, assignedGroups: 1 }),
    token: "00unused-ssws-token",
    rateLimits: false,
    oauthClients: [{ clientId: CLIENT, publicKey: publicKey.export({ type: "spki", format: "pem" }).toString(), scopes: SCOPES }],
  });
});
afterAll(async () => {
  await okta.close();
});

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
function assertion(claims: Record<string, unknown>, key = privateKey): string {
  const body = `${b64({ alg: "RS256", typ: "JWT" })}.${b64(claims)}`;
  const signature = createSign("RSA-SHA256").update(body).sign(key).toString("base64url");
  return `${body}.${signature}`;
}
function claims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000);
  return { iss: CLIENT, sub: CLIENT, aud: `${okta.url}/oauth2/v1/token`, iat: now, exp: now + 300, jti: randomUUID(), ...overrides };
}
async function token(jwt: string, scope = SCOPES.join(" ")) {
  const response = await fetch(`${okta.url}/oauth2/v1/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
    body: new URLSearchParams({ grant_type: "client_credentials", scope, client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer", client_assertion: jwt }),
  });
  return { status: response.status, body: (await response.json()) as { access_token?: string; error?: string; error_description?: string } };
}

describe("Okta emulator token endpoint", () => {
  it("issues an access token for a valid assertion", async () => {
    const result = await token(assertion(claims()));
    expect(result.status).toBe(200);
    expect(result.body.access_token).toBeTruthy();
  });

  it.each([
    ["a signature by another key", () => assertion(claims(), other.privateKey), /signature is invalid/],
    ["the wrong audience", () => assertion(claims({ aud: "https://evil.example/oauth2/v1/token" })), /audience/],
    ["an issuer that is not the client", () => assertion(claims({ iss: "0oaSomeoneElse" })), /unknown client/],
    ["an expired assertion", () => assertion(claims({ exp: Math.floor(Date.now() / 1000) - 10 })), /expired/],
    ["an assertion living over an hour", () => assertion(claims({ exp: Math.floor(Date.now() / 1000) + 7200 })), /longer than an hour/],
  ])("refuses %s", async (_name, make, detail) => {
    const result = await token(make());
    expect(result.status).toBe(401);
    expect(result.body.error).toBe("invalid_client");
    expect(result.body.error_description).toMatch(detail);
  });

  it("refuses a reused assertion and scopes the app was not granted", async () => {
    const once = assertion(claims());
    expect((await token(once)).status).toBe(200);
    expect((await token(once)).body.error_description).toMatch(/used before/);
    expect((await token(assertion(claims()), "okta.users.manage")).body.error).toBe("invalid_scope");
  });

  it("a pull through the real SDK authenticates with the tool's own assertions", async () => {
    const result = await pullFromOkta({
      orgUrl: okta.url,
      appId: okta.org.app.id,
      auth: { mode: "privateKey", clientId: CLIENT, privateKey: pem, keyId: undefined, scopes: SCOPES },
      groups: "assigned",
    });
    expect(result.appUsers.length).toBeGreaterThan(0);
    expect(okta.requests.some((r) => r.auth === "bearer")).toBe(true);
  });
});
