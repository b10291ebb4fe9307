/**
 * Where a run's metrics go: a file for node_exporter's textfile collector, replaced atomically so
 * a scrape never reads half a file, and optionally a Prometheus Pushgateway.
 */
import { randomBytes } from "node:crypto";
import { open, rename, stat, unlink } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import "../http/wasm-tiering.js";
import { request } from "undici";
import { errorMessage, SyncError } from "../errors.js";
import { createRedactor } from "../http/redact.js";
import { describeProxy, proxySecrets } from "../http/proxy.js";
import { createDispatcher, describeProxyError } from "../http/proxy-dispatcher.js";
import { EXPOSITION_CONTENT_TYPE } from "./exposition.js";

const FILE_MODE = 0o644;
/** Path mistakes the user can fix; anything else (a full disk, say) is reported as it is. */
const CONFIG_CODES = new Set(["ENOENT", "ENOTDIR", "EACCES", "EPERM", "EISDIR", "EROFS"]);

function codeOf(error: unknown): string | undefined {
  const code = typeof error === "object" && error !== null ? (error as { code?: unknown }).code : undefined;
  return typeof code === "string" ? code : undefined;
}

/**
 * Fails unless the metrics file's directory exists: worth calling before a run, so a wrong
 * `--metrics-file` is reported before anything is synced rather than after.
 */
export async function checkMetricsDirectory(path: string): Promise<void> {
  const dir = dirname(resolve(path));
  let isDirectory: boolean;
  try {
    isDirectory = (await stat(dir)).isDirectory();
  } catch (error) {
    const code = codeOf(error);
    if (code === "ENOENT" || code === "ENOTDIR") {
      throw new SyncError("config", `cannot write the metrics file ${path}: the directory ${dir} does not exist`, {
        hint: "create the directory, or point --metrics-file into node_exporter's --collector.textfile.directory",
        cause: error,
      });
    }
    throw new SyncError(code !== undefined && CONFIG_CODES.has(code) ? "config" : "internal", `cannot write the metrics file ${path}: ${errorMessage(error)}`, {
      cause: error,
    });
  }
  if (!isDirectory) throw new SyncError("config", `cannot write the metrics file ${path}: ${dir} is not a directory`);
}

/**
 * Replaces the file at `path` with `text`: written to a temporary file in the same directory
 * (same file system, so the rename is atomic), flushed to disk, then renamed over the old one.
 * A reader sees the old content or the new, never a mix. The temporary name does not end in
 * `.prom`, so the textfile collector never reads it. Mode 0644, whatever the umask.
 */
export async function writeMetricsFile(path: string, text: string): Promise<void> {
  await checkMetricsDirectory(path);
  const target = resolve(path);
  const dir = dirname(target);
  const temp = join(dir, `.${basename(target)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(temp, "wx", FILE_MODE);
    await handle.chmod(FILE_MODE);
    await handle.writeFile(text, "utf8");
    await handle.sync();
    await handle.close();
    handle = undefined;
    await rename(temp, target);
  } catch (error) {
    await handle?.close().catch(() => undefined);
    await unlink(temp).catch(() => undefined);
    const code = codeOf(error);
    throw new SyncError(code !== undefined && CONFIG_CODES.has(code) ? "config" : "internal", `cannot write the metrics file ${path}: ${errorMessage(error)}`, {
      cause: error,
    });
  }
  await syncDirectory(dir);
}

/** Makes the rename itself durable; some file systems cannot fsync a directory, which is fine. */
async function syncDirectory(dir: string): Promise<void> {
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(dir, "r");
    await handle.sync();
  } catch {
    // best effort
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

export interface PushOptions {
  /** The `job` grouping label. Default `okta_command_sync`. */
  job?: string;
  /** Deadline for the whole push, connection included (ms). Default 10 000. */
  timeoutMs?: number;
}

export const DEFAULT_PUSH_JOB = "okta_command_sync";
export const DEFAULT_PUSH_TIMEOUT_MS = 10_000;

/** A label value in a Pushgateway path: as is when safe, else in the `@base64` form it accepts. */
function jobSegment(job: string): string {
  if (/^[A-Za-z0-9_.~-]+$/.test(job)) return `job/${job}`;
  return `job@base64/${Buffer.from(job, "utf8").toString("base64url")}`;
}

interface PushTarget {
  url: URL;
  /** Without credentials, for messages. */
  shown: string;
  authorization: string | undefined;
}

function pushTarget(base: string, job: string): PushTarget {
  let url: URL;
  try {
    url = new URL(base);
  } catch {
    throw new SyncError("config", `the Pushgateway URL ${JSON.stringify(base)} is not a URL`, { hint: "use the Pushgateway's base URL, such as http://pushgateway:9091" });
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new SyncError("config", `the Pushgateway URL must be http(s), not ${url.protocol}`);
  if (url.search !== "" || url.hash !== "") throw new SyncError("config", "the Pushgateway URL must not have a query or fragment");
  if (job === "") throw new SyncError("config", "the Pushgateway job name must not be empty");
  // Credentials in the URL become Basic auth and never appear in a message.
  const authorization =
    url.username !== "" || url.password !== ""
      ? `Basic ${Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString("base64")}`
      : undefined;
  url.username = "";
  url.password = "";
  url.pathname = `${url.pathname.replace(/\/+$/, "")}/metrics/${jobSegment(job)}`;
  return { url, shown: url.href, authorization };
}

/**
 * PUT the metrics to a Prometheus Pushgateway, replacing everything pushed before under the same
 * job. Throws a SyncError on any failure. A failed push must not fail the sync: the caller logs
 * it as a warning and goes on (the stale-success alert catches a push that keeps failing).
 */
export async function pushMetrics(url: string, text: string, options: PushOptions = {}): Promise<void> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_PUSH_TIMEOUT_MS;
  const target = pushTarget(url, options.job ?? DEFAULT_PUSH_JOB);
  const headers: Record<string, string> = { "content-type": EXPOSITION_CONTENT_TYPE, "user-agent": "okta-command-sync" };
  if (target.authorization !== undefined) headers.authorization = target.authorization;
  // An agent of its own, closed after the push, so no keep-alive socket outlives the run; through
  // the proxy HTTPS_PROXY / HTTP_PROXY name for the Pushgateway, unless NO_PROXY lists it.
  const { dispatcher: agent, proxy } = createDispatcher(target.url, { connectTimeoutMs: timeoutMs, headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
  const redact = createRedactor(proxySecrets(proxy));
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    let status: number;
    let body: string;
    try {
      const response = await request(target.url, { method: "PUT", headers, body: text, signal, dispatcher: agent });
      status = response.statusCode;
      body = await response.body.text();
    } catch (error) {
      const viaProxy = describeProxyError(error, proxy, target.url, timeoutMs);
      if (viaProxy !== undefined) throw new SyncError("network", `cannot push metrics to the Pushgateway at ${target.shown}: ${viaProxy.message}`, { cause: viaProxy });
      const code = codeOf(error);
      const timedOut = signal.aborted || code === "UND_ERR_CONNECT_TIMEOUT" || code === "UND_ERR_HEADERS_TIMEOUT" || code === "UND_ERR_BODY_TIMEOUT";
      const why = timedOut ? `no answer within ${timeoutMs} ms` : `${redact(errorMessage(error))}${code !== undefined ? ` (${code})` : ""}`;
      throw new SyncError("network", `cannot push metrics to the Pushgateway at ${target.shown}: ${why}`, { cause: error });
    }
    if (status < 200 || status > 299) {
      const detail = body.replace(/\s+/g, " ").trim().slice(0, 200);
      // Through a proxy that forwards plain http, an error status may be the proxy's own.
      const who = proxy === undefined ? "the Pushgateway" : `the Pushgateway (or ${describeProxy(proxy)} in front of it)`;
      throw new SyncError("remote", `${who} answered ${status} to PUT ${target.shown}${detail ? `: ${redact(detail)}` : ""}`);
    }
  } finally {
    await agent.destroy().catch(() => undefined);
  }
}

export interface MetricsTargets {
  /** `--metrics-file`. */
  file?: string | undefined;
  /** `--pushgateway`. */
  pushgateway?: string | undefined;
  push?: PushOptions;
}

/**
 * Writes the file and pushes, each independently of the other, and returns what failed instead
 * of throwing: metrics are reported after the run, and must not change its outcome. The caller
 * logs each failure as a warning.
 */
export async function publishMetrics(text: string, targets: MetricsTargets): Promise<SyncError[]> {
  const failures: SyncError[] = [];
  const attempt = async (publish: () => Promise<void>) => {
    try {
      await publish();
    } catch (error) {
      failures.push(error instanceof SyncError ? error : new SyncError("internal", `metrics: ${errorMessage(error)}`, { cause: error }));
    }
  };
  const { file, pushgateway } = targets;
  if (file !== undefined) await attempt(() => writeMetricsFile(file, text));
  if (pushgateway !== undefined) await attempt(() => pushMetrics(pushgateway, text, targets.push));
  return failures;
}
