/**
 * Whether a run could write the snapshot DB at a path, found out by trying without changing
 * anything: an existing DB and its side files are opened for writing and closed unwritten, and
 * the directory that would receive the DB (or its side files) gets a probe file that is removed
 * at once. A directory that does not exist yet is not created; its nearest existing ancestor must
 * take it.
 */
import { closeSync, constants, lstatSync, openSync, unlinkSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import type { SyncError } from "../errors.js";
import { notWritable, sideFiles } from "./state-file.js";

function reason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === "EROFS") return "the file system is read-only";
  if (code === "EACCES" || code === "EPERM") return "permission denied";
  if (code === "ENOTDIR") return "a part of the path is a file, not a directory";
  return code ?? String(error);
}

function openForWriting(path: string): void {
  closeSync(openSync(path, constants.O_RDWR | constants.O_NOFOLLOW));
}

/** What stops a run from writing the snapshot DB at `path`, or undefined when nothing does. */
export function stateWriteProblem(path: string): SyncError | undefined {
  if (path === ":memory:") return undefined;
  let stat: ReturnType<typeof lstatSync>;
  try {
    stat = lstatSync(path, { throwIfNoEntry: false });
  } catch (error) {
    return notWritable(path, reason(error), dirname(path), error);
  }
  // A link or a directory is not a DB file: the snapshot check says so, in its own words.
  if (stat !== undefined && !stat.isFile()) return undefined;
  if (stat !== undefined) {
    try {
      openForWriting(path);
    } catch (error) {
      return notWritable(path, `it cannot be opened for writing (${reason(error)})`, path, error);
    }
    for (const side of sideFiles(path)) {
      if (lstatSync(side, { throwIfNoEntry: false })?.isFile() !== true) continue;
      try {
        openForWriting(side);
      } catch (error) {
        return notWritable(path, `its side file ${side} cannot be opened for writing (${reason(error)})`, side, error);
      }
    }
  }
  let directory = dirname(path);
  let found = lstatSync(directory, { throwIfNoEntry: false });
  while (found === undefined && dirname(directory) !== directory) {
    directory = dirname(directory);
    found = lstatSync(directory, { throwIfNoEntry: false });
  }
  const wanted = dirname(path);
  const where = directory === wanted ? `its directory ${directory}` : `${wanted} does not exist yet and its nearest existing parent ${directory}`;
  if (found !== undefined && !found.isDirectory()) return notWritable(path, `${directory} is not a directory`, directory);
  const probe = join(directory, `.${basename(path)}.${process.pid}.write-check`);
  try {
    closeSync(openSync(probe, "wx", 0o600));
    unlinkSync(probe);
  } catch (error) {
    return notWritable(path, `${where} is not writable (${reason(error)})`, directory, error);
  }
  return undefined;
}
