/**
 * What to do when a request never got an answer: a proxy's own failure and a TLS failure have
 * their own fixes; any other failure to connect gets the side's (its URL, DNS, firewalls).
 */
import { PROXY_FAILURE_CODE, proxyFailureIn } from "./proxy-dispatcher.js";

const TLS_FIX =
  "the TLS handshake failed: a proxy that inspects TLS needs its CA certificate in NODE_EXTRA_CA_CERTS; otherwise check the system clock and the URL's host name";

function hasCode(error: unknown, code: string): boolean {
  for (let e: unknown = error, depth = 0; typeof e === "object" && e !== null && depth < 6; e = (e as { cause?: unknown }).cause, depth++) {
    if ((e as { code?: unknown }).code === code) return true;
  }
  return false;
}

/** The fix for a request that failed at the proxy; undefined when the proxy is not to blame. */
export function proxyFix(error: unknown): string | undefined {
  const failure = proxyFailureIn(error);
  if (failure !== undefined) return failure.fix;
  if (hasCode(error, PROXY_FAILURE_CODE)) {
    return "the proxy failed, not the server behind it: check the proxy variable named above (HTTPS_PROXY or HTTP_PROXY), what the proxy may connect to, or list the host in NO_PROXY";
  }
  return undefined;
}

/** The fix for a failure to connect: the proxy's, TLS's, or else `fix` (the side's own). */
export function unreachableFix(error: Error, fix: string): string {
  const viaProxy = proxyFix(error);
  if (viaProxy !== undefined) return viaProxy;
  return /CERT_|_CERT|ERR_TLS|ERR_SSL|certificate/i.test(error.message) ? TLS_FIX : fix;
}
