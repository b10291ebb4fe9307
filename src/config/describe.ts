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
    notify: { ...config.notify, webhook: config.notify.webhook === undefined ? undefined : REDACTED, on: [...config.notify.on] },
  };
}

/** The secrets of a configuration, for a redactor that scrubs them from any output. */
export function configSecrets(config: Config): string[] {
  const auth = config.okta.auth;
  return [config.command.token, auth.mode === "token" ? auth.token : auth.privateKey, ...webhookSecrets(config.notify.webhook)];
}

/**
 * The webhook URL, and its path and query on their own: a Slack webhook's token is its path,
 * which a message could quote without the rest of the URL.
 */
export function webhookSecrets(webhook: string | undefined): string[] {
  if (webhook === undefined) return [];
  try {
    const url = new URL(webhook);
    const tail = `${url.pathname}${url.search}`;
    return [webhook, url.href, ...(tail.length > 8 ? [tail, url.pathname] : []), ...(url.search.length > 8 ? [url.search] : [])].filter((s) => s.length > 8);
  } catch {
    return [webhook];
  }
}
