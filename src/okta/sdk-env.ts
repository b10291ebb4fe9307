/**
 * Imported before the Okta SDK, by every module that imports it. The SDK parses each response's
 * Link header with parse-link-header, which gives up (and the SDK then throws "Cannot read
 * properties of null") on a header over PARSE_LINK_HEADER_MAXLEN characters, 2,000 by default,
 * read once when it loads. Okta repeats the query of a list in its self and next links, so a
 * batched group search of 50 names needs more. The links come from the org itself (next links
 * are also checked to stay on its origin), so a larger bound is safe.
 */
const NEEDED = 16_384;
const current = Number.parseInt(process.env.PARSE_LINK_HEADER_MAXLEN ?? "", 10);
if (!(current >= NEEDED)) process.env.PARSE_LINK_HEADER_MAXLEN = String(NEEDED);

export const LINK_HEADER_MAXLEN = NEEDED;
