/** Injected failures: matching requests get a chosen status, a delay, or a dropped connection. */

export interface FaultMatch {
  /** HTTP method, any case; any method when absent. */
  method?: string;
  /**
   * A prefix of the path relative to the SCIM base (`/Users`) or of the full path (`/scim/Users`),
   * compared case-insensitively; any path when absent.
   */
  pathPrefix?: string;
  /** A piece of the decoded query string (`filter=userName eq "a\\"b"`), case-sensitive; any query when absent. */
  queryIncludes?: string;
}

export interface FaultSpec {
  match?: FaultMatch;
  /** The first matching request (1-based, counted from injection) that fails. Default 1. */
  nth?: number;
  /** How many matching requests fail from the nth on. Default 1; `Infinity` for all. */
  times?: number;
  /** The status to answer with. Default 500 unless the fault only delays or resets. */
  status?: number;
  /** The raw response body; default a SCIM error for `status`. */
  body?: string;
  headers?: Record<string, string>;
  /** Destroy the socket without answering. */
  resetConnection?: boolean;
  /** Wait this long first; alone, it only slows the request down. */
  delayMs?: number;
  /**
   * Process the request (the change is made) and then fail the response: the case of a write
   * that succeeded but whose answer was lost.
   */
  afterApply?: boolean;
  /**
   * Process the request and answer with its real status, but with this body instead of the real
   * one (e.g. a 201 carrying another user's record); with `status`, that status too.
   */
  rewrite?: (body: unknown) => unknown;
  /**
   * Send the status (default 200) and headers and this start of a body, then nothing more: the
   * connection stays open until the client gives up (or the emulator closes).
   */
  stall?: string;
}

export interface FaultHandle {
  /** Matching requests seen since injection. */
  readonly seen: number;
  /** Requests this fault failed (or delayed). */
  readonly fired: number;
  remove(): void;
}

interface ActiveFault {
  spec: FaultSpec;
  seen: number;
  fired: number;
}

export class FaultInjector {
  private faults: ActiveFault[] = [];

  add(spec: FaultSpec): FaultHandle {
    const fault: ActiveFault = { spec, seen: 0, fired: 0 };
    this.faults.push(fault);
    return {
      get seen() {
        return fault.seen;
      },
      get fired() {
        return fault.fired;
      },
      remove: () => {
        this.faults = this.faults.filter((f) => f !== fault);
      },
    };
  }

  clear(): void {
    this.faults = [];
  }

  /** Counts the request against every matching fault; returns the first that fires. */
  pick(method: string, paths: readonly string[], query = ""): FaultSpec | undefined {
    const lowered = paths.map((p) => p.toLowerCase());
    let chosen: FaultSpec | undefined;
    for (const fault of this.faults) {
      const { match = {}, nth = 1, times = 1 } = fault.spec;
      if (match.method !== undefined && match.method.toUpperCase() !== method.toUpperCase()) continue;
      const prefix = match.pathPrefix?.toLowerCase();
      if (prefix !== undefined && !lowered.some((p) => p.startsWith(prefix))) continue;
      if (match.queryIncludes !== undefined && !query.includes(match.queryIncludes)) continue;
      fault.seen++;
      if (chosen === undefined && fault.seen >= nth && fault.fired < times) {
        fault.fired++;
        chosen = fault.spec;
      }
    }
    return chosen;
  }
}
