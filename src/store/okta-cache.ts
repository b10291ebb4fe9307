/**
 * What the last Okta pull read, kept in the snapshot DB so the next pull re-reads only what
 * moved: the push groups with their lastMembershipUpdated and member ids, and (for incremental
 * runs) every assigned app user. Okta's side only: nothing here is a credential, and nothing here
 * is what Command holds (that is the snapshot proper).
 */
import type Database from "better-sqlite3";
import { SyncError } from "../errors.js";
import type { OktaAppUserView, OktaGroupView } from "../model.js";

interface GroupRow {
  okta_id: string;
  name: string;
  last_membership_updated: string | null;
  member_ids: string;
}

export class OktaCacheStore {
  private readonly s;

  constructor(private readonly db: Database.Database) {
    this.s = {
      groups: db.prepare<[], GroupRow>("SELECT okta_id, name, last_membership_updated, member_ids FROM okta_groups"),
      upsertGroup: db.prepare<[string, string, string | null, string]>(
        `INSERT INTO okta_groups (okta_id, name, last_membership_updated, member_ids) VALUES (?, ?, ?, ?)
         ON CONFLICT (okta_id) DO UPDATE SET name = excluded.name,
           last_membership_updated = excluded.last_membership_updated, member_ids = excluded.member_ids`,
      ),
      groupStamps: db.prepare<[], { okta_id: string; name: string; last_membership_updated: string | null }>(
        "SELECT okta_id, name, last_membership_updated FROM okta_groups",
      ),
      deleteGroup: db.prepare<[string]>("DELETE FROM okta_groups WHERE okta_id = ?"),
      appUsers: db.prepare<[], string>("SELECT view FROM okta_app_users").pluck(),
      appUserIds: db.prepare<[], string>("SELECT okta_id FROM okta_app_users").pluck(),
      countAppUsers: db.prepare<[], number>("SELECT count(*) FROM okta_app_users").pluck(),
      upsertAppUser: db.prepare<[string, string]>(
        `INSERT INTO okta_app_users (okta_id, view) VALUES (?, ?)
         ON CONFLICT (okta_id) DO UPDATE SET view = excluded.view WHERE view <> excluded.view`,
      ),
      deleteAppUser: db.prepare<[string]>("DELETE FROM okta_app_users WHERE okta_id = ?"),
      clearAppUsers: db.prepare("DELETE FROM okta_app_users"),
      clearGroups: db.prepare("DELETE FROM okta_groups"),
    };
  }

  /**
   * The statements of the staged app users: a TEMP table of this connection, so a run that dies
   * before its pull is accepted leaves nothing behind. Made on first use (a read-only run never
   * stages anything).
   */
  private staged: { stage: Database.Statement<[string, string]>; clear: Database.Statement; accept: Database.Statement; dropGone: Database.Statement } | undefined;

  /**
   * Start keeping the app users of a pull before it is accepted, page by page as they are read,
   * instead of holding them all in memory until the end of the pull. Forgets anything staged
   * before. See acceptStagedAppUsers.
   */
  beginStagingAppUsers(): void {
    if (this.staged === undefined) {
      this.db.exec(`CREATE TEMP TABLE IF NOT EXISTS staged_okta_app_users (okta_id TEXT PRIMARY KEY NOT NULL, view TEXT NOT NULL) STRICT`);
      // Its pages go to a temporary file past this much: the staged users are not all held in memory.
      this.db.pragma("temp.cache_size = -2000");
      this.staged = {
        stage: this.db.prepare<[string, string]>("INSERT OR IGNORE INTO temp.staged_okta_app_users (okta_id, view) VALUES (?, ?)"),
        clear: this.db.prepare("DELETE FROM temp.staged_okta_app_users"),
        accept: this.db.prepare(
          `INSERT INTO main.okta_app_users (okta_id, view) SELECT okta_id, view FROM temp.staged_okta_app_users WHERE true
           ON CONFLICT (okta_id) DO UPDATE SET view = excluded.view WHERE view <> excluded.view`,
        ),
        dropGone: this.db.prepare("DELETE FROM main.okta_app_users WHERE okta_id NOT IN (SELECT okta_id FROM temp.staged_okta_app_users)"),
      };
    }
    this.staged.clear.run();
  }

  /** Stage some app users of the pull (the first view of an id counts, as in the pull). */
  stageAppUsers(users: readonly OktaAppUserView[]): void {
    const staged = this.staged;
    if (staged === undefined) throw new SyncError("internal", "app users staged before staging began");
    this.db.transaction(() => {
      for (const user of users) staged.stage.run(user.id, JSON.stringify(user));
    })();
  }

  /**
   * Replace the cached app users with the staged ones (unchanged rows are not rewritten), and
   * empty the staging table. Runs inside the caller's transaction when there is one.
   */
  acceptStagedAppUsers(): void {
    const staged = this.staged;
    if (staged === undefined) throw new SyncError("internal", "staged app users accepted before staging began");
    this.db.transaction(() => {
      staged.accept.run();
      staged.dropGone.run();
      staged.clear.run();
    }).immediate();
  }

  /**
   * The push groups as last read, by Okta id. `shared`: the string the caller already holds for a
   * user id (the snapshot's), used instead of a copy of it.
   */
  loadGroups(shared?: (id: string) => string | undefined): Map<string, OktaGroupView> {
    const groups = new Map<string, OktaGroupView>();
    // One string per user id across every group (most users are in several).
    const ids = new Map<string, string>();
    for (const row of this.s.groups.iterate()) {
      const memberIds: unknown = JSON.parse(row.member_ids);
      if (!Array.isArray(memberIds) || !memberIds.every((id) => typeof id === "string")) continue;
      for (let i = 0; i < memberIds.length; i++) {
        const id = memberIds[i] as string;
        let known = ids.get(id);
        if (known === undefined) {
          known = shared?.(id) ?? id;
          ids.set(id, known);
        }
        memberIds[i] = known;
      }
      groups.set(row.okta_id, {
        id: row.okta_id,
        name: row.name,
        lastMembershipUpdated: row.last_membership_updated ?? undefined,
        memberIds: memberIds as string[],
      });
    }
    return groups;
  }

  /**
   * Replace the cached groups with `groups` (groups no longer pushed are forgotten). A group whose
   * name and lastMembershipUpdated did not change is not rewritten: its members were reused.
   */
  saveGroups(groups: readonly OktaGroupView[]): void {
    this.db.transaction(() => {
      const stored = new Map(this.s.groupStamps.all().map((row) => [row.okta_id, row]));
      const keep = new Set(groups.map((g) => g.id));
      for (const id of stored.keys()) if (!keep.has(id)) this.s.deleteGroup.run(id);
      for (const g of groups) {
        const row = stored.get(g.id);
        if (row !== undefined && g.lastMembershipUpdated !== undefined && row.last_membership_updated === g.lastMembershipUpdated && row.name === g.name) continue;
        this.s.upsertGroup.run(g.id, g.name, g.lastMembershipUpdated ?? null, JSON.stringify(g.memberIds));
      }
    }).immediate();
  }

  /**
   * The kept app users, read from the DB only when asked: their ids on the first `has`, the
   * users themselves one row at a time while `values()` is iterated (never all at once).
   */
  keptAppUsers(): { readonly size: number; has(id: string): boolean; values(): Iterable<OktaAppUserView> } {
    const size = this.countAppUsers();
    let ids: Set<string> | undefined;
    const rows = this.s.appUsers;
    return {
      size,
      has: (id) => {
        ids ??= new Set(this.s.appUserIds.all());
        return ids.has(id);
      },
      *values() {
        for (const text of rows.iterate()) yield JSON.parse(text) as OktaAppUserView;
      },
    };
  }

  /** Every assigned app user as last read, by Okta user id; empty when none was kept. */
  loadAppUsers(): Map<string, OktaAppUserView> {
    const users = new Map<string, OktaAppUserView>();
    for (const text of this.s.appUsers.iterate()) {
      const view = JSON.parse(text) as OktaAppUserView;
      users.set(view.id, view);
    }
    return users;
  }

  countAppUsers(): number {
    return this.s.countAppUsers.get() ?? 0;
  }

  /** Apply what an incremental pull found: users re-read, and users no longer assigned. */
  updateAppUsers(upserts: readonly OktaAppUserView[], removed: readonly string[]): void {
    this.db.transaction(() => {
      for (const user of upserts) this.s.upsertAppUser.run(user.id, JSON.stringify(user));
      for (const id of removed) this.s.deleteAppUser.run(id);
    }).immediate();
  }

  /** Forget the app users (the next incremental run starts with a full pull). */
  clearAppUsers(): void {
    this.s.clearAppUsers.run();
  }

  clear(): void {
    this.db.transaction(() => {
      this.s.clearAppUsers.run();
      this.s.clearGroups.run();
    }).immediate();
  }
}
