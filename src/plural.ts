/** Counts as people write them: "1 operation", "2 operations", "0 groups". */
export function count(n: number, singular: string, plural = `${singular}s`): string {
  return `${n} ${n === 1 ? singular : plural}`;
}
