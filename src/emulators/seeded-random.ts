/** Seeded randomness for test data: the generator, Okta-style ids, picks and samples. */
const ID_CHARS = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

/** mulberry32: tiny, fast, good enough for test data. Returns floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A 20-character Okta-style id. The last six characters encode the serial, so ids never collide;
 * the rest come from the seed so that two orgs look different.
 */
export function oktaId(prefix: string, seed: number, serial: number): string {
  const rand = mulberry32((seed ^ Math.imul(serial + 1, 0x9e3779b1)) >>> 0);
  let id = prefix;
  for (let i = 0; i < 11; i++) id += ID_CHARS[Math.floor(rand() * 62)];
  let n = serial;
  let tail = "";
  for (let i = 0; i < 6; i++) {
    tail = ID_CHARS[n % 62] + tail;
    n = Math.floor(n / 62);
  }
  return id + tail;
}

/** One of `items`, drawn from `rand`. */
export function pick<T>(rand: () => number, items: readonly T[]): T {
  return items[Math.floor(rand() * items.length)]!;
}

/**
 * A deterministic sample: `amount` items when it is 1 or more, else that fraction of them
 * (rounded, at least one when the fraction is above 0). Order follows `items`.
 */
export function pickSample<T>(items: readonly T[], amount: number, seed: number): T[] {
  const wanted = Math.min(items.length, amount >= 1 ? Math.floor(amount) : amount > 0 ? Math.max(1, Math.round(items.length * amount)) : 0);
  if (wanted === 0) return [];
  const rand = mulberry32((seed ^ 0x68e31da4) >>> 0);
  // Selection sampling (Knuth's algorithm S): one pass, no shuffle of a copy.
  const result: T[] = [];
  for (let i = 0; i < items.length && result.length < wanted; i++) {
    if (rand() * (items.length - i) < wanted - result.length) result.push(items[i]!);
  }
  return result;
}
