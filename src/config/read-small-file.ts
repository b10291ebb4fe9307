/** Reading the config file and secret files, with a bound on their size. */
import { closeSync, openSync, readSync } from "node:fs";

/**
 * Config and secret files are a few kilobytes: the bound keeps a wrong path (a log, a disk
 * image, /dev/zero) from filling memory before any parsing starts.
 */
export const MAX_FILE_BYTES = 1024 * 1024;

/** Reads a UTF-8 file; throws an error with code EFBIG past MAX_FILE_BYTES, as fs errors carry theirs. */
export function readSmallFile(path: string): string {
  const fd = openSync(path, "r");
  try {
    const chunks: Buffer[] = [];
    const buffer = Buffer.alloc(64 * 1024);
    let total = 0;
    for (;;) {
      const read = readSync(fd, buffer, 0, buffer.length, null);
      if (read === 0) break;
      total += read;
      if (total > MAX_FILE_BYTES) throw Object.assign(new Error(`${path} is larger than ${MAX_FILE_BYTES} bytes`), { code: "EFBIG" });
      chunks.push(Buffer.from(buffer.subarray(0, read)));
    }
    return Buffer.concat(chunks).toString("utf8");
  } finally {
    closeSync(fd);
  }
}
