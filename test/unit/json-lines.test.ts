import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { writeJson } from "../../src/cli/json-lines.js";

function written(value: unknown, indent: 0 | 2 = 2): { text: string; calls: string[] } {
  const calls: string[] = [];
  writeJson(value, (chunk) => calls.push(chunk), indent);
  return { text: calls.join(""), calls };
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

  it("is byte for byte JSON.stringify(value) on one line when not indented, for any JSON value", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(written(value, 0).text).toBe(`${JSON.stringify(value)}\n`);
      }),
      { numRuns: 1000 },
    );
  });

  it("leaves out undefined and functions in objects and writes null for them in arrays, as JSON.stringify does", () => {
    const value = { a: undefined, b: () => 1, c: [undefined, () => 1, { d: [] }], e: {}, f: { g: { h: { i: [1, { j: "x\ny" }] } } } };
    expect(written(value).text).toBe(`${JSON.stringify(value, null, 2)}\n`);
    expect(written(value, 0).text).toBe(`${JSON.stringify(value)}\n`);
  });

  it("hands a large plan over in many chunks, not one string, and never splits a string value", () => {
    const operations = Array.from({ length: 5000 }, (_, i) => ({ type: "createUser", oktaId: `00u${i}`, after: { userName: `user${i}@example.com`, title: "Engineer" } }));
    for (const indent of [0, 2] as const) {
      const { text, calls } = written({ changes: true, operations, warnings: [] }, indent);
      expect(text).toBe(`${JSON.stringify({ changes: true, operations, warnings: [] }, null, indent)}\n`);
      expect(calls.length).toBeGreaterThan(5);
      // No chunk ends inside a string (the data holds no escaped quote): a redactor sees each value whole.
      let before = "";
      for (const chunk of calls) {
        before += chunk;
        expect(before.split('"').length % 2).toBe(1);
      }
    }
  });
});
