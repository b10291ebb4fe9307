import { chmodSync, existsSync, lstatSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SyncError } from "../../src/errors.js";
import { emptySummary, type OktaAppUserView, type Operation, type OperationRecord, type RunRecord, type SnapshotUser } from "../../src/model.js";
import { APPLICATION_ID, openSnapshotStore, SCHEMA_VERSION, type SqliteSnapshotStore } from "../../src/store/index.js";

let dir: string;
let dbPath: string;
const opened: SqliteSnapshotStore[] = [];

function open(path = dbPath, options?: { readonly?: boolean; busyTimeoutMs?: number }): SqliteSnapshotStore {
  const store = openSnapshotStore(path, options);
  opened.push(store);
  return store;
}

function user(oktaId: string, overrides: Partial<SnapshotUser> = {}): SnapshotUser {
  const userName = `${oktaId}@acme.com`;
  return {
    oktaId,
    scimId: `scim-${oktaId}`,
    userName,
    attributes: { userName, "name.givenName": `Given ${oktaId}`, 'emails[type eq "work"].value': userName },
    active: true,
    ...overrides,
  };
}

function group(oktaId: string, displayName = `Group ${oktaId}`) {
  return { oktaId, scimId: `scim-${oktaId}`, displayName };
}

/** What a file looks like on disk, to prove a refused file was not touched. */
function fingerprint(path: string): { bytes: string; mtimeMs: number; size: number } {
  const stat = statSync(path);
  return { bytes: readFileSync(path).toString("base64"), mtimeMs: stat.mtimeMs, size: stat.size };
}

function expectSyncError(fn: () => unknown, kind: SyncError["kind"], message: RegExp): SyncError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(SyncError);
    const syncError = error as SyncError;
    expect(syncError.kind).toBe(kind);
    expect(syncError.message).toMatch(message);
    return syncError;
  }
  throw new Error("expected a SyncError");
}

function rawDb(path: string, setup: (db: Database.Database) => void): void {
  const db = new Database(path);
  try {
    setup(db);
  } finally {
    db.close();
  }
}

const createOp: Operation = { type: "createUser", oktaId: "00u1", userName: "ada@acme.com", after: { userName: "ada@acme.com" } };

/** A run by its full id, the way `runs show` finds it. */
function runById(store: SqliteSnapshotStore, id: string): RunRecord | undefined {
  return store.findRunsByPrefix(id, 2).find((run) => run.id === id);
}

function opRecord(index: number, overrides: Partial<OperationRecord> = {}): OperationRecord {
  return { index, type: "createUser", target: "ada@acme.com", outcome: "succeeded", detail: createOp, ...overrides };
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "ocs-store-"));
  dbPath = join(dir, "state.db");
});

afterEach(() => {
  for (const store of opened.splice(0)) store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("snapshot data", () => {
  it("round-trips users, groups and members, sorted by okta id", () => {
    const store = open();
    store.saveUser(user("00u3"));
    store.saveUser(user("00u1", { active: false }));
    store.saveUser(user("00u2"));
    store.saveGroup(group("00g2"));
    store.saveGroup(group("00g1"));
    store.addGroupMembers("00g1", ["00u3", "00u1"]);
    store.addGroupMembers("00g1", ["00u2", "00u1"]);

    const snapshot = store.load();
    expect(snapshot.users.map((u) => u.oktaId)).toEqual(["00u1", "00u2", "00u3"]);
    expect(snapshot.users[0]).toEqual(user("00u1", { active: false }));
    expect(snapshot.groups).toEqual([
      { ...group("00g1"), members: ["00u1", "00u2", "00u3"] },
      { ...group("00g2"), members: [] },
    ]);
  });

  it("updates a user in place and records activation", () => {
    const store = open();
    store.saveUser(user("00u1"));
    store.saveUser(user("00u1", { userName: "new@acme.com", attributes: { userName: "new@acme.com" } }));
    store.setUserActive("00u1", false);
    expect(store.load().users).toEqual([user("00u1", { userName: "new@acme.com", attributes: { userName: "new@acme.com" }, active: false })]);
    expectSyncError(() => store.setUserActive("00u9", true), "internal", /00u9/);
  });

  it("moves a SCIM id to the Okta user that last claimed it", () => {
    const store = open();
    store.saveGroup(group("00g1"));
    store.saveUser(user("00uOld", { scimId: "shared" }));
    store.addGroupMembers("00g1", ["00uOld"]);
    store.saveUser(user("00uNew", { scimId: "shared" }));
    const snapshot = store.load();
    expect(snapshot.users.map((u) => [u.oktaId, u.scimId])).toEqual([["00uNew", "shared"]]);
    expect(snapshot.groups[0]?.members).toEqual([]);
  });

  it("unlinkUser drops the user's memberships in every group", () => {
    const store = open();
    for (const id of ["00u1", "00u2"]) store.saveUser(user(id));
    store.saveGroup(group("00g1"));
    store.saveGroup(group("00g2"));
    store.addGroupMembers("00g1", ["00u1", "00u2"]);
    store.addGroupMembers("00g2", ["00u1"]);
    store.unlinkUser("00u1");
    const snapshot = store.load();
    expect(snapshot.users.map((u) => u.oktaId)).toEqual(["00u2"]);
    expect(snapshot.groups.map((g) => g.members)).toEqual([["00u2"], []]);
  });

  it("deleteGroup removes the group with its members; removeGroupMembers removes only those named", () => {
    const store = open();
    store.saveGroup(group("00g1"));
    store.saveGroup(group("00g2"));
    store.addGroupMembers("00g1", ["00u1", "00u2"]);
    store.addGroupMembers("00g2", ["00u1", "00u2", "00u3"]);
    store.removeGroupMembers("00g2", ["00u2", "00u9"]);
    store.deleteGroup("00g1");
    expect(store.load().groups).toEqual([{ ...group("00g2"), members: ["00u1", "00u3"] }]);
    // Re-creating the group starts with no stale members.
    store.saveGroup(group("00g1"));
    expect(store.load().groups[0]?.members).toEqual([]);
  });

  it("refuses members for a group that is not in the snapshot", () => {
    const store = open();
    expectSyncError(() => store.addGroupMembers("00gX", ["00u1"]), "internal", /00gX/);
  });

  it("rolls back everything when the transaction throws, and nested transactions roll back alone", () => {
    const store = open();
    expect(() =>
      store.transaction(() => {
        store.saveUser(user("00u1"));
        store.saveGroup(group("00g1"));
        store.addGroupMembers("00g1", ["00u1"]);
        store.recordOperation(store.beginRun("sync", new Date()), opRecord(0));
        throw new Error("boom");
      }),
    ).toThrow("boom");
    expect(store.load()).toEqual({ users: [], groups: [] });
    expect(store.listRuns(10)).toEqual([]);

    const result = store.transaction(() => {
      store.saveUser(user("00u1"));
      expect(() =>
        store.transaction(() => {
          store.saveUser(user("00u2"));
          throw new Error("inner");
        }),
      ).toThrow("inner");
      return "outer done";
    });
    expect(result).toBe("outer done");
    expect(store.load().users.map((u) => u.oktaId)).toEqual(["00u1"]);
  });

  it("keeps the data across close and reopen", () => {
    const first = open();
    first.saveUser(user("00u1"));
    first.saveGroup(group("00g1"));
    first.addGroupMembers("00g1", ["00u1"]);
    const before = first.load();
    first.close();
    expect(open().load()).toEqual(before);
  });

  it("keeps meta values", () => {
    const store = open();
    expect(store.getMeta("last_refresh")).toBeUndefined();
    store.setMeta("last_refresh", "2026-01-01T00:00:00.000Z");
    store.setMeta("last_refresh", "2026-01-02T00:00:00.000Z");
    expect(store.getMeta("last_refresh")).toBe("2026-01-02T00:00:00.000Z");
    store.deleteMeta("last_refresh");
    expect(store.getMeta("last_refresh")).toBeUndefined();
  });

  it("loads 10,000 users and 50 groups with 10,000 memberships", () => {
    const store = open();
    const ids = Array.from({ length: 10_000 }, (_, i) => `00u${String(i).padStart(6, "0")}`);
    store.transaction(() => {
      for (const id of [...ids].reverse()) store.saveUser(user(id));
      for (let g = 0; g < 50; g += 1) {
        const groupId = `00g${String(g).padStart(3, "0")}`;
        store.saveGroup(group(groupId));
        store.addGroupMembers(groupId, ids.slice(g * 200, (g + 1) * 200).reverse());
      }
    });
    store.close();

    const reopened = open();
    const started = performance.now();
    const snapshot = reopened.load();
    const elapsed = performance.now() - started;
    expect(snapshot.users.map((u) => u.oktaId)).toEqual(ids);
    expect(snapshot.users[1234]).toEqual(user(ids[1234]!));
    expect(snapshot.groups).toHaveLength(50);
    expect(snapshot.groups.reduce((n, g) => n + g.members.length, 0)).toBe(10_000);
    expect(snapshot.groups[7]?.members).toEqual(ids.slice(1400, 1600));
    // Logged, not asserted: timing depends on the machine.
    console.info(`load of 10k users: ${elapsed.toFixed(1)} ms`);
  });
});

describe("the Okta cache's app users", () => {
  const appUser = (id: string, title = "Engineer"): OktaAppUserView => ({
    id,
    scope: "USER",
    status: "ACTIVE",
    userName: `${id}@acme.com`,
    profile: {},
    user: { id, status: "ACTIVE", profile: { login: `${id}@acme.com`, title } },
  });
  const kept = (store: SqliteSnapshotStore) => [...store.oktaCache.keptAppUsers().values()].sort((a, b) => a.id.localeCompare(b.id));

  it("replaces the kept app users with the staged ones only when they are accepted, the first view of an id counting", () => {
    const store = open();
    store.oktaCache.beginStagingAppUsers();
    store.oktaCache.stageAppUsers([appUser("00u1"), appUser("00u2")]);
    store.oktaCache.stageAppUsers([appUser("00u1", "Repeated")]);
    // Staged, not accepted: nothing kept yet.
    expect(store.oktaCache.countAppUsers()).toBe(0);
    store.oktaCache.acceptStagedAppUsers();
    expect(kept(store)).toEqual([appUser("00u1"), appUser("00u2")]);

    store.oktaCache.beginStagingAppUsers();
    store.oktaCache.stageAppUsers([appUser("00u2", "Manager"), appUser("00u3")]);
    store.oktaCache.acceptStagedAppUsers();
    // 00u1 is no longer assigned: gone; 00u2 changed; 00u3 new.
    expect(kept(store)).toEqual([appUser("00u2", "Manager"), appUser("00u3")]);
  });

  it("keeps the app users as they were when a run stops before accepting what it staged", () => {
    const first = open();
    first.oktaCache.beginStagingAppUsers();
    first.oktaCache.stageAppUsers([appUser("00u1")]);
    first.oktaCache.acceptStagedAppUsers();
    first.oktaCache.beginStagingAppUsers();
    first.oktaCache.stageAppUsers([appUser("00u1", "Changed"), appUser("00u2")]);
    first.close();

    const next = open();
    expect(kept(next)).toEqual([appUser("00u1")]);
    // Nothing staged by the stopped run survives it: accepting an empty staging drops everyone.
    next.oktaCache.beginStagingAppUsers();
    next.oktaCache.stageAppUsers([appUser("00u2")]);
    next.oktaCache.acceptStagedAppUsers();
    expect(kept(next)).toEqual([appUser("00u2")]);
  });

  it("refuses to accept staged app users when staging never began", () => {
    expectSyncError(() => open().oktaCache.acceptStagedAppUsers(), "internal", /staging began/);
  });
});

describe("the DB file", () => {
  it("creates the file owner-only, in WAL mode, and sets the schema version", () => {
    const store = open(join(dir, "nested", "deeper", "state.db"));
    store.saveUser(user("00u1"));
    const path = store.path;
    expect(statSync(path).mode & 0o777).toBe(0o600);
    for (const suffix of ["-wal", "-shm"]) {
      expect(existsSync(path + suffix)).toBe(true);
      expect(statSync(path + suffix).mode & 0o777).toBe(0o600);
    }
    const peek = new Database(path, { readonly: true });
    try {
      expect(peek.pragma("journal_mode", { simple: true })).toBe("wal");
      expect(peek.pragma("user_version", { simple: true })).toBe(SCHEMA_VERSION);
      expect(peek.pragma("application_id", { simple: true })).toBe(APPLICATION_ID);
    } finally {
      peek.close();
    }
  });

  it("treats an existing empty file as a new snapshot and tightens a loose mode", () => {
    writeFileSync(dbPath, "");
    chmodSync(dbPath, 0o644);
    const store = open();
    expect(store.load()).toEqual({ users: [], groups: [] });
    expect(statSync(dbPath).mode & 0o777).toBe(0o600);
    store.close();
    const peek = new Database(dbPath, { readonly: true });
    try {
      expect(peek.pragma("user_version", { simple: true })).toBe(SCHEMA_VERSION);
    } finally {
      peek.close();
    }
  });

  it("refuses a DB written by a newer version and leaves it untouched", () => {
    rawDb(dbPath, (db) => {
      db.pragma(`application_id = ${APPLICATION_ID}`);
      db.exec("CREATE TABLE future (x TEXT)");
      db.pragma(`user_version = ${SCHEMA_VERSION + 5}`);
    });
    const before = fingerprint(dbPath);
    const message = new RegExp(
      `written by a newer version \\(schema ${SCHEMA_VERSION + 5}, this version knows ${SCHEMA_VERSION}\\); upgrade okta-command-sync`,
    );
    expectSyncError(() => open(), "config", message);
    expectSyncError(() => open(dbPath, { readonly: true }), "config", message);
    expect(fingerprint(dbPath)).toEqual(before);
  });

  it("refuses a file that is not an SQLite DB and leaves it untouched", () => {
    writeFileSync(dbPath, "name,email\nada,ada@acme.com\n".repeat(100));
    const short = join(dir, "short.db");
    writeFileSync(short, "SQLite");
    for (const path of [dbPath, short]) {
      const before = fingerprint(path);
      const error = expectSyncError(() => open(path), "config", /is not an SQLite database/);
      expect(error.hint).toMatch(/left untouched/);
      expectSyncError(() => open(path, { readonly: true }), "config", /is not an SQLite database/);
      expect(fingerprint(path)).toEqual(before);
    }
  });

  it("refuses a corrupt DB whose header looks right", () => {
    rawDb(dbPath, (db) => db.exec("CREATE TABLE t (x)"));
    const bytes = readFileSync(dbPath);
    bytes.fill(0xab, 16, 100);
    writeFileSync(dbPath, bytes);
    const before = fingerprint(dbPath);
    expectSyncError(() => open(), "config", /is not an SQLite database \(or is corrupt\)/);
    expect(fingerprint(dbPath)).toEqual(before);
  });

  it("refuses an SQLite DB of another application and leaves it untouched", () => {
    rawDb(dbPath, (db) => db.exec("CREATE TABLE users (id INTEGER PRIMARY KEY)"));
    const before = fingerprint(dbPath);
    expectSyncError(() => open(), "config", /not an okta-command-sync snapshot/);
    expect(fingerprint(dbPath)).toEqual(before);
  });

  it("refuses a directory", () => {
    expectSyncError(() => open(dir), "config", /not a regular file/);
  });

  it("refuses a symbolic link in both modes, naming it and what to do, and never writes what it points to", () => {
    const real = open();
    real.saveUser(user("00u1"));
    real.close();
    const empty = join(dir, "empty.db");
    writeFileSync(empty, "");
    for (const target of [dbPath, empty, join(dir, "nowhere", "state.db")]) {
      const link = join(dir, `link-${Math.random().toString(36).slice(2)}.db`);
      symlinkSync(target, link);
      const before = existsSync(target) ? fingerprint(target) : undefined;
      for (const readonly of [false, true]) {
        const error = expectSyncError(() => open(link, { readonly }), "config", new RegExp(`snapshot DB ${link} is a symbolic link \\(to ${target}\\)`));
        expect(error.hint).toMatch(/real path/);
      }
      expect(existsSync(target) ? fingerprint(target) : undefined).toEqual(before);
    }
    expect(existsSync(join(dir, "nowhere"))).toBe(false);
  });

  it("gives side files the DB's mode again before writing, when a reader of a read-only DB left them read-only", () => {
    const writer = open();
    writer.saveUser(user("00u1"));
    writer.close();
    // A read-only connection leaves -wal and -shm behind; make them what a reader of a 0400 DB leaves.
    open(dbPath, { readonly: true }).close();
    for (const suffix of ["-wal", "-shm"]) chmodSync(dbPath + suffix, 0o400);
    const store = open();
    for (const suffix of ["-wal", "-shm"]) expect(statSync(dbPath + suffix).mode & 0o777).toBe(0o600);
    store.saveUser(user("00u2"));
    expect(store.load().users.map((u) => u.oktaId)).toEqual(["00u1", "00u2"]);
  });

  it("refuses a side file that is a symbolic link, naming it, and writes nothing through it", () => {
    open().close();
    const elsewhere = join(dir, "elsewhere");
    writeFileSync(elsewhere, "keep me");
    symlinkSync(elsewhere, `${dbPath}-wal`);
    for (const readonly of [false, true]) {
      const error = expectSyncError(() => open(dbPath, { readonly }), "config", new RegExp(`side file ${dbPath}-wal that is a symbolic link`));
      expect(error.hint).toContain(`remove ${dbPath}-wal`);
    }
    expect(readFileSync(elsewhere, "utf8")).toBe("keep me");
    expect(lstatSync(`${dbPath}-wal`).isSymbolicLink()).toBe(true);
  });
});

describe("read-only mode", () => {
  it("gives an empty snapshot for a missing file and creates nothing", () => {
    const path = join(dir, "missing", "state.db");
    const store = open(path, { readonly: true });
    expect(store.readonly).toBe(true);
    expect(store.load()).toEqual({ users: [], groups: [] });
    expect(store.listRuns(5)).toEqual([]);
    expect(store.getRunOperations("r-x")).toEqual([]);
    expectSyncError(() => store.saveUser(user("00u1")), "internal", /read-only/);
    store.close();
    expect(existsSync(join(dir, "missing"))).toBe(false);
  });

  it("reads an existing snapshot, refuses writes and leaves the file as it was", () => {
    const writer = open();
    writer.saveUser(user("00u1"));
    writer.saveGroup(group("00g1"));
    writer.addGroupMembers("00g1", ["00u1"]);
    const runId = writer.beginRun("sync", new Date("2026-01-01T00:00:00Z"));
    const expected = writer.load();
    writer.close();
    const before = fingerprint(dbPath);

    const reader = open(dbPath, { readonly: true });
    expect(reader.load()).toEqual(expected);
    expect(reader.listRuns(5).map((r) => r.id)).toEqual([runId]);
    expectSyncError(() => reader.saveUser(user("00u2")), "internal", /read-only/);
    expectSyncError(() => reader.deleteGroup("00g1"), "internal", /read-only/);
    expectSyncError(() => reader.beginRun("sync", new Date()), "internal", /read-only/);
    expectSyncError(() => reader.acquireRunLock("sync"), "internal", /read-only/);
    // Inside a transaction as well.
    expect(() => reader.transaction(() => reader.setMeta("k", "v"))).toThrow(/read-only/);
    reader.close();
    expect(fingerprint(dbPath)).toEqual(before);
  });

  it("sees what a writer committed while both are open", () => {
    const writer = open();
    writer.saveUser(user("00u1"));
    const reader = open(dbPath, { readonly: true });
    writer.saveUser(user("00u2"));
    expect(reader.load().users.map((u) => u.oktaId)).toEqual(["00u1", "00u2"]);
  });
});

describe("run log", () => {
  it("records runs and their operations", () => {
    const store = open();
    const first = store.beginRun("sync", new Date("2026-11-29T05:12:00.250Z"));
    const second = store.beginRun("import", new Date("2026-11-29T06:00:00Z"));
    expect(first).toMatch(/^r-20261129T051200Z-[0-9a-f]{6}$/);

    const updateOp: Operation = { type: "deactivateUser", oktaId: "00u2", scimId: "s2", userName: "bob@acme.com" };
    store.recordOperation(first, opRecord(1, { type: "deactivateUser", target: "bob@acme.com", outcome: "failed", error: "Command answered 500", detail: updateOp }));
    store.recordOperation(first, opRecord(0));
    store.recordOperation(first, opRecord(2, { outcome: "failed", error: "timeout" }));
    // A retry in the same run replaces the earlier outcome.
    store.recordOperation(first, opRecord(2, { outcome: "succeeded" }));

    const summary = { ...emptySummary(), createUser: 2 };
    store.finishRun(first, { status: "partial", finishedAt: new Date("2026-11-29T05:13:00Z"), summary, failed: 1, warnings: ["w1"] });

    expect(store.listRuns(10)).toEqual([
      { id: second, command: "import", startedAt: "2026-11-29T06:00:00.000Z", finishedAt: undefined, status: "running", summary: undefined, failed: 0, warnings: [] },
      { id: first, command: "sync", startedAt: "2026-11-29T05:12:00.250Z", finishedAt: "2026-11-29T05:13:00.000Z", status: "partial", summary, failed: 1, warnings: ["w1"] },
    ]);
    expect(store.listRuns(1).map((r) => r.id)).toEqual([second]);
    expect(runById(store, first)?.status).toBe("partial");
    expect(runById(store, "r-nope")).toBeUndefined();

    const ops = store.getRunOperations(first);
    expect(ops.map((o) => o.index)).toEqual([0, 1, 2]);
    expect(ops[0]).toEqual(opRecord(0));
    expect(ops[0]).not.toHaveProperty("error");
    expect(ops[1]).toEqual(opRecord(1, { type: "deactivateUser", target: "bob@acme.com", outcome: "failed", error: "Command answered 500", detail: updateOp }));
    expect(ops[2]?.outcome).toBe("succeeded");
    expect(store.getRunOperations(second)).toEqual([]);
  });

  it("orders runs started in the same second by start time, then by insertion", () => {
    const store = open();
    const at = new Date("2026-01-01T00:00:00Z");
    const ids = [store.beginRun("sync", at), store.beginRun("sync", at), store.beginRun("sync", new Date(at.getTime() + 5))];
    expect(store.listRuns(10).map((r) => r.id)).toEqual([ids[2], ids[1], ids[0]]);
  });

  it("refuses to finish or record into an unknown run", () => {
    const store = open();
    const result = { status: "succeeded" as const, finishedAt: new Date(), summary: emptySummary(), failed: 0, warnings: [] };
    expectSyncError(() => store.finishRun("r-nope", result), "internal", /r-nope/);
    expectSyncError(() => store.recordOperation("r-nope", opRecord(0)), "internal", /r-nope/);
  });

  it("finds runs by a prefix of their id, newest first, and counts them", () => {
    const store = open();
    const a = store.beginRun("sync", new Date("2026-11-28T23:59:00Z"));
    const b = store.beginRun("sync", new Date("2026-11-29T05:12:00Z"));
    const c = store.beginRun("import", new Date("2026-11-29T05:13:00Z"));
    expect(store.countRuns()).toBe(3);
    expect(store.findRunsByPrefix(b, 2).map((r) => r.id)).toEqual([b]);
    expect(store.findRunsByPrefix("r-20261129T05", 5).map((r) => r.id)).toEqual([c, b]);
    expect(store.findRunsByPrefix("r-20261129T05", 1).map((r) => r.id)).toEqual([c]);
    expect(store.findRunsByPrefix("r-2026112", 5).map((r) => r.id)).toEqual([c, b, a]);
    expect(store.findRunsByPrefix("r-20261129t05", 5)).toEqual([]);
    // LIKE wildcards are plain characters in a prefix.
    expect(store.findRunsByPrefix("r-2026112_", 5)).toEqual([]);
    expect(store.findRunsByPrefix("%", 5)).toEqual([]);
    expect(store.findRunsByPrefix(a.slice(0, -1), 5)).toEqual([runById(store, a)]);
  });

  it("a read-only store finds and counts runs too", () => {
    const writer = open();
    const id = writer.beginRun("sync", new Date("2026-11-29T05:12:00Z"));
    const reader = open(dbPath, { readonly: true });
    expect(reader.countRuns()).toBe(1);
    expect(reader.findRunsByPrefix("r-", 2).map((r) => r.id)).toEqual([id]);
    expect(open(join(dir, "missing.db"), { readonly: true }).countRuns()).toBe(0);
  });

  it("prunes by start time, keeping running runs and the newest success of each command", () => {
    const store = open();
    const at = (day: number) => new Date(Date.UTC(2026, 0, day));
    const finish = (id: string, status: "succeeded" | "failed") =>
      store.finishRun(id, { status, finishedAt: new Date(), summary: emptySummary(), failed: 0, warnings: [] });
    const oldSuccess = store.beginRun("sync", at(1));
    finish(oldSuccess, "succeeded");
    const lastSuccess = store.beginRun("sync", at(2));
    finish(lastSuccess, "succeeded");
    const failure = store.beginRun("sync", at(3));
    finish(failure, "failed");
    const running = store.beginRun("sync", at(4));
    const recent = store.beginRun("sync", at(20));
    finish(recent, "failed");
    for (const id of [oldSuccess, lastSuccess, failure]) store.recordOperation(id, opRecord(0));
    expect(store.pruneRunsOlderThan(at(10))).toBe(2);
    expect(store.listRuns(10).map((r) => r.id)).toEqual([recent, running, lastSuccess]);
    expect(store.getRunOperations(oldSuccess)).toEqual([]);
    expect(store.getRunOperations(lastSuccess)).toHaveLength(1);
    expectSyncError(() => store.pruneRunsOlderThan(new Date(Number.NaN)), "internal", /cutoff/);
    expectSyncError(() => open(dbPath, { readonly: true }).pruneRunsOlderThan(at(10)), "internal", /read-only/);
  });
});

describe("run lock", () => {
  const quiet = { heartbeat: false } as const;

  it("lets one run hold the lock at a time", () => {
    const a = open();
    const b = open();
    const lock = a.acquireRunLock("sync", quiet);
    expect(lock.holder).toMatchObject({ pid: process.pid, host: hostname(), command: "sync" });
    const error = expectSyncError(() => b.acquireRunLock("import", quiet), "conflict", /another run holds the lock.*sync \(pid/);
    expect(error.message).toContain(dbPath);
    lock.release();
    b.acquireRunLock("import", quiet).release();
  });

  it("names the run that holds it even while that run is stopped in the middle of a write", () => {
    const a = open();
    const lock = a.acquireRunLock("sync", quiet);
    // The holder is frozen inside a write transaction: the DB stays busy past any timeout.
    const writer = new Database(dbPath);
    writer.prepare("BEGIN IMMEDIATE").run();
    try {
      const b = open(dbPath, { busyTimeoutMs: 50 });
      expectSyncError(() => b.acquireRunLock("sync", quiet), "conflict", /another run holds the lock.*sync \(pid/);
    } finally {
      writer.prepare("ROLLBACK").run();
      writer.close();
    }
    lock.release();
  });

  it("is released by close", () => {
    const a = open();
    a.acquireRunLock("sync", quiet);
    a.close();
    open().acquireRunLock("sync", quiet).release();
  });

  it("takes over a lock whose holder died and marks its runs interrupted", () => {
    const store = open();
    const stale = store.beginRun("sync", new Date("2026-01-01T00:00:00Z"));
    const done = store.beginRun("sync", new Date("2026-01-01T01:00:00Z"));
    store.finishRun(done, { status: "succeeded", finishedAt: new Date("2026-01-01T01:00:01Z"), summary: emptySummary(), failed: 0, warnings: [] });
    const dead = { token: "t", pid: 999_999, host: hostname(), command: "sync", acquiredAt: new Date().toISOString(), renewedAt: new Date().toISOString() };
    store.setMeta("run_lock", JSON.stringify(dead));

    const now = new Date("2026-01-02T00:00:00Z");
    const lock = store.acquireRunLock("sync", { ...quiet, now, isAlive: () => false });
    expect(lock.takenOverFrom).toEqual(dead);
    expect(lock.interruptedRuns).toBe(1);
    expect(runById(store, stale)).toMatchObject({ status: "interrupted", finishedAt: now.toISOString() });
    expect(runById(store, done)?.status).toBe("succeeded");
  });

  it("waits for a live holder on another host until its lease runs out", () => {
    const store = open();
    const renewedAt = new Date("2026-01-01T00:00:00Z");
    const other = { token: "t", pid: 1, host: "elsewhere", command: "sync", acquiredAt: renewedAt.toISOString(), renewedAt: renewedAt.toISOString() };
    store.setMeta("run_lock", JSON.stringify(other));
    const leaseMs = 60_000;
    expectSyncError(
      () => store.acquireRunLock("sync", { ...quiet, leaseMs, now: new Date(renewedAt.getTime() + leaseMs) }),
      "conflict",
      /elsewhere/,
    );
    const lock = store.acquireRunLock("sync", { ...quiet, leaseMs, now: new Date(renewedAt.getTime() + leaseMs + 1) });
    expect(lock.takenOverFrom?.host).toBe("elsewhere");
  });

  it("renews its lease, and knows when it lost the lock", () => {
    const a = open();
    const b = open();
    const start = new Date("2026-01-01T00:00:00Z");
    const lock = a.acquireRunLock("sync", { ...quiet, now: start });
    expect(lock.renew(new Date(start.getTime() + 30_000))).toBe(true);
    expect(JSON.parse(a.getMeta("run_lock")!).renewedAt).toBe("2026-01-01T00:00:30.000Z");
    // Another process's view: our pid is not "this process" for it, so simulate with a foreign host.
    b.setMeta("run_lock", JSON.stringify({ ...lock.holder, token: "other" }));
    expect(lock.renew()).toBe(false);
  });
});
