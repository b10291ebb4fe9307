/** The Okta emulator's counters: requests by bucket and by templated endpoint, and concurrency. */
import type { RateLimitBucket } from "./okta-rate-limit.js";

export interface OktaEmulatorStats {
  requests: number;
  /** 429s sent, by the rate limiter or injected. */
  rateLimited: number;
  byBucket: Record<RateLimitBucket, number>;
  /**
   * Requests by method and templated path, whatever their answer, e.g.
   * "GET /api/v1/apps/{appId}/users", "GET /api/v1/groups/{groupId}/users", "GET /api/v1/logs",
   * "POST /oauth2/v1/token". Paths outside the known resources are counted as received.
   */
  byEndpoint: Record<string, number>;
  inFlight: number;
  maxInFlight: number;
}

const emptyBuckets = (): Record<RateLimitBucket, number> => ({ apps: 0, groups: 0, group: 0, users: 0, user: 0, logs: 0, oauth: 0, other: 0 });

export function emptyStats(): OktaEmulatorStats {
  return { requests: 0, rateLimited: 0, byBucket: emptyBuckets(), byEndpoint: {}, inFlight: 0, maxInFlight: 0 };
}

/** Zeroes the counters; requests in flight stay counted. */
export function resetStats(stats: OktaEmulatorStats): void {
  stats.requests = 0;
  stats.rateLimited = 0;
  stats.byBucket = emptyBuckets();
  stats.byEndpoint = {};
  stats.maxInFlight = stats.inFlight;
}

export function countRequest(stats: OktaEmulatorStats, method: string, pathname: string, bucket: RateLimitBucket): void {
  stats.requests++;
  stats.byBucket[bucket]++;
  const endpoint = endpointOf(method, pathname);
  stats.byEndpoint[endpoint] = (stats.byEndpoint[endpoint] ?? 0) + 1;
}

const TEMPLATE_IDS: Record<string, string> = { apps: "{appId}", groups: "{groupId}", users: "{userId}" };

/** "GET /api/v1/apps/{appId}/users": the method and the path with its ids templated. */
export function endpointOf(method: string, pathname: string): string {
  const parts = pathname.replace(/\/+$/, "").split("/");
  if (parts[1] === "api" && parts[2] === "v1" && parts.length <= 7) {
    const [, , , collection = "", id, sub, subId] = parts;
    const idName = TEMPLATE_IDS[collection];
    if (idName !== undefined || (collection === "logs" && id === undefined)) {
      let template = `/api/v1/${collection}`;
      if (id !== undefined) template += `/${idName}`;
      if (sub !== undefined) template += `/${sub}`;
      if (subId !== undefined) template += `/${TEMPLATE_IDS[sub ?? ""] ?? "{id}"}`;
      return `${method} ${template}`;
    }
  }
  return `${method} ${pathname}`;
}
