/**
 * The built CLI behind a company's egress proxy: every request (Okta, Command, the Pushgateway)
 * goes through HTTPS_PROXY / HTTP_PROXY unless NO_PROXY lists its host, a TLS-inspecting proxy
 * is trusted through NODE_EXTRA_CA_CERTS, and `check` names the proxy and tells its failures
 * apart from the servers'. The proxy and every server are on loopback; names such as okta.test
 * are known only to the proxy, so a request that does not go through it cannot even resolve.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { type Sandbox, startSandbox } from "../../src/emulators/sandbox.js";
import { cleanEnv, runCli, workdir } from "../support/cli.js";
import { type ForwardProxy, startForwardProxy } from "../support/forward-proxy.js";
import { makeTestCa, type TestCa } from "../support/test-ca.js";

const PROXY_USER = "egress-user";
const PROXY_PASSWORD = "pr0xy-Pa55word-7c1e";
const BASIC = `Basic ${Buffer.from(`${PROXY_USER}:${PROXY_PASSWORD}`).toString("base64")}`;

let ca: TestCa;
const cleanup: (() => Promise<void>)[] = [];

beforeAll(() => {
  ca = makeTestCa(["okta.test", "command.test", "localhost", "127.0.0.1"]);
});
afterEach(async () => {
  const steps = cleanup.splice(0).reverse();
  for (const step of steps) await step();
});

function portOf(url: string): string {
  return new URL(url).port;
}

interface Pushgateway {
  port: number;
  received: { method: string | undefined; url: string | undefined; body: string }[];
}

async function startPushgateway(): Promise<Pushgateway> {
  const received: Pushgateway["received"] = [];
  const server: Server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => {
      body += chunk.toString();
    });
    req.on("end", () => {
      received.push({ method: req.method, url: req.url, body });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  cleanup.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { port: (server.address() as AddressInfo).port, received };
}

async function sandboxWith(publicOktaUrl?: string): Promise<Sandbox> {
  const sandbox = await startSandbox({ org: { users: 12, groups: 2, seed: 5 }, okta: { rateLimits: false, ...(publicOktaUrl ? { publicUrl: publicOktaUrl } : {}) } });
  cleanup.push(() => sandbox.close());
  return sandbox;
}

async function proxyWith(options: Parameters<typeof startForwardProxy>[0]): Promise<ForwardProxy> {
  const proxy = await startForwardProxy(options);
  cleanup.push(() => proxy.close());
  return proxy;
}

function withCredentials(proxy: ForwardProxy, password = PROXY_PASSWORD): string {
  return `http://${PROXY_USER}:${password}@127.0.0.1:${proxy.port}`;
}

function setup(sandbox: Sandbox): string {
  return workdir({ groups: { push: sandbox.groupNames }, state: { path: "./state.db" } });
}

/** The emulators behind a TLS-inspecting proxy, under names only the proxy can resolve. */
async function inspectedSetup() {
  const sandbox = await sandboxWith("https://okta.test");
  const proxy = await proxyWith({
    inspect: { key: ca.key, cert: ca.cert },
    hosts: { "okta.test": Number(portOf(sandbox.okta.url)), "command.test": Number(portOf(sandbox.command.url)) },
    credentials: { user: PROXY_USER, password: PROXY_PASSWORD },
  });
  const env = (extra: Record<string, string | undefined>) =>
    cleanEnv({
      ...sandbox.env(),
      OKTA_ORG_URL: "https://okta.test",
      COMMAND_SCIM_URL: `https://command.test${new URL(sandbox.command.url).pathname}`,
      HTTPS_PROXY: withCredentials(proxy),
      ...extra,
    });
  return { sandbox, proxy, env, dir: setup(sandbox) };
}

interface CheckJson {
  ok: boolean;
  checks: { id: string; status: string; detail: string; fix?: string }[];
}

function checkNamed(body: CheckJson, id: string) {
  const found = body.checks.find((c) => c.id === id);
  expect(found, `check ${id}`).toBeDefined();
  return found!;
}

describe("behind an egress proxy", () => {
  it("sync sends the Okta, Command and Pushgateway requests through HTTP_PROXY, with its credentials, and never shows them", async () => {
    const sandbox = await sandboxWith();
    const gateway = await startPushgateway();
    const proxy = await proxyWith({ credentials: { user: PROXY_USER, password: PROXY_PASSWORD } });
    const dir = setup(sandbox);
    const env = cleanEnv({ ...sandbox.env(), HTTP_PROXY: withCredentials(proxy) });

    const result = await runCli(["sync", "--json", "--pushgateway", `http://127.0.0.1:${gateway.port}`], { env, cwd: dir });

    expect(result.stderr).not.toContain('"level":"error"');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).status).toBe("succeeded");
    expect(sandbox.command.users().length).toBeGreaterThan(0);
    expect(proxy.count(`127.0.0.1:${portOf(sandbox.okta.url)}`)).toBeGreaterThan(0);
    expect(proxy.count(`127.0.0.1:${portOf(sandbox.command.url)}`)).toBeGreaterThan(0);
    expect(proxy.count(`127.0.0.1:${gateway.port}`)).toBe(1);
    expect(gateway.received).toHaveLength(1);
    expect(proxy.requests.every((r) => r.authorization === BASIC)).toBe(true);
    expect(`${result.stdout}${result.stderr}`).not.toContain(PROXY_PASSWORD);
  });

  it("NO_PROXY=127.0.0.1 sends loopback requests directly, while a host only the proxy can resolve still goes through it", async () => {
    const sandbox = await sandboxWith();
    const gateway = await startPushgateway();
    const proxy = await proxyWith({ hosts: { "pushgateway.test": gateway.port } });
    const dir = setup(sandbox);
    const env = cleanEnv({ ...sandbox.env(), http_proxy: proxy.url, NO_PROXY: "127.0.0.1" });

    const result = await runCli(["sync", "--json", "--pushgateway", "http://pushgateway.test"], { env, cwd: dir });

    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).status).toBe("succeeded");
    expect(result.stderr).not.toMatch(/Pushgateway/i);
    expect(proxy.count(`127.0.0.1:${portOf(sandbox.okta.url)}`)).toBe(0);
    expect(proxy.count(`127.0.0.1:${portOf(sandbox.command.url)}`)).toBe(0);
    expect(proxy.count("pushgateway.test:80")).toBe(1);
    expect(gateway.received.map((r) => r.url)).toEqual(["/metrics/job/okta_command_sync"]);
  });

  it("through a TLS-inspecting proxy whose CA is in NODE_EXTRA_CA_CERTS, check names the proxy (without its password) and sync works", async () => {
    const { sandbox, proxy, env, dir } = await inspectedSetup();
    const withCa = env({ NODE_EXTRA_CA_CERTS: ca.caFile });

    const check = await runCli(["check", "--json"], { env: withCa, cwd: dir });
    const body = JSON.parse(check.stdout) as CheckJson;
    expect(body.ok).toBe(true);
    const shown = `through the proxy at http://127.0.0.1:${proxy.port} (HTTPS_PROXY)`;
    expect(checkNamed(body, "okta.proxy").detail).toContain(shown);
    expect(checkNamed(body, "command.proxy").detail).toContain(shown);
    expect(`${check.stdout}${check.stderr}`).not.toContain(PROXY_PASSWORD);
    const text = await runCli(["check", "--log-format", "pretty"], { env: withCa, cwd: dir });
    expect(text.stdout).toContain(`requests to okta.test go through the proxy at http://127.0.0.1:${proxy.port} (HTTPS_PROXY)`);
    expect(text.stdout).not.toContain(PROXY_PASSWORD);

    const sync = await runCli(["sync", "--json"], { env: withCa, cwd: dir });
    expect(sync.code).toBe(0);
    expect(JSON.parse(sync.stdout).status).toBe("succeeded");
    expect(sandbox.command.users().length).toBeGreaterThan(0);
    expect(proxy.count("okta.test:443")).toBeGreaterThan(0);
    expect(proxy.count("command.test:443")).toBeGreaterThan(0);
    expect(`${sync.stdout}${sync.stderr}`).not.toContain(PROXY_PASSWORD);
  });

  it("without the proxy's CA, the certificate is refused with a TLS error that points at NODE_EXTRA_CA_CERTS", async () => {
    const { sandbox, env, dir } = await inspectedSetup();

    const check = await runCli(["check", "--json"], { env: env({}), cwd: dir });
    expect(check.code).toBe(1);
    const body = JSON.parse(check.stdout) as CheckJson;
    for (const id of ["okta.reachable", "command.reachable"]) {
      const failed = checkNamed(body, id);
      expect(failed.status).toBe("fail");
      expect(failed.detail).toMatch(/certificate|SELF_SIGNED|CERT_/i);
      expect(failed.fix).toContain("NODE_EXTRA_CA_CERTS");
    }
    const sync = await runCli(["sync", "--json"], { env: env({}), cwd: dir });
    expect(sync.code).toBe(1);
    expect(JSON.parse(sync.stdout).error.message).toMatch(/certificate/i);
    expect(sandbox.command.users()).toHaveLength(0);
  });

  it("check blames the proxy, not Okta or Command, when the proxy answers 502 or refuses its credentials", async () => {
    const { proxy, env, dir } = await inspectedSetup();
    const withCa = env({ NODE_EXTRA_CA_CERTS: ca.caFile });
    proxy.failWith(502);

    const check = await runCli(["check", "--json"], { env: withCa, cwd: dir });
    expect(check.code).toBe(1);
    const body = JSON.parse(check.stdout) as CheckJson;
    const who = `the proxy at http://127.0.0.1:${proxy.port} (HTTPS_PROXY)`;
    const okta = checkNamed(body, "okta.reachable");
    expect(okta.status).toBe("fail");
    expect(okta.detail).toContain(`${who} answered 502 to CONNECT okta.test:443: it could not reach okta.test`);
    expect(okta.fix).toContain("the proxy could not connect to okta.test");
    const command = checkNamed(body, "command.reachable");
    expect(command.status).toBe("fail");
    expect(command.detail).toContain(`${who} answered 502 to CONNECT command.test:443: it could not reach command.test`);
    expect(command.fix).toContain("the proxy could not connect to command.test");
    expect(body.checks.map((c) => c.detail).join("\n")).not.toMatch(/(Okta|Command) answered 502|HTTP 502/);

    const sync = await runCli(["sync", "--json"], { env: withCa, cwd: dir });
    expect(sync.code).toBe(1);
    expect(JSON.parse(sync.stdout).error.message).toContain(`${who} answered 502 to CONNECT okta.test:443`);

    proxy.failWith(undefined);
    const wrongPassword = env({ NODE_EXTRA_CA_CERTS: ca.caFile, HTTPS_PROXY: withCredentials(proxy, "not-the-Password-42") });
    const refused = await runCli(["check", "--json"], { env: wrongPassword, cwd: dir });
    const refusedBody = JSON.parse(refused.stdout) as CheckJson;
    expect(checkNamed(refusedBody, "command.reachable").detail).toContain(`${who} answered 407 Proxy Authentication Required to CONNECT command.test:443`);
    expect(checkNamed(refusedBody, "okta.reachable").detail).toContain(`${who} answered 407 Proxy Authentication Required to CONNECT okta.test:443`);
    expect(checkNamed(refusedBody, "okta.reachable").fix).toBe("check the proxy user and password in HTTPS_PROXY");
    expect(`${refused.stdout}${refused.stderr}`).not.toContain("not-the-Password-42");
  });
});
