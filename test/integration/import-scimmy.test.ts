/** `import` against an independent SCIM 2.0 server (SCIMMY): paging and matching as sent. */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { validateConfig } from "../../src/config/validate.js";
import { importFromConfig as runImport, planFromConfig as runPlan } from "../../src/cli/compose.js";
import { silentReporter } from "../../src/engine/reporter.js";
import { listAssignedUsers } from "../../src/emulators/org-assignments.js";
import { type Sandbox, startSandbox } from "../../src/emulators/sandbox.js";
import { type ScimmyServer, startScimmyServer } from "../support/scimmy-server.js";

let sandbox: Sandbox;
let scimmy: ScimmyServer;

beforeAll(async () => {
  sandbox = await startSandbox({ org: { users: 150, groups: 2, seed: 31 }, okta: { rateLimits: false } });
  scimmy = await startScimmyServer({ token: "scimmy-token-1234" });
});
afterAll(async () => {
  await sandbox.close();
  await scimmy.close();
});

async function post(path: string, body: Record<string, unknown>): Promise<{ id: string }> {
  const response = await fetch(`${scimmy.url}${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${scimmy.token}`, "content-type": "application/scim+json" },
    body: JSON.stringify(body),
  });
  if (response.status !== 201) throw new Error(`seed ${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as { id: string };
}

describe("import against SCIMMY", () => {
  it("pages through every user, matches by externalId and by userName ignoring case, and only reads", async () => {
    const people = listAssignedUsers(sandbox.org).filter((a) => a.user.status !== "DEPROVISIONED");
    const ids: string[] = [];
    // More users than one page (100), so paging is exercised.
    for (const [i, p] of people.entries()) {
      const withExternal = i % 2 === 0;
      const created = await post("/Users", {
        schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"],
        userName: withExternal ? p.user.profile.login : p.user.profile.login.toUpperCase(),
        ...(withExternal ? { externalId: p.user.id } : {}),
        active: true,
      });
      ids.push(created.id);
    }
    await post("/Groups", { schemas: ["urn:ietf:params:scim:schemas:core:2.0:Group"], displayName: sandbox.org.groups[0]!.name, members: [{ value: ids[0] }] });
    scimmy.clearRequests();

    const { config, problems } = validateConfig({
      okta: { orgUrl: sandbox.okta.url, appId: sandbox.org.app.id, token: sandbox.oktaToken },
      command: { scimUrl: scimmy.url, token: scimmy.token, requestsPerMinute: 0 },
      groups: { push: [sandbox.org.groups[0]!.name] },
      state: { path: join(mkdtempSync(join(tmpdir(), "ocs-import-")), "state.db") },
    });
    if (config === undefined) throw new Error(problems.join("\n"));
    const result = await runImport(config, silentReporter);
    expect(people.length).toBeGreaterThan(100);
    expect(result.matchedUsers).toHaveLength(people.length);
    expect(result.matchedUsers.filter((m) => m.by === "externalId")).toHaveLength(Math.ceil(people.length / 2));
    expect(result.matchedGroups).toHaveLength(1);
    expect(result.ambiguous).toEqual([]);
    expect(scimmy.requests().every((r) => r.method === "GET")).toBe(true);
    // Two pages of users at least: the client followed startIndex.
    expect(scimmy.requests().filter((r) => /\/Users\?/.test(r.url)).length).toBeGreaterThanOrEqual(2);

    const { plan } = await runPlan(config, silentReporter);
    expect(plan.operations.filter((o) => o.type === "createUser")).toEqual([]);
  });
});
