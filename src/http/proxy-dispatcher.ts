/**
 * undici dispatchers that honour the proxy variables, and the words for a proxy's own failure.
 *
 * https targets are tunnelled with CONNECT; http targets are sent to the proxy as absolute-URI
 * requests, as curl does (proxies commonly allow CONNECT only to port 443). Either way the
 * dispatcher keeps one pool per origin with the given connection limit and timeouts.
 */
import "./wasm-tiering.js";
import { Agent, type Dispatcher, ProxyAgent } from "undici";
import { describeProxy, type ProxyRoute, proxyFor } from "./proxy.js";

export interface DispatcherOptions {
  /** Connections per origin; undefined: no limit. */
  connections?: number;
  /** Deadline for opening a connection, to the proxy or the server (ms). */
  connectTimeoutMs: number;
  headersTimeout: number;
  bodyTimeout: number;
  keepAliveTimeout?: number;
}

export interface RoutedDispatcher {
  dispatcher: Dispatcher;
  /** The proxy in use; undefined for a direct connection. */
  proxy: ProxyRoute | undefined;
}

/** A dispatcher for requests to `target`'s origin, through the proxy the environment names for it. */
export function createDispatcher(target: URL, options: DispatcherOptions, env?: Record<string, string | undefined>): RoutedDispatcher {
  const proxy = proxyFor(target, env);
  const common = {
    ...(options.connections === undefined ? {} : { connections: options.connections }),
    headersTimeout: options.headersTimeout,
    bodyTimeout: options.bodyTimeout,
    ...(options.keepAliveTimeout === undefined ? {} : { keepAliveTimeout: options.keepAliveTimeout }),
  };
  if (proxy === undefined) return { dispatcher: new Agent({ ...common, connect: { timeout: options.connectTimeoutMs } }), proxy };
  const dispatcher = new ProxyAgent({
    ...common,
    uri: proxy.url.href,
    proxyTunnel: target.protocol === "https:",
    proxyTls: { timeout: options.connectTimeoutMs },
    requestTls: { timeout: options.connectTimeoutMs },
  });
  return { dispatcher, proxy };
}

/** The proxy failed the request itself: refused the tunnel, wanted credentials, or could not be reached. */
export class ProxyFailure extends Error {
  override readonly name = "ProxyFailure";
  /** Stable for error codes and retries: `EPROXY`. */
  readonly code = PROXY_FAILURE_CODE;

  constructor(
    message: string,
    readonly proxy: ProxyRoute,
    /** The proxy's status, when it answered. */
    readonly status: number | undefined,
    /** What to do about it. */
    readonly fix: string,
    override readonly cause?: unknown,
  ) {
    super(message);
  }
}

export const PROXY_FAILURE_CODE = "EPROXY";

/** The first `code` in an error or its causes: a system error's (`ECONNRESET`) or undici's (`UND_ERR_SOCKET`). */
export function errorCodeOf(error: unknown): string | undefined {
  for (let e: unknown = error, depth = 0; typeof e === "object" && e !== null && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string") return code;
  }
  return undefined;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** `host:port` as a CONNECT asks for it. */
export function tunnelTarget(target: URL): string {
  return `${target.hostname}:${target.port || (target.protocol === "https:" ? "443" : "80")}`;
}

/** The failure for a proxy that answered `status` instead of connecting to `target`. */
export function proxyRefused(proxy: ProxyRoute, status: number, target: URL, cause?: unknown): ProxyFailure {
  const who = describeProxy(proxy);
  const host = target.hostname;
  const asked = target.protocol === "https:" ? ` to CONNECT ${tunnelTarget(target)}` : "";
  const varFix = `check ${proxy.variable}, or list ${host} in NO_PROXY if it must be reached directly`;
  if (status === 407) {
    const why = proxy.authorization === undefined ? `it wants credentials: put them in ${proxy.variable} (http://user:password@host:port)` : `it refused the credentials in ${proxy.variable}`;
    return new ProxyFailure(`${who} answered 407 Proxy Authentication Required${asked}: ${why}`, proxy, status, `check the proxy user and password in ${proxy.variable}`, cause);
  }
  if (status === 403) {
    return new ProxyFailure(`${who} answered 403${asked}: it does not allow connections to ${host}`, proxy, status, `ask for ${host} to be allowed through the proxy, or ${varFix}`, cause);
  }
  if (status === 502 || status === 503 || status === 504) {
    return new ProxyFailure(
      `${who} answered ${status}${asked}: it could not reach ${host}`,
      proxy,
      status,
      `the proxy could not connect to ${host}: check that name and the proxy's own DNS and outbound access; ${varFix}`,
      cause,
    );
  }
  return new ProxyFailure(`${who} answered ${status}${asked} instead of connecting`, proxy, status, varFix, cause);
}

/**
 * What a failed undici request says about the proxy, or undefined when the proxy is not to
 * blame. Through a proxy, a failure to connect at all is a failure to connect to the proxy.
 */
export function describeProxyError(error: unknown, proxy: ProxyRoute | undefined, target: URL, connectTimeoutMs: number): ProxyFailure | undefined {
  if (proxy === undefined) return undefined;
  if (error instanceof ProxyFailure) return error;
  const message = messageOf(error);
  const tunnel = /Proxy response \((\d{3})\) !== 200/.exec(message);
  if (tunnel) return proxyRefused(proxy, Number(tunnel[1]), target, error);
  if (/Proxy Authentication Required \(407\)/.test(message)) return proxyRefused(proxy, 407, target, error);
  const code = errorCodeOf(error);
  const who = describeProxy(proxy);
  const fix = `check ${proxy.variable} (the proxy's host and port) and that this host may connect to it`;
  const host = proxy.url.hostname;
  if (code === "ECONNREFUSED") return new ProxyFailure(`cannot reach ${who}: connection refused`, proxy, undefined, fix, error);
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") return new ProxyFailure(`cannot reach ${who}: cannot resolve ${host}`, proxy, undefined, fix, error);
  // The same code for the TLS handshake with the server inside the tunnel: only the proxy's address is the proxy's fault.
  if (code === "UND_ERR_CONNECT_TIMEOUT" && message.includes(host)) {
    return new ProxyFailure(`cannot reach ${who}: no connection within ${connectTimeoutMs / 1000}s`, proxy, undefined, fix, error);
  }
  if (code === "EHOSTUNREACH" || code === "ENETUNREACH") return new ProxyFailure(`cannot reach ${who}: ${code}`, proxy, undefined, fix, error);
  return undefined;
}

/** A proxy's own failure anywhere in an error's causes. */
export function proxyFailureIn(error: unknown): ProxyFailure | undefined {
  for (let e: unknown = error, depth = 0; typeof e === "object" && e !== null && depth < 6; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof ProxyFailure) return e;
  }
  return undefined;
}
