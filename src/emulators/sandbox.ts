/**
 * Both emulators started together over one generated org: what the demo, the end-to-end tests
 * and the benchmark run against.
 */
import { type OktaEmulator, type OktaEmulatorOptions, startOktaEmulator } from "./okta-emulator.js";
import type { EmulatedOktaOrg } from "./okta-org.js";
import { generateOrg, type GenerateOrgOptions } from "./org-generator.js";
import { type VerkadaEmulator, type VerkadaEmulatorOptions, startVerkadaEmulator } from "./verkada-emulator.js";

export interface SandboxOptions {
  org?: Partial<GenerateOrgOptions>;
  okta?: Partial<Omit<OktaEmulatorOptions, "org" | "token">>;
  command?: VerkadaEmulatorOptions;
}

export interface Sandbox {
  org: EmulatedOktaOrg;
  okta: OktaEmulator;
  command: VerkadaEmulator;
  oktaToken: string;
  commandToken: string;
  /** Names of the org's groups, for `groups.push`. */
  groupNames: string[];
  /** Environment variables that point the CLI at both emulators. */
  env(): Record<string, string>;
  close(): Promise<void>;
}

export const SANDBOX_OKTA_TOKEN = "00sandbox-okta-api-token-4f9d2c";
export const SANDBOX_COMMAND_TOKEN = "sandbox-command-scim-token-8b1e7a";

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const org = generateOrg({ seed: 42, users: 60, groups: 5, ...options.org });
  const okta = await startOktaEmulator({ ...options.okta, org, token: SANDBOX_OKTA_TOKEN });
  let command: VerkadaEmulator;
  try {
    command = await startVerkadaEmulator({ token: SANDBOX_COMMAND_TOKEN, ...options.command });
  } catch (error) {
    await okta.close();
    throw error;
  }
  return {
    org,
    okta,
    command,
    oktaToken: SANDBOX_OKTA_TOKEN,
    commandToken: options.command?.token ?? SANDBOX_COMMAND_TOKEN,
    groupNames: org.groups.map((g) => g.name),
    env: () => ({
      OKTA_ORG_URL: okta.url,
      OKTA_APP_ID: org.app.id,
      OKTA_API_TOKEN: SANDBOX_OKTA_TOKEN,
      COMMAND_SCIM_URL: command.url,
      COMMAND_SCIM_TOKEN: options.command?.token ?? SANDBOX_COMMAND_TOKEN,
    }),
    close: async () => {
      await Promise.all([okta.close(), command.close()]);
    },
  };
}
