/** The environment variables that set configuration keys: the one table loading and hints read. */

export interface EnvVar {
  name: string;
  /** The key it sets: `okta.orgUrl`; a `*File` key names a file holding the secret. */
  path: string;
}

export const ENV_VARS: readonly EnvVar[] = [
  { name: "OKTA_ORG_URL", path: "okta.orgUrl" },
  { name: "OKTA_APP_ID", path: "okta.appId" },
  { name: "OKTA_API_TOKEN", path: "okta.token" },
  { name: "OKTA_API_TOKEN_FILE", path: "okta.tokenFile" },
  { name: "OKTA_CLIENT_ID", path: "okta.clientId" },
  { name: "OKTA_PRIVATE_KEY", path: "okta.privateKey" },
  { name: "OKTA_PRIVATE_KEY_FILE", path: "okta.privateKeyFile" },
  { name: "OKTA_KEY_ID", path: "okta.keyId" },
  { name: "COMMAND_REGION", path: "command.region" },
  { name: "COMMAND_SCIM_URL", path: "command.scimUrl" },
  { name: "COMMAND_SCIM_TOKEN", path: "command.token" },
  { name: "COMMAND_SCIM_TOKEN_FILE", path: "command.tokenFile" },
  { name: "OCS_STATE", path: "state.path" },
  { name: "NOTIFY_WEBHOOK_URL", path: "notify.webhook" },
  { name: "NOTIFY_WEBHOOK_URL_FILE", path: "notify.webhookFile" },
];

/** The variables that can set `path`, its secret file included: `["COMMAND_SCIM_TOKEN", "COMMAND_SCIM_TOKEN_FILE"]`. */
export function envNamesFor(path: string): string[] {
  return ENV_VARS.filter((v) => v.path === path || v.path === `${path}File`).map((v) => v.name);
}

/** `set it in the config file, COMMAND_SCIM_TOKEN or COMMAND_SCIM_TOKEN_FILE`. */
export function whereToSet(path: string): string {
  const places = ["the config file", ...envNamesFor(path)];
  const last = places.pop()!;
  return places.length === 0 ? `set it in ${last}` : `set it in ${places.join(", ")} or ${last}`;
}
