/**
 * Exit codes (cli-contract.md "Exit codes"), decided here and only here: a command returns the
 * status of its result or throws, and main.ts maps either through these tables.
 *
 * The end of the process. Once the result is printed nothing may keep the process alive (a
 * socket a server left open, a keep-alive connection, a timer): a scheduled job that does not
 * exit blocks the next run. So the entry point exits explicitly, once stdout and stderr (where
 * the JSON logger writes too) have handed everything written to the operating system.
 */

import { type ErrorKind, SyncError } from "../errors.js";

/** How a command ended. `changes` is `plan --detailed-exitcode` with changes pending. */
export type RunStatus = "succeeded" | "changes" | "partial" | "failed" | "refused";

export const STATUS_EXIT: Readonly<Record<RunStatus, number>> = {
  succeeded: 0,
  changes: 2,
  partial: 1,
  failed: 1,
  refused: 3,
};

/** Every error is exit 1; the kind only changes what the user is told. */
export const ERROR_EXIT: Readonly<Record<ErrorKind, number>> = {
  config: 1,
  usage: 1,
  auth: 1,
  network: 1,
  remote: 1,
  conflict: 1,
  internal: 1,
};

/** A second SIGINT/SIGTERM stops at once, as shells report a process killed by SIGINT. */
export const INTERRUPTED_EXIT = 130;

export function exitCodeOfStatus(status: RunStatus): number {
  return STATUS_EXIT[status];
}

/** Anything thrown that is not one of ours is an internal error. */
export function exitCodeOfError(error: unknown): number {
  return error instanceof SyncError ? ERROR_EXIT[error.kind] : ERROR_EXIT.internal;
}

/** Resolves when everything written to `stream` before now has been handed on (or cannot be). */
export function flushed(stream: NodeJS.WritableStream & { destroyed?: boolean; writableEnded?: boolean }): Promise<void> {
  return new Promise((resolve) => {
    if (stream.destroyed === true || stream.writableEnded === true) {
      resolve();
      return;
    }
    // An empty write is queued behind every earlier one; its callback runs when they are done,
    // or with an error (a closed pipe) that leaves nothing more to wait for.
    stream.write("", () => resolve());
  });
}

export async function exitWhenFlushed(code: number, streams: readonly NodeJS.WritableStream[] = [process.stdout, process.stderr]): Promise<never> {
  await Promise.all(streams.map((stream) => flushed(stream)));
  process.exit(code);
}
