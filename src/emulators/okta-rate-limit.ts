/**
 * Okta's rate limits as the emulator applies them: a budget per bucket of endpoints and fixed
 * one-minute window, reported in `X-Rate-Limit-*` headers on every answer; over budget is a 429.
 */

export type RateLimitBucket = "apps" | "groups" | "group" | "users" | "user" | "logs" | "oauth" | "other";

/** Per-minute budgets, from Okta's last published table. */
export const DEFAULT_RATE_LIMITS: Readonly<Record<RateLimitBucket, number>> = {
  apps: 100,
  groups: 500,
  group: 1000,
  users: 600,
  user: 2000,
  logs: 120,
  oauth: 600,
  other: 1200,
};

const WINDOW_MS = 60_000;
/** The budget reported when rate limits are off. */
const UNLIMITED = 1_000_000;

export function bucketOf(pathname: string): RateLimitBucket {
  if (pathname === "/oauth2/v1/token") return "oauth";
  if (pathname === "/api/v1/apps" || pathname.startsWith("/api/v1/apps/")) return "apps";
  if (pathname === "/api/v1/groups" || /^\/api\/v1\/groups\/[^/]+\/users\/?$/.test(pathname)) return "groups";
  if (/^\/api\/v1\/groups\/[^/]+\/?$/.test(pathname)) return "group";
  if (pathname === "/api/v1/users") return "users";
  if (/^\/api\/v1\/users\/[^/]+\/?$/.test(pathname)) return "user";
  if (pathname === "/api/v1/logs" || pathname === "/api/v1/logs/") return "logs";
  return "other";
}

export interface BudgetDecision {
  allowed: boolean;
  headers: Record<string, string>;
}

export class OktaRateLimiter {
  private readonly budgets: Record<RateLimitBucket, number> | false;
  private readonly windows = new Map<RateLimitBucket, { start: number; used: number }>();

  /** `false`: nothing is refused (headers report a huge budget); otherwise budgets over the defaults. */
  constructor(
    limits: false | Partial<Record<RateLimitBucket, number>> | undefined,
    private readonly now: () => number,
  ) {
    this.budgets = limits === false ? false : { ...DEFAULT_RATE_LIMITS, ...(limits ?? {}) };
  }

  /** Spends one request of the bucket's window, which starts afresh a minute after it began. */
  take(bucket: RateLimitBucket): BudgetDecision {
    const at = this.now();
    let window = this.windows.get(bucket);
    if (!window || at >= window.start + WINDOW_MS) {
      window = { start: at, used: 0 };
      this.windows.set(bucket, window);
    }
    window.used++;
    const limit = this.budgets === false ? UNLIMITED : this.budgets[bucket];
    return {
      allowed: window.used <= limit,
      headers: {
        "X-Rate-Limit-Limit": String(limit),
        "X-Rate-Limit-Remaining": String(Math.max(0, limit - window.used)),
        "X-Rate-Limit-Reset": String(Math.ceil((window.start + WINDOW_MS) / 1000)),
      },
    };
  }

  reset(): void {
    this.windows.clear();
  }
}
