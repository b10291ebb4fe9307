/**
 * The end of the process. Once the result is printed nothing may keep the process alive (a
 * socket a server left open, a keep-alive connection, a timer): a scheduled job that does not
 * exit blocks the next run. So the entry point exits explicitly, once stdout and stderr (where
 * the JSON logger writes too) have handed everything written to the operating system.
 */

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
