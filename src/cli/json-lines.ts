/**
 * JSON.stringify(value, null, 2), written out a piece at a time: a plan of 100,000 operations is
 * serialised one operation after another instead of as one string of hundreds of megabytes (and
 * its copies). The text written is byte for byte what JSON.stringify gives.
 */

/** Arrays and plain objects this deep are written member by member; deeper values whole. */
const STREAMED_DEPTH = 3;
/** Pieces are gathered to about this many characters before they are written. */
const FLUSH_AT = 64 * 1024;

function isPlainContainer(value: unknown): value is Record<string, unknown> | unknown[] {
  if (Array.isArray(value)) return true;
  if (typeof value !== "object" || value === null) return false;
  if (typeof (value as { toJSON?: unknown }).toJSON === "function") return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** One value as JSON.stringify writes it at this depth of indentation; undefined where it writes nothing. */
function whole(value: unknown, depth: number): string | undefined {
  const text = JSON.stringify(value, null, 2) as string | undefined;
  // Strings in JSON never hold a raw newline, so every newline is one of the indentation's.
  return text === undefined || depth === 0 ? text : text.replaceAll("\n", `\n${"  ".repeat(depth)}`);
}

/** The pieces of JSON.stringify(value, null, 2), in order; joined they are that text. */
export function* jsonPieces(value: unknown, depth = 0): Generator<string> {
  if (depth >= STREAMED_DEPTH || !isPlainContainer(value)) {
    yield whole(value, depth) ?? "null";
    return;
  }
  const inner = "  ".repeat(depth + 1);
  const isArray = Array.isArray(value);
  let first = true;
  for (const [key, item] of isArray ? value.map((item) => [undefined, item] as const) : Object.entries(value)) {
    const streamed = depth + 1 < STREAMED_DEPTH && isPlainContainer(item);
    const text = streamed ? undefined : whole(item, depth + 1);
    // What JSON.stringify cannot write (undefined, a function) is left out of an object, null in an array.
    if (!streamed && text === undefined && !isArray) continue;
    yield `${first ? (isArray ? "[" : "{") : ","}\n${inner}${key === undefined ? "" : `${JSON.stringify(key)}: `}`;
    first = false;
    if (streamed) yield* jsonPieces(item, depth + 1);
    else yield text ?? "null";
  }
  yield first ? (isArray ? "[]" : "{}") : `\n${"  ".repeat(depth)}${isArray ? "]" : "}"}`;
}

/**
 * Writes `value` as JSON.stringify(value, null, 2) followed by a newline, through `writeLines`,
 * which is given whole lines without their last newline (and adds it), a few kilobytes at a time.
 */
export function writeJsonLines(value: unknown, writeLines: (lines: string) => void): void {
  let buffer = "";
  for (const piece of jsonPieces(value)) {
    buffer += piece;
    if (buffer.length < FLUSH_AT) continue;
    const cut = buffer.lastIndexOf("\n");
    if (cut < 0) continue;
    writeLines(buffer.slice(0, cut));
    buffer = buffer.slice(cut + 1);
  }
  writeLines(buffer);
}
