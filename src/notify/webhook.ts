/**
 * A POST to a chat or incident webhook when a run needs a person: refused (someone may approve
 * it), partial or failed. Slack-compatible (`text`), plus the fields a script wants. A
 * notification is a report on the run: it never throws and never changes the run's result.
 */
import "../http/wasm-tiering.js";
import { request } from "undici";
import { errorMessage } from "../errors.js";
import { createDispatcher, describeProxyError } from "../http/proxy-dispatcher.js";
import { describeProxy, proxySecrets } from "../http/proxy.js";
import { createRedactor } from "../http/redact.js";
import type { RunStatus, Summary } from "../model.js";

/** The run outcomes `notify.on` chooses from; an interrupted run counts as failed, as in `--json`. */
export const NOTIFY_STATUSES = ["succeeded", "partial", "failed", "refused"] as const;
export type NotifyStatus = (typeof NOTIFY_STATUSES)[number];
export const DEFAULT_NOTIFY_ON: readonly NotifyStatus[] = ["refused", "partial", "failed"];
export const DEFAULT_NOTIFY_TIMEOUT_MS = 10_000;

/** How a run ended, as the webhook is told. */
export interface RunNotice {
  runId: string;
  /** `sync`, `backfill`. */
  command: string;
  status: Exclude<RunStatus, "running">;
  /** What was applied, by type. */
  summary: Summary;
  /** Operations that failed. */
  failed: number;
  /** Why it was refused, or the error that stopped it. */
  reasons: readonly string[];
  /** The command that applies the refused plan, when the run kept one. */
  approveCommand?: string | undefined;
}

export interface WebhookBody {
  text: string;
  runId: string;
  status: NotifyStatus;
  summary: Summary;
  /** The command that approves a refusal; null otherwise. */
  command: string | null;
  failed: number;
  reasons: string[];
}

export interface WebhookOptions {
  url: string;
  on: readonly NotifyStatus[];
  timeoutMs: number;
  /** Scrubs the configuration's secrets from anything sent. */
  redact: (text: string) => string;
  env?: Record<string, string | undefined>;
}

export function notifyStatusOf(status: RunNotice["status"]): NotifyStatus {
  return status === "interrupted" ? "failed" : status;
}

/** Where a webhook posts to, without its path or query: a Slack webhook's path is its token. */
export function webhookOrigin(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return "(not a URL)";
  }
}

function changes(summary: Summary): string {
  const total = Object.values(summary).reduce((sum, n) => sum + n, 0);
  return `${total} change${total === 1 ? "" : "s"} applied`;
}

/** One line, as a chat message: what happened and what to do next. */
export function noticeText(notice: RunNotice): string {
  const status = notice.status === "interrupted" ? "interrupted" : notice.status;
  const head = `okta-command-sync ${notice.command} ${status} (run ${notice.runId})`;
  const show = `details: okta-command-sync runs show ${notice.runId}`;
  const why = notice.reasons.map((r) => r.replace(/\s+/g, " ").trim()).join("; ");
  switch (notice.status) {
    case "refused":
      return notice.approveCommand === undefined
        ? `${head}: ${why}; nothing was written`
        : `${head}: ${why}; nothing was written. Review: okta-command-sync runs show ${notice.runId}; approve: ${notice.approveCommand}`;
    case "partial":
      return `${head}: ${changes(notice.summary)}, ${notice.failed} operation${notice.failed === 1 ? "" : "s"} failed; ${show}`;
    case "failed":
    case "interrupted":
      return `${head}: ${why === "" ? changes(notice.summary) : `${why}; ${changes(notice.summary)}`}; ${show}`;
    case "succeeded":
      return `${head}: ${changes(notice.summary)}`;
  }
}

export function webhookBody(notice: RunNotice, redact: (text: string) => string): WebhookBody {
  return {
    text: redact(noticeText(notice)),
    runId: notice.runId,
    status: notifyStatusOf(notice.status),
    summary: notice.summary,
    command: notice.approveCommand ?? null,
    failed: notice.failed,
    reasons: notice.reasons.map(redact),
  };
}

/**
 * Post the notice when `on` asks for its status. Returns what went wrong, in one line without the
 * URL's path, or undefined when it was delivered or not wanted.
 */
export async function postWebhook(options: WebhookOptions, notice: RunNotice): Promise<string | undefined> {
  if (!options.on.includes(notifyStatusOf(notice.status))) return undefined;
  const origin = webhookOrigin(options.url);
  const fail = (why: string) => `notification to the webhook at ${origin} failed: ${why}; the run's result is unchanged`;
  let target: URL;
  try {
    target = new URL(options.url);
  } catch {
    return fail("notify.webhook is not a URL");
  }
  const { timeoutMs } = options;
  // An agent of its own, closed afterwards, so no socket outlives the run; through the proxy
  // HTTPS_PROXY / HTTP_PROXY name for the webhook's host, unless NO_PROXY lists it.
  const { dispatcher, proxy } = createDispatcher(target, { connectTimeoutMs: timeoutMs, headersTimeout: timeoutMs, bodyTimeout: timeoutMs }, options.env);
  const scrub = createRedactor([...proxySecrets(proxy), options.url, target.pathname.length > 8 ? target.pathname : undefined, target.search]);
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    const response = await request(target, {
      method: "POST",
      headers: { "content-type": "application/json", "user-agent": "okta-command-sync" },
      body: JSON.stringify(webhookBody(notice, options.redact)),
      signal,
      dispatcher,
    });
    await response.body.dump().catch(() => undefined);
    if (response.statusCode < 200 || response.statusCode > 299) {
      const who = proxy === undefined ? "it" : `it (or ${describeProxy(proxy)} in front of it)`;
      return fail(`${who} answered ${response.statusCode}`);
    }
    return undefined;
  } catch (error) {
    const viaProxy = describeProxyError(error, proxy, target, timeoutMs);
    if (viaProxy !== undefined) return fail(scrub(viaProxy.message));
    const code = codeOf(error);
    const timedOut = signal.aborted || code === "UND_ERR_CONNECT_TIMEOUT" || code === "UND_ERR_HEADERS_TIMEOUT" || code === "UND_ERR_BODY_TIMEOUT";
    return fail(timedOut ? `no answer within ${timeoutMs / 1000}s` : scrub(`${errorMessage(error)}${code === undefined ? "" : ` (${code})`}`));
  } finally {
    await dispatcher.destroy().catch(() => undefined);
  }
}

function codeOf(error: unknown): string | undefined {
  for (let e: unknown = error, depth = 0; typeof e === "object" && e !== null && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string") return code;
  }
  return undefined;
}
