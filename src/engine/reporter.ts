/**
 * How the core reports progress and warnings without writing to stdout/stderr itself: the CLI
 * supplies an implementation (spinner on a TTY, log lines otherwise, nothing in tests).
 */
export interface Reporter {
  /** A long step begins (e.g. "Reading users assigned to the app in Okta"). */
  step(text: string): void;
  /** Progress inside the current step. */
  progress(text: string): void;
  /** The current step ended. */
  stepDone(text?: string): void;
  /** The current step failed (the error is reported by the caller). */
  stepFailed(text?: string): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  debug(message: string, fields?: Record<string, unknown>): void;
}

export const silentReporter: Reporter = {
  step() {},
  progress() {},
  stepDone() {},
  stepFailed() {},
  info() {},
  warn() {},
  debug() {},
};

/** A rate-limit or retry wait: shown as progress, and logged with --verbose. */
export function reportWait(reporter: Reporter): (event: { message: string }) => void {
  return (event) => {
    reporter.progress(event.message);
    reporter.debug(event.message);
  };
}
