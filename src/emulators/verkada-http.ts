/** HTTP plumbing of the Verkada Command emulator: paths, bodies, the request log and replies. */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Reply } from "./verkada-routes.js";
import { errorBody, ScimError } from "./scim-errors.js";

const BODY_LIMIT = 10 * 1024 * 1024;

/** The decoded segments after the base path, or undefined when the path is outside it. */
export function segmentsOf(pathname: string, basePath: string): string[] | undefined {
  if (pathname !== basePath && !pathname.startsWith(`${basePath}/`)) return undefined;
  try {
    return pathname.slice(basePath.length).split("/").filter(Boolean).map(decodeURIComponent);
  } catch {
    return undefined;
  }
}

export async function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size <= BODY_LIMIT) chunks.push(chunk as Buffer);
  }
  if (size > BODY_LIMIT) throw new ScimError(413, "request body too large");
  return size === 0 ? undefined : Buffer.concat(chunks);
}

/** A request body, parsed once for both the log and the handler; undefined when empty. */
export type RawBody = { ok: true; value: unknown } | { ok: false; text: string } | undefined;

export function parseJson(raw: Buffer | undefined): RawBody {
  if (raw === undefined) return undefined;
  const text = raw.toString("utf8");
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false, text };
  }
}

export function parseBody(raw: RawBody, contentType: string | undefined): unknown {
  const media = (contentType ?? "").split(";")[0]!.trim().toLowerCase();
  if (media !== "" && media !== "application/scim+json" && media !== "application/json") {
    throw new ScimError(415, `unsupported content type ${media}; send application/scim+json`);
  }
  if (raw === undefined) throw new ScimError(400, "a request body is required", "invalidSyntax");
  if (!raw.ok) throw new ScimError(400, "request body is not valid JSON", "invalidSyntax");
  return raw.value;
}

export function headersForLog(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (name === "authorization" || value === undefined) continue;
    out[name] = Array.isArray(value) ? value.join(", ") : value;
  }
  return out;
}

export function errorReply(err: ScimError): Reply {
  return { status: err.status, body: errorBody(err.status, err.message, err.scimType) };
}

export function send(res: ServerResponse, reply: Reply): void {
  res.writeHead(reply.status, { "Content-Type": "application/scim+json", ...reply.headers });
  res.end(reply.body === undefined || reply.status === 204 ? undefined : JSON.stringify(reply.body));
}
