/**
 * Which proxy, if any, a request goes through: `HTTPS_PROXY` / `HTTP_PROXY` / `NO_PROXY`, each
 * in either case (lower case first, as curl and undici read them). One decision for every side
 * (Okta, Command, the Pushgateway) so that `check` reports exactly what the requests do.
 *
 * A proxy URL may carry credentials; they are a secret: `shown` never has them.
 */
import { BlockList, isIP } from "node:net";
import { SyncError } from "../errors.js";

export interface ProxyRoute {
  /** The proxy URL, credentials included: only for connecting. */
  url: URL;
  /** `http://proxy.example.com:3128`: no credentials, for messages. */
  shown: string;
  /** The variable it came from, e.g. `HTTPS_PROXY` or `https_proxy`. */
  variable: string;
  /** `Basic ...` from the URL's user and password; undefined without them. */
  authorization: string | undefined;
}

type Env = Record<string, string | undefined>;

/** The first of the names that is set and not empty, with its name. */
function firstSet(env: Env, names: readonly string[]): { name: string; value: string } | undefined {
  for (const name of names) {
    const value = env[name]?.trim();
    if (value) return { name, value };
  }
  return undefined;
}

const HTTPS_NAMES = ["https_proxy", "HTTPS_PROXY", "http_proxy", "HTTP_PROXY"];
const HTTP_NAMES = ["http_proxy", "HTTP_PROXY"];
const DEFAULT_PORTS: Record<string, number> = { "http:": 80, "https:": 443 };

function parseProxy(name: string, value: string): ProxyRoute {
  // `proxy.example.com:3128` without a scheme is common in these variables; curl reads it as http.
  const text = /^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `http://${value}`;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    // The value itself may hold a password: it is not repeated.
    throw new SyncError("config", `${name} is not a proxy URL`, { hint: `set ${name} like http://proxy.example.com:3128 (or http://user:password@proxy.example.com:3128)` });
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new SyncError("config", `${name} must be an http:// or https:// proxy URL, not ${url.protocol}//`, { hint: `set ${name} like http://proxy.example.com:3128` });
  }
  const authorization =
    url.username !== "" || url.password !== ""
      ? `Basic ${Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString("base64")}`
      : undefined;
  return { url, shown: `${url.protocol}//${url.host}`, variable: name, authorization };
}

function bareHost(hostname: string): string {
  return hostname.replace(/^\[|\]$/g, "").toLowerCase();
}

/** Whether `NO_PROXY` names this host: a host or domain (`.corp.example`, `*.corp.example`), optionally with `:port`, an IP or a CIDR range, or `*`. */
export function bypassesProxy(target: URL, noProxy: string): boolean {
  const host = bareHost(target.hostname);
  const port = Number(target.port) || DEFAULT_PORTS[target.protocol] || 0;
  const ipFamily = isIP(host);
  for (const raw of noProxy.split(/[,\s]+/)) {
    const entry = raw.trim().toLowerCase();
    if (entry === "") continue;
    if (entry === "*") return true;
    const cidr = /^([0-9a-f.:]+)\/(\d{1,3})$/.exec(entry);
    if (cidr) {
      const family = isIP(cidr[1]!);
      if (ipFamily === 0 || family !== ipFamily) continue;
      const list = new BlockList();
      try {
        list.addSubnet(cidr[1]!, Number(cidr[2]), family === 6 ? "ipv6" : "ipv4");
      } catch {
        continue;
      }
      if (list.check(host, family === 6 ? "ipv6" : "ipv4")) return true;
      continue;
    }
    const withPort = /^(.*?):(\d+)$/.exec(entry);
    // An IPv6 address has colons of its own: only `[::1]:8080` carries a port.
    const hasPort = withPort !== null && (isIP(bareHost(entry)) !== 6 || entry.startsWith("["));
    if (hasPort && Number(withPort[2]) !== port) continue;
    const name = bareHost(hasPort ? withPort[1]! : entry).replace(/^\*?\./, "");
    if (name === "") continue;
    if (host === name || host.endsWith(`.${name}`)) return true;
  }
  return false;
}

/**
 * The proxy for requests to `target`, or undefined for a direct connection. https targets use
 * HTTPS_PROXY, else HTTP_PROXY; http targets use HTTP_PROXY. Throws a config error for a proxy
 * variable that is not a usable URL.
 */
export function proxyFor(target: URL | string, env: Env = process.env): ProxyRoute | undefined {
  const url = typeof target === "string" ? new URL(target) : target;
  const chosen = firstSet(env, url.protocol === "https:" ? HTTPS_NAMES : HTTP_NAMES);
  if (chosen === undefined) return undefined;
  const noProxy = firstSet(env, ["no_proxy", "NO_PROXY"]);
  if (noProxy !== undefined && bypassesProxy(url, noProxy.value)) return undefined;
  return parseProxy(chosen.name, chosen.value);
}

/** The strings to strip from anything shown: the proxy's password and user, as written and decoded. */
export function proxySecrets(route: ProxyRoute | undefined): string[] {
  if (route === undefined) return [];
  const { username, password } = route.url;
  const parts = [password, decodeURIComponent(password), username !== "" && password === "" ? username : ""];
  if (route.authorization !== undefined) parts.push(route.authorization.slice("Basic ".length));
  return [...new Set(parts.filter((p) => p.length >= 3))];
}

/** `the proxy at http://proxy:3128 (HTTPS_PROXY)`. */
export function describeProxy(route: ProxyRoute): string {
  return `the proxy at ${route.shown} (${route.variable})`;
}
