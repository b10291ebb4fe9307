/** Okta emulators started by a test file and closed after each test. */
import { afterEach } from "vitest";
import { type OktaEmulator, type OktaEmulatorOptions, startOktaEmulator } from "../../src/emulators/okta-emulator.js";
import type { EmulatedOktaOrg } from "../../src/emulators/okta-org.js";

export interface OktaEmulators {
  /** An emulator over `org` accepting `token`, rate limits off unless overridden. */
  start(org: EmulatedOktaOrg, overrides?: Partial<OktaEmulatorOptions>): Promise<OktaEmulator>;
  /** Close one early (it is then not closed again). */
  close(emulator: OktaEmulator): Promise<void>;
}

export function oktaEmulators(token: string): OktaEmulators {
  const running = new Set<OktaEmulator>();
  afterEach(async () => {
    const open = [...running];
    running.clear();
    await Promise.all(open.map((e) => e.close()));
  });
  return {
    async start(org, overrides = {}) {
      const emulator = await startOktaEmulator({ org, token, rateLimits: false, ...overrides });
      running.add(emulator);
      return emulator;
    },
    async close(emulator) {
      running.delete(emulator);
      await emulator.close();
    },
  };
}
