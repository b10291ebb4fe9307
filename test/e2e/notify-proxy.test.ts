/**
 * The notification webhook behind a company's egress proxy: the POST goes through HTTPS_PROXY
 * like every other request. The webhook's name is known only to the proxy, so a POST that does
 * not go through it cannot even resolve.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Sandbox, startSandbox } from "../../src/emulators/sandbox.js";
import { cleanEnv, runCli, workdir } from "../support/cli.js";
import { type ForwardProxy, startForwardProxy } from "../support/forward-proxy.js";
import { makeTestCa, type TestCa } from "../support/test-ca.js";

const WEBHOOK_PATH = "/services/T0PRX/B0PRX/proxiedWebhookSecret42";

let sandbox: Sandbox;
let ca: TestCa;
let proxy: ForwardProxy;
let receiver: Server;
const received: { url: string | undefined; body: string }[] = [];

beforeAll(async () => {
  ca = makeTestCa(["hooks.test", "localhost", "127.0.0.1"]);
  sandbox = await startSandbox({ org: { users: 8, groups: 1, seed: 3 }, okta: { rateLimits: false } });
  receiver = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => {
      body += chunk.toString();
    });
    req.on("end", () => {
      received.push({ url: req.url, body });
      res.writeHead(200).end("ok");
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  proxy = await startForwardProxy({ inspect: { key: ca.key, cert: ca.cert }, hosts: { "hooks.test": (receiver.address() as AddressInfo).port } });
});

afterAll(async () => {
  await proxy?.close();
  await new Promise<void>((resolve) => receiver.close(() => resolve()));
  await sandbox?.close();
});

describe("notifications behind an egress proxy", () => {
  it("the webhook POST goes through HTTPS_PROXY, and only the webhook's origin is ever shown", async () => {
    const dir = workdir({ groups: { push: sandbox.groupNames }, state: { path: "./state.db" }, notify: { on: ["succeeded"] } });
    const env = cleanEnv({
      ...sandbox.env(),
      HTTPS_PROXY: proxy.url,
      // Okta and Command are reached directly; the webhook only through the proxy.
      NO_PROXY: "127.0.0.1",
      NODE_EXTRA_CA_CERTS: ca.caFile,
      NOTIFY_WEBHOOK_URL: `https://hooks.test${WEBHOOK_PATH}`,
    });
    const result = await runCli(["sync", "--json"], { env, cwd: dir });
    expect(result.code).toBe(0);
    const runId = (JSON.parse(result.stdout) as { runId: string }).runId;
    expect(proxy.count("hooks.test:443")).toBe(1);
    expect(received).toHaveLength(1);
    expect(received[0]!.url).toBe(WEBHOOK_PATH);
    expect(JSON.parse(received[0]!.body)).toMatchObject({ runId, status: "succeeded", command: null });
    expect(result.stderr).not.toMatch(/notification/);

    const checked = await runCli(["check", "--skip-remote", "--log-format", "pretty"], { env, cwd: dir });
    expect(checked.stdout).toContain("notifications (succeeded) to the webhook at https://hooks.test");
    for (const output of [result.stdout, result.stderr, checked.stdout, checked.stderr]) expect(output).not.toContain("proxiedWebhookSecret42");
  });
});
