/** How the "realistic" distribution spreads users over groups: a few large groups, a long tail of small ones. */
import { mulberry32 } from "./seeded-random.js";

/** Exponent of the popularity curve of non-department groups: the n-th most popular has ~n^-0.75 of the top one's members. */
const ZIPF_EXPONENT = 0.75;

/**
 * The group picker of the "realistic" distribution: each user is in their department's group and
 * `1 + Poisson(mean - 1)` groups in all; the others are drawn by a Zipf-like popularity over the
 * non-department groups (in a shuffled order, so the popular teams are not the first ones).
 * Draws from a random stream of its own.
 */
export function realisticMembership(seed: number, groupCount: number, departmentCount: number, mean: number) {
  const rand = mulberry32((seed ^ 0x2545f491) >>> 0);
  const pool: number[] = [];
  for (let g = groupCount > departmentCount ? departmentCount : 0; g < groupCount; g++) pool.push(g);
  for (let i = pool.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [pool[i], pool[j]] = [pool[j]!, pool[i]!];
  }
  const cdf = new Float64Array(pool.length);
  let total = 0;
  for (let r = 0; r < pool.length; r++) {
    total += (r + 1) ** -ZIPF_EXPONENT;
    cdf[r] = total;
  }
  const popular = () => {
    const x = rand() * total;
    let lo = 0;
    let hi = pool.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cdf[mid]! < x) lo = mid + 1;
      else hi = mid;
    }
    return pool[lo]!;
  };
  const poissonLimit = Math.exp(-Math.max(0, mean - 1));
  const count = () => {
    if (mean < 1) return rand() < mean ? 1 : 0;
    let k = 0;
    for (let p = rand(); p > poissonLimit; p *= rand()) k++;
    return 1 + k;
  };
  return (departmentIndex: number): number[] => {
    if (groupCount === 0) return [];
    const wanted = Math.min(count(), groupCount);
    const chosen: number[] = [];
    if (wanted > 0 && departmentIndex < groupCount) chosen.push(departmentIndex);
    for (let tries = 0; chosen.length < wanted && tries < wanted * 4; tries++) {
      const g = popular();
      if (!chosen.includes(g)) chosen.push(g);
    }
    return chosen;
  };
}
