/** SCIM list paging (RFC 7644 3.4.2.4) that survives servers which page badly. */
import { ProtocolError } from "../errors.js";

export interface Page {
  resources: unknown[];
  /** `totalResults`, when the server sent one. */
  total: number | undefined;
}

/**
 * Yields every resource once, fetching pages by startIndex/count. The next page starts after the
 * resources actually received (servers may cap `count`); the end is `totalResults`, or without
 * it an empty or short page. A page of nothing new means the server ignores startIndex: that is
 * an error when resources are still missing, rather than a loop or a silently partial list.
 */
export async function* paginate<T extends { id: string }>(
  fetchPage: (startIndex: number, count: number) => Promise<Page>,
  read: (json: unknown) => T,
  options: { pageSize: number; what: string },
): AsyncGenerator<T> {
  const pageSize = Math.max(1, options.pageSize);
  const seen = new Set<string>();
  let startIndex = 1;
  for (;;) {
    const { resources, total } = await fetchPage(startIndex, pageSize);
    let fresh = 0;
    for (const resource of resources) {
      const item = read(resource);
      if (seen.has(item.id)) continue;
      seen.add(item.id);
      fresh++;
      yield item;
    }
    if (resources.length === 0) return;
    const reachedTotal = total !== undefined && startIndex - 1 + resources.length >= total;
    if (reachedTotal || (total === undefined && resources.length < pageSize)) return;
    if (fresh === 0) {
      if (total === undefined) return;
      throw new ProtocolError(
        `Command answered ${options.what} with startIndex=${startIndex} by repeating earlier results: it does not page (totalResults ${total}, read ${seen.size})`,
      );
    }
    startIndex += resources.length;
  }
}
