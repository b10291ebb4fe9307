/**
 * The entries of `groups.push`, `groups.exclude` and `users.exclude`: a plain name or id, the
 * word `assigned` (groups), a glob (`Door-*`, `*-Admins`, `svc-?@acme.com`) or `regex:<pattern>`.
 *
 * Globs and regexes ignore case, as Okta's own `sw` and `eq` searches do. A plain group name
 * still matches exactly (case included): it names one group, and a near miss is reported.
 */

/** Okta object ids are 20 characters; groups start with 00g. */
export const GROUP_ID = /^00g[0-9A-Za-z]{17}$/;

export const REGEX_PREFIX = "regex:";

export type NameEntry =
  | { kind: "assigned"; entry: string }
  | { kind: "id"; entry: string }
  | { kind: "name"; entry: string }
  | {
      kind: "pattern";
      entry: string;
      test: (name: string) => boolean;
      /** A glob that is a prefix and a trailing `*` only (`Door-*`): Okta's `sw` search finds its groups. */
      prefix?: string | undefined;
    };

export function isPattern(entry: string): boolean {
  return entry.startsWith(REGEX_PREFIX) || /[*?]/.test(entry);
}

/** `*` any run of characters, `?` one character; everything else literal; whole name, any case. */
export function globRegExp(glob: string): RegExp {
  let source = "";
  for (const char of glob) {
    if (char === "*") source += "[\\s\\S]*";
    else if (char === "?") source += "[\\s\\S]";
    else source += char.replace(/[\\^$.|+()[\]{}/-]/g, "\\$&");
  }
  return new RegExp(`^${source}$`, "i");
}

/** Why `regex:...` does not compile, or undefined when it does (or the entry is not a regex). */
export function regexProblem(entry: string): string | undefined {
  if (!entry.startsWith(REGEX_PREFIX)) return undefined;
  const source = entry.slice(REGEX_PREFIX.length);
  if (source === "") return "regex: needs a pattern after it, such as regex:^door-";
  try {
    new RegExp(source, "i");
    return undefined;
  } catch (error) {
    // V8 says "Invalid regular expression: /(door/i: Unterminated group": keep the last part.
    const why = error instanceof Error ? error.message.replace(/^Invalid regular expression: \/[\s\S]*\/[a-z]*: /, "") : String(error);
    return `is not a valid JavaScript regular expression: ${why}`;
  }
}

function patternEntry(entry: string): NameEntry {
  if (entry.startsWith(REGEX_PREFIX)) {
    const regex = new RegExp(entry.slice(REGEX_PREFIX.length), "i");
    return { kind: "pattern", entry, test: (name) => regex.test(name) };
  }
  const regex = globRegExp(entry);
  const head = entry.slice(0, -1);
  const prefix = entry.endsWith("*") && head !== "" && !/[*?]/.test(head) ? head : undefined;
  return { kind: "pattern", entry, test: (name) => regex.test(name), prefix };
}

/** One entry of `groups.push` or `groups.exclude` (validated at load: a regex compiles). */
export function parseGroupEntry(raw: string): NameEntry {
  const entry = raw.trim();
  if (entry === "assigned") return { kind: "assigned", entry };
  if (isPattern(entry)) return patternEntry(entry);
  return GROUP_ID.test(entry) ? { kind: "id", entry } : { kind: "name", entry };
}

/** Which groups.exclude entry, if any, takes this group out. Names compare exactly, as in groups.push. */
export function groupExcludedBy(entries: readonly NameEntry[], group: { id: string; name: string }, assigned: ReadonlySet<string>): NameEntry | undefined {
  return entries.find((e) =>
    e.kind === "assigned" ? assigned.has(group.id) : e.kind === "id" ? e.entry === group.id : e.kind === "name" ? e.entry === group.name : e.test(group.name),
  );
}

/**
 * `users.exclude`: a matcher over a user's Okta id and names (login, app userName). Logins and
 * globs ignore case (Okta logins are case-insensitive); an id matches exactly.
 */
export function userExcluder(raw: readonly string[]): (user: { id: string; names: readonly string[] }) => string | undefined {
  const entries = raw.map((r) => r.trim()).filter((e) => e !== "");
  if (entries.length === 0) return () => undefined;
  const tests = entries.map((entry) => {
    if (isPattern(entry)) {
      const { test } = patternEntry(entry) as Extract<NameEntry, { kind: "pattern" }>;
      return { entry, test: (_id: string, names: readonly string[]) => names.some((name) => test(name)) };
    }
    const lower = entry.toLowerCase();
    return { entry, test: (id: string, names: readonly string[]) => id === entry || names.some((n) => n.toLowerCase() === lower) };
  });
  return (user) => tests.find((t) => t.test(user.id, user.names))?.entry;
}
