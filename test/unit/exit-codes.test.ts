/** The one table of exit codes, against cli-contract.md "Exit codes". */
import { describe, expect, it } from "vitest";
import { ERROR_EXIT, exitCodeOfError, exitCodeOfStatus, INTERRUPTED_EXIT, type RunStatus, STATUS_EXIT } from "../../src/cli/exit.js";
import { ConfigError, ERROR_KINDS, NetworkError, RemoteError, SyncError } from "../../src/errors.js";

describe("exit codes", () => {
  it("maps each result status as the contract says: 0 success, 1 partial or failed, 2 pending changes, 3 refused", () => {
    const expected: Record<RunStatus, number> = { succeeded: 0, partial: 1, failed: 1, changes: 2, refused: 3 };
    expect(STATUS_EXIT).toEqual(expected);
    for (const [status, code] of Object.entries(expected)) expect(exitCodeOfStatus(status as RunStatus)).toBe(code);
  });

  it("maps every error kind to 1, and only those kinds", () => {
    expect(Object.keys(ERROR_EXIT).sort()).toEqual([...ERROR_KINDS].sort());
    for (const kind of ERROR_KINDS) expect(exitCodeOfError(new SyncError(kind, "x")), kind).toBe(1);
  });

  it("reads the kind of each error class, and treats anything else thrown as an internal error (1)", () => {
    expect(exitCodeOfError(new ConfigError(["okta.orgUrl is required"]))).toBe(1);
    expect(exitCodeOfError(new RemoteError({ side: "okta", method: "GET", url: "/api/v1/users", status: 401 }))).toBe(1);
    expect(exitCodeOfError(new NetworkError("command", "ECONNREFUSED"))).toBe(1);
    expect(exitCodeOfError(new TypeError("boom"))).toBe(1);
    expect(exitCodeOfError("a string")).toBe(1);
  });

  it("has no error kind for a safety refusal: a refusal is a result, exit 3", () => {
    expect(ERROR_KINDS).not.toContain("safety");
    expect(Object.values(ERROR_EXIT)).not.toContain(3);
    expect(exitCodeOfStatus("refused")).toBe(3);
  });

  it("a second signal stops with 130", () => {
    expect(INTERRUPTED_EXIT).toBe(130);
  });
});
