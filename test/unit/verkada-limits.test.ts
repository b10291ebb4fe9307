import { describe, expect, it } from "vitest";
import { VerkadaLimiter } from "../../src/emulators/verkada-rate-limit.js";

function limiter(rules: ConstructorParameters<typeof VerkadaLimiter>[0]) {
  let t = 0;
  const limits = new VerkadaLimiter(rules, () => t);
  return {
    take: () => limits.take().ok,
    advance: (ms: number) => {
      t += ms;
    },
  };
}

describe("the Command emulator's rate limits", () => {
  it("300 a minute: the 301st in a minute is refused, and then every request for 5 s", () => {
    const l = limiter({ requestsPerMinute: 300 });
    for (let i = 0; i < 300; i++) expect(l.take()).toBe(true);
    expect(l.take()).toBe(false);
    l.advance(60_001);
    // The window has room again, but the cooldown still holds.
    l.advance(-56_000);
    expect(l.take()).toBe(false);
  });

  it("after the cooldown, more than 25 requests in the next 5 s earn another 429", () => {
    const l = limiter({ requestsPerMinute: 10_000, requestsPerSecond: 10 });
    for (let i = 0; i < 10; i++) l.take();
    expect(l.take()).toBe(false);
    l.advance(5000);
    // 100 ms apart: within the per-second limit, but not within the probation's 25.
    for (let i = 0; i < 25; i++) {
      expect(l.take()).toBe(true);
      l.advance(100);
    }
    expect(l.take()).toBe(false);
  });

  it("a gateway's 10 a second, burst 10: ten at once, then one per 100 ms", () => {
    const l = limiter({ requestsPerMinute: 10_000, requestsPerSecond: 10 });
    for (let i = 0; i < 10; i++) expect(l.take()).toBe(true);
    expect(l.take()).toBe(false);
  });

  it("a gateway's 10 a second: requests 100 ms apart pass even when one arrives late and the next on time", () => {
    const l = limiter({ requestsPerMinute: 10_000, requestsPerSecond: 10 });
    for (let i = 0; i < 30; i++) {
      // The tenth request is 30 ms late and the one after it on time, 70 ms later: the ten that
      // follow the late one arrive within 970 ms.
      l.advance(i === 10 ? 130 : i === 11 ? 70 : 100);
      expect(l.take()).toBe(true);
    }
  });
});
