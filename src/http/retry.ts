/**
 * The retry loop both clients run their attempts in: the policy decides, this waits and tells.
 */
import type { Side } from "../errors.js";
import { formatDuration } from "../duration.js";
import { type Clock, sideName, type WaitListener } from "./clock.js";
import { describeFloor, type Failure, failureCause, nextStep, type RetryConfig, type RetryStep } from "./retry-policy.js";

/** One attempt's outcome: a value, or an error with what the policy needs to know about it. */
export type AttemptResult<T> = { ok: true; value: T } | { ok: false; error: Error; failure: Failure };

export interface RetryLoopOptions {
  config: RetryConfig;
  clock: Clock;
  side: Side;
  /** `GET /api/v1/apps/0oa1/users`, for wait messages. */
  what: string;
  cooldownAfter429Ms?: number;
  onWait?: WaitListener | undefined;
  /** Aborts a wait between attempts (the run is stopping); an attempt in flight is left to finish. */
  signal?: AbortSignal | undefined;
  /** Called before each wait, say to hold every other request during a 429 cooldown. */
  beforeWait?: (step: Extract<RetryStep, { retry: true }>, failure: Failure) => void;
}

const notes = new WeakMap<Error, string>();

/** Appends why retrying stopped to an error's message, and remembers it for errors built from this one. */
export function addRetryNote(error: Error, note: string): void {
  notes.set(error, note);
  Object.defineProperty(error, "message", { value: `${error.message} (${note})`, writable: true, configurable: true, enumerable: false });
}

export function retryNoteOf(error: unknown): string | undefined {
  return error instanceof Error ? notes.get(error) : undefined;
}

/**
 * Runs `attempt` until it succeeds, fails in a way not worth retrying, or the budget is spent.
 * The last attempt's error is thrown, with a note saying why retrying stopped. An exception
 * thrown by `attempt` itself is not retried.
 */
export async function withRetries<T>(attempt: (n: number) => Promise<AttemptResult<T>>, options: RetryLoopOptions): Promise<T> {
  const { clock, config } = options;
  const started = clock.now();
  for (let n = 1; ; n++) {
    const result = await attempt(n);
    if (result.ok) return result.value;
    const step = nextStep(
      result.failure,
      {
        attempts: n,
        elapsedMs: clock.now() - started,
        random: clock.random,
        cooldownAfter429Ms: options.cooldownAfter429Ms ?? 0,
        server: sideName(options.side),
      },
      config,
    );
    if (!step.retry) {
      if (step.note !== undefined) addRetryNote(result.error, step.note);
      throw result.error;
    }
    options.beforeWait?.(step, result.failure);
    if (options.onWait) {
      const cause = failureCause(result.failure);
      const floor = describeFloor(step);
      const why = floor === undefined ? "" : ` as asked (${floor})`;
      options.onWait({
        side: options.side,
        reason: "retry",
        ms: step.delayMs,
        attempt: n,
        cause,
        message: `${sideName(options.side)}: ${options.what} failed (${cause}); retrying in ${formatDuration(step.delayMs, { round: "up" })}${why}, attempt ${n + 1} of ${config.maxAttempts}`,
      });
    }
    try {
      await clock.sleep(step.delayMs, options.signal);
    } catch {
      addRetryNote(result.error, `stopped while waiting to retry after ${n} ${n === 1 ? "attempt" : "attempts"}`);
      throw result.error;
    }
  }
}
