/** Okta pull result -> DesiredState. Pure: same pull and options, same state. */
import { compareStrings as compare, type DesiredGroup, type DesiredState, type DesiredUser } from "../model.js";
import { type MappingOptions, mappingRules, mapUser } from "./mapping.js";
import type { OktaPullResult } from "./types.js";

export interface DesiredStateOptions extends MappingOptions {
  /** Email domains registered for SSO in Command (lower case); empty: no check. */
  domains?: readonly string[];
  /** A user outside those domains: pushed with a warning, or skipped. */
  outsideDomains?: "warn" | "skip";
}

export function buildDesiredState(pull: Pick<OktaPullResult, "appUsers" | "groups">, options: DesiredStateOptions): DesiredState {
  const warnings: string[] = [];
  const byId = new Map<string, DesiredUser>();
  const appUsers = [...pull.appUsers].sort((a, b) => compare(a.id, b.id));
  const rules = mappingRules(options);
  for (const appUser of appUsers) {
    if (byId.has(appUser.id)) continue;
    const mapped = mapUser(appUser, options, rules);
    const login = String(appUser.user.profile.login ?? appUser.id);
    if (!mapped.ok) {
      warnings.push(`skipped Okta user ${login} (${appUser.id}): ${mapped.reason}`);
      continue;
    }
    for (const warning of mapped.warnings) warnings.push(`Okta user ${login} (${appUser.id}): ${warning}`);
    byId.set(appUser.id, { oktaId: appUser.id, userName: mapped.userName, attributes: mapped.attributes, active: mapped.active });
  }

  // Two Okta users with the same userName would collide in Command (userName is unique there):
  // keep the one with the lower Okta id so the choice is stable from run to run.
  const byUserName = new Map<string, string>();
  for (const user of byId.values()) {
    const key = user.userName.toLowerCase();
    const holder = byUserName.get(key);
    if (holder === undefined) {
      byUserName.set(key, user.oktaId);
      continue;
    }
    warnings.push(`skipped Okta user ${user.oktaId}: userName ${user.userName} is also the userName of Okta user ${holder}`);
    byId.delete(user.oktaId);
  }

  // Command signs users in with SSO only for the email domains registered for the org.
  const domains = new Set((options.domains ?? []).map((d) => d.toLowerCase()));
  if (domains.size > 0) {
    const outside: string[] = [];
    for (const user of [...byId.values()]) {
      const domain = user.userName.slice(user.userName.lastIndexOf("@") + 1).toLowerCase();
      if (domains.has(domain)) continue;
      outside.push(user.userName);
      if (options.outsideDomains === "skip") byId.delete(user.oktaId);
    }
    if (outside.length > 0) {
      const shown = outside.slice(0, 20).join(", ") + (outside.length > 20 ? `, and ${outside.length - 20} more` : "");
      const what = options.outsideDomains === "skip" ? "skipped (users.outsideDomains: skip)" : "they cannot sign in to Command with SSO";
      warnings.push(`${outside.length} user(s) outside command.domains (${[...domains].join(", ")}): ${what}: ${shown}`);
    }
  }

  const groups: DesiredGroup[] = [];
  const seenGroups = new Set<string>();
  const names = new Map<string, string>();
  for (const group of pull.groups) {
    if (seenGroups.has(group.id)) continue;
    seenGroups.add(group.id);
    const other = names.get(group.name.toLowerCase());
    if (other !== undefined) warnings.push(`Okta groups ${other} and ${group.id} are both named "${group.name}"`);
    names.set(group.name.toLowerCase(), group.id);
    const members = [...new Set(group.memberIds.filter((id) => byId.has(id)))].sort(compare);
    groups.push({ oktaId: group.id, displayName: group.name, members });
  }
  groups.sort((a, b) => compare(a.oktaId, b.oktaId));

  return { users: [...byId.values()], groups, warnings };
}
