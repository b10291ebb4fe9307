/**
 * Reading a DB's schema state and bringing it up to date. Every check here only reads, so a file
 * that is refused is left exactly as it was.
 */
import type Database from "better-sqlite3";
import { SyncError } from "../errors.js";
import { APPLICATION_ID, MIGRATIONS, SCHEMA_VERSION } from "./schema.js";

export interface SchemaState {
  userVersion: number;
  applicationId: number;
  /** Tables, indexes, views and triggers in the file (0 for a new, empty DB). */
  objectCount: number;
}

export function readSchemaState(db: Database.Database): SchemaState {
  return {
    userVersion: Number(db.pragma("user_version", { simple: true })),
    applicationId: Number(db.pragma("application_id", { simple: true })),
    objectCount: Number(db.prepare("SELECT count(*) FROM sqlite_schema").pluck().get()),
  };
}

/**
 * Refuse a DB this code must not touch: written by a newer version, or not a snapshot at all.
 * Returns whether the DB is still empty (a new file, nothing to read yet).
 */
export function checkSchemaState(state: SchemaState, path: string): { empty: boolean } {
  if (state.userVersion > SCHEMA_VERSION) {
    throw new SyncError(
      "config",
      `snapshot DB ${path} was written by a newer version (schema ${state.userVersion}, this version knows ${SCHEMA_VERSION}); upgrade okta-command-sync`,
      { hint: "the file was left untouched" },
    );
  }
  const foreign =
    (state.applicationId !== 0 && state.applicationId !== APPLICATION_ID) ||
    (state.userVersion === 0 && state.objectCount > 0);
  if (foreign) {
    throw new SyncError("config", `${path} is an SQLite database but not an okta-command-sync snapshot`, {
      hint: "point state.path at a new file; the existing one was left untouched",
    });
  }
  return { empty: state.userVersion === 0 };
}

/** Apply every pending migration, each in its own write transaction. Returns how many ran. */
export function migrate(db: Database.Database, path: string): number {
  // Up to date: nothing to write, so no write lock to wait for while another run is writing.
  if (Number(db.pragma("user_version", { simple: true })) === SCHEMA_VERSION) return 0;
  let applied = 0;
  for (const migration of MIGRATIONS) {
    // IMMEDIATE takes the write lock before reading the version, so two processes opening the
    // same new file cannot both run a migration.
    const ran = db
      .transaction((): boolean => {
        const current = Number(db.pragma("user_version", { simple: true }));
        if (current > SCHEMA_VERSION) checkSchemaState(readSchemaState(db), path);
        if (current >= migration.version) return false;
        if (current !== migration.version - 1) {
          throw new SyncError(
            "internal",
            `snapshot DB ${path} is at schema ${current}, cannot apply migration ${migration.version}`,
          );
        }
        db.exec(migration.sql);
        db.pragma(`user_version = ${migration.version}`);
        return true;
      })
      .immediate();
    if (ran) applied += 1;
  }
  return applied;
}
