/**
 * Errors are values with a kind. The CLI maps each kind to an exit code (src/cli/exit.ts) and one
 * line for the user; adapters translate their own failures into these before they reach the core.
 * A safety refusal is not an error: it is a result (status `refused`).
 */

/** `usage`: the command line itself is wrong (an unknown flag or command, a bad flag value). */
export type ErrorKind = "config" | "usage" | "auth" | "network" | "remote" | "conflict" | "internal";

export const ERROR_KINDS: readonly ErrorKind[] = ["config", "usage", "auth", "network", "remote", "conflict", "internal"];

export class SyncError extends Error {
  readonly kind: ErrorKind;
  /** What the user can do about it, when there is something to say. */
  readonly hint: string | undefined;

  constructor(kind: ErrorKind, message: string, options?: { hint?: string; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = "SyncError";
    this.kind = kind;
    this.hint = options?.hint;
  }
}

export class ConfigError extends SyncError {
  /** Every problem found, each naming its key. */
  readonly problems: readonly string[];

  constructor(problems: readonly string[], hint?: string) {
    super(
      "config",
      problems.length === 1 ? `invalid configuration: ${problems[0]}` : `invalid configuration (${problems.length} problems)`,
      hint === undefined ? undefined : { hint },
    );
    this.name = "ConfigError";
    this.problems = problems;
  }
}

export type Side = "okta" | "command";

/** An HTTP response that says the request failed, from either side. */
export class RemoteError extends SyncError {
  readonly side: Side;
  readonly method: string;
  /** URL without query secrets (neither side puts secrets in URLs). */
  readonly url: string;
  readonly status: number;
  /** SCIM `detail` / Okta `errorSummary`, or a short excerpt of the body. */
  readonly detail: string | undefined;
  /** SCIM `scimType` / Okta `errorCode`. */
  readonly code: string | undefined;

  constructor(init: {
    side: Side;
    method: string;
    url: string;
    status: number;
    detail?: string | undefined;
    code?: string | undefined;
    hint?: string;
  }) {
    const kind: ErrorKind = init.status === 401 || init.status === 403 ? "auth" : init.status === 409 ? "conflict" : "remote";
    const what = `${init.side === "okta" ? "Okta" : "Command"} answered ${init.status} to ${init.method} ${init.url}`;
    super(kind, init.detail ? `${what}: ${init.detail}` : what, init.hint === undefined ? undefined : { hint: init.hint });
    this.name = "RemoteError";
    this.side = init.side;
    this.method = init.method;
    this.url = init.url;
    this.status = init.status;
    this.detail = init.detail;
    this.code = init.code;
  }
}

/**
 * Command said, in SCIM, that the resource a request named does not exist: a SCIM error body
 * with 404, or a SCIM 404 to a GET of the same resource. Any other 404 is a plain RemoteError.
 */
export class GoneError extends RemoteError {
  constructor(init: { side: Side; method: string; url: string; detail?: string | undefined }) {
    super({ ...init, status: 404 });
    this.name = "GoneError";
  }
}

/** The request never got an HTTP answer: refused, reset, timed out, DNS failure. */
export class NetworkError extends SyncError {
  readonly side: Side;

  constructor(side: Side, message: string, cause?: unknown) {
    super("network", `${side === "okta" ? "Okta" : "Command"}: ${message}`, { cause });
    this.name = "NetworkError";
    this.side = side;
  }
}

/** A response arrived but its body is not what the API promises. */
export class ProtocolError extends SyncError {
  constructor(message: string, cause?: unknown, hint?: string) {
    super("remote", message, hint === undefined ? { cause } : { cause, hint });
    this.name = "ProtocolError";
  }
}

export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
