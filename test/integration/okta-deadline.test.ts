/**
 * The deadline of an Okta request, against the emulator over loopback: it covers the whole
 * body, and when it passes the connection is closed, so that a failed pull leaves nothing open
 * to keep the process alive.
 */
import { describe, expect, it } from "vitest";
import { generateOrg } from "../../src/emulators/org-generator.js";
import { NetworkError } from "../../src/errors.js";
import { pullFromOkta } from "../../src/okta/pull.js";
import { oktaEmulators } from "../support/okta-emulators.js";

const TOKEN = "00deadline-test-token-5e2b1";
const emulators = oktaEmulators(TOKEN);
const isAppUsers = (pathname: string) => /^\/api\/v1\/apps\/[^/]+\/users$/.test(pathname);

/** Resolves once `condition` holds; fails the test if it never does. */
async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`still waiting: ${what}`);
}

describe("Okta request deadline", () => {
  it("cuts a body that stalls at the deadline and closes its connection", async () => {
    const org = generateOrg({ seed: 8, users: 20, groups: 2 });
    const emulator = await emulators.start(org);
    emulator.inject = ({ pathname }) => (isAppUsers(pathname) ? { stall: true } : undefined);

    const error = await pullFromOkta({ orgUrl: emulator.url, appId: org.app.id, auth: { mode: "token", token: TOKEN }, groups: [] }, { requestTimeoutMs: 300 }).then(
      () => undefined,
      (e: unknown) => e,
    );

    expect(error).toBeInstanceOf(NetworkError);
    expect((error as Error).message).toMatch(/^Okta: no answer from http:\/\/127\.0\.0\.1:\d+ in time \(GET .*\/users.*\): the response was not complete within 300ms/);
    expect(emulator.stats.requests).toBe(1);
    // The emulator sees the stalled response's connection closed by the client.
    await until(() => emulator.stats.inFlight === 0, "the stalled connection is still open");
  });
});
