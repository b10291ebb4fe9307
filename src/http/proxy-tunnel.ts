/**
 * A node:http(s) Agent that reaches its server through a CONNECT tunnel, for clients built on
 * node's http module (the Okta SDK's node-fetch). Unlike a replayed proxy answer, a proxy that
 * refuses the tunnel fails the request with a ProxyFailure naming the proxy, so its 502 is never
 * taken for the server's.
 */
import http from "node:http";
import https from "node:https";
import net from "node:net";
import type { Duplex } from "node:stream";
import tls from "node:tls";
import { describeProxy, type ProxyRoute, proxyFor } from "./proxy.js";
import { ProxyFailure, proxyRefused } from "./proxy-dispatcher.js";

const MAX_HEADER_BYTES = 16 * 1024;

/** Opens a socket to the proxy and asks it for a tunnel to `host:port`; resolves with the tunnel. */
export function openTunnel(proxy: ProxyRoute, target: URL, connectTimeoutMs: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const port = Number(proxy.url.port) || (proxy.url.protocol === "https:" ? 443 : 80);
    const host = proxy.url.hostname.replace(/^\[|\]$/g, "");
    const socket: net.Socket =
      proxy.url.protocol === "https:" ? tls.connect({ host, port, servername: net.isIP(host) ? undefined : host }) : net.connect({ host, port });
    const authority = `${target.hostname}:${target.port || (target.protocol === "https:" ? "443" : "80")}`;
    let received = Buffer.alloc(0);
    let settled = false;
    const fail = (error: Error) => {
      if (settled) return;
      settled = true;
      socket.destroy();
      reject(error);
    };
    const timer = setTimeout(
      () => fail(new ProxyFailure(`cannot reach ${describeProxy(proxy)}: no tunnel within ${connectTimeoutMs / 1000}s`, proxy, undefined, `check ${proxy.variable}`)),
      connectTimeoutMs,
    );
    const onData = (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      const end = received.indexOf("\r\n\r\n");
      if (end === -1) {
        if (received.length > MAX_HEADER_BYTES) fail(new ProxyFailure(`${describeProxy(proxy)} sent an oversized answer to CONNECT`, proxy, undefined, `check ${proxy.variable}`));
        return;
      }
      clearTimeout(timer);
      socket.off("data", onData);
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(received.subarray(0, end).toString("latin1"))?.[1] ?? 0);
      if (status !== 200) {
        fail(status === 0 ? new ProxyFailure(`${describeProxy(proxy)} sent something that is not HTTP to CONNECT ${authority}`, proxy, undefined, `check ${proxy.variable}`) : proxyRefused(proxy, status, target));
        return;
      }
      settled = true;
      socket.off("error", onError);
      socket.off("close", onClose);
      const rest = received.subarray(end + 4);
      if (rest.length > 0) socket.unshift(rest);
      resolve(socket);
    };
    socket.on("data", onData);
    const onError = (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      const why = error.code === "ECONNREFUSED" ? "connection refused" : error.code === "ENOTFOUND" ? `cannot resolve ${host}` : (error.code ?? error.message);
      fail(new ProxyFailure(`cannot reach ${describeProxy(proxy)}: ${why}`, proxy, undefined, `check ${proxy.variable} (the proxy's host and port)`, error));
    };
    const onClose = () => {
      clearTimeout(timer);
      fail(new ProxyFailure(`${describeProxy(proxy)} closed the connection instead of answering CONNECT ${authority}`, proxy, undefined, `check ${proxy.variable}`));
    };
    socket.on("error", onError);
    socket.on("close", onClose);
    const headers = [`CONNECT ${authority} HTTP/1.1`, `Host: ${authority}`];
    if (proxy.authorization !== undefined) headers.push(`Proxy-Authorization: ${proxy.authorization}`);
    socket.write(`${headers.join("\r\n")}\r\n\r\n`);
  });
}

/**
 * The last failures by message: node-fetch passes on only the message (and code) of what the
 * agent failed with, and the message is enough to find the failure, with its fix, again.
 */
const recentFailures = new Map<string, ProxyFailure>();

function remember(error: Error): void {
  if (!(error instanceof ProxyFailure)) return;
  recentFailures.delete(error.message);
  recentFailures.set(error.message, error);
  if (recentFailures.size > 32) recentFailures.delete(recentFailures.keys().next().value!);
}

/** The proxy failure a node-fetch error reported, by its `reason`. */
export function proxyFailureNamed(message: string): ProxyFailure | undefined {
  return recentFailures.get(message);
}

type ConnectionCallback = (err: Error | null, stream: Duplex) => void;

/**
 * The agent for requests to `target`'s origin through the proxy the environment names for it;
 * undefined when the connection is direct. Both http and https targets go through a tunnel.
 */
export function nodeProxyAgent(target: URL, options: { connectTimeoutMs?: number; env?: Record<string, string | undefined> } = {}): http.Agent | undefined {
  const proxy = proxyFor(target, options.env);
  if (proxy === undefined) return undefined;
  const connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
  const secure = target.protocol === "https:";
  const connect = (connectionOptions: http.ClientRequestArgs, callback: ConnectionCallback) => {
    openTunnel(proxy, target, connectTimeoutMs).then(
      (socket) => {
        if (!secure) {
          callback(null, socket);
          return;
        }
        const host = target.hostname.replace(/^\[|\]$/g, "");
        const servername = (connectionOptions as tls.ConnectionOptions).servername || (net.isIP(host) ? undefined : host);
        const secured = tls.connect({ ...(connectionOptions as tls.ConnectionOptions), socket, servername, host });
        callback(null, secured);
      },
      (error: Error) => {
        remember(error);
        callback(error, undefined as unknown as Duplex);
      },
    );
    return undefined;
  };
  if (secure) {
    return new (class TunnelAgent extends https.Agent {
      override createConnection(connectionOptions: http.ClientRequestArgs, callback?: ConnectionCallback): Duplex | null | undefined {
        return connect(connectionOptions, callback!);
      }
    })({ keepAlive: true });
  }
  return new (class TunnelAgent extends http.Agent {
    override createConnection(connectionOptions: http.ClientRequestArgs, callback?: ConnectionCallback): Duplex | null | undefined {
      return connect(connectionOptions, callback!);
    }
  })({ keepAlive: true });
}
