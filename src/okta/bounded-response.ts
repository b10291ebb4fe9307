/**
 * What makes an Okta request end: a deadline over the whole exchange (headers and body) that
 * tears the connection down when it passes, and a response read in full before anyone sees it.
 * A timeout that only stops waiting for a stalled body would leave its socket open, and keep the
 * process alive long after the run has failed.
 */
import { ProtocolError } from "../errors.js";

/** The request's deadline passed before its response was complete. */
export class OktaDeadlineError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`the response was not complete within ${timeoutMs} ms`);
    this.name = "OktaDeadlineError";
  }
}

/**
 * An abort signal for one attempt, aborted when `timeoutMs` passes: undici then destroys the
 * request and its socket. A run that is stopping lets its requests in flight finish, within this.
 */
export class RequestDeadline {
  private readonly controller = new AbortController();
  private readonly timer: NodeJS.Timeout;
  private passed = false;
  readonly signal: AbortSignal = this.controller.signal;

  constructor(readonly timeoutMs: number) {
    this.timer = setTimeout(() => {
      this.passed = true;
      this.controller.abort(new OktaDeadlineError(timeoutMs));
    }, timeoutMs);
  }

  get expired(): boolean {
    return this.passed;
  }

  /** The attempt is over: the timer must not keep the process alive nor fire later. */
  clear(): void {
    clearTimeout(this.timer);
  }
}

/** A response's headers, read as fetch's Headers are: names in any case, repeated fields joined by ", ". */
export interface ResponseHeaders {
  get(name: string): string | null;
  forEach(callback: (value: string, name: string) => void): void;
}

/** undici's header record (lower-case names; a repeated field as an array) as ResponseHeaders. */
export class HeaderRecord implements ResponseHeaders {
  constructor(private readonly record: Record<string, string | string[] | undefined>) {}

  get(name: string): string | null {
    const value = this.record[name.toLowerCase()];
    if (value === undefined) return null;
    return Array.isArray(value) ? value.join(", ") : value;
  }

  forEach(callback: (value: string, name: string) => void): void {
    for (const name of Object.keys(this.record)) {
      const value = this.get(name);
      if (value !== null) callback(value, name);
    }
  }
}

/** What an exchange answered, before its body is read. */
export interface ResponseHead {
  status: number;
  url: string;
  headers: ResponseHeaders;
}

/** A response whose body was read in full, under the request's deadline. */
export class BufferedResponse {
  readonly ok: boolean;
  readonly status: number;
  readonly url: string;
  readonly headers: ResponseHeaders;

  constructor(
    from: ResponseHead,
    private readonly body: Buffer,
    private readonly method: string,
  ) {
    this.ok = from.status >= 200 && from.status < 300;
    this.status = from.status;
    this.url = from.url;
    this.headers = from.headers;
  }

  async text(): Promise<string> {
    return this.body.toString("utf8");
  }

  async json(): Promise<unknown> {
    const text = this.body.toString("utf8");
    try {
      return JSON.parse(text);
    } catch {
      const excerpt = text.replace(/\s+/g, " ").trim().slice(0, 100);
      throw new ProtocolError(`Okta answered ${this.method} ${this.url} with a body that is not JSON${excerpt === "" ? " (it was empty)" : `: ${excerpt}`}`);
    }
  }
}
