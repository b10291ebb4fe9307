/**
 * The snapshot DB as a file, checked before SQLite touches it: never through a symbolic link,
 * never a file that is not ours, and never a half-writable set of files.
 *
 * SQLite keeps two side files next to a WAL database, `-wal` and `-shm`, and creates them with
 * the database file's mode. A reader of a read-only DB therefore leaves them read-only, and
 * they stay so after the DB is made writable again; SQLite then opens `-shm` read-only and every
 * write fails. Side files the process owns are given the DB's mode again before opening.
 */
import { accessSync, chmodSync, closeSync, constants, fstatSync, lstatSync, mkdirSync, openSync, readlinkSync, readSync, type Stats } from "node:fs";
import { basename, dirname, resolve } from "node:path";
import { SyncError } from "../errors.js";

export type FileKind = "missing" | "empty" | "sqlite";

const SQLITE_MAGIC = Buffer.from("SQLite format 3\0", "latin1");
const FILE_MODE = 0o600;
/** `-journal` only appears in rollback mode (an interrupted migration of an old DB). */
const SIDE_SUFFIXES = ["-wal", "-shm", "-journal"] as const;

/** What is at `path`, read without SQLite and without following a link. */
export function inspectStateFile(path: string): FileKind {
  const stat = lstat(path);
  if (stat === undefined) return "missing";
  if (stat.isSymbolicLink()) throw symbolicLink(path);
  if (!stat.isFile()) throw new SyncError("config", `snapshot DB ${path} is not a regular file`, { hint: "point state.path at a file" });
  if (stat.size === 0) return "empty";
  const header = Buffer.alloc(SQLITE_MAGIC.length);
  let read = 0;
  try {
    // O_NOFOLLOW: a link swapped in since the lstat is refused, not followed.
    const fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
    try {
      if (!fstatSync(fd).isFile()) throw new SyncError("config", `snapshot DB ${path} is not a regular file`, { hint: "point state.path at a file" });
      read = readSync(fd, header, 0, header.length, 0);
    } finally {
      closeSync(fd);
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ELOOP") throw symbolicLink(path);
    throw error;
  }
  if (read < header.length || !header.equals(SQLITE_MAGIC)) throw notADatabase(path);
  return "sqlite";
}

/** A new, empty, owner-only file. */
export function createStateFile(path: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  try {
    // `wx` never truncates a file that appeared meanwhile, nor follows a link; the mode is set at
    // creation, so the file is never readable by others, not even for a moment.
    closeSync(openSync(path, "wx", FILE_MODE));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    // Created meanwhile: it gets the same checks as any existing file.
    inspectStateFile(path);
  }
}

/**
 * Before a writable open: the DB, its directory and its side files must all be writable by this
 * process, or one error names the file to fix. Modes are tightened to owner-only (the snapshot
 * holds names and emails) and side files the process owns get the DB's mode.
 */
export function prepareForWriting(path: string): void {
  const db = lstat(path);
  if (db === undefined) return;
  let mode = db.mode & 0o777;
  if ((mode & 0o077) !== 0 && tryChmod(path, mode & 0o700)) mode &= 0o700;
  const denied = accessProblem(path, constants.R_OK | constants.W_OK);
  if (denied !== undefined) throw notWritable(path, `${denied} (mode ${octal(mode)}, owner uid ${db.uid})`, path);
  const directory = dirname(path);
  const dirDenied = accessProblem(directory, constants.W_OK | constants.X_OK);
  if (dirDenied !== undefined) {
    throw notWritable(path, `its directory ${directory} is not writable (${dirDenied}), and SQLite creates ${basename(path)}-wal and ${basename(path)}-shm there`, directory);
  }
  for (const side of sideFiles(path)) {
    const stat = checkSideFile(path, side);
    if (stat === undefined) continue;
    const sideMode = stat.mode & 0o777;
    const uid = process.getuid?.();
    // The owner (or root) may give it the DB's mode; anyone else can only be told about it.
    if (sideMode !== mode && (stat.uid === uid || uid === 0)) tryChmod(side, mode);
    const sideDenied = accessProblem(side, constants.R_OK | constants.W_OK);
    if (sideDenied !== undefined) {
      const now = lstat(side) ?? stat;
      throw notWritable(path, `its side file ${side} cannot be written by this process (${sideDenied}; mode ${octal(now.mode & 0o777)}, owner uid ${now.uid})`, side);
    }
  }
}

/** Before a read-only open: side files SQLite will read must be readable, or one error names them. */
export function prepareForReading(path: string): void {
  for (const side of sideFiles(path)) {
    const stat = checkSideFile(path, side);
    if (stat === undefined) continue;
    const denied = accessProblem(side, constants.R_OK);
    if (denied !== undefined) {
      throw new SyncError("config", `cannot read snapshot DB ${path}: its side file ${side} cannot be read by this process (${denied}; mode ${octal(stat.mode & 0o777)}, owner uid ${stat.uid})`, {
        hint: sideFilesHint(path, side),
      });
    }
  }
}

export function sideFiles(path: string): string[] {
  return SIDE_SUFFIXES.map((suffix) => path + suffix);
}

/** What to do when the DB or one of its files cannot be written: names all of them. */
export function sideFilesHint(path: string, culprit?: string): string {
  const fix = culprit === undefined ? "" : `fix ${culprit}: `;
  return `${fix}the user running the sync needs read and write access to ${path} and its side files ${path}-wal and ${path}-shm (when present; same owner and mode as the DB, e.g. chmod 600) and to their directory ${dirname(path)}`;
}

export function notWritable(path: string, what: string, culprit?: string, cause?: unknown): SyncError {
  return new SyncError("config", `cannot write snapshot DB ${path}: ${what}`, { hint: sideFilesHint(path, culprit), cause });
}

export function notADatabase(path: string, cause?: unknown): SyncError {
  return new SyncError("config", `snapshot DB ${path} is not an SQLite database (or is corrupt)`, {
    hint: "it was left untouched; point state.path at another file or move this one aside",
    cause,
  });
}

function symbolicLink(path: string): SyncError {
  let target: string;
  try {
    target = resolve(dirname(path), readlinkSync(path));
  } catch {
    target = "another file";
  }
  return new SyncError("config", `snapshot DB ${path} is a symbolic link (to ${target}); it is not followed, so nothing is written through it`, {
    hint: "set state.path (or OCS_STATE) to the real path of the file, not a link to it",
  });
}

/** A side file that exists must be a plain file: SQLite must not write through a link either. */
function checkSideFile(path: string, side: string): Stats | undefined {
  const stat = lstat(side);
  if (stat === undefined || stat.isFile()) return stat;
  throw new SyncError("config", `snapshot DB ${path} has a side file ${side} that is ${stat.isSymbolicLink() ? "a symbolic link" : "not a regular file"}`, {
    hint: `remove ${side} while no run is using the DB; SQLite recreates it as a plain file`,
  });
}

function lstat(path: string): Stats | undefined {
  return lstatSync(path, { throwIfNoEntry: false });
}

/** Why this process may not access `path` so, in words; undefined when it may. */
function accessProblem(path: string, mode: number): string | undefined {
  try {
    accessSync(path, mode);
    return undefined;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EROFS") return "the file system is read-only";
    if (code === "EACCES" || code === "EPERM") return "permission denied";
    return code ?? String(error);
  }
}

function tryChmod(path: string, mode: number): boolean {
  try {
    chmodSync(path, mode);
    return true;
  } catch {
    // Not the owner: the access checks that follow say what is wrong, if anything is.
    return false;
  }
}

function octal(mode: number): string {
  return `0${mode.toString(8).padStart(3, "0")}`;
}
