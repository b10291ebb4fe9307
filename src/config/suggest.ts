/** "Did you mean" for misspelt keys and values. Pure. */

/** Case, `_` and `-` are ignored so that `org_url` and `ORGURL` still find `orgUrl`. */
function fold(word: string): string {
  return word.toLowerCase().replace(/[-_]/g, "");
}

/** Optimal string alignment distance: insertions, deletions, substitutions and swaps of neighbours. */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}

/** The candidate closest to `word`, when it is close enough to be a likely typo. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  const folded = fold(word);
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    const distance = editDistance(folded, fold(candidate));
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  // Short words get one edit, longer ones up to a third of their length.
  const allowed = Math.max(1, Math.floor(folded.length / 3));
  return bestDistance <= allowed ? best : undefined;
}

/**
 * The value meant by a wrong one: a candidate it shortens or spells out (`au` -> `aus`,
 * `europe` -> `eu`), else a likely typo. Two letters are too few to call anything a typo of
 * another two-letter word, so short words only get the first kind.
 */
export function suggestValue(word: string, candidates: readonly string[]): string | undefined {
  const folded = fold(word);
  if (folded === "") return undefined;
  const related = candidates.filter((candidate) => {
    const c = fold(candidate);
    return c !== folded && (c.startsWith(folded) || folded.startsWith(c));
  });
  // The longest: `australia` spells out `aus`, and `au` also starts `aus`.
  if (related.length > 0) return related.sort((a, b) => b.length - a.length)[0];
  return folded.length >= 3 ? closest(word, candidates) : undefined;
}
