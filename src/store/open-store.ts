/**
 * Opening the snapshot DB: file checks and permissions, pragmas, migrations.
 *
 * A file that is not ours (garbage, a foreign SQLite DB, a newer schema) is refused before any
 * write, so it is left byte for byte as it was.
 */
import { dirname } from "node:path";
import Database from "better-sqlite3";
import { SyncError } from "../errors.js";
import { checkSchemaState, migrate, readSchemaState } from "./migrations.js";
import { SCHEMA_VERSION } from "./schema.js";
import { SqliteSnapshotStore } from "./sqlite-store.js";
import { createStateFile, type FileKind, inspectStateFile, notADatabase, notWritable, prepareForReading, prepareForWriting, sideFilesHint } from "./state-file.js";

export interface OpenSnapshotOptions {
  /**
   * Open for reading only (`plan`, `runs`): nothing is ever written, and a missing file yields
   * an empty snapshot without creating it.
   */
  readonly?: boolean;
  /** How long to wait for another connection's write lock. Default 5 s. */
  busyTimeoutMs?: number;
}

type Access = "read" | "write";

export function openSnapshotStore(path: string, options: OpenSnapshotOptions = {}): SqliteSnapshotStore {
  const timeout = options.busyTimeoutMs ?? 5000;
  const access: Access = options.readonly === true ? "read" : "write";
  const kind = checked(() => inspectStateFile(path), path, access);
  if (access === "read") {
    return kind === "sqlite" ? openReadonly(path, timeout) : emptyReadonlyStore(path);
  }
  return openWritable(path, kind, timeout);
}

function openWritable(path: string, kind: FileKind, timeout: number): SqliteSnapshotStore {
  checked(() => (kind === "missing" ? createStateFile(path) : prepareForWriting(path)), path, "write");

  const db = openDatabase(path, { fileMustExist: true, timeout }, "write");
  try {
    checkSchemaState(readSchemaState(db), path);
    // WAL: readers (`plan`, `runs`) never block the writer, and a commit is one append.
    const mode = String(db.pragma("journal_mode = WAL", { simple: true }));
    if (mode !== "wal") {
      throw new SyncError("config", `cannot switch snapshot DB ${path} to WAL journal mode (it stayed in ${mode})`, {
        hint: "keep the snapshot on a local filesystem",
      });
    }
    // FULL syncs the WAL on every commit. NORMAL is safe against a process crash but may lose
    // the last commits on power loss, and each commit records a change Command already made.
    db.pragma("synchronous = FULL");
    db.pragma("foreign_keys = ON");
    // SQLite falls back to read-only without a word when it cannot write a file; taking the
    // write lock (and writing nothing) finds out now rather than at the run's first commit.
    // Busy means another process is writing it: writable, and the run lock will say whose run.
    try {
      db.exec("BEGIN IMMEDIATE");
      db.exec("ROLLBACK");
    } catch (error) {
      if ((error as { code?: unknown }).code !== "SQLITE_BUSY") throw error;
    }
    migrate(db, path);
    return new SqliteSnapshotStore(db, { path, readonly: false });
  } catch (error) {
    db.close();
    throw translate(error, path, "write");
  }
}

function openReadonly(path: string, timeout: number): SqliteSnapshotStore {
  checked(() => prepareForReading(path), path, "read");
  const db = openDatabase(path, { readonly: true, fileMustExist: true, timeout }, "read");
  try {
    const { empty } = checkSchemaState(readSchemaState(db), path);
    if (empty) {
      db.close();
      return emptyReadonlyStore(path);
    }
    const version = Number(db.pragma("user_version", { simple: true }));
    if (version < SCHEMA_VERSION) {
      throw new SyncError(
        "config",
        `snapshot DB ${path} has an older schema (${version}, this version writes ${SCHEMA_VERSION}) and is opened read-only`,
        { hint: "run a command that writes the snapshot (sync or import) once to upgrade it" },
      );
    }
    db.pragma("query_only = ON");
    return new SqliteSnapshotStore(db, { path, readonly: true });
  } catch (error) {
    db.close();
    throw translate(error, path, "read");
  }
}

/** A missing or empty file read-only: an empty snapshot in memory, and no file created. */
function emptyReadonlyStore(path: string): SqliteSnapshotStore {
  const db = new Database(":memory:");
  migrate(db, path);
  db.pragma("query_only = ON");
  return new SqliteSnapshotStore(db, { path, readonly: true });
}

function openDatabase(path: string, options: Database.Options, access: Access): Database.Database {
  let db: Database.Database | undefined;
  try {
    db = new Database(path, options);
    // better-sqlite3 builds SQLite with a 16 MB page cache per connection, and a run reads each
    // large table once, in order: a cache that size only adds to the process's memory (15 MB at
    // 100,000 users), while the operating system caches the file anyway.
    db.pragma(`cache_size = ${PAGE_CACHE_KIB}`);
    return db;
  } catch (error) {
    db?.close();
    throw translate(error, path, access);
  }
}

/** SQLite's page cache, negative: KiB (SQLite's own default). */
const PAGE_CACHE_KIB = -2000;

function checked<T>(step: () => T, path: string, access: Access): T {
  try {
    return step();
  } catch (error) {
    throw translate(error, path, access);
  }
}

/** Turn file system and SQLite failures into one clear SyncError naming the file. */
function translate(error: unknown, path: string, access: Access): SyncError {
  if (error instanceof SyncError) return error;
  const raw = (error as { code?: unknown } | null)?.code;
  // better-sqlite3 reports extended codes (SQLITE_IOERR_WRITE); the primary code decides.
  const code = typeof raw === "string" && raw.startsWith("SQLITE_") ? raw.split("_", 2).join("_") : raw;
  const message = error instanceof Error ? error.message : String(error);
  const verb = access === "read" ? "read" : "write";
  if (raw === "SQLITE_READONLY_DIRECTORY" && access === "read") {
    const directory = dirname(path);
    return new SyncError("config", `cannot read snapshot DB ${path}: SQLite must create ${path}-shm to read it, and ${directory} is not writable`, {
      hint: sideFilesHint(path, directory),
      cause: error,
    });
  }
  switch (code) {
    case "SQLITE_NOTADB":
    case "SQLITE_CORRUPT":
      return notADatabase(path, error);
    case "SQLITE_BUSY":
    case "SQLITE_LOCKED":
      return new SyncError("conflict", `snapshot DB ${path} is busy: ${message}`, {
        hint: "another process is writing it; try again",
        cause: error,
      });
    case "ENOSPC":
    case "SQLITE_FULL":
      return new SyncError("config", `cannot ${verb} snapshot DB ${path}: the disk is full`, { hint: `free space on the file system of ${dirname(path)}`, cause: error });
    case "ENOENT":
    case "ENOTDIR":
    case "EISDIR":
      return new SyncError("config", `cannot ${verb} snapshot DB ${path}: ${message}`, { hint: "check state.path (or OCS_STATE)", cause: error });
    case "EACCES":
    case "EPERM":
    case "EROFS":
    case "SQLITE_CANTOPEN":
    case "SQLITE_READONLY":
    case "SQLITE_PERM":
    case "SQLITE_IOERR":
      if (access === "write") return notWritable(path, message, undefined, error);
      return new SyncError("config", `cannot read snapshot DB ${path}: ${message}`, { hint: sideFilesHint(path), cause: error });
    default:
      return new SyncError("internal", `snapshot DB ${path}: ${message}`, { cause: error });
  }
}
