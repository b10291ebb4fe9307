/**
 * The Okta SDK's request executor, replaced: every request the SDK sends (API calls, pages) and
 * every token request of a service app is authenticated here, paced per rate-limit bucket, given a deadline per attempt that covers
 * its whole body, and retried by the same policy as the requests to Command. The SDK's own
 * executor only retries 429s and has no timeout; it is not used at all, so its retries are off.
 * Redirects are never followed: node-fetch would send the credentials along to another port of
 * the same host, so a 3xx is an error that says where it pointed.
 */
import { createRequire } from "node:module";
import "./sdk-env.js";
import type { RequestExecutor as SdkRequestExecutor } from "@okta/okta-sdk-nodejs";
import type { Clock, WaitListener } from "../http/clock.js";
import { OktaPacer } from "../http/pacer.js";
import { serverWait } from "../http/rate-limit-headers.js";
import { type AttemptResult, withRetries } from "../http/retry.js";
import { type Failure, isRetryableStatus, type RetryConfig } from "../http/retry-policy.js";
import { notifyResponse, type ResponseListener } from "../http/http-event.js";
import { BufferedResponse, OktaDeadlineError, RequestDeadline, type StreamingResponse } from "./bounded-response.js";
import type { Authorization, ServiceAppAuth, TokenRequest } from "./service-app-auth.js";

export { OktaTokenError } from "./service-app-auth.js";

// The executor module alone: the package's index loads every generated API and model.
const RequestExecutor = createRequire(import.meta.url)("@okta/okta-sdk-nodejs/src/request-executor.js") as typeof SdkRequestExecutor;

export type SdkRequest = Parameters<SdkRequestExecutor["fetch"]>[0];

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

/** 3xx but 304, which is no redirect (and never asked for: the SDK sends no conditional requests). */
function isRedirect(status: number): boolean {
  return status >= 300 && status < 400 && status !== 304;
}

/** A request that got no usable HTTP answer; keeps the URL the SDK's own errors lack. */
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
 * A retryable HTTP failure (429, 5xx) that was not retried again; shaped like the SDK's
 * OktaApiError (status, url, errorCode, errorSummary, errorCauses) so both convert the same way.
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

/** node-fetch's FetchError: `type` says what went wrong, `code` the system error. */
function transportCode(error: unknown): string | undefined {
  if (error instanceof OktaDeadlineError) return "timeout";
  if (typeof error !== "object" || error === null) return undefined;
  const { type, code } = error as { type?: unknown; code?: unknown };
  if (type === "request-timeout" || type === "body-timeout") return "timeout";
  return typeof code === "string" ? code : undefined;
}

export class OktaRequestExecutor extends RequestExecutor {
  /** HTTP requests sent: every attempt, token requests included. */
  count = 0;
  readonly pacer: OktaPacer | undefined;
  /** A service app's credentials; undefined with an API token (the SDK sends it). */
  auth: ServiceAppAuth | undefined;
  private readonly options: OktaRequestExecutorOptions;

  constructor(options: OktaRequestExecutorOptions) {
    super();
    this.options = options;
    this.pacer = options.maxRateShare === undefined ? undefined : new OktaPacer({ maxRateShare: options.maxRateShare, clock: options.clock, onWait: options.onWait });
    this.on("request", () => {
      this.count++;
    });
  }

  /**
   * An SDK request: a service app's access token (and DPoP proof) is added to each attempt, and a
   * 401 that asks for a new DPoP nonce, or that a renewed token may get past, is sent once more.
   */
  override async fetch(request: SdkRequest): Promise<BufferedResponse> {
    const auth = this.auth;
    if (auth === undefined) return this.send(request);
    const target = request as { method?: unknown; url?: unknown };
    const method = String(target.method ?? "GET").toUpperCase();
    const url = String(target.url ?? "");
    const retried = { nonce: false, token: false };
    for (;;) {
      let sent: Authorization | undefined;
      const response = await this.send(request, async () => {
        sent = await auth.authorize(method, url);
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
  async send(request: SdkRequest | TokenRequest, authorize?: () => Promise<Record<string, string>>): Promise<BufferedResponse> {
    const target = request as { method?: unknown; url?: unknown; headers?: Record<string, string> };
    const method = String(target.method ?? "GET").toUpperCase();
    const url = String(target.url ?? "");
    const { clock, signal } = this.options;
    const path = (() => {
      try {
        const parsed = new URL(url);
        return `${parsed.pathname}${parsed.search}`;
      } catch {
        return url;
      }
    })();

    const response = await withRetries<BufferedResponse>(
      async () => {
        // Before the permit and the deadline: this may wait for a token request.
        const headers = authorize === undefined ? target.headers : { ...target.headers, ...(await authorize()) };
        const permit = await this.pacer?.acquire(url, signal);
        const started = performance.now();
        const reportStatus = (status: number) =>
          notifyResponse(this.options.onResponse, { side: "okta", method, status, durationMs: performance.now() - started });
        const deadline = new RequestDeadline(this.options.requestTimeoutMs);
        let answer: BufferedResponse;
        let headersSeen = false;
        try {
          // A copy per attempt: the caller's object stays as it was. The body is read here, under
          // the same deadline, so that the SDK never waits on the network.
          const streaming = (await super.fetch({ ...request, headers, redirect: "manual", signal: deadline.signal, timeout: 0 } as unknown as SdkRequest)) as unknown as StreamingResponse;
          headersSeen = true;
          permit?.done(streaming.headers);
          answer = new BufferedResponse(streaming, await streaming.buffer(), method);
        } catch (error) {
          reportStatus(0);
          if (!headersSeen) permit?.done(undefined);
          const cause = deadline.expired ? new OktaDeadlineError(this.options.requestTimeoutMs) : error;
          const failure: Failure = { kind: "network", code: transportCode(cause) };
          return { ok: false, error: new OktaTransportError(method, url, cause), failure };
        } finally {
          deadline.clear();
        }
        reportStatus(answer.status);
        if (answer.ok || !isRetryableStatus(answer.status)) return { ok: true, value: answer };
        const body = await answer.text();
        const failure: Failure = { kind: "status", status: answer.status, serverWait: serverWait(answer.headers, answer.status, clock.now()) };
        return { ok: false, error: new OktaHttpFailure(method, url, answer.status, body), failure } satisfies AttemptResult<BufferedResponse>;
      },
      { config: this.options.retry, clock, side: "okta", what: `${method} ${path}`, onWait: this.options.onWait, signal },
    );

    if (isRedirect(response.status)) throw new OktaRedirectError(method, url, response.status, response.headers.get("location") ?? undefined);

    return response;
  }
}
