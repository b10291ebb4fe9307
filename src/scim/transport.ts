/**
 * The HTTP transport to Command's SCIM API over undici: one keep-alive pool, a deadline per
 * request (body included), pacing and retries. It turns an exchange into an answer (status,
 * media type, parsed JSON) or an error value; what an answer proves is decided by the caller.
 * Redirects are never followed: a 3xx is an error naming where it pointed.
 */
import type { Dispatcher } from "undici";
import { type NetworkError, ProtocolError } from "../errors.js";
import { type ClockOptions, clockFrom, type WaitListener } from "../http/clock.js";
import { CommandPacer } from "../http/pacer.js";
import { proxySecrets } from "../http/proxy.js";
import { createDispatcher, describeProxyError } from "../http/proxy-dispatcher.js";
import { serverWait } from "../http/rate-limit-headers.js";
import { type AttemptResult, withRetries } from "../http/retry.js";
import { COMMAND_429_COOLDOWN_MS, type Failure, NO_RETRY, type RetryConfig } from "../http/retry-policy.js";
import { notifyResponse, type ResponseListener } from "../http/http-event.js";
import { describeErrorBody, errorCode, networkError, redact, remoteError } from "./failures.js";

export interface TransportOptions {
  /** Base URL of the SCIM API, e.g. `https://api.command.verkada.com/scim`. */
  baseUrl: string;
  token: string;
  /** Deadline for a whole request, response body included (ms). Default 30 000. */
  timeoutMs?: number;
  /** Deadline for opening a connection (ms). Default 10 000. */
  connectTimeoutMs?: number;
  /** Keep-alive connections to Command; match the request concurrency. Default 4. */
  connections?: number;
  userAgent?: string;
  /** Largest response body read (bytes). Default 10 MiB. */
  maxBodyBytes?: number;
  /** Retries of 429s, 5xx, resets and timeouts. Default: one attempt. 401 and 403 are never retried. */
  retry?: RetryConfig;
  /** Pacing: at most this many requests in any 60 s, retries included; 0: off. The caller passes command.requestsPerMinute. */
  requestsPerMinute: number;
  /** Pacing shared with other clients of the same run; wins over `requestsPerMinute`. */
  pacer?: CommandPacer;
  onWait?: WaitListener;
  onResponse?: ResponseListener;
  signal?: AbortSignal;
  now?: ClockOptions["now"];
  sleep?: ClockOptions["sleep"];
  random?: ClockOptions["random"];
}

export type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

export interface SendInit {
  body?: unknown;
  query?: Record<string, string | number>;
}

/** A 2xx answer: its status, media type (lower case, no parameters) and body. */
export interface Answer {
  status: number;
  media: string;
  /** The parsed body; undefined when the body was empty. */
  json: unknown;
  /** A short, safe description of the body, for messages. */
  described: string;
}

export interface Transport {
  /** The base path (`/scim`), prefixed to every path in messages. */
  readonly basePath: string;
  /** The secrets to strip from anything shown. */
  readonly secrets: readonly string[];
  send(method: Method, path: string, init?: SendInit): Promise<Answer>;
  close(): Promise<void>;
}

const SCIM_JSON = "application/scim+json";
const ERROR_BODY_BYTES = 64 * 1024;

class BodyTooLarge extends Error {}

async function readText(body: Dispatcher.ResponseData["body"], limit: number, truncate: boolean): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    if (size + chunk.length > limit) {
      if (!truncate) throw new BodyTooLarge();
      chunks.push(chunk.subarray(0, limit - size));
      break;
    }
    size += chunk.length;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}

function header(headers: Dispatcher.ResponseData["headers"], name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function isTimeout(error: unknown): boolean {
  const code = errorCode(error);
  return (error instanceof Error && error.name === "TimeoutError") || code === "UND_ERR_HEADERS_TIMEOUT" || code === "UND_ERR_BODY_TIMEOUT";
}

/** `application/scim+json; charset=utf-8` -> `application/scim+json`. */
export function mediaOf(contentType: string | undefined): string {
  return (contentType ?? "").split(";")[0]!.trim().toLowerCase();
}

export function createTransport(options: TransportOptions): Transport {
  const base = new URL(options.baseUrl);
  if (base.protocol !== "https:" && base.protocol !== "http:") throw new TypeError("the SCIM base URL must be http(s)");
  const basePath = base.pathname.replace(/\/+$/, "");
  const timeoutMs = options.timeoutMs ?? 30_000;
  const connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
  const maxBodyBytes = options.maxBodyBytes ?? 10 * 1024 * 1024;
  // One pool for Command's origin, direct or through the proxy HTTPS_PROXY / HTTP_PROXY name.
  const { dispatcher: pool, proxy } = createDispatcher(base, {
    connections: Math.max(1, options.connections ?? 4),
    connectTimeoutMs,
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
    keepAliveTimeout: 10_000,
  });
  const secrets = [options.token, ...proxySecrets(proxy)];
  const headers = {
    authorization: `Bearer ${options.token}`,
    "content-type": SCIM_JSON,
    accept: `${SCIM_JSON}, application/json`,
    "user-agent": options.userAgent ?? "okta-command-sync",
  };
  const clock = clockFrom(options);
  const retry = options.retry ?? NO_RETRY;
  const pacer = options.pacer ?? new CommandPacer({ requestsPerMinute: options.requestsPerMinute, clock, onWait: options.onWait });

  function transportFailure(error: NetworkError, cause: unknown, timedOut: boolean): AttemptResult<never> {
    const failure: Failure = { kind: "network", code: timedOut ? "timeout" : errorCode(cause) };
    return { ok: false, error, failure };
  }

  async function sendOnce(method: Method, shownPath: string, init: SendInit): Promise<AttemptResult<Answer>> {
    const query = init.query
      ? `?${Object.entries(init.query)
          .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`)
          .join("&")}`
      : "";
    // One deadline for the whole exchange: a server that sends headers and then stalls is cut off too.
    const signal = AbortSignal.timeout(timeoutMs);
    const failure = (error: unknown) =>
      transportFailure(
        networkError(describeProxyError(error, proxy, base, connectTimeoutMs) ?? error, { method, path: shownPath, host: base.host, timeoutMs, connectTimeoutMs, timedOut: signal.aborted, secrets }),
        error,
        signal.aborted || isTimeout(error),
      );

    let response: Dispatcher.ResponseData;
    const started = performance.now();
    const reportStatus = (status: number) =>
      notifyResponse(options.onResponse, { side: "command", method, status, durationMs: performance.now() - started });
    try {
      response = await pool.request({
        origin: base.origin,
        method,
        path: `${shownPath}${query}`,
        headers,
        body: init.body === undefined ? undefined : JSON.stringify(init.body),
        signal,
      });
    } catch (error) {
      reportStatus(0);
      return failure(error);
    }
    reportStatus(response.statusCode);

    const { statusCode, body } = response;
    const contentType = header(response.headers, "content-type");
    if (statusCode < 200 || statusCode > 299) {
      let text = "";
      try {
        text = await readText(body, ERROR_BODY_BYTES, true);
      } catch {
        // A broken error body still leaves the status to report.
      }
      const location = header(response.headers, "location");
      const redirect = statusCode >= 300 && statusCode < 400 && location ? `redirected to ${location}; redirects are not followed` : undefined;
      const error = remoteError({
        method,
        path: shownPath,
        status: statusCode,
        body: redirect ?? text,
        contentType: redirect === undefined ? contentType : "text/plain",
        retryAfter: header(response.headers, "retry-after"),
        secrets,
      });
      return { ok: false, error, failure: { kind: "status", status: statusCode, serverWait: serverWait(response.headers, statusCode, clock.now()) } };
    }
    let text: string;
    try {
      text = await readText(body, maxBodyBytes, false);
    } catch (error) {
      if (error instanceof BodyTooLarge) {
        body.destroy();
        throw new ProtocolError(`Command answered ${method} ${shownPath} with a body too large to read (larger than ${maxBodyBytes} bytes)`);
      }
      return failure(error);
    }
    const media = mediaOf(contentType);
    if (text.trim() === "") return { ok: true, value: { status: statusCode, media, json: undefined, described: "an empty body" } };
    // A success is described like an error body, but a page that came with 200 is no error page.
    const detail = describeErrorBody(text, contentType).detail?.replace(/^HTML error page/, "HTML page");
    const safe = detail === undefined ? "" : ` (${redact(detail, secrets)})`;
    const typed = media === "" ? "a body without a content type" : `a ${media} body`;
    try {
      return { ok: true, value: { status: statusCode, media, json: JSON.parse(text) as unknown, described: typed } };
    } catch {
      // The parser's own message quotes the body; the description is the safe part of it.
      return { ok: true, value: { status: statusCode, media, json: undefined, described: `${typed} that is not JSON${safe}` } };
    }
  }

  return {
    basePath,
    secrets,
    /** The single choke point for every request to Command: paced, and retried by the shared policy. */
    send(method, path, init = {}) {
      const shownPath = `${basePath}${path}`;
      return withRetries(
        async () => {
          await pacer.acquire(options.signal);
          return sendOnce(method, shownPath, init);
        },
        {
          config: retry,
          clock,
          side: "command",
          what: `${method} ${shownPath}`,
          cooldownAfter429Ms: COMMAND_429_COOLDOWN_MS,
          onWait: options.onWait,
          signal: options.signal,
          // A 429 is about the whole organization: every request of the run waits it out.
          beforeWait: (step, failure) => {
            if (failure.kind === "status" && failure.status === 429) pacer.holdUntil(clock.now() + step.floorMs);
          },
        },
      );
    },
    async close() {
      await pool.close();
    },
  };
}
