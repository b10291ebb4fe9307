/**
 * Where metrics go: the atomic file for node_exporter's textfile collector (real files in a
 * temporary directory) and the Pushgateway (a real local HTTP server that records what it got).
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { SyncError } from "../../src/errors.js";
import { checkMetricsDirectory, publishMetrics, pushMetrics, writeMetricsFile } from "../../src/metrics/write.js";

const dirs: string[] = [];
const servers: Server[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "ocs-metrics-"));
  dirs.push(dir);
  return dir;
}

async function failure(promise: Promise<unknown>): Promise<SyncError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SyncError);
  return error as SyncError;
}

const TEXT_A = "# HELP okta_command_sync_last_run_success 1 if ok.\n# TYPE okta_command_sync_last_run_success gauge\nokta_command_sync_last_run_success 1\n";
const TEXT_B = "# HELP okta_command_sync_last_run_success 1 if ok.\n# TYPE okta_command_sync_last_run_success gauge\nokta_command_sync_last_run_success 0\n";

describe("writeMetricsFile", () => {
  it("writes the file with mode 0644 whatever the umask, and replaces it on the next run leaving no temporary files", async () => {
    const dir = tempDir();
    const path = join(dir, "okta_command_sync.prom");
    const previous = process.umask(0o077);
    try {
      await writeMetricsFile(path, TEXT_A);
      expect(readFileSync(path, "utf8")).toBe(TEXT_A);
      expect(statSync(path).mode & 0o777).toBe(0o644);
      await writeMetricsFile(path, TEXT_B);
    } finally {
      process.umask(previous);
    }
    expect(readFileSync(path, "utf8")).toBe(TEXT_B);
    expect(statSync(path).mode & 0o777).toBe(0o644);
    expect(readdirSync(dir)).toEqual(["okta_command_sync.prom"]);
  });

  it("a reader sees the old content or the new one, never a mix or an empty file", async () => {
    const dir = tempDir();
    const path = join(dir, "okta_command_sync.prom");
    // Large enough that a non-atomic write would be caught half-done.
    const a = `${TEXT_A}${"# a\n".repeat(100_000)}`;
    const b = `${TEXT_B}${"# bb\n".repeat(60_000)}`;
    await writeMetricsFile(path, a);
    let writing = true;
    const writer = (async () => {
      try {
        for (let i = 0; i < 40; i++) await writeMetricsFile(path, i % 2 === 0 ? b : a);
      } finally {
        writing = false;
      }
    })();
    let reads = 0;
    const torn: number[] = [];
    while (writing) {
      const content = readFileSync(path, "utf8");
      if (content !== a && content !== b) torn.push(content.length);
      reads++;
      await new Promise((resolve) => setImmediate(resolve));
    }
    await writer;
    expect(torn).toEqual([]);
    expect(reads).toBeGreaterThan(10);
    expect(readFileSync(path, "utf8")).toBe(a);
    expect(readdirSync(dir)).toEqual(["okta_command_sync.prom"]);
  });

  it("a missing directory is a config error that names it, and creates nothing", async () => {
    const dir = tempDir();
    const path = join(dir, "missing", "okta_command_sync.prom");
    const error = await failure(writeMetricsFile(path, TEXT_A));
    expect(error.kind).toBe("config");
    expect(error.message).toBe(`cannot write the metrics file ${path}: the directory ${join(dir, "missing")} does not exist`);
    expect(error.hint).toContain("--collector.textfile.directory");
    expect(readdirSync(dir)).toEqual([]);
    // The same check, before a run.
    expect((await failure(checkMetricsDirectory(path))).message).toBe(error.message);
  });

  it("a parent that is a file, or a target that is a directory, is an error and leaves no temporary file", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "plain"), "x");
    const underFile = await failure(writeMetricsFile(join(dir, "plain", "m.prom"), TEXT_A));
    expect(underFile.kind).toBe("config");
    expect(underFile.message).toContain("is not a directory");

    mkdirSync(join(dir, "taken.prom"));
    const ontoDir = await failure(writeMetricsFile(join(dir, "taken.prom"), TEXT_A));
    expect(ontoDir.kind).toBe("config");
    expect(ontoDir.message).toMatch(/^cannot write the metrics file .*taken\.prom: .*EISDIR/);
    expect(readdirSync(dir).sort()).toEqual(["plain", "taken.prom"]);
  });
});

interface Captured {
  method: string | undefined;
  url: string | undefined;
  headers: IncomingMessage["headers"];
  body: string;
}

async function pushgateway(answer: (req: IncomingMessage, res: ServerResponse) => void = (_, res) => res.writeHead(200).end()): Promise<{ url: string; got: Captured[] }> {
  const got: Captured[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      got.push({ method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks).toString("utf8") });
      answer(req, res);
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, got };
}

describe("pushMetrics", () => {
  it("PUTs the text to /metrics/job/okta_command_sync as exposition format 0.0.4", async () => {
    const gateway = await pushgateway();
    await pushMetrics(gateway.url, TEXT_A);
    expect(gateway.got).toHaveLength(1);
    const [request] = gateway.got;
    expect(request!.method).toBe("PUT");
    expect(request!.url).toBe("/metrics/job/okta_command_sync");
    expect(request!.headers["content-type"]).toMatch(/^text\/plain; version=0\.0\.4(;|$)/);
    expect(request!.headers.authorization).toBeUndefined();
    expect(request!.body).toBe(TEXT_A);
  });

  it("keeps a path prefix, takes another job name, and base64-encodes one that is not path-safe", async () => {
    const gateway = await pushgateway((_, res) => res.writeHead(202).end());
    await pushMetrics(`${gateway.url}/gateway/`, TEXT_A, { job: "ocs-prod" });
    await pushMetrics(gateway.url, TEXT_A, { job: "okta/command sync" });
    expect(gateway.got.map((r) => r.url)).toEqual([
      "/gateway/metrics/job/ocs-prod",
      `/metrics/job@base64/${Buffer.from("okta/command sync").toString("base64url")}`,
    ]);
  });

  it("sends credentials in the URL as Basic auth and never shows them in a message", async () => {
    const gateway = await pushgateway((_, res) => res.writeHead(500, { "content-type": "text/plain" }).end("pushed metrics are invalid or inconsistent with existing metrics"));
    const withCredentials = gateway.url.replace("http://", "http://metrics:s3cr%40t@");
    const error = await failure(pushMetrics(withCredentials, TEXT_A));
    expect(gateway.got[0]!.headers.authorization).toBe(`Basic ${Buffer.from("metrics:s3cr@t").toString("base64")}`);
    expect(error.kind).toBe("remote");
    expect(error.message).toBe(`the Pushgateway answered 500 to PUT ${gateway.url}/metrics/job/okta_command_sync: pushed metrics are invalid or inconsistent with existing metrics`);
    expect(error.message).not.toContain("s3cr");
  });

  it("a Pushgateway that does not answer in time is a network error after timeoutMs", async () => {
    let hungUp = 0;
    const gateway = await pushgateway((req) => {
      // Never answers; counts the client closing the connection when it gives up.
      req.socket.once("close", () => hungUp++);
    });
    const error = await failure(pushMetrics(gateway.url, TEXT_A, { timeoutMs: 200 }));
    expect(gateway.got).toHaveLength(1);
    await vi.waitFor(() => expect(hungUp).toBe(1), { timeout: 20_000 });
    expect(error.kind).toBe("network");
    expect(error.message).toBe(`cannot push metrics to the Pushgateway at ${gateway.url}/metrics/job/okta_command_sync: no answer within 200 ms`);
  });

  it("a refused connection is a network error naming the cause", async () => {
    const gateway = await pushgateway();
    const server = servers.pop()!;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const error = await failure(pushMetrics(gateway.url, TEXT_A, { timeoutMs: 2000 }));
    expect(error.kind).toBe("network");
    expect(error.message).toMatch(/^cannot push metrics to the Pushgateway at http:\/\/127\.0\.0\.1:\d+\/metrics\/job\/okta_command_sync: .*ECONNREFUSED/);
  });

  it("a URL that is not http(s), has a query, or is not a URL is a config error before anything is sent", async () => {
    for (const url of ["ftp://gateway:21", "http://gateway:9091/?x=1", "not a url"]) {
      expect((await failure(pushMetrics(url, TEXT_A))).kind).toBe("config");
    }
    expect((await failure(pushMetrics("http://127.0.0.1:9", TEXT_A, { job: "" }))).message).toContain("job name");
  });
});

describe("publishMetrics", () => {
  it("writes the file and pushes, and returns nothing when both work", async () => {
    const dir = tempDir();
    const gateway = await pushgateway();
    const file = join(dir, "okta_command_sync.prom");
    expect(await publishMetrics(TEXT_A, { file, pushgateway: gateway.url })).toEqual([]);
    expect(readFileSync(file, "utf8")).toBe(TEXT_A);
    expect(gateway.got.map((r) => r.body)).toEqual([TEXT_A]);
  });

  it("a failed file write does not stop the push; both failures are returned, not thrown", async () => {
    const dir = tempDir();
    const gateway = await pushgateway();
    const failures = await publishMetrics(TEXT_A, { file: join(dir, "missing", "m.prom"), pushgateway: gateway.url, push: { job: "ocs" } });
    expect(failures.map((f) => f.kind)).toEqual(["config"]);
    expect(gateway.got.map((r) => r.url)).toEqual(["/metrics/job/ocs"]);

    const both = await publishMetrics(TEXT_A, { file: join(dir, "missing", "m.prom"), pushgateway: "http://127.0.0.1:9", push: { timeoutMs: 500 } });
    expect(both.map((f) => f.kind)).toEqual(["config", "network"]);
    expect(await publishMetrics(TEXT_A, {})).toEqual([]);
  });
});
