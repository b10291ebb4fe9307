/**
 * Which Okta groups `groups.push` and `groups.exclude` select, in as few requests as the entries
 * allow:
 *
 * - names, ids and prefix globs (`Door-*`) are resolved together in batched searches
 *   (`profile.name eq`, `id eq`, `profile.name sw`), usually one request;
 * - any other glob or a `regex:` needs every group of the org: one list, 200 groups a page, and
 *   then the names and ids are resolved from that list too;
 * - `assigned` reads the app's group assignments.
 *
 * Exclusions are matched against the groups selected, with no request of their own (but for
 * `assigned`). A name or id that matches nothing is a configuration error; a pattern that matches
 * nothing, or an exclusion that takes nothing out, is a warning.
 */
import { type NameEntry, groupExcludedBy, parseGroupEntry } from "../config/name-patterns.js";
import { ConfigError } from "../errors.js";
import type { OktaConnection } from "./client.js";
import { assignedGroups, batches, type GroupRef, searchGroups, searchString } from "./group-refs.js";

export interface GroupSelection {
  appId: string;
  /** `groups.push` (or `backfill --group`). */
  push: readonly string[] | "assigned";
  /** `groups.exclude`, applied after `push`. */
  exclude?: readonly string[] | undefined;
}

export interface SelectedGroups {
  /** In the order of `push`; a pattern's groups by name. May hold a group twice. */
  refs: GroupRef[];
  warnings: string[];
}

export async function selectGroups(connection: OktaConnection, selection: GroupSelection): Promise<SelectedGroups> {
  const warnings: string[] = [];
  let assigned: GroupRef[] | undefined;
  const assignedList = async () => (assigned ??= await assignedGroups(connection, selection.appId));
  const refs =
    selection.push === "assigned"
      ? await assignedList()
      : await resolveConfiguredGroups(connection, selection.push, { assigned: assignedList, warnings });
  const exclude = (selection.exclude ?? []).map(parseGroupEntry);
  if (exclude.length === 0) return { refs, warnings };

  const assignedIds = new Set(exclude.some((e) => e.kind === "assigned") ? (await assignedList()).map((g) => g.id) : []);
  const used = new Set<NameEntry>();
  const kept = refs.filter((ref) => {
    const by = groupExcludedBy(exclude, ref, assignedIds);
    if (by !== undefined) used.add(by);
    return by === undefined;
  });
  for (const entry of exclude) {
    if (!used.has(entry)) warnings.push(`groups.exclude: ${JSON.stringify(entry.entry)} matches none of the groups groups.push selects`);
  }
  return { refs: kept, warnings };
}

function clauseOf(entry: NameEntry): string | undefined {
  if (entry.kind === "id") return `id eq ${searchString(entry.entry)}`;
  if (entry.kind === "name") return `profile.name eq ${searchString(entry.entry)}`;
  if (entry.kind === "pattern" && entry.prefix !== undefined) return `profile.name sw ${searchString(entry.prefix)}`;
  return undefined;
}

const byName = (a: GroupRef, b: GroupRef) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/**
 * Resolves `groups.push` entries. Every name or id that cannot be resolved is reported at once;
 * a pattern that matches nothing adds to `context.warnings`.
 */
export async function resolveConfiguredGroups(
  connection: OktaConnection,
  raw: readonly string[],
  context: { assigned: () => Promise<GroupRef[]>; warnings: string[] },
): Promise<GroupRef[]> {
  if (raw.some((entry) => entry.trim() === "")) throw new ConfigError(["groups.push: an entry is empty"]);
  const entries = raw.map(parseGroupEntry);
  // A glob that is not a prefix, or a regex, can only be matched against every group.
  const listAll = entries.some((e) => e.kind === "pattern" && e.prefix === undefined);
  const found: GroupRef[] = [];
  if (listAll) found.push(...(await searchGroups(connection, undefined)));
  else {
    const clauses = [...new Set(entries.map(clauseOf).filter((c): c is string => c !== undefined))];
    for (const search of batches(clauses)) found.push(...(await searchGroups(connection, search)));
  }
  const byId = new Map<string, GroupRef>();
  const byLowerName = new Map<string, GroupRef[]>();
  for (const ref of found) {
    if (byId.has(ref.id)) continue;
    byId.set(ref.id, ref);
    const key = ref.name.toLowerCase();
    byLowerName.set(key, [...(byLowerName.get(key) ?? []), ref]);
  }

  const problems: string[] = [];
  const hints: string[] = [];
  const resolved = new Map<string, GroupRef[]>();
  for (const entry of entries) {
    if (resolved.has(entry.entry)) continue;
    if (entry.kind === "assigned") resolved.set(entry.entry, await context.assigned());
    else if (entry.kind === "id") {
      const ref = byId.get(entry.entry);
      if (ref) resolved.set(entry.entry, [ref]);
      else problems.push(`groups.push: Okta has no group with id ${entry.entry}`);
    } else if (entry.kind === "pattern") {
      const matches = [...byId.values()].filter((ref) => entry.test(ref.name)).sort(byName);
      if (matches.length === 0) context.warnings.push(`groups.push: ${JSON.stringify(entry.entry)} matches no Okta group`);
      resolved.set(entry.entry, matches);
    } else {
      // Okta's `eq` ignores case; the configured name must match exactly.
      const candidates = byLowerName.get(entry.entry.toLowerCase()) ?? [];
      const exact = candidates.filter((ref) => ref.name === entry.entry);
      if (exact.length === 1) resolved.set(entry.entry, exact);
      else if (exact.length > 1) {
        problems.push(`groups.push: ${exact.length} Okta groups are named "${entry.entry}" (${exact.map((g) => g.id).join(", ")})`);
        hints.push("list such a group by its id instead of its name");
      } else {
        problems.push(`groups.push: Okta has no group named "${entry.entry}"`);
        const nearly = candidates[0]?.name;
        hints.push(
          nearly !== undefined
            ? `did you mean "${nearly}"? Group names must match exactly, case included`
            : "check the name in the Okta admin console (Directory > Groups), or list the group by its id (00g...)",
        );
      }
    }
  }
  if (problems.length > 0) throw new ConfigError(problems, [...new Set(hints)].join("; ") || undefined);
  return entries.flatMap((entry) => resolved.get(entry.entry)!);
}
