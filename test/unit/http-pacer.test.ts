import { describe, expect, it } from "vitest";
import type { Clock, WaitEvent } from "../../src/http/clock.js";
import { CommandPacer, OktaPacer, oktaBucketOf } from "../../src/http/pacer.js";

/** Virtual time: sleeps are timers that `run` fires in order, letting promise callbacks run in between. */
class VirtualClock implements Clock {
  t: number;
  private timers: { at: number; seq: number; resolve: () => void }[] = [];
  private seq = 0;

  constructor(start = 0) {
    this.t = start;
  }

  now = () => this.t;
  random = () => 0.5;
  sleep = (ms: number, signal?: AbortSignal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      this.timers.push({ at: this.t + Math.max(0, ms), seq: this.seq++, resolve });
      signal?.addEventListener("abort", () => reject(signal.reason), { once: true });
    });

  async run(): Promise<void> {
    for (;;) {
      for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
      if (this.timers.length === 0) return;
      this.timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const next = this.timers.shift()!;
      this.t = Math.max(this.t, next.at);
      next.resolve();
    }
  }
}

/** The most requests in any window of `windowMs` (a request at exactly start + window is outside it). */
function maxInWindow(times: readonly number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let best = 0;
  let start = 0;
  for (let end = 0; end < sorted.length; end++) {
    while (sorted[end]! - sorted[start]! >= windowMs) start++;
    best = Math.max(best, end - start + 1);
  }
  return best;
}

describe("CommandPacer", () => {
  it("does nothing with requestsPerMinute 0", async () => {
    const clock = new VirtualClock(5000);
    const pacer = new CommandPacer({ requestsPerMinute: 0, clock });
    for (let i = 0; i < 1000; i++) expect(pacer.reserve(5000)).toBe(5000);
    await pacer.acquire();
    expect(clock.t).toBe(5000);
  });

  it("spaces requests evenly: rpm 60 without burst is one a second, and never more than 60 in 61 s (the window margin)", () => {
    const exact = new CommandPacer({ requestsPerMinute: 60, burst: 1, windowMarginMs: 0, clock: new VirtualClock() });
    expect(Array.from({ length: 5 }, () => exact.reserve(0))).toEqual([0, 1000, 2000, 3000, 4000]);
    // With the margin the spacing stays one a second; the 61st request waits for the 61 s window.
    const margin = new CommandPacer({ requestsPerMinute: 60, burst: 1, clock: new VirtualClock() });
    const slots = Array.from({ length: 62 }, () => margin.reserve(0));
    expect(slots.slice(0, 4)).toEqual([0, 1000, 2000, 3000]);
    expect(slots.slice(58)).toEqual([58_000, 59_000, 61_000, 62_000]);
    expect(maxInWindow(slots, 61_000)).toBe(60);
  });

  it("sends no burst by default, even after a pause: never more than the per-second rate in any second", () => {
    const pacer = new CommandPacer({ requestsPerMinute: 600, windowMarginMs: 0, clock: new VirtualClock() });
    const slots = Array.from({ length: 14 }, () => pacer.reserve(0));
    expect(slots).toEqual([0, 100, 200, 300, 400, 500, 600, 700, 800, 900, 1000, 1100, 1200, 1300]);
    expect(maxInWindow(slots, 1000)).toBe(10);
    const after = Array.from({ length: 12 }, () => pacer.reserve(10_000));
    expect(after[1]! - after[0]!).toBe(100);
    expect(maxInWindow(after, 1000)).toBe(10);
  });

  it("a timer that fires late delays that request only: the rest keep to the schedule, and no second holds more than the rate", async () => {
    // Every other sleep ends 7 ms late, as on a busy machine; requests are released through acquire().
    const clock = new VirtualClock();
    let wakes = 0;
    const late: Clock = { now: clock.now, random: clock.random, sleep: (ms, signal) => clock.sleep(ms + (wakes++ % 2 === 0 ? 7 : 0), signal) };
    const pacer = new CommandPacer({ requestsPerMinute: 3000, windowMarginMs: 0, clock: late });
    const released: number[] = [];
    const callers = Array.from({ length: 500 }, () => pacer.acquire().then(() => released.push(clock.now())));
    await clock.run();
    await Promise.all(callers);
    // 500 requests at 20 ms are 9.98 s of schedule; a late wake-up is not carried over to the next.
    expect(released.at(-1)!).toBeLessThanOrEqual(499 * 20 + 7 + 1);
    expect(maxInWindow(released, 1000)).toBeLessThanOrEqual(50);
  });

  it("an explicit burst lets that many go at once after a pause, then spaces the rest", () => {
    const pacer = new CommandPacer({ requestsPerMinute: 600, burst: 10, windowMarginMs: 0, clock: new VirtualClock() });
    const slots = Array.from({ length: 14 }, () => pacer.reserve(0));
    expect(slots).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 100, 200, 300, 400]);
    expect(pacer.reserve(10_000)).toBe(10_000);
  });

  it.each([
    [300, 5],
    [600, 10],
    [60, 1],
    [7, 1],
  ])("never sends more than rpm %d in any 60 s, even right after a burst of %d", (rpm, burst) => {
    const pacer = new CommandPacer({ requestsPerMinute: rpm, burst, clock: new VirtualClock() });
    const slots = Array.from({ length: rpm * 5 }, () => pacer.reserve(0));
    expect(slots.slice(0, burst).every((t) => t === 0)).toBe(true);
    expect(maxInWindow(slots, 60_000)).toBeLessThanOrEqual(rpm);
    // Long-run rate: rpm per 61 s (the 1 s margin), so within 2% of rpm per minute.
    const span = slots.at(-1)! - slots[rpm]!;
    const perMinute = ((slots.length - rpm - 1) / span) * 60_000;
    expect(perMinute).toBeLessThanOrEqual(rpm);
    expect(perMinute).toBeGreaterThan(rpm * 0.98);
  });

  it("serves concurrent callers in arrival order, sharing one budget", async () => {
    const clock = new VirtualClock();
    const pacer = new CommandPacer({ requestsPerMinute: 120, burst: 2, windowMarginMs: 0, clock });
    const sent: Array<[number, number]> = [];
    const all = Promise.all(Array.from({ length: 6 }, (_, i) => pacer.acquire().then(() => sent.push([i, clock.t]))));
    await clock.run();
    await all;
    expect(sent).toEqual([
      [0, 0],
      [1, 0],
      [2, 500],
      [3, 1000],
      [4, 1500],
      [5, 2000],
    ]);
  });

  it("holds every request until a 429 cooldown is over, and says why", async () => {
    const clock = new VirtualClock(1000);
    const events: WaitEvent[] = [];
    const pacer = new CommandPacer({ requestsPerMinute: 0, clock, onWait: (e) => events.push(e) });
    pacer.holdUntil(6000);
    const sent: number[] = [];
    const all = Promise.all([pacer.acquire(), pacer.acquire()].map((p) => p.then(() => sent.push(clock.t))));
    await clock.run();
    await all;
    // The cooldown, then a slow restart: 20 requests in the 5 s after it, 250 ms apart.
    expect(sent).toEqual([6000, 6250]);
    expect(events[0]).toMatchObject({ side: "command", reason: "rate-limit", ms: 5000, message: "waiting 5s for Command's rate limit (cooldown after a 429)" });
  });

  it("after a cooldown restarts slowly: at most 20 requests in the 5 s that follow, then the configured pace", () => {
    const pacer = new CommandPacer({ requestsPerMinute: 600, windowMarginMs: 0, clock: new VirtualClock() });
    pacer.holdUntil(5000);
    const slots = Array.from({ length: 40 }, () => pacer.reserve(0));
    expect(slots[0]).toBe(5000);
    expect(slots.filter((t) => t < 10_000)).toHaveLength(20);
    const tail = slots.filter((t) => t >= 10_000);
    expect(tail[1]! - tail[0]!).toBe(100);
  });

  it("a request whose slot came before a 429 was known waits out the cooldown too", async () => {
    const clock = new VirtualClock(0);
    const pacer = new CommandPacer({ requestsPerMinute: 60, windowMarginMs: 0, clock });
    const sent: number[] = [];
    await pacer.acquire();
    const waiting = pacer.acquire().then(() => sent.push(clock.t));
    // The request sent at 0 got a 429 while the second one slept toward its slot at 1000.
    pacer.holdUntil(5000);
    await clock.run();
    await waiting;
    expect(sent[0]).toBeGreaterThanOrEqual(5000);
  });

  it("reports waits of a second or more, not routine spacing", async () => {
    const clock = new VirtualClock();
    const events: WaitEvent[] = [];
    const fast = new CommandPacer({ requestsPerMinute: 600, burst: 1, clock, onWait: (e) => events.push(e) });
    const slow = new CommandPacer({ requestsPerMinute: 30, burst: 1, windowMarginMs: 0, clock, onWait: (e) => events.push(e) });
    const all = Promise.all([fast.acquire(), fast.acquire(), slow.acquire(), slow.acquire()]);
    await clock.run();
    await all;
    expect(events).toEqual([{ side: "command", reason: "pacing", ms: 2000, message: "waiting 2s to stay under command.requestsPerMinute (30)" }]);
  });

  it("rejects a negative or fractional rate", () => {
    expect(() => new CommandPacer({ requestsPerMinute: -1, clock: new VirtualClock() })).toThrow(RangeError);
    expect(() => new CommandPacer({ requestsPerMinute: 1.5, clock: new VirtualClock() })).toThrow(RangeError);
  });
});

describe("Okta buckets", () => {
  it.each([
    ["https://acme.okta.com/api/v1/apps/0oa1/users?limit=500&expand=user", "apps"],
    ["https://acme.okta.com/api/v1/apps/0oa1/groups", "apps"],
    ["https://acme.okta.com/api/v1/apps", "apps"],
    ["https://acme.okta.com/api/v1/groups?search=x", "groups"],
    ["https://acme.okta.com/api/v1/groups/00g1/users?limit=1000", "groups"],
    ["https://acme.okta.com/api/v1/groups/00g1", "group"],
    ["https://acme.okta.com/api/v1/users?filter=x", "users"],
    ["https://acme.okta.com/api/v1/users/00u1", "user"],
    ["https://acme.okta.com/api/v1/logs?since=x", "logs"],
    ["https://acme.okta.com/oauth2/v1/token", "oauth"],
    ["https://acme.okta.com/somewhere", "other"],
  ])("%s -> %s", (url, bucket) => {
    expect(oktaBucketOf(url)).toBe(bucket);
  });
});

describe("OktaPacer", () => {
  const START = Date.UTC(2026, 2, 1, 9, 0, 0);
  const APPS = "http://okta.test/api/v1/apps/0oa1/users";

  /** What an Okta response in a window that started at `windowStart` says, answered at `at`. */
  function headers(limit: number, remaining: number, windowStart: number, at: number): Record<string, string> {
    return {
      "x-rate-limit-limit": String(limit),
      "x-rate-limit-remaining": String(remaining),
      "x-rate-limit-reset": String(Math.ceil((windowStart + 60_000) / 1000)),
      date: new Date(at).toUTCString(),
    };
  }

  it("lets the first request go before anything is known", async () => {
    const clock = new VirtualClock(START);
    const pacer = new OktaPacer({ maxRateShare: 0.5, clock });
    const permit = await pacer.acquire(APPS);
    permit.done(undefined);
    expect(pacer.state("apps")).toEqual({ limit: undefined, remaining: undefined, ours: 0, allowance: undefined });
  });

  it("keeps to its share of the bucket: limit 20 at 0.5 is 10 per window, then waits for the reset", async () => {
    const clock = new VirtualClock(START);
    const events: WaitEvent[] = [];
    const pacer = new OktaPacer({ maxRateShare: 0.5, clock, onWait: (e) => events.push(e) });
    const sent: number[] = [];
    let windowStart = START;
    let used = 0;
    const run = (async () => {
      for (let i = 0; i < 25; i++) {
        const permit = await pacer.acquire(APPS);
        const at = clock.t;
        if (at >= windowStart + 60_000) {
          windowStart = at;
          used = 0;
        }
        used++;
        sent.push(at);
        clock.t += 100;
        permit.done(headers(20, 20 - used, windowStart, clock.t));
      }
    })();
    await clock.run();
    await run;
    expect(sent.filter((t) => t < START + 60_000)).toHaveLength(10);
    expect(maxInWindow(sent, 60_000)).toBe(10);
    // The 11th waits for the reset (60 s after the window opened) plus the margin, never less.
    expect(sent[10]).toBe(START + 61_000);
    expect(events[0]).toMatchObject({ side: "okta", reason: "rate-limit", bucket: "apps" });
    expect(events[0]!.message).toBe("waiting 1m for Okta's rate limit (apps bucket): this run's share is used: 10 of 20 (okta.maxRateShare 0.5)");
    expect(pacer.state("apps")).toMatchObject({ limit: 20, allowance: 10 });
  });

  it("waits for the reset when Okta says the bucket is used up, whoever used it", async () => {
    const clock = new VirtualClock(START);
    const events: WaitEvent[] = [];
    const pacer = new OktaPacer({ maxRateShare: 0.5, clock, onWait: (e) => events.push(e) });
    (await pacer.acquire(APPS)).done(headers(100, 0, START - 30_000, START));
    const waited = pacer.acquire(APPS).then(() => clock.t);
    await clock.run();
    expect(await waited).toBe(START + 31_000);
    expect(events[0]!.message).toContain("the bucket is used up");
  });

  it("measures the reset from Okta's Date, not from a local clock that is off", async () => {
    // The local clock is 5 minutes ahead of Okta's.
    const skew = 5 * 60_000;
    const clock = new VirtualClock(START + skew);
    const pacer = new OktaPacer({ maxRateShare: 1, clock });
    (await pacer.acquire(APPS)).done(headers(1, 0, START - 20_000, START));
    const waited = pacer.acquire(APPS).then(() => clock.t);
    await clock.run();
    expect((await waited) - (START + skew)).toBe(41_000);
  });

  it("counts requests in flight, so concurrent callers cannot overshoot the share", async () => {
    const clock = new VirtualClock(START);
    const pacer = new OktaPacer({ maxRateShare: 0.5, clock });
    (await pacer.acquire(APPS)).done(headers(8, 7, START, START));
    // Allowance 4, one used: three may go at once, the fourth waits.
    const permits = await Promise.all([pacer.acquire(APPS), pacer.acquire(APPS), pacer.acquire(APPS)]);
    let fourth = false;
    const waiting = pacer.acquire(APPS).then((permit) => {
      fourth = true;
      return permit;
    });
    for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
    expect(fourth).toBe(false);
    for (const [i, permit] of permits.entries()) permit.done(headers(8, 6 - i, START, START));
    await clock.run();
    await waiting;
    expect(clock.t).toBe(START + 61_000);
  });

  it("keeps buckets apart, and allows at least one request per window", async () => {
    const clock = new VirtualClock(START);
    const pacer = new OktaPacer({ maxRateShare: 0.1, clock });
    (await pacer.acquire(APPS)).done(headers(5, 4, START, START));
    // Allowance max(1, floor(0.5)) = 1: the apps bucket waits, the groups bucket does not.
    const groups = await pacer.acquire("http://okta.test/api/v1/groups/00g1/users");
    expect(clock.t).toBe(START);
    groups.done(headers(500, 499, START, START));
    expect(pacer.state("apps").allowance).toBe(1);
    expect(pacer.state("groups")).toMatchObject({ limit: 500, ours: 1, allowance: 50 });
  });

  it("refuses a share outside (0, 1]", () => {
    expect(() => new OktaPacer({ maxRateShare: 0, clock: new VirtualClock() })).toThrow(RangeError);
    expect(() => new OktaPacer({ maxRateShare: 1.2, clock: new VirtualClock() })).toThrow(RangeError);
  });
});
