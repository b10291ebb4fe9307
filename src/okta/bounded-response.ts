/**
 * What makes an Okta request end: a deadline over the whole exchange (headers and body) that
 * tears the connection down when it passes, and a response read in full before the SDK sees it.
 * node-fetch's own `timeout` stops waiting for a stalled body but leaves its socket open, which
 * keeps the process alive long after the run has failed.
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
 * An abort signal for one attempt, aborted when `timeoutMs` passes: node-fetch then destroys the
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

/** The part of node-fetch's Headers the SDK and this tool use. */
export interface ResponseHeaders {
  get(name: string): string | null;
  forEach(callback: (value: string, name: string) => void): void;
}

/** node-fetch's Response as the executor receives it, before its body is read. */
export interface StreamingResponse {
  ok: boolean;
  status: number;
  statusText: string;
  url: string;
  headers: ResponseHeaders;
  buffer(): Promise<Buffer>;
}

/**
 * A response whose body is already in memory: what the SDK gets from the executor, with the
 * methods of node-fetch's Response that it calls (text, json, buffer, clone, headers).
 */
export class BufferedResponse {
  readonly ok: boolean;
  readonly status: number;
  readonly statusText: string;
  readonly url: string;
  readonly headers: ResponseHeaders;

  constructor(
    from: Omit<StreamingResponse, "buffer">,
    private readonly body: Buffer,
    private readonly method: string,
  ) {
    this.ok = from.ok;
    this.status = from.status;
    this.statusText = from.statusText;
    this.url = from.url;
    this.headers = from.headers;
  }

  async text(): Promise<string> {
    return this.body.toString("utf8");
  }

  async buffer(): Promise<Buffer> {
    return this.body;
  }

  async arrayBuffer(): Promise<ArrayBuffer> {
    return new Uint8Array(this.body).buffer;
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

  clone(): BufferedResponse {
    return new BufferedResponse(this, this.body, this.method);
  }
}
