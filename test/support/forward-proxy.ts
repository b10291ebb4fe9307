/**
 * A forward proxy on loopback, as companies run them: CONNECT tunnels for https targets and
 * absolute-URI forwarding for http targets. It counts requests per target (`host:port`), can
 * resolve names the client cannot (`hosts`), can inspect TLS with a certificate of its own CA
 * (`inspect`), can demand credentials, and can answer an error on demand instead of connecting.
 */
import { once } from "node:events";
import { createServer, type IncomingMessage, request as httpRequest, type Server, type ServerResponse } from "node:http";
import { connect as netConnect, type Socket } from "node:net";
import { createSecureContext, TLSSocket } from "node:tls";

export interface ForwardProxyOptions {
  /** Names only the proxy can resolve, to the loopback port they stand for: `{"okta.test": 4100}`. */
  hosts?: Record<string, number>;
  /** TLS inspection: CONNECT tunnels end at the proxy, which shows this certificate and forwards in plain http. */
  inspect?: { key: string; cert: string };
  /** Demand `Proxy-Authorization: Basic base64(user:password)`; 407 otherwise. */
  credentials?: { user: string; password: string };
}

export interface ProxiedRequest {
  /** `CONNECT`, or the method of a forwarded http request. */
  method: string;
  /** `host:port` as the client asked for it. */
  target: string;
  /** The Proxy-Authorization header the client sent, if any. */
  authorization: string | undefined;
}

export interface ForwardProxy {
  /** `http://127.0.0.1:<port>`. */
  url: string;
  port: number;
  requests: ProxiedRequest[];
  /** Requests (tunnels and forwarded requests) the client asked for this target, answered or not. */
  count(target: string): number;
  /** From now on answer every request with this status instead of connecting; undefined: connect again. */
  failWith(status: number | undefined): void;
  close(): Promise<void>;
}

const REASONS: Record<number, string> = { 403: "Forbidden", 407: "Proxy Authentication Required", 502: "Bad Gateway", 503: "Service Unavailable" };

function splitTarget(target: string, defaultPort: number): { host: string; port: number } {
  const match = /^\[?([^\]]*?)\]?(?::(\d+))?$/.exec(target);
  return { host: match?.[1] ?? target, port: Number(match?.[2] ?? defaultPort) };
}

export async function startForwardProxy(options: ForwardProxyOptions = {}): Promise<ForwardProxy> {
  const requests: ProxiedRequest[] = [];
  const sockets = new Set<Socket>();
  let failure: number | undefined;
  const expected = options.credentials && `Basic ${Buffer.from(`${options.credentials.user}:${options.credentials.password}`).toString("base64")}`;
  const context = options.inspect && createSecureContext(options.inspect);

  /** Where the proxy itself connects for a target: a mapped name goes to its loopback port. */
  const resolveTarget = (host: string, port: number) => {
    const mapped = options.hosts?.[host.toLowerCase()];
    return mapped === undefined ? { host, port } : { host: "127.0.0.1", port: mapped };
  };
  /** The status to refuse with, or undefined to go ahead. */
  const refusal = (authorization: string | undefined) => {
    if (expected !== undefined && authorization !== expected) return 407;
    return failure;
  };

  const forward = (req: IncomingMessage, res: ServerResponse, host: string, port: number, path: string) => {
    const headers = { ...req.headers };
    delete headers["proxy-authorization"];
    delete headers["proxy-connection"];
    const upstream = httpRequest({ host, port, path, method: req.method, headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on("error", () => {
      if (!res.headersSent) res.writeHead(502, { "content-type": "text/plain" });
      res.end("proxy: upstream failed");
    });
    req.pipe(upstream);
  };

  const server: Server = createServer((req, res) => {
    // Absolute-URI forwarding of plain http.
    let target: URL;
    try {
      target = new URL(req.url ?? "");
    } catch {
      res.writeHead(400).end("proxy: absolute URI expected");
      return;
    }
    const authorization = req.headers["proxy-authorization"];
    requests.push({ method: req.method ?? "GET", target: `${target.hostname}:${target.port || "80"}`, authorization });
    const refused = refusal(authorization);
    if (refused !== undefined) {
      res.writeHead(refused, REASONS[refused] ?? "Error", refused === 407 ? { "proxy-authenticate": 'Basic realm="proxy"' } : {}).end(`proxy: ${refused}`);
      return;
    }
    const { host, port } = resolveTarget(target.hostname, Number(target.port || 80));
    forward(req, res, host, port, `${target.pathname}${target.search}`);
  });

  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });

  server.on("connect", (req: IncomingMessage, client: Socket, head: Buffer) => {
    const authorization = req.headers["proxy-authorization"];
    const asked = req.url ?? "";
    requests.push({ method: "CONNECT", target: asked, authorization });
    client.on("error", () => client.destroy());
    const refused = refusal(authorization);
    if (refused !== undefined) {
      const extra = refused === 407 ? 'Proxy-Authenticate: Basic realm="proxy"\r\n' : "";
      client.end(`HTTP/1.1 ${refused} ${REASONS[refused] ?? "Error"}\r\n${extra}Content-Length: 0\r\n\r\n`);
      return;
    }
    const wanted = splitTarget(asked, 443);
    const { host, port } = resolveTarget(wanted.host, wanted.port);
    if (context !== undefined) {
      // TLS inspection: the client's TLS ends here; what it sends is forwarded in plain http.
      client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
      if (head.length > 0) client.unshift(head);
      const secure = new TLSSocket(client, { isServer: true, secureContext: context });
      secure.on("error", () => client.destroy());
      const inner = createServer((innerReq, innerRes) => forward(innerReq, innerRes, host, port, innerReq.url ?? "/"));
      inner.emit("connection", secure);
      return;
    }
    const upstream = netConnect({ host, port }, () => {
      client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    sockets.add(upstream);
    upstream.on("close", () => sockets.delete(upstream));
    upstream.on("error", () => {
      if (client.writable) client.end("HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n");
    });
  });

  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    count: (target) => requests.filter((r) => r.target === target).length,
    failWith(status) {
      failure = status;
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
