/**
 * What `check` says about proxies: which one the requests to each side go through (never its
 * credentials). The fix for a request that failed at the proxy is in src/http/connect-fix.ts.
 */
import { SyncError } from "../errors.js";
import { describeProxy, proxyFor } from "../http/proxy.js";
import type { CheckResult } from "../checklist.js";

const PROXY_VARIABLES = ["https_proxy", "HTTPS_PROXY", "http_proxy", "HTTP_PROXY"];

function anyProxySet(env: Record<string, string | undefined>): boolean {
  return PROXY_VARIABLES.some((name) => (env[name]?.trim() ?? "") !== "");
}

/**
 * One line for a side: the proxy its requests go through, or that NO_PROXY sends them direct.
 * Nothing when no proxy variable is set, so that a plain setup reads as before.
 */
export function proxyCheck(side: "okta" | "command", url: string, env: Record<string, string | undefined> = process.env): CheckResult[] {
  if (!anyProxySet(env)) return [];
  const base = { id: `${side}.proxy`, side, name: "proxy" } as const;
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    return [];
  }
  try {
    const route = proxyFor(target, env);
    if (route === undefined) {
      // https URLs use HTTPS_PROXY or HTTP_PROXY; http URLs only HTTP_PROXY.
      const candidates = target.protocol === "https:" ? PROXY_VARIABLES : PROXY_VARIABLES.slice(2);
      const why = candidates.some((n) => (env[n]?.trim() ?? "") !== "") ? "NO_PROXY lists it" : "HTTP_PROXY is not set, and only it applies to http:// URLs";
      return [{ ...base, status: "pass", detail: `direct connection to ${target.host} (${why})` }];
    }
    const how = target.protocol === "https:" ? "tunnelled with CONNECT" : "forwarded";
    const credentials = route.authorization === undefined ? "" : ", with credentials";
    return [{ ...base, status: "pass", detail: `requests to ${target.host} go through ${describeProxy(route)}, ${how}${credentials}` }];
  } catch (error) {
    const failure = error instanceof SyncError ? error : new SyncError("config", String(error));
    return [{ ...base, status: "fail", detail: failure.message, ...(failure.hint === undefined ? {} : { fix: failure.hint }) }];
  }
}
