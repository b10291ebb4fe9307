import { afterEach, describe, expect, it } from "vitest";
import { type VerkadaEmulator, type VerkadaEmulatorOptions, scimEndpointOf, startVerkadaEmulator } from "../../src/emulators/verkada-emulator.js";
import { CORE_GROUP_SCHEMA, CORE_USER_SCHEMA, PATCH_OP_SCHEMA } from "../../src/model.js";

const TOKEN = "command-stats-token";
const started: VerkadaEmulator[] = [];

afterEach(async () => {
  await Promise.all(started.splice(0).map((e) => e.close()));
});

async function start(options: VerkadaEmulatorOptions = {}): Promise<VerkadaEmulator> {
  const emulator = await startVerkadaEmulator({ token: TOKEN, ...options });
  started.push(emulator);
  return emulator;
}

// biome-ignore lint/suspicious/noExplicitAny: SCIM JSON read in assertions
async function call(emulator: VerkadaEmulator, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${emulator.url}${path}`, {
    method,
    headers: { Authorization: `Bearer ${TOKEN}`, ...(body === undefined ? {} : { "Content-Type": "application/scim+json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text === "" ? undefined : JSON.parse(text) };
}

const user = (userName: string) => ({ schemas: [CORE_USER_SCHEMA], userName, name: { givenName: "A", familyName: "B" }, active: true });

describe("command emulator: statistics", () => {
  it("templates endpoints below the SCIM base", () => {
    expect(scimEndpointOf("POST", ["Users"], "/scim/Users")).toBe("POST /Users");
    expect(scimEndpointOf("PATCH", ["users", "abc"], "/scim/users/abc")).toBe("PATCH /Users/{id}");
    expect(scimEndpointOf("GET", ["serviceproviderconfig"], "/scim/serviceproviderconfig")).toBe("GET /ServiceProviderConfig");
    expect(scimEndpointOf("GET", ["Schemas", "urn:x"], "/scim/Schemas/urn:x")).toBe("GET /Schemas/{id}");
    expect(scimEndpointOf("GET", [], "/scim")).toBe("GET /");
    expect(scimEndpointOf("GET", undefined, "/elsewhere")).toBe("GET /elsewhere");
  });

  it("counts requests by endpoint and the 429s sent, with the request log off too; resetStats and resetLog zero them", async () => {
    let t = 0;
    const emulator = await start({ logRequests: false, requestsPerMinute: 9, now: () => t });
    const created = await call(emulator, "POST", "/Users", user("a@example.com"));
    const id = created.body.id as string;
    await call(emulator, "PUT", `/Users/${id}`, user("a@example.com"));
    await call(emulator, "PATCH", `/Users/${id}`, { schemas: [PATCH_OP_SCHEMA], Operations: [{ op: "replace", value: { active: false } }] });
    await call(emulator, "GET", `/Users?filter=${encodeURIComponent('userName eq "a@example.com"')}`);
    await call(emulator, "GET", `/Users/${id}`);
    const group = await call(emulator, "POST", "/Groups", { schemas: [CORE_GROUP_SCHEMA], displayName: "G", members: [] });
    await call(emulator, "PATCH", `/Groups/${group.body.id}`, { schemas: [PATCH_OP_SCHEMA], Operations: [{ op: "add", path: "members", value: [{ value: id }] }] });
    await call(emulator, "GET", "/Groups");
    await call(emulator, "GET", "/ServiceProviderConfig");
    // The budget of 9 is spent: these two are refused.
    expect((await call(emulator, "DELETE", `/Groups/${group.body.id}`)).status).toBe(429);
    expect((await call(emulator, "GET", "/Groups")).status).toBe(429);
    t += 61_000;
    expect((await call(emulator, "DELETE", `/Groups/${group.body.id}`)).status).toBe(204);
    emulator.injectFault({ match: { method: "GET" }, status: 429, headers: { "Retry-After": "1" } });
    expect((await call(emulator, "GET", "/Users")).status).toBe(429);

    expect(emulator.stats()).toEqual({
      requests: 13,
      rateLimited: 3,
      byEndpoint: {
        "POST /Users": 1,
        "PUT /Users/{id}": 1,
        "PATCH /Users/{id}": 1,
        "GET /Users": 2,
        "GET /Users/{id}": 1,
        "POST /Groups": 1,
        "PATCH /Groups/{id}": 1,
        "GET /Groups": 2,
        "GET /ServiceProviderConfig": 1,
        "DELETE /Groups/{id}": 2,
      },
    });
    expect(emulator.requests).toEqual([]);
    // stats() is a copy.
    const snapshot = emulator.stats();
    await call(emulator, "GET", "/Groups");
    expect(snapshot.byEndpoint["GET /Groups"]).toBe(2);

    emulator.resetStats();
    expect(emulator.stats()).toEqual({ requests: 0, rateLimited: 0, byEndpoint: {} });
    expect(emulator.writeCount()).toBe(7);
    await call(emulator, "GET", "/Groups");
    emulator.resetLog();
    expect(emulator.stats()).toEqual({ requests: 0, rateLimited: 0, byEndpoint: {} });
    expect(emulator.writeCount()).toBe(0);
  });

  it("counts concurrent requests", async () => {
    const emulator = await start({ logRequests: false });
    const calls = Array.from({ length: 400 }, (_, i) => call(emulator, "GET", `/Users/${i}`));
    await Promise.all(calls);
    expect(emulator.stats().byEndpoint).toEqual({ "GET /Users/{id}": 400 });
  });
});
