/**
 * What an HTTP client reports after each attempt, for metrics. Both clients (SCIM and the Okta
 * request executor) accept a listener of this shape; the type lives here so the two agree.
 */
import type { Side } from "../errors.js";

export interface HttpResponseEvent {
  side: Side;
  method: string;
  /** The HTTP status; 0 when no answer arrived (refused, reset, timed out). */
  status: number;
  /** From sending the request to its response headers (or the failure), in ms. */
  durationMs: number;
}

export type ResponseListener = (event: HttpResponseEvent) => void;

/**
 * Calls the listener, if any, and ignores what it throws: counting a request must never change
 * its outcome.
 */
export function notifyResponse(listener: ResponseListener | undefined, event: HttpResponseEvent): void {
  if (listener === undefined) return;
  try {
    listener(event);
  } catch {
    // see above
  }
}
