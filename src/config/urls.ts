/** Checks and normalisation for the two base URLs in the config. Pure. */

export const HTTPS_RULE = "must be an https:// URL (http:// only for loopback hosts: 127.0.0.0/8, localhost, [::1])";

/** Loopback only, so that plain http never leaves the machine (emulators, local proxies). */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase();
  if (host === "localhost" || host === "[::1]") return true;
  // WHATWG URL parsing has already canonicalised IPv4 forms such as 0x7f.1 to valid dotted decimal.
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

export type BaseUrlResult = { ok: true; url: string } | { ok: false; problem: string };

/**
 * A base URL that requests are built on: https (or http to loopback), no credentials, query or
 * fragment; returned without a trailing slash.
 */
export function checkBaseUrl(value: string, options: { allowPath: boolean; example: string }): BaseUrlResult {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return { ok: false, problem: `${HTTPS_RULE}, such as ${options.example}` };
  }
  if (url.protocol !== "https:" && !(url.protocol === "http:" && isLoopbackHost(url.hostname))) {
    return { ok: false, problem: HTTPS_RULE };
  }
  if (url.username !== "" || url.password !== "") {
    return { ok: false, problem: "must not contain a user name or password (credentials go in the token settings)" };
  }
  if (url.search !== "" || url.hash !== "") {
    return { ok: false, problem: `must be a base URL without a query or fragment, such as ${options.example}` };
  }
  if (!options.allowPath && url.pathname !== "/") {
    return { ok: false, problem: `must be the base URL of the org without a path, such as ${options.example}` };
  }
  const path = url.pathname.replace(/\/+$/, "");
  return { ok: true, url: `${url.protocol}//${url.host}${path}` };
}

/** `acme-admin.okta.com` is the admin console; the API lives on `acme.okta.com`. */
export function withoutAdminSuffix(orgUrl: string): string | undefined {
  const url = new URL(orgUrl);
  const match = /^([a-z0-9-]+)-admin(\.(?:okta|oktapreview|okta-emea|okta-gov|okta-miltest)\.com|\.okta\.mil)$/i.exec(url.hostname);
  if (match === null) return undefined;
  return `${url.protocol}//${match[1]}${match[2]}${url.port === "" ? "" : `:${url.port}`}`;
}

/** A URL as it may be shown in a message: any credentials in it are masked. */
export function displayUrl(value: string): string {
  return value.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/?#@]*@/i, "$1***@");
}
