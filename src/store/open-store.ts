/**
 * Opening the snapshot DB: file checks and permissions, pragmas, migrations.
 *
 * A file that is not ours (garbage, a foreign SQLite DB, a newer schema) is refused before any
 * write, so it is left byte for byte as it was.
 */
import { chmodSync, closeSync, mkdirSync, openSync, readSync, statSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import { SyncError } from "../errors.js";
import { checkSchemaState, migrate, readSchemaState } from "./migrations.js";
import { SCHEMA_VERSION } from "./schema.js";
import { SqliteSnapshotStore } from "./sqlite-store.js";

export interface OpenSnapshotOptions {
  /**
   * Open for reading only (`plan`, `runs`): nothing is ever written, and a missing file yields
   * an empty snapshot without creating it.
   */
  readonly?: boolean;
  /** How long to wait for another connection's write lock. Default 5 s. */
  busyTimeoutMs?: number;
}

const SQLITE_MAGIC = Buffer.from("SQLite format 3\0", "latin1");
const FILE_MODE = 0o600;
/** SQLite gives these the database file's permissions when it creates them. */
const SIDE_FILES = ["-wal", "-shm", "-journal"];

type FileKind = "missing" | "empty" | "sqlite";

export function openSnapshotStore(path: string, options: OpenSnapshotOptions = {}): SqliteSnapshotStore {
  const timeout = options.busyTimeoutMs ?? 5000;
  const kind = inspectFile(path);
  if (options.readonly === true) {
    return kind === "sqlite" ? openReadonly(path, timeout) : emptyReadonlyStore(path);
  }
  return openWritable(path, kind, timeout);
}

function openWritable(path: string, kind: FileKind, timeout: number): SqliteSnapshotStore {
  if (kind === "missing") createPrivateFile(path);
  else tightenPermissions(path);

  const db = openDatabase(path, { fileMustExist: true, timeout });
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
    migrate(db, path);
    return new SqliteSnapshotStore(db, { path, readonly: false });
  } catch (error) {
    db.close();
    throw translate(error, path);
  }
}

function openReadonly(path: string, timeout: number): SqliteSnapshotStore {
  const db = openDatabase(path, { readonly: true, fileMustExist: true, timeout });
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
    throw translate(error, path);
  }
}

/** A missing or empty file read-only: an empty snapshot in memory, and no file created. */
function emptyReadonlyStore(path: string): SqliteSnapshotStore {
  const db = new Database(":memory:");
  migrate(db, path);
  db.pragma("query_only = ON");
  return new SqliteSnapshotStore(db, { path, readonly: true });
}

function openDatabase(path: string, options: Database.Options): Database.Database {
  try {
    return new Database(path, options);
  } catch (error) {
    throw translate(error, path);
  }
}

/** What is at `path`, read without SQLite so that nothing can write to a file we refuse. */
function inspectFile(path: string): FileKind {
  let size: number;
  try {
    const stat = statSync(path, { throwIfNoEntry: false });
    if (stat === undefined) return "missing";
    if (!stat.isFile()) throw new SyncError("config", `snapshot DB ${path} is not a regular file`);
    size = stat.size;
  } catch (error) {
    throw translate(error, path);
  }
  if (size === 0) return "empty";
  const header = Buffer.alloc(SQLITE_MAGIC.length);
  let read = 0;
  try {
    const fd = openSync(path, "r");
    try {
      read = readSync(fd, header, 0, header.length, 0);
    } finally {
      closeSync(fd);
    }
  } catch (error) {
    throw translate(error, path);
  }
  if (read < header.length || !header.equals(SQLITE_MAGIC)) throw notADatabase(path);
  return "sqlite";
}

function createPrivateFile(path: string): void {
  try {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    // `wx` never truncates a file that appeared meanwhile; the mode is set at creation, so the
    // file is never readable by others, not even for a moment.
    closeSync(openSync(path, "wx", FILE_MODE));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return;
    throw translate(error, path);
  }
}

/** The snapshot holds names and emails: keep an existing DB and its side files owner-only. */
function tightenPermissions(path: string): void {
  for (const file of [path, ...SIDE_FILES.map((suffix) => path + suffix)]) {
    const stat = statSync(file, { throwIfNoEntry: false });
    if (stat === undefined || (stat.mode & 0o077) === 0) continue;
    try {
      chmodSync(file, stat.mode & 0o700);
    } catch {
      // Not the owner: SQLite reports a real problem when it opens the file; a mode alone is none.
    }
  }
}

function notADatabase(path: string, cause?: unknown): SyncError {
  return new SyncError("config", `snapshot DB ${path} is not an SQLite database (or is corrupt)`, {
    hint: "it was left untouched; point state.path at another file or move this one aside",
    cause,
  });
}

/** Turn file system and SQLite failures into one clear SyncError naming the file. */
function translate(error: unknown, path: string): SyncError {
  if (error instanceof SyncError) return error;
  const raw = (error as { code?: unknown } | null)?.code;
  // better-sqlite3 reports extended codes (SQLITE_IOERR_WRITE); the primary code decides.
  const code = typeof raw === "string" && raw.startsWith("SQLITE_") ? raw.split("_", 2).join("_") : raw;
  const message = error instanceof Error ? error.message : String(error);
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
    case "EACCES":
    case "EPERM":
    case "ENOENT":
    case "ENOSPC":
    case "SQLITE_FULL":
    case "EROFS":
    case "ENOTDIR":
    case "EISDIR":
    case "SQLITE_CANTOPEN":
    case "SQLITE_READONLY":
    case "SQLITE_PERM":
    case "SQLITE_IOERR":
      return new SyncError("config", `cannot open snapshot DB ${path}: ${message}`, {
        hint: "check state.path and the permissions of the file and its directory",
        cause: error,
      });
    default:
      return new SyncError("internal", `snapshot DB ${path}: ${message}`, { cause: error });
  }
}
