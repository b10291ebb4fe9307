/**
 * An Okta that keeps the CLI from ever finishing, or points it elsewhere, through the built CLI:
 * every run ends with exit 1 and a clear error, the process exits by itself, a pull that does
 * not progress stops after a few requests, and no credential reaches a server a redirect named.
 */
import { generateKeyPairSync } from "node:crypto";
import { writeFileSync } from "node:fs";
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { InjectContext } from "../../src/emulators/okta-emulator.js";
import type { InjectedFault } from "../../src/emulators/okta-faults.js";
import { type Sandbox, startSandbox } from "../../src/emulators/sandbox.js";
import { cleanEnv, runCli, workdir } from "../support/cli.js";

const CLIENT_ID = "0oaFaultsServiceApp1";
const SCOPES = ["okta.users.read", "okta.groups.read", "okta.apps.read"];
const APP_USERS = "GET /api/v1/apps/{appId}/users";
/** Far above what any run here needs: a child still alive then is killed, and its code is null. */
const CHILD_LIMIT_MS = 40_000;
/** Room for the child's limit, so that a child that hangs fails on its exit code, not on the test's timeout. */
const TEST_LIMIT = { timeout: CHILD_LIMIT_MS + 20_000 };

interface Received {
  method: string;
  url: string;
  authorization: string | undefined;
  body: string;
}

/** Another loopback server, where redirects point: it records whatever reaches it and answers an empty list. */
interface Elsewhere {
  url: string;
  received: Received[];
  close(): Promise<void>;
}

async function startElsewhere(): Promise<Elsewhere> {
  const received: Received[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      received.push({ method: req.method ?? "", url: req.url ?? "", authorization: req.headers.authorization, body: Buffer.concat(chunks).toString("utf8") });
      res.writeHead(200, { "Content-Type": "application/json" });
      res.end("[]");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

let sandbox: Sandbox;
let elsewhere: Elsewhere;
let keyFile: string;

beforeAll(async () => {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  sandbox = await startSandbox({
    org: { users: 20, groups: 2, seed: 11, assignedGroups: 1 },
    okta: {
      rateLimits: false,
      oauthClients: [{ clientId: CLIENT_ID, publicKey: publicKey.export({ type: "spki", format: "pem" }).toString(), scopes: SCOPES }],
    },
  });
  elsewhere = await startElsewhere();
  keyFile = join(workdir(undefined), "service-app.pem");
  writeFileSync(keyFile, privateKey.export({ type: "pkcs8", format: "pem" }).toString());
});
afterAll(async () => {
  await Promise.all([sandbox.close(), elsewhere.close()]);
});
beforeEach(() => {
  sandbox.okta.inject = undefined;
  sandbox.okta.resetStats();
  elsewhere.received.length = 0;
});

const isAppUsers = (ctx: InjectContext) => ctx.method === "GET" && /^\/api\/v1\/apps\/[^/]+\/users$/.test(ctx.pathname);

function injectOnAppUsers(fault: (ctx: InjectContext) => InjectedFault): void {
  sandbox.okta.inject = (ctx) => (isAppUsers(ctx) ? fault(ctx) : undefined);
}

/** A working directory whose Okta requests get `timeoutMs` each and one retry. */
function dir(): string {
  return workdir({
    okta: { timeoutMs: 1500 },
    groups: { push: sandbox.groupNames },
    state: { path: "./state.db" },
    retry: { maxAttempts: 2, baseDelayMs: 10, maxDelayMs: 20 },
  });
}

const tokenEnv = () => cleanEnv(sandbox.env());
function keyEnv(): Record<string, string> {
  const { OKTA_API_TOKEN: _token, ...rest } = sandbox.env();
  return cleanEnv({ ...rest, OKTA_CLIENT_ID: CLIENT_ID, OKTA_PRIVATE_KEY_FILE: keyFile });
}

function run(command: string, env = tokenEnv()) {
  return runCli([command], { env, cwd: dir(), timeoutMs: CHILD_LIMIT_MS });
}

describe("a response that stalls", TEST_LIMIT, () => {
  it.each(["sync", "plan"])("%s: Okta sends headers and `[` and nothing more; the run fails naming the deadline and the process exits by itself", async (command) => {
    injectOnAppUsers(() => ({ stall: true }));
    const result = await run(command);
    // null would mean the child was still alive at the limit and had to be killed.
    expect(result.code, result.stderr).toBe(1);
    expect(result.stderr).toMatch(/no answer from http:\/\/127\.0\.0\.1:\d+ in time \(GET .*\/api\/v1\/apps\/.*\/users.*\): the response was not complete within 1\.5s, the deadline of each request \(okta\.timeoutMs\)/);
    // Each attempt was cut at the deadline, and retried once.
    expect(sandbox.okta.stats.byEndpoint[APP_USERS]).toBe(2);
    expect(sandbox.command.stats().requests).toBe(0);
  });
});

describe("a list that never ends", TEST_LIMIT, () => {
  it("empty pages with a next link: exit 1 after the first page", async () => {
    injectOnAppUsers(() => ({ endlessNext: "empty" }));
    const result = await run("sync");
    expect(result.code, result.stderr).toBe(1);
    expect(result.stderr).toMatch(/Okta's list does not progress: it answered .*\/api\/v1\/apps\/.*\/users.* with an empty page, and a next link \(.*after=1.*\); refusing to follow it/);
    expect(sandbox.okta.stats.byEndpoint[APP_USERS]).toBeLessThan(10);
    expect(sandbox.command.stats().requests).toBe(0);
  });

  it("pages that repeat the same users under ever new next links: exit 1 after the second page", async () => {
    injectOnAppUsers(() => ({ endlessNext: "repeat" }));
    const result = await run("plan");
    expect(result.code, result.stderr).toBe(1);
    expect(result.stderr).toMatch(/Okta's list does not progress: it answered .*after=1.* with a page of \d+ items all listed before, and a next link \(.*after=2.*\)/);
    expect(sandbox.okta.stats.byEndpoint[APP_USERS]).toBeLessThan(10);
  });
});

describe("a redirect", TEST_LIMIT, () => {
  const location = (ctx: InjectContext) => `${elsewhere.url}${ctx.pathname}?${ctx.query.toString()}`;

  it("API token: a 302 to another port of the same host fails the run naming where it pointed; nothing reaches that port", async () => {
    injectOnAppUsers((ctx) => ({ redirect: location(ctx) }));
    const result = await run("sync");
    expect(result.code, result.stderr).toBe(1);
    expect(result.stderr).toMatch(/Okta answered 302 to GET http:\/\/127\.0\.0\.1:\d+\/api\/v1\/apps\/[^/]+\/users\?\S*: redirected to http:\/\/127\.0\.0\.1:\d+\/api\/v1\/apps\//);
    expect(result.stderr).toContain(`redirected to ${elsewhere.url}/api/v1/apps/`);
    expect(elsewhere.received).toEqual([]);
    expect(sandbox.command.stats().requests).toBe(0);
  });

  it("service app: a 302 of an API call sends the access token nowhere else", async () => {
    injectOnAppUsers((ctx) => ({ redirect: location(ctx) }));
    const result = await run("plan", keyEnv());
    expect(result.code, result.stderr).toBe(1);
    expect(result.stderr).toContain(`redirected to ${elsewhere.url}/api/v1/apps/`);
    // The token request itself went to Okta and succeeded: the redirect was of the API call.
    expect(sandbox.okta.stats.byEndpoint["POST /oauth2/v1/token"]).toBe(1);
    expect(elsewhere.received).toEqual([]);
  });

  it("service app: a 307 of the token request sends the client assertion nowhere else", async () => {
    sandbox.okta.inject = (ctx) => (ctx.pathname === "/oauth2/v1/token" ? { redirect: `${elsewhere.url}/oauth2/v1/token`, status: 307 } : undefined);
    const result = await run("plan", keyEnv());
    expect(result.code, result.stderr).toBe(1);
    expect(result.stderr).toContain(`Okta answered 307 to POST ${sandbox.okta.url}/oauth2/v1/token: redirected to ${elsewhere.url}/oauth2/v1/token`);
    expect(elsewhere.received).toEqual([]);
  });
});
