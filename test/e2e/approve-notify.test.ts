/**
 * A refusal someone can approve, and the webhook that tells them: through the built CLI against
 * both emulators and a local receiver standing in for Slack.
 */
import { existsSync, readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listAssignedUsers } from "../../src/emulators/org-assignments.js";
import { setUserStatus, updateProfile } from "../../src/emulators/org-user-changes.js";
import { type Sandbox, startSandbox } from "../../src/emulators/sandbox.js";
import { openSnapshotStore } from "../../src/store/index.js";
import { type CliResult, cleanEnv, runCli, workdir } from "../support/cli.js";

/** The part of a Slack webhook URL that is its credential. */
const WEBHOOK_TOKEN = "T0AAA0AAA/B0BBB0BBB/xoxbWebhookSecret7f3e9a";

interface Posted {
  path: string;
  contentType: string | undefined;
  body: { text: string; runId: string; status: string; summary: Record<string, number>; command: string | null };
  raw: string;
}

/** A webhook receiver: answers 200, 500, or never. */
class Receiver {
  readonly posts: Posted[] = [];
  mode: "ok" | "error" | "hang" = "ok";
  private readonly server: Server;
  private readonly hanging: ServerResponse[] = [];

  constructor() {
    this.server = createServer((req: IncomingMessage, res: ServerResponse) => {
      let raw = "";
      req.on("data", (chunk: Buffer) => {
        raw += chunk.toString();
      });
      req.on("end", () => {
        this.posts.push({ path: req.url ?? "", contentType: req.headers["content-type"], body: JSON.parse(raw) as Posted["body"], raw });
        if (this.mode === "hang") this.hanging.push(res);
        else if (this.mode === "error") res.writeHead(500).end("internal error");
        else res.writeHead(200, { "content-type": "text/plain" }).end("ok");
      });
    });
  }

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

let sandbox: Sandbox;
let receiver: Receiver;
let origin: string;
let dir: string;
let env: Record<string, string>;
/** Everything the CLI wrote, to look for the webhook's token in. */
const outputs: string[] = [];

async function cli(...args: string[]): Promise<CliResult> {
  const result = await runCli(args, { env, cwd: dir });
  outputs.push(result.stdout, result.stderr);
  return result;
}
async function json(...args: string[]) {
  const result = await cli(...args, "--json");
  return { ...result, body: JSON.parse(result.stdout) as Record<string, unknown> & { status: string; runId: string; summary: Record<string, number> } };
}

/** JSON log records on stderr (off a terminal the logs are JSON lines). */
function records(stderr: string): { level: string; msg: string }[] {
  return stderr
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as { level: string; msg: string });
}

function snapshot() {
  const store = openSnapshotStore(join(dir, "state.db"), { readonly: true });
  try {
    return store.load();
  } finally {
    store.close();
  }
}

const activeUserIds = () =>
  listAssignedUsers(sandbox.org)
    .filter((a) => a.user.status === "ACTIVE")
    .map((a) => a.user.id);

/** Command's users deactivated by the requests it received since the last reset. */
function commandWrites() {
  return sandbox.command.requests.filter((r) => r.method !== "GET").map((r) => `${r.method} ${r.path.replace(/\/[^/]+$/, "/{id}")}`);
}

beforeAll(async () => {
  sandbox = await startSandbox({ org: { users: 40, groups: 2, seed: 77 }, okta: { rateLimits: false } });
  receiver = new Receiver();
  origin = await receiver.start();
  // A short deadline, so the receiver that never answers costs a second, not ten.
  dir = workdir({ groups: { push: sandbox.groupNames }, state: { path: "./state.db" }, notify: { timeoutMs: 1000 } });
  env = cleanEnv({ ...sandbox.env(), NOTIFY_WEBHOOK_URL: `${origin}/services/${WEBHOOK_TOKEN}` });
  const first = await cli("sync");
  expect(first.code).toBe(0);
});

afterAll(async () => {
  await receiver?.close();
  await sandbox?.close();
});

describe("approving a refused sync, and notifications", () => {
  let refusedId: string;
  let approvingId: string;
  let victims: string[];
  let laterChange: { id: string; userName: string; title: string };
  /** The summary of the plan the refused run kept. */
  let keptSummary: Record<string, number>;

  it("a succeeded sync posts nothing by default", () => {
    expect(receiver.posts).toEqual([]);
  });

  it("a refused sync keeps its plan and posts once, with the command that approves it", async () => {
    victims = activeUserIds().slice(0, 6);
    for (const id of victims) setUserStatus(sandbox.org, id, "DEPROVISIONED");
    const refused = await json("sync");
    expect(refused.code).toBe(3);
    expect(refused.body.status).toBe("refused");
    refusedId = refused.body.runId;
    expect(refused.body.approveCommand).toBe(`okta-command-sync sync --approve ${refusedId}`);

    expect(receiver.posts).toHaveLength(1);
    const post = receiver.posts[0]!;
    expect(post.path).toBe(`/services/${WEBHOOK_TOKEN}`);
    expect(post.contentType).toMatch(/^application\/json/);
    expect(post.body).toMatchObject({ runId: refusedId, status: "refused", command: `okta-command-sync sync --approve ${refusedId}` });
    expect(post.body.summary.deactivateUser).toBe(0);
    expect(post.body.text).not.toContain("\n");
    expect(post.body.text).toContain(`okta-command-sync sync --approve ${refusedId}`);
    expect(post.body.text).toMatch(/the plan deactivates 6 users/);
    for (const secret of [WEBHOOK_TOKEN, sandbox.oktaToken, sandbox.commandToken]) expect(post.raw).not.toContain(secret);
  });

  it("runs show displays the kept plan, why it was refused, and how to approve it", async () => {
    const shown = await cli("runs", "show", refusedId);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(/Kept plan \(refused: nothing of it was applied\): \d+ changes in \d+ operations/);
    expect(shown.stdout.match(/^- deactivateUser/gm)).toHaveLength(6);
    expect(shown.stdout).toMatch(/Refused because:\n {2}the plan deactivates 6 users/);
    expect(shown.stdout).toContain(`okta-command-sync sync --approve ${refusedId}`);

    const asJson = await json("runs", "show", refusedId);
    const kept = asJson.body.keptPlan as { summary: Record<string, number>; operations: { type: string; oktaId: string }[]; approveCommand: string };
    expect(kept.summary.deactivateUser).toBe(6);
    const deactivations = kept.operations.filter((op) => op.type === "deactivateUser");
    expect(deactivations.map((op) => op.oktaId).sort()).toEqual([...victims].sort());
    expect(kept.approveCommand).toBe(`okta-command-sync sync --approve ${refusedId}`);
    keptSummary = kept.summary;
  });

  it("approving a run that does not exist or was not refused is a clear error", async () => {
    const missing = await cli("sync", "--approve", "r-19990101T000000Z-000000");
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/no run matches r-19990101T000000Z-000000/);
    const runs = (await json("runs")).body.runs as { id: string; status: string }[];
    const succeeded = runs.find((r) => r.status === "succeeded")!;
    const notRefused = await cli("sync", "--approve", succeeded.id);
    expect(notRefused.code).toBe(1);
    expect(notRefused.stderr).toContain(`run ${succeeded.id} was not refused (it is succeeded)`);
    const combined = await cli("sync", "--approve", refusedId, "--force");
    expect(combined.code).toBe(1);
    expect(combined.stderr).toMatch(/--approve .* cannot be combined with --force/);
  });

  it("sync --approve applies exactly the kept plan: not a change made in Okta after the refusal", async () => {
    const other = listAssignedUsers(sandbox.org).find((a) => a.user.status === "ACTIVE" && !victims.includes(a.user.id))!;
    const linked = snapshot().users.find((u) => u.oktaId === other.user.id)!;
    laterChange = { id: other.user.id, userName: linked.userName, title: "Changed After The Refusal" };
    updateProfile(sandbox.org, other.user.id, { title: laterChange.title });
    sandbox.command.resetLog();
    receiver.posts.length = 0;

    const approved = await json("sync", "--approve", refusedId);
    expect(approved.code).toBe(0);
    expect(approved.body.status).toBe("succeeded");
    expect(approved.body.approves).toBe(refusedId);
    approvingId = approved.body.runId;
    // Exactly the kept plan: its deactivations and membership removals, and not the later update.
    expect(approved.body.summary).toEqual(keptSummary);
    expect(approved.body.summary.deactivateUser).toBe(6);
    expect(approved.body.summary.updateUser).toBe(0);
    const writes = commandWrites();
    expect(writes.filter((w) => w.includes("/Users/"))).toHaveLength(6);
    expect(writes.filter((w) => !w.includes("/Users/")).every((w) => w === "PATCH /Groups/{id}")).toBe(true);
    const laterScimId = snapshot().users.find((u) => u.oktaId === laterChange.id)!.scimId;
    expect(sandbox.command.requests.filter((r) => r.method !== "GET" && r.path.includes(laterScimId))).toEqual([]);
    const deactivated = snapshot().users.filter((u) => victims.includes(u.oktaId));
    expect(deactivated.every((u) => !u.active)).toBe(true);
    const untouched = sandbox.command.users().find((u) => u.userName === laterChange.userName)!;
    expect(untouched.title).not.toBe(laterChange.title);
    // A succeeded run posts nothing by default.
    expect(receiver.posts).toEqual([]);

    const shown = await cli("runs", "show", approvingId);
    expect(shown.stdout).toContain(`approves  the plan kept by run ${refusedId}`);
    const refusedShown = await cli("runs", "show", refusedId);
    expect(refusedShown.stdout).toContain(`Approved: run ${approvingId} applied this plan (succeeded).`);
    expect(refusedShown.stdout).not.toContain("--approve");
  });

  it("a second approval of the same run is refused, naming the run that applied it", async () => {
    sandbox.command.resetLog();
    receiver.posts.length = 0;
    const again = await json("sync", "--approve", refusedId);
    expect(again.code).toBe(3);
    expect(again.body.status).toBe("refused");
    expect(again.body.refusals).toEqual([{ limit: "approval", reason: "alreadyApplied" }]);
    expect((again.body.warnings as string[]).join("\n")).toContain(`run ${refusedId} was already approved: run ${approvingId} applied its plan (succeeded)`);
    expect(sandbox.command.writeCount()).toBe(0);
    // A refused approval is a refusal like any other, but there is nothing for it to approve.
    expect(receiver.posts).toHaveLength(1);
    expect(receiver.posts[0]!.body).toMatchObject({ status: "refused", command: null });
  });

  it("an approval after the snapshot changed is refused, and says to plan afresh", async () => {
    // Still more than the limit allows: refused again, with a new plan kept.
    for (const id of activeUserIds().filter((id) => id !== laterChange.id).slice(0, 6)) setUserStatus(sandbox.org, id, "DEPROVISIONED");
    const refused = await json("sync");
    expect(refused.code).toBe(3);
    const secondRefusal = refused.body.runId;
    // A narrowed run applies the later change and so changes the snapshot.
    const narrowed = await cli("sync", "--user", laterChange.userName);
    expect(narrowed.code).toBe(0);
    sandbox.command.resetLog();

    const stale = await json("sync", "--approve", secondRefusal);
    expect(stale.code).toBe(3);
    expect(stale.body.refusals).toEqual([{ limit: "approval", reason: "snapshotChanged" }]);
    expect((stale.body.warnings as string[]).join("\n")).toMatch(/the snapshot changed since run .* was refused .* run `okta-command-sync sync` to plan afresh/);
    expect(sandbox.command.writeCount()).toBe(0);
    const text = await cli("sync", "--approve", secondRefusal, "--log-format", "pretty");
    expect(text.code).toBe(3);
    expect(text.stdout).toContain("Refused: nothing was written.");
  });

  it("a receiver that answers 500 or never answers: the run's exit code and status are unchanged, and one warning is logged", async () => {
    for (const mode of ["error", "hang"] as const) {
      receiver.mode = mode;
      receiver.posts.length = 0;
      const refused = await json("sync");
      expect(refused.code).toBe(3);
      expect(refused.body.status).toBe("refused");
      expect(receiver.posts).toHaveLength(1);
      const warnings = records(refused.stderr).filter((r) => r.level === "warn" && /notification/.test(r.msg));
      expect(warnings).toHaveLength(1);
      expect(warnings[0]!.msg).toContain(`notification to the webhook at ${origin} failed`);
      expect(warnings[0]!.msg).toMatch(mode === "error" ? /answered 500/ : /no answer within 1s/);
      const runs = (await json("runs", "--limit", "1")).body.runs as { id: string; status: string }[];
      expect(runs[0]).toMatchObject({ id: refused.body.runId, status: "refused" });
    }
    receiver.mode = "ok";
  });

  it("a partial run and a failed run post their status, what was applied and what went wrong, and no approve command", async () => {
    receiver.posts.length = 0;
    const linked = new Set(snapshot().users.filter((u) => u.active).map((u) => u.oktaId));
    const two = listAssignedUsers(sandbox.org)
      .filter((a) => a.user.status === "ACTIVE" && linked.has(a.user.id) && a.user.id !== laterChange.id)
      .slice(0, 2);
    for (const [index, a] of two.entries()) updateProfile(sandbox.org, a.user.id, { title: `Notified ${index}` });
    sandbox.command.injectFault({ match: { pathPrefix: "/Users/" }, nth: 1, status: 400 });
    const partial = await json("sync", ...two.flatMap((a) => ["--user", a.user.profile.login]));
    expect(partial.code).toBe(1);
    expect(partial.body.status).toBe("partial");
    expect(receiver.posts).toHaveLength(1);
    const posted = receiver.posts[0]!.body;
    expect(posted).toMatchObject({ runId: partial.body.runId, status: "partial", command: null });
    expect(posted.summary.updateUser).toBe(1);
    expect(posted.text).toMatch(/okta-command-sync sync partial \(run .*\): 1 change applied, 1 operation failed; details: okta-command-sync runs show /);

    receiver.posts.length = 0;
    const wrongToken = "00wrong-okta-token-5d1c7e";
    const failed = await runCli(["sync", "--user", two[0]!.user.profile.login, "--json"], { env: { ...env, OKTA_API_TOKEN: wrongToken }, cwd: dir });
    outputs.push(failed.stdout, failed.stderr);
    expect(failed.code).toBe(1);
    expect(receiver.posts).toHaveLength(1);
    expect(receiver.posts[0]!.body).toMatchObject({ status: "failed", command: null });
    expect(receiver.posts[0]!.body.text).toMatch(/^okta-command-sync sync failed \(run r-[^)]+\): .+; 0 changes applied; details: okta-command-sync runs show r-/);
    expect(receiver.posts[0]!.body.text).toMatch(/okta/i);
    expect(receiver.posts[0]!.raw).not.toContain(wrongToken);
  });

  it("check says notifications are configured, by the webhook's origin only", async () => {
    const checked = await cli("check", "--skip-remote", "--log-format", "pretty");
    expect(checked.stdout).toContain(`notifications (refused, partial, failed) to the webhook at ${origin}`);
  });

  it("the webhook URL's token never appears in stdout, stderr or the snapshot DB", () => {
    expect(outputs.length).toBeGreaterThan(10);
    for (const output of outputs) expect(output).not.toContain("xoxbWebhookSecret7f3e9a");
    for (const file of ["state.db", "state.db-wal"]) {
      const path = join(dir, file);
      if (existsSync(path)) expect(readFileSync(path).includes("xoxbWebhookSecret7f3e9a")).toBe(false);
    }
  });
});
