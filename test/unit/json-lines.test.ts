import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { writeJsonLines } from "../../src/cli/json-lines.js";

function written(value: unknown): { text: string; calls: string[] } {
  const calls: string[] = [];
  writeJsonLines(value, (lines) => calls.push(lines));
  return { text: calls.map((lines) => `${lines}\n`).join(""), calls };
}

describe("JSON written a piece at a time", () => {
  it("is byte for byte JSON.stringify(value, null, 2) and a newline, for any JSON value", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(written(value).text).toBe(`${JSON.stringify(value, null, 2)}\n`);
      }),
      { numRuns: 1000 },
    );
  });

  it("leaves out undefined and functions in objects and writes null for them in arrays, as JSON.stringify does", () => {
    const value = { a: undefined, b: () => 1, c: [undefined, () => 1, { d: [] }], e: {}, f: { g: { h: { i: [1, { j: "x\ny" }] } } } };
    expect(written(value).text).toBe(`${JSON.stringify(value, null, 2)}\n`);
  });

  it("hands a large plan over in many pieces of whole lines, not one string", () => {
    const operations = Array.from({ length: 5000 }, (_, i) => ({ type: "createUser", oktaId: `00u${i}`, after: { userName: `user${i}@example.com`, title: "Engineer" } }));
    const { text, calls } = written({ changes: true, operations, warnings: [] });
    expect(text).toBe(`${JSON.stringify({ changes: true, operations, warnings: [] }, null, 2)}\n`);
    expect(calls.length).toBeGreaterThan(10);
    // Each piece ends where a line ends: the next one starts a new line.
    for (const piece of calls.slice(1)) expect(piece.startsWith(" ") || piece === "}").toBe(true);
  });
});
