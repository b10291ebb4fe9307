/**
 * JSON.stringify(value) or JSON.stringify(value, null, 2), written out a piece at a time: a plan
 * of 100,000 operations is serialised one operation after another instead of as one string of
 * hundreds of megabytes (and its copies). The text written is byte for byte what JSON.stringify
 * gives. A string value is always inside one piece, so a redactor applied per chunk sees it whole.
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
function whole(value: unknown, depth: number, indent: number): string | undefined {
  const text = JSON.stringify(value, null, indent) as string | undefined;
  // Strings in JSON never hold a raw newline, so every newline is one of the indentation's.
  return text === undefined || depth === 0 || indent === 0 ? text : text.replaceAll("\n", `\n${" ".repeat(depth * indent)}`);
}

/** The pieces of JSON.stringify(value, null, indent), in order; joined they are that text. */
export function* jsonPieces(value: unknown, indent: 0 | 2 = 2, depth = 0): Generator<string> {
  if (depth >= STREAMED_DEPTH || !isPlainContainer(value)) {
    yield whole(value, depth, indent) ?? "null";
    return;
  }
  const newline = indent === 0 ? "" : "\n";
  const inner = " ".repeat((depth + 1) * indent);
  const colon = indent === 0 ? ":" : ": ";
  const isArray = Array.isArray(value);
  let first = true;
  for (const [key, item] of isArray ? value.map((item) => [undefined, item] as const) : Object.entries(value)) {
    const streamed = depth + 1 < STREAMED_DEPTH && isPlainContainer(item);
    const text = streamed ? undefined : whole(item, depth + 1, indent);
    // What JSON.stringify cannot write (undefined, a function) is left out of an object, null in an array.
    if (!streamed && text === undefined && !isArray) continue;
    yield `${first ? (isArray ? "[" : "{") : ","}${newline}${inner}${key === undefined ? "" : `${JSON.stringify(key)}${colon}`}`;
    first = false;
    if (streamed) yield* jsonPieces(item, indent, depth + 1);
    else yield text ?? "null";
  }
  yield first ? (isArray ? "[]" : "{}") : `${newline}${" ".repeat(depth * indent)}${isArray ? "]" : "}"}`;
}

/**
 * Writes `value` as JSON.stringify(value, null, indent) followed by a newline, through `write`,
 * a few tens of kilobytes at a time, each chunk ending where a piece ends.
 */
export function writeJson(value: unknown, write: (chunk: string) => void, indent: 0 | 2 = 2): void {
  let buffer = "";
  for (const piece of jsonPieces(value, indent)) {
    buffer += piece;
    if (buffer.length < FLUSH_AT) continue;
    write(buffer);
    buffer = "";
  }
  write(`${buffer}\n`);
}
