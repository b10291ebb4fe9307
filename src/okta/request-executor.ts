/**
 * Every request to Okta goes through here: API calls, pages and a service app's token requests,
 * over undici with the proxy the environment names. Each is authenticated, paced per rate-limit
 * bucket, given a deadline per attempt that covers its whole body, and retried by the same policy
 * as the requests to Command. Redirects are never followed, so that no credential goes anywhere
 * but the org: a 3xx is an error that says where it pointed.
 */
import type { Dispatcher } from "undici";
import type { Clock, WaitListener } from "../http/clock.js";
import { OktaPacer } from "../http/pacer.js";
import type { ProxyRoute } from "../http/proxy.js";
import { createDispatcher, describeProxyError, errorCodeOf } from "../http/proxy-dispatcher.js";
import { serverWait } from "../http/rate-limit-headers.js";
import { type AttemptResult, withRetries } from "../http/retry.js";
import { type Failure, isRetryableStatus, type RetryConfig } from "../http/retry-policy.js";
import { notifyResponse, type ResponseListener } from "../http/http-event.js";
import { BufferedResponse, HeaderRecord, OktaDeadlineError, RequestDeadline, type ResponseHeaders } from "./bounded-response.js";
import type { Authorization, ServiceAppAuth } from "./service-app-auth.js";

export { OktaTokenError } from "./service-app-auth.js";

/** One request as sent: a GET of the API, or a token request's POST. */
export interface OktaRequest {
  url: string;
  method: string;
  headers: Record<string, string>;
  body?: string;
}

/** Okta (or something in front of it) answered with a redirect; it is not followed. */
export class OktaRedirectError extends Error {
  constructor(
    readonly method: string,
    readonly url: string,
    readonly status: number,
    /** Where it pointed, resolved against `url`; undefined without a Location header. */
    readonly location: string | undefined,
  ) {
    super(`HTTP ${status} ${location === undefined ? "without a Location header" : `to ${location}`}`);
    this.name = "OktaRedirectError";
  }
}

/** 3xx but 304, which is no redirect (and never asked for: no request here is conditional). */
function isRedirect(status: number): boolean {
  return status >= 300 && status < 400 && status !== 304;
}

/** A request that got no usable HTTP answer, with what was asked. */
export class OktaTransportError extends Error {
  constructor(
    readonly method: string,
    readonly url: string,
    override readonly cause: unknown,
  ) {
    super(cause instanceof Error ? cause.message : String(cause));
    this.name = "OktaTransportError";
  }
}

/**
 * Okta answered with an error status (after the retries a 429 or 5xx gets): Okta's error fields
 * (errorCode, errorSummary, errorCauses) when the body is Okta's JSON, else the start of the body.
 */
export class OktaHttpFailure extends Error {
  readonly errorCode: unknown;
  readonly errorSummary: unknown;
  readonly errorCauses: unknown;
  /** The start of the body, for an error page that is not Okta's JSON. */
  readonly bodyText: string;

  constructor(
    readonly method: string,
    readonly url: string,
    readonly status: number,
    body: string,
    /** The response's headers: `WWW-Authenticate` says why a 401 or 403 was refused. */
    readonly headers?: ResponseHeaders,
  ) {
    let parsed: { errorCode?: unknown; errorSummary?: unknown; errorCauses?: unknown } | undefined;
    try {
      const json: unknown = JSON.parse(body);
      if (typeof json === "object" && json !== null && !Array.isArray(json)) parsed = json as typeof parsed;
    } catch {
      // Not JSON: an error page, described by its text.
    }
    super(parsed?.errorSummary !== undefined ? `Okta HTTP ${status} ${String(parsed.errorSummary)}` : `HTTP ${status} ${body.slice(0, 2000)}`);
    this.name = "OktaHttpFailure";
    this.errorCode = parsed?.errorCode;
    this.errorSummary = parsed?.errorSummary;
    this.errorCauses = parsed?.errorCauses;
    this.bodyText = body.slice(0, 2000);
  }
}

export interface OktaRequestExecutorOptions {
  /** The org: its origin picks the proxy (or none) every request takes. */
  org: URL;
  /** Deadline for opening a connection, to the proxy or to Okta (ms). Default 10 000. */
  connectTimeoutMs?: number;
  retry: RetryConfig;
  /** Share of each rate-limit bucket this job may use per window; undefined = no pacing. */
  maxRateShare: number | undefined;
  /** Deadline of one attempt, from sending the request to the end of its body (ms); when it passes the connection is closed. */
  requestTimeoutMs: number;
  clock: Clock;
  onWait?: WaitListener | undefined;
  /** Told about every attempt once its status is known (0: no answer), token requests included. */
  onResponse?: ResponseListener | undefined;
  /** Cuts waits short when the run is stopping. */
  signal?: AbortSignal | undefined;
}

/** What the retry policy knows a transport failure by: `timeout`, or its system or undici code. */
function transportCode(error: unknown): string | undefined {
  if (error instanceof OktaDeadlineError) return "timeout";
  return errorCodeOf(error);
}

export class OktaRequestExecutor {
  /** HTTP requests sent: every attempt, token requests included. */
  count = 0;
  readonly pacer: OktaPacer | undefined;
  /** A service app's credentials; undefined with an API token (its header is the caller's). */
  auth: ServiceAppAuth | undefined;
  /** The proxy every request takes; undefined for direct connections. */
  readonly proxy: ProxyRoute | undefined;
  private readonly options: OktaRequestExecutorOptions;
  private readonly dispatcher: Dispatcher;
  private readonly connectTimeoutMs: number;

  constructor(options: OktaRequestExecutorOptions) {
    this.options = options;
    this.pacer = options.maxRateShare === undefined ? undefined : new OktaPacer({ maxRateShare: options.maxRateShare, clock: options.clock, onWait: options.onWait });
    this.connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
    // The deadline of each attempt is the signal's; undici's own timeouts only back it up.
    const routed = createDispatcher(options.org, {
      connectTimeoutMs: this.connectTimeoutMs,
      headersTimeout: options.requestTimeoutMs,
      bodyTimeout: options.requestTimeoutMs,
    });
    this.dispatcher = routed.dispatcher;
    this.proxy = routed.proxy;
  }

  /**
   * A request of the API: a service app's access token (and DPoP proof) is added to each attempt,
   * and a 401 that asks for a new DPoP nonce, or that a renewed token may get past, is sent once more.
   */
  async fetch(request: OktaRequest): Promise<BufferedResponse> {
    const auth = this.auth;
    if (auth === undefined) return this.send(request);
    const method = request.method.toUpperCase();
    const retried = { nonce: false, token: false };
    for (;;) {
      let sent: Authorization | undefined;
      const response = await this.send(request, async () => {
        sent = await auth.authorize(method, request.url);
        return sent.headers;
      });
      const retry = sent === undefined ? undefined : auth.afterResponse(response, sent);
      if (retry === undefined || retried[retry]) return response;
      retried[retry] = true;
    }
  }

  /**
   * One exchange as it is: paced, retried, each attempt under its deadline, no redirect followed.
   * `authorize` gives the headers of each attempt (a DPoP proof is good for one request only).
   */
  async send(request: OktaRequest, authorize?: () => Promise<Record<string, string>>): Promise<BufferedResponse> {
    const method = request.method.toUpperCase();
    const { url } = request;
    const { clock, signal } = this.options;
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      throw new OktaTransportError(method, url, new TypeError(`not a URL: ${url}`));
    }
    const path = `${target.pathname}${target.search}`;

    const response = await withRetries<BufferedResponse>(
      async () => {
        // Before the permit and the deadline: this may wait for a token request.
        const headers = authorize === undefined ? request.headers : { ...request.headers, ...(await authorize()) };
        const permit = await this.pacer?.acquire(url, signal);
        this.count++;
        const started = performance.now();
        const reportStatus = (status: number) =>
          notifyResponse(this.options.onResponse, { side: "okta", method, status, durationMs: performance.now() - started });
        const deadline = new RequestDeadline(this.options.requestTimeoutMs);
        let answer: BufferedResponse;
        let headersSeen = false;
        try {
          const streaming = await this.dispatcher.request({ origin: target.origin, path, method: method as Dispatcher.HttpMethod, headers, body: request.body, signal: deadline.signal });
          headersSeen = true;
          const head = { status: streaming.statusCode, url, headers: new HeaderRecord(streaming.headers) };
          permit?.done(head.headers);
          // The body is read here, under the same deadline, so that no caller ever waits on the network.
          answer = new BufferedResponse(head, Buffer.from(await streaming.body.arrayBuffer()), method);
        } catch (error) {
          reportStatus(0);
          if (!headersSeen) permit?.done(undefined);
          const cause = deadline.expired ? new OktaDeadlineError(this.options.requestTimeoutMs) : (describeProxyError(error, this.proxy, target, this.connectTimeoutMs) ?? error);
          const failure: Failure = { kind: "network", code: transportCode(cause) };
          return { ok: false, error: new OktaTransportError(method, url, cause), failure };
        } finally {
          deadline.clear();
        }
        reportStatus(answer.status);
        if (answer.ok || !isRetryableStatus(answer.status)) return { ok: true, value: answer };
        const body = await answer.text();
        const failure: Failure = { kind: "status", status: answer.status, serverWait: serverWait(answer.headers, answer.status, clock.now()) };
        return { ok: false, error: new OktaHttpFailure(method, url, answer.status, body, answer.headers), failure } satisfies AttemptResult<BufferedResponse>;
      },
      { config: this.options.retry, clock, side: "okta", what: `${method} ${path}`, onWait: this.options.onWait, signal },
    );

    if (isRedirect(response.status)) throw new OktaRedirectError(method, url, response.status, response.headers.get("location") ?? undefined);

    return response;
  }

  /** Closes the connections; requests in flight fail. */
  async close(): Promise<void> {
    await this.dispatcher.close();
  }
}
