/**
 * The snapshot store over better-sqlite3: users, groups and memberships as last confirmed by
 * Command, plus the run log. Every statement is prepared once; `load` reads each table with a
 * single query inside one read transaction, so it sees one consistent state.
 */
import type Database from "better-sqlite3";
import { SyncError } from "../errors.js";
import {
  compareStrings,
  type OperationRecord,
  type PendingCreates,
  type PendingKind,
  type RunRecord,
  type Snapshot, type SnapshotGroup, type SnapshotUser, type UserAttributes } from "../model.js";
import { OktaCacheStore } from "./okta-cache.js";
import { type RunResult, RunLog } from "./run-log.js";
import { acquireRunLock, type LockOptions, type RunLock } from "./run-lock.js";

interface UserRow {
  okta_id: string;
  scim_id: string;
  user_name: string;
  attributes: string;
  active: number;
}

interface GroupRow {
  okta_id: string;
  scim_id: string;
  display_name: string;
}

interface MemberRow {
  group_okta_id: string;
  user_okta_id: string;
}

/** Current time as stored in `updated_at` columns (ISO 8601, UTC, milliseconds). */
const NOW = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')";

function prepareStatements(db: Database.Database) {
  return {
    users: db.prepare<[], UserRow>(
      "SELECT okta_id, scim_id, user_name, attributes, active FROM users ORDER BY okta_id",
    ),
    groups: db.prepare<[], GroupRow>("SELECT okta_id, scim_id, display_name FROM groups ORDER BY okta_id"),
    members: db.prepare<[], MemberRow>(
      "SELECT group_okta_id, user_okta_id FROM group_members ORDER BY group_okta_id, user_okta_id",
    ),
    userByScimId: db.prepare<[string], string>("SELECT okta_id FROM users WHERE scim_id = ?").pluck(),
    groupByScimId: db.prepare<[string], string>("SELECT okta_id FROM groups WHERE scim_id = ?").pluck(),
    groupExists: db.prepare<[string], number>("SELECT 1 FROM groups WHERE okta_id = ?").pluck(),
    upsertUser: db.prepare<[string, string, string, string, number]>(
      `INSERT INTO users (okta_id, scim_id, user_name, attributes, active, updated_at)
       VALUES (?, ?, ?, ?, ?, ${NOW})
       ON CONFLICT (okta_id) DO UPDATE SET
         scim_id = excluded.scim_id, user_name = excluded.user_name, attributes = excluded.attributes,
         active = excluded.active, updated_at = excluded.updated_at`,
    ),
    setUserActive: db.prepare<[number, string]>(
      `UPDATE users SET active = ?, updated_at = ${NOW} WHERE okta_id = ?`,
    ),
    deleteUser: db.prepare<[string]>("DELETE FROM users WHERE okta_id = ?"),
    deleteUserMemberships: db.prepare<[string]>("DELETE FROM group_members WHERE user_okta_id = ?"),
    upsertGroup: db.prepare<[string, string, string]>(
      `INSERT INTO groups (okta_id, scim_id, display_name, updated_at) VALUES (?, ?, ?, ${NOW})
       ON CONFLICT (okta_id) DO UPDATE SET
         scim_id = excluded.scim_id, display_name = excluded.display_name, updated_at = excluded.updated_at`,
    ),
    deleteGroup: db.prepare<[string]>("DELETE FROM groups WHERE okta_id = ?"),
    addMember: db.prepare<[string, string]>(
      "INSERT OR IGNORE INTO group_members (group_okta_id, user_okta_id) VALUES (?, ?)",
    ),
    removeMember: db.prepare<[string, string]>(
      "DELETE FROM group_members WHERE group_okta_id = ? AND user_okta_id = ?",
    ),
    getMeta: db.prepare<[string], string>("SELECT value FROM meta WHERE key = ?").pluck(),
    setMeta: db.prepare<[string, string]>(
      `INSERT INTO meta (key, value, updated_at) VALUES (?, ?, ${NOW})
       ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
    ),
    deleteMeta: db.prepare<[string]>("DELETE FROM meta WHERE key = ?"),
    markPending: db.prepare<[string, string, string]>(
      "INSERT INTO pending_creates (kind, okta_id, run_id) VALUES (?, ?, ?) ON CONFLICT (kind, okta_id) DO UPDATE SET run_id = excluded.run_id",
    ),
    clearPending: db.prepare<[string, string]>("DELETE FROM pending_creates WHERE kind = ? AND okta_id = ?"),
    pending: db.prepare<[], { kind: string; okta_id: string }>("SELECT kind, okta_id FROM pending_creates"),
  };
}

/** The attributes with every value equal to the userName (userName, often the email) as that one string. */
function shareUserName(attributes: Record<string, string>, userName: string): UserAttributes {
  for (const key in attributes) if (attributes[key] === userName) attributes[key] = userName;
  return attributes;
}

export class SqliteSnapshotStore {
  /** The snapshot DB file (which a read-only store of a missing file never creates). */
  readonly path: string;
  readonly readonly: boolean;

  private readonly db: Database.Database;
  private readonly runLog: RunLog;
  private readonly locks = new Set<RunLock>();
  private readonly statements: ReturnType<typeof prepareStatements>;
  private cache: OktaCacheStore | undefined;

  constructor(db: Database.Database, options: { path: string; readonly: boolean }) {
    this.db = db;
    this.path = options.path;
    this.readonly = options.readonly;
    this.runLog = new RunLog(db);
    this.statements = prepareStatements(db);
  }

  load(): Snapshot {
    const s = this.statements;
    return this.db
      .transaction((): Snapshot => {
        // Row by row (iterate, not all): 100,000 rows are never held twice, as rows and as records.
        const users: SnapshotUser[] = [];
        // One string per Okta user id: a member id is the user's own id string, not a copy of it
        // per group (a quarter of a million copies in an org of 100,000).
        const ids = new Map<string, string>();
        for (const row of s.users.iterate()) {
          ids.set(row.okta_id, row.okta_id);
          users.push({
            oktaId: row.okta_id,
            scimId: row.scim_id,
            userName: row.user_name,
            attributes: shareUserName(JSON.parse(row.attributes) as Record<string, string>, row.user_name),
            active: row.active === 1,
          });
        }
        const membersByGroup = new Map<string, string[]>();
        for (const row of s.members.iterate()) {
          const member = ids.get(row.user_okta_id) ?? row.user_okta_id;
          const list = membersByGroup.get(row.group_okta_id);
          if (list === undefined) membersByGroup.set(row.group_okta_id, [member]);
          else list.push(member);
        }
        ids.clear();
        const groups: SnapshotGroup[] = s.groups.all().map((row) => ({
          oktaId: row.okta_id,
          scimId: row.scim_id,
          displayName: row.display_name,
          members: membersByGroup.get(row.okta_id) ?? [],
        }));
        // SQLite orders by UTF-8 bytes, the model by UTF-16 code units; they differ only beyond
        // the BMP, and sorting input that is already in order costs next to nothing.
        users.sort((a, b) => compareStrings(a.oktaId, b.oktaId));
        groups.sort((a, b) => compareStrings(a.oktaId, b.oktaId));
        for (const members of membersByGroup.values()) members.sort(compareStrings);
        return { users, groups };
      })
      .deferred();
  }

  transaction<T>(fn: () => T): T {
    // IMMEDIATE takes the write lock up front: a deferred transaction that reads and then writes
    // can fail with SQLITE_BUSY when another connection wrote in between, and no timeout helps.
    const tx = this.db.transaction(fn);
    return this.readonly ? tx.deferred() : tx.immediate();
  }

  /**
   * Record the link of an Okta user. A Command user belongs to one Okta user: an older link to
   * the same SCIM id (a user deleted and recreated in Okta, then adopted) is dropped with its
   * memberships, since Command has just confirmed the new one.
   */
  saveUser(user: SnapshotUser): void {
    this.assertWritable();
    const s = this.statements;
    this.transaction(() => {
      const previous = s.userByScimId.get(user.scimId);
      if (previous !== undefined && previous !== user.oktaId) this.unlinkUser(previous);
      s.upsertUser.run(user.oktaId, user.scimId, user.userName, JSON.stringify(user.attributes), user.active ? 1 : 0);
      s.clearPending.run("user", user.oktaId);
    });
  }

  setUserActive(oktaId: string, active: boolean): void {
    this.assertWritable();
    if (this.statements.setUserActive.run(active ? 1 : 0, oktaId).changes === 0) {
      throw new SyncError("internal", `cannot record user ${oktaId} as ${active ? "active" : "inactive"}: it is not in the snapshot`);
    }
  }

  unlinkUser(oktaId: string): void {
    this.assertWritable();
    this.transaction(() => {
      this.statements.deleteUserMemberships.run(oktaId);
      this.statements.deleteUser.run(oktaId);
    });
  }

  /** Record the link of an Okta group; like `saveUser`, an older link to the same SCIM id is dropped. */
  saveGroup(group: { oktaId: string; scimId: string; displayName: string }): void {
    this.assertWritable();
    const s = this.statements;
    this.transaction(() => {
      const previous = s.groupByScimId.get(group.scimId);
      if (previous !== undefined && previous !== group.oktaId) s.deleteGroup.run(previous);
      s.upsertGroup.run(group.oktaId, group.scimId, group.displayName);
      s.clearPending.run("group", group.oktaId);
    });
  }

  deleteGroup(oktaId: string): void {
    this.assertWritable();
    // Memberships go with it (ON DELETE CASCADE).
    this.statements.deleteGroup.run(oktaId);
  }

  addGroupMembers(groupOktaId: string, userOktaIds: readonly string[]): void {
    this.assertWritable();
    const s = this.statements;
    this.transaction(() => {
      if (s.groupExists.get(groupOktaId) === undefined) {
        throw new SyncError("internal", `cannot record members of group ${groupOktaId}: it is not in the snapshot`);
      }
      for (const userOktaId of userOktaIds) s.addMember.run(groupOktaId, userOktaId);
    });
  }

  removeGroupMembers(groupOktaId: string, userOktaIds: readonly string[]): void {
    this.assertWritable();
    const s = this.statements;
    this.transaction(() => {
      for (const userOktaId of userOktaIds) s.removeMember.run(groupOktaId, userOktaId);
    });
  }

  /**
   * Record, in one transaction, that creates of these users or groups are about to be sent. The
   * mark goes when the link is saved (`saveUser`, `saveGroup`) or cleared with `clearPendingCreate`.
   */
  markPendingCreates(kind: PendingKind, oktaIds: readonly string[], runId: string): void {
    this.assertWritable();
    if (oktaIds.length === 0) return;
    this.transaction(() => {
      for (const oktaId of oktaIds) this.statements.markPending.run(kind, oktaId, runId);
    });
  }

  /** The create surely did not happen (Command refused it): nothing to look up next time. */
  clearPendingCreate(kind: PendingKind, oktaId: string): void {
    this.assertWritable();
    this.statements.clearPending.run(kind, oktaId);
  }

  /** Creates that may have reached Command without being recorded. */
  pendingCreates(): PendingCreates {
    const pending: PendingCreates = { users: new Set(), groups: new Set() };
    for (const row of this.statements.pending.all()) (row.kind === "user" ? pending.users : pending.groups).add(row.okta_id);
    return pending;
  }

  beginRun(command: string, startedAt: Date, approves?: string): string {
    this.assertWritable();
    return this.runLog.begin(command, startedAt, approves);
  }

  keepPlan(runId: string, plan: string): void {
    this.assertWritable();
    this.runLog.keepPlan(runId, plan);
  }

  /** The plan a refused run kept (a saved plan's JSON); undefined when it kept none. */
  keptPlan(runId: string): string | undefined {
    return this.runLog.keptPlan(runId);
  }

  /** The runs that approved this run's kept plan, oldest first. */
  approvalsOf(runId: string): RunRecord[] {
    return this.runLog.approvalsOf(runId);
  }

  recordOperation(runId: string, record: OperationRecord): void {
    this.assertWritable();
    this.runLog.record(runId, record);
  }

  finishRun(runId: string, result: RunResult): void {
    this.assertWritable();
    this.runLog.finishRun(runId, result);
  }

  /** Newest first. */
  listRuns(limit: number): RunRecord[] {
    return this.runLog.list(limit);
  }

  /** In plan order; empty for an unknown run. */
  getRunOperations(runId: string): OperationRecord[] {
    return this.runLog.operations(runId);
  }

  /**
   * Delete the runs started before `cutoff`, with their operations, but never a running run nor
   * the newest succeeded run of a command. Returns how many runs were deleted.
   */
  pruneRunsOlderThan(cutoff: Date): number {
    this.assertWritable();
    return this.runLog.pruneStartedBefore(cutoff);
  }

  /**
   * Runs whose id starts with `prefix`, newest first, at most `limit` (ask for 2 to tell a
   * unique prefix from an ambiguous one).
   */
  findRunsByPrefix(prefix: string, limit: number): RunRecord[] {
    return this.runLog.findByPrefix(prefix, limit);
  }

  /** How many runs the log holds. */
  countRuns(): number {
    return this.runLog.count();
  }

  /**
   * Take the run lock (one run per snapshot DB) or throw a SyncError of kind `conflict`. Runs
   * that a dead holder left `running` are marked `interrupted` in the same transaction.
   * `close()` releases a lock still held.
   */
  acquireRunLock(command: string, options: LockOptions = {}): RunLock {
    this.assertWritable();
    const lock = acquireRunLock(this.db, this.path, command, options, (now) =>
      this.runLog.markInterrupted(now),
    );
    this.locks.add(lock);
    return {
      holder: lock.holder,
      takenOverFrom: lock.takenOverFrom,
      interruptedRuns: lock.interruptedRuns,
      renew: (at) => lock.renew(at),
      release: () => {
        this.locks.delete(lock);
        lock.release();
      },
    };
  }

  /** What the last Okta pull read (see OktaCacheStore). */
  get oktaCache(): OktaCacheStore {
    this.cache ??= new OktaCacheStore(this.db);
    return this.cache;
  }

  getMeta(key: string): string | undefined {
    return this.statements.getMeta.get(key);
  }

  setMeta(key: string, value: string): void {
    this.assertWritable();
    this.statements.setMeta.run(key, value);
  }

  deleteMeta(key: string): void {
    this.assertWritable();
    this.statements.deleteMeta.run(key);
  }

  close(): void {
    if (!this.db.open) return;
    for (const lock of this.locks) lock.release();
    this.locks.clear();
    this.db.close();
  }

  private assertWritable(): void {
    if (this.readonly) {
      throw new SyncError("internal", `the snapshot DB ${this.path} was opened read-only`);
    }
  }
}
