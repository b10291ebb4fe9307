/**
 * Turning failed exchanges with Command into the tool's error values: HTTP error responses into
 * RemoteError, transport failures into NetworkError. Everything shown is stripped of the token.
 */
import { NetworkError, RemoteError } from "../errors.js";
import { ProxyFailure } from "../http/proxy-dispatcher.js";
import { ERROR_SCHEMA } from "../model.js";

/** A RemoteError that keeps what a retry policy needs from the response. */
export class ScimRemoteError extends RemoteError {
  /** The raw `Retry-After` header, when the response had one. */
  readonly retryAfter: string | undefined;
  /** The body was a SCIM error (RFC 7644 3.12): Command itself answered, not a proxy or a web server. */
  readonly scim: boolean;

  constructor(init: ConstructorParameters<typeof RemoteError>[0] & { retryAfter?: string | undefined; scim?: boolean }) {
    super(init);
    this.retryAfter = init.retryAfter;
    this.scim = init.scim ?? false;
  }
}

/** Whether a body is a SCIM error: JSON whose `schemas` names the SCIM Error message. */
export function isScimErrorBody(text: string): boolean {
  try {
    const json: unknown = JSON.parse(text);
    if (typeof json !== "object" || json === null || Array.isArray(json)) return false;
    const schemas = (json as { schemas?: unknown }).schemas;
    return Array.isArray(schemas) && schemas.includes(ERROR_SCHEMA);
  } catch {
    return false;
  }
}

const REDACTED = "[redacted]";

export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) if (secret.length >= 4) out = out.split(secret).join(REDACTED);
  return out;
}

function oneLine(text: string, max: number): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is removed
  const flat = text.replace(/[\u0000-\u001f\u007f]+/g, " ").replace(/\s+/g, " ").trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

function decodeEntities(text: string): string {
  return text
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&nbsp;/g, " ")
    .replace(/&amp;/g, "&");
}

function firstString(...values: unknown[]): string | undefined {
  for (const value of values) if (typeof value === "string" && value.trim() !== "") return value;
  return undefined;
}

/** The SCIM error `detail` and `scimType`, or a short, safe description of a non-SCIM body. */
export function describeErrorBody(text: string, contentType: string | undefined): { detail?: string; code?: string } {
  const trimmed = text.trim();
  if (trimmed === "") return {};
  const looksHtml = /html/i.test(contentType ?? "") || trimmed.startsWith("<");
  if (!looksHtml) {
    try {
      const json: unknown = JSON.parse(trimmed);
      if (typeof json === "object" && json !== null && !Array.isArray(json)) {
        const body = json as Record<string, unknown>;
        const errors = Array.isArray(body.errors) ? (body.errors[0] as Record<string, unknown> | undefined) : undefined;
        const detail = firstString(body.detail, body.message, body.error_description, body.error, errors?.message);
        const code = firstString(body.scimType);
        return { ...(detail ? { detail: oneLine(detail, 300) } : {}), ...(code ? { code } : {}) };
      }
    } catch {
      // Not JSON: described as text below.
    }
    return { detail: oneLine(trimmed, 200) };
  }
  const title = /<title[^>]*>([\s\S]*?)<\/title>/i.exec(trimmed)?.[1];
  const cleanTitle = title === undefined ? "" : oneLine(decodeEntities(title.replace(/<[^>]*>/g, "")), 80);
  return { detail: cleanTitle ? `HTML error page "${cleanTitle}"` : "HTML error page" };
}

/** What a user can do about a status; 401 and 403 end the run at once, so they say the most. */
export function hintFor(status: number): string | undefined {
  if (status === 401) {
    return (
      "Command refused the SCIM token: it was refreshed in Command (which invalidates the old one at once) or is wrong; " +
      "create a new one under Admin > Login & Access > SCIM and update COMMAND_SCIM_TOKEN (command.token)"
    );
  }
  if (status === 403) {
    return (
      "Command refused this request with the SCIM token: the token was refreshed in Command (which invalidates the old one at once), " +
      "is wrong, or belongs to another organization; create a new one under Admin > Login & Access > SCIM and update COMMAND_SCIM_TOKEN (command.token)"
    );
  }
  if (status === 429) return "Command is rate limiting requests: lower command.requestsPerMinute";
  return undefined;
}

export function remoteError(init: {
  method: string;
  path: string;
  status: number;
  body: string;
  contentType: string | undefined;
  retryAfter: string | undefined;
  secrets: readonly string[];
}): ScimRemoteError {
  const { detail, code } = describeErrorBody(init.body, init.contentType);
  const hint = hintFor(init.status);
  return new ScimRemoteError({
    side: "command",
    method: init.method,
    url: redact(init.path, init.secrets),
    status: init.status,
    detail: detail === undefined ? undefined : redact(detail, init.secrets),
    code: code === undefined ? undefined : redact(code, init.secrets),
    retryAfter: init.retryAfter,
    scim: isScimErrorBody(init.body),
    ...(hint === undefined ? {} : { hint }),
  });
}

export function errorCode(error: unknown): string | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string") return code;
  const cause = (error as { cause?: unknown }).cause;
  return cause === undefined || cause === error ? undefined : errorCode(cause);
}

function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${(ms / 1000).toFixed(1)}s`;
}

/** A transport failure (no HTTP answer) as a NetworkError with a message a user can act on. */
export function networkError(
  error: unknown,
  init: { method: string; path: string; host: string; timeoutMs: number; connectTimeoutMs: number; timedOut: boolean; secrets: readonly string[] },
): NetworkError {
  const code = errorCode(error);
  const name = error instanceof Error ? error.name : "";
  let what: string;
  if (error instanceof ProxyFailure) {
    what = error.message;
  } else if (init.timedOut || name === "TimeoutError" || code === "UND_ERR_HEADERS_TIMEOUT" || code === "UND_ERR_BODY_TIMEOUT") {
    what = `no complete response within ${seconds(init.timeoutMs)}`;
  } else if (code === "UND_ERR_CONNECT_TIMEOUT") {
    what = `could not connect to ${init.host} within ${seconds(init.connectTimeoutMs)}`;
  } else if (code === "ECONNREFUSED") {
    what = `connection refused by ${init.host}`;
  } else if (code === "ECONNRESET" || code === "UND_ERR_SOCKET" || code === "EPIPE") {
    what = "the connection was closed before a complete response arrived";
  } else if (code === "ENOTFOUND" || code === "EAI_AGAIN") {
    what = `cannot resolve ${init.host}`;
  } else if (code === "UND_ERR_CLOSED" || code === "UND_ERR_DESTROYED") {
    what = "the client was closed";
  } else if (code !== undefined && /CERT|TLS|SSL|SELF_SIGNED/i.test(code)) {
    what = `TLS failure with ${init.host} (${code})`;
  } else {
    const message = error instanceof Error ? error.message : String(error);
    what = oneLine(message, 200) + (code ? ` (${code})` : "");
  }
  return new NetworkError("command", redact(`${init.method} ${init.path}: ${what}`, init.secrets), error);
}
