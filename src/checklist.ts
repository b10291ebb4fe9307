/**
 * What `check` reports, as plain data: one result per check, grouped by side. The probes of each
 * side (src/okta/probe.ts, src/scim/probe.ts) and the use case (src/engine/check.ts) build them.
 */
import { SyncError } from "./errors.js";

export type CheckSide = "config" | "okta" | "command" | "snapshot";
/** `warn`: works, but something deserves a look (it does not fail the check run). */
export type CheckStatus = "pass" | "warn" | "fail" | "skip";

export interface CheckResult {
  /** Stable identifier, e.g. `okta.app` or `okta.group:Engineering`. */
  id: string;
  side: CheckSide;
  name: string;
  status: CheckStatus;
  /** What was found; for a skip, why the check did not run. Never a secret. */
  detail: string;
  /** What to do about a failure. */
  fix?: string;
}

export interface Planned {
  id: string;
  name: string;
}

/** The checks of one side in display order; those never decided are skipped with one reason. */
export class Checklist {
  private readonly outcomes = new Map<string, CheckResult>();

  constructor(
    private readonly side: CheckSide,
    private readonly planned: readonly Planned[],
  ) {}

  private set(id: string, status: CheckStatus, detail: string, fix?: string): void {
    const entry = this.planned.find((p) => p.id === id);
    if (entry === undefined) throw new SyncError("internal", `check ${id} is not planned`);
    this.outcomes.set(id, { id, side: this.side, name: entry.name, status, detail, ...(fix === undefined ? {} : { fix }) });
  }

  pass(id: string, detail: string): void {
    this.set(id, "pass", detail);
  }

  fail(id: string, detail: string, fix?: string): void {
    this.set(id, "fail", detail, fix);
  }

  warn(id: string, detail: string, fix?: string): void {
    this.set(id, "warn", detail, fix);
  }

  skip(id: string, reason: string): void {
    this.set(id, "skip", reason);
  }

  isDecided(id: string): boolean {
    return this.outcomes.has(id);
  }

  results(reason: string): CheckResult[] {
    return this.planned.map((p) => this.outcomes.get(p.id) ?? { id: p.id, side: this.side, name: p.name, status: "skip", detail: reason });
  }
}
