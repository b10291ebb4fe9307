import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { nodeVersionLine, nodeVersionProblem } from "../../src/cli/node-version.js";

const engines = (JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { engines: { node: string } }).engines.node;

describe("Node.js version check", () => {
  it("accepts the Node this suite runs on, which package.json's engines must allow", () => {
    expect(nodeVersionProblem(process.versions.node, engines)).toBeUndefined();
  });

  it("compares major, minor and patch as numbers", () => {
    expect(nodeVersionProblem("20.19.0", ">=20.19")).toBeUndefined();
    expect(nodeVersionProblem("20.20.2", ">=20.19")).toBeUndefined();
    expect(nodeVersionProblem("22.0.0", ">=20.19")).toBeUndefined();
    expect(nodeVersionProblem("100.1.0", ">=20.19")).toBeUndefined();
    expect(nodeVersionProblem("20.18.3", ">=20.19")).toBeDefined();
    expect(nodeVersionProblem("20.9.0", ">=20.19")).toBeDefined();
    expect(nodeVersionProblem("18.19.1", ">=20.19")).toBeDefined();
    expect(nodeVersionProblem("12.22.9", ">=20.19")).toBeDefined();
    expect(nodeVersionProblem("20.19.1", ">=20.19.2")).toBeDefined();
    expect(nodeVersionProblem("20.19.2", ">= 20.19.2")).toBeUndefined();
  });

  it("says which Node was found, where, which is needed and how to get it, on one line", () => {
    const problem = nodeVersionProblem("18.19.1", ">=20.19", "/usr/bin/node")!;
    const line = nodeVersionLine(problem);
    expect(line).not.toContain("\n");
    expect(line).toContain("Node.js 18.19.1 (/usr/bin/node)");
    expect(line).toContain("needs Node.js 20.19 or newer");
    expect(line).toContain("https://nodejs.org/");
    expect(problem.hint).toContain("container image");
  });

  it("treats a version it cannot read as too old rather than letting it through", () => {
    expect(nodeVersionProblem("unknown", ">=20.19")).toBeDefined();
  });

  it("refuses an engines range it does not understand, so package.json cannot drift from the check", () => {
    expect(() => nodeVersionProblem("22.0.0", "^20.19 || >=22")).toThrow(/engines\.node/);
  });
});
