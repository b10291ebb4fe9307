/** HTTP plumbing of the Okta emulator: the reply shape, request bodies and how a reply is sent. */
import type { IncomingMessage, ServerResponse } from "node:http";

/** An answer of the emulator, before it is written. */
export interface Reply {
  status: number;
  body: unknown;
  /** Sent as text/html instead of `body`: what a proxy in front of Okta might answer. */
  text?: string;
  headers?: Record<string, string | string[]>;
}

export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

/** Writes the reply as JSON (or its HTML `text`); `headers` go before the reply's own. */
export function sendReply(res: ServerResponse, reply: Reply, headers: Record<string, string>): void {
  const body = reply.text ?? JSON.stringify(reply.body);
  res.writeHead(reply.status, {
    "Content-Type": reply.text === undefined ? "application/json" : "text/html",
    "Content-Length": String(Buffer.byteLength(body)),
    ...headers,
    ...reply.headers,
  });
  res.end(body);
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
