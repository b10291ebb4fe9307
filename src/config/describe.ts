/** The configuration as it may be shown (`check`, `--verbose`): secrets replaced. Pure. */
import type { Config } from "./types.js";

export const REDACTED = "<redacted>";

export function redactConfig(config: Config): Config {
  const auth = config.okta.auth;
  return {
    ...config,
    okta: {
      ...config.okta,
      auth: auth.mode === "token" ? { ...auth, token: REDACTED } : { ...auth, privateKey: REDACTED, scopes: [...auth.scopes] },
    },
    command: { ...config.command, token: REDACTED },
    groups: { ...config.groups, push: Array.isArray(config.groups.push) ? [...config.groups.push] : config.groups.push, exclude: [...config.groups.exclude] },
    users: { ...config.users, exclude: [...config.users.exclude] },
    safety: {
      ...config.safety,
      maxDeactivations: { ...config.safety.maxDeactivations },
      maxGroupDeletes: { ...config.safety.maxGroupDeletes },
      maxMemberRemovals: { ...config.safety.maxMemberRemovals },
    },
    retry: { ...config.retry },
    state: { ...config.state },
    attributes: config.attributes.map((entry) => ({ ...entry })),
  };
}

/** The secrets of a configuration, for a redactor that scrubs them from any output. */
export function configSecrets(config: Config): string[] {
  const auth = config.okta.auth;
  return [config.command.token, auth.mode === "token" ? auth.token : auth.privateKey];
}
