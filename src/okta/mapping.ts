/**
 * Okta user -> SCIM attributes, per the contract's default table plus `attributes` entries in
 * Okta Profile Editor style. Pure.
 */
import type { AttributeMapping, Config } from "../config/types.js";
import { CORE_USER_SCHEMA, type UserAttributes } from "../model.js";
import { toE164 } from "./phone.js";
import type { OktaAppUserView } from "../model.js";

export interface MappingOptions {
  attributes: readonly AttributeMapping[];
  phoneType: string;
  /** Region of phone numbers written without a country code (ISO 3166 alpha-2). Default US. */
  phoneRegion?: Config["users"]["phoneRegion"];
  suspended: Config["users"]["suspended"];
}

/** The flat attribute path of a mapping target: core paths bare, extension paths URN-prefixed. */
export function attributePath(externalNamespace: string, externalName: string): string {
  return externalNamespace === CORE_USER_SCHEMA ? externalName : `${externalNamespace}:${externalName}`;
}

/** A source of one attribute: an Okta expression, or a computed default. */
type Source = { kind: "expression"; expression: string } | { kind: "displayName" };

export interface Rule {
  path: string;
  source: Source;
}

function defaultRules(phoneType: string): Rule[] {
  const expr = (expression: string): Source => ({ kind: "expression", expression });
  return [
    { path: "name.givenName", source: expr("user.firstName") },
    { path: "name.familyName", source: expr("user.lastName") },
    { path: "displayName", source: { kind: "displayName" } },
    { path: 'emails[type eq "work"].value', source: expr("user.email") },
    { path: "title", source: expr("user.title") },
    { path: `phoneNumbers[type eq "${phoneType}"].value`, source: expr("user.primaryPhone") },
  ];
}

/** The rules in effect: defaults, with each `attributes` entry replacing a default of the same path or added after them. */
export function mappingRules(options: Pick<MappingOptions, "attributes" | "phoneType">): Rule[] {
  const rules = defaultRules(options.phoneType);
  for (const entry of options.attributes) {
    const path = attributePath(entry.externalNamespace, entry.externalName);
    const rule: Rule = { path, source: { kind: "expression", expression: entry.okta } };
    const existing = rules.findIndex((r) => r.path === path);
    if (existing >= 0) rules[existing] = rule;
    else rules.push(rule);
  }
  return rules;
}

/** The attribute paths the mapping can write (userName included), for reading Command's users back. */
export function mappedPaths(options: Pick<MappingOptions, "attributes" | "phoneType">): string[] {
  return pathsOf(mappingRules(options));
}

function pathsOf(rules: readonly Rule[]): string[] {
  return ["userName", ...rules.map((r) => r.path).filter((p) => p !== "userName")];
}

/** The mapping of a run, worked out once from the config: its rules, what they write and what they read. */
export interface CompiledMapping {
  rules: readonly Rule[];
  /** See mappedPaths. */
  paths: readonly string[];
  /** See projectionOf. */
  projection: { user: string[]; app: string[] };
}

export function compileMapping(options: Pick<MappingOptions, "attributes" | "phoneType">): CompiledMapping {
  const rules = mappingRules(options);
  return { rules, paths: pathsOf(rules), projection: projectionOf(rules) };
}

/**
 * The profile attributes the mapping reads: of the Okta user (`user.*`, plus the names and login
 * every user needs) and of the app user (`appuser.*`). A pull keeps only these, so an org of
 * 100,000 users is not held in memory with every attribute Okta has.
 */
function projectionOf(rules: readonly Rule[]): { user: string[]; app: string[] } {
  const user = new Set(["firstName", "lastName", "login"]);
  const app = new Set<string>();
  for (const rule of rules) {
    if (rule.source.kind !== "expression") continue;
    const dot = rule.source.expression.indexOf(".");
    const scope = rule.source.expression.slice(0, dot);
    const name = rule.source.expression.slice(dot + 1);
    if (scope === "user") user.add(name);
    else if (scope === "appuser" && name !== "userName") app.add(name);
  }
  return { user: [...user].sort(), app: [...app].sort() };
}

/** A scalar profile value as a trimmed string; undefined when empty or not a scalar. */
function scalar(value: unknown): string | undefined {
  if (typeof value === "string") {
    const trimmed = value.trim();
    return trimmed === "" ? undefined : trimmed;
  }
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  if (typeof value === "boolean") return String(value);
  return undefined;
}

function evaluate(expression: string, appUser: OktaAppUserView): unknown {
  const dot = expression.indexOf(".");
  const scope = expression.slice(0, dot);
  const name = expression.slice(dot + 1);
  if (scope === "user") return appUser.user.profile[name];
  if (scope === "appuser") return name === "userName" ? appUser.userName : appUser.profile[name];
  return undefined;
}

export type MapResult =
  | { ok: true; userName: string; attributes: UserAttributes; active: boolean; warnings: string[] }
  | { ok: false; reason: string };

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** Whether Okta wants this user active in Command. */
export function isActive(appUser: OktaAppUserView, suspended: MappingOptions["suspended"]): boolean {
  if (appUser.user.status === "DEPROVISIONED") return false;
  if (appUser.user.status === "SUSPENDED" && suspended === "deactivate") return false;
  return appUser.status !== "DEPROVISIONED" && appUser.status !== "INACTIVE";
}

export function mapUser(appUser: OktaAppUserView, options: MappingOptions, rules: readonly Rule[] = mappingRules(options)): MapResult {
  const attributes: Record<string, string> = {};
  const warnings: string[] = [];
  for (const rule of rules) {
    let value: string | undefined;
    if (rule.source.kind === "displayName") {
      const first = scalar(appUser.user.profile.firstName);
      const last = scalar(appUser.user.profile.lastName);
      value = scalar([first, last].filter(Boolean).join(" "));
    } else {
      const raw = evaluate(rule.source.expression, appUser);
      value = scalar(raw);
      if (value === undefined && raw !== undefined && raw !== null && raw !== "") {
        warnings.push(`${rule.source.expression} is not a single value (${Array.isArray(raw) ? "a list" : typeof raw}); ${rule.path} left out`);
      }
    }
    if (value !== undefined && rule.path.startsWith("phoneNumbers[")) {
      const phone = toE164(value, options.phoneRegion ?? "US");
      if (phone.ok) value = phone.e164;
      else warnings.push(`${rule.path}: ${phone.reason}; sent as it is`);
      if (phone.ok && phone.note !== undefined) warnings.push(`${rule.path}: ${phone.note}`);
    }
    if (value !== undefined) attributes[rule.path] = value;
  }
  const userName = attributes.userName ?? scalar(appUser.userName) ?? scalar(appUser.user.profile.login);
  if (userName === undefined) return { ok: false, reason: "it has no userName (app username and login are empty)" };
  attributes.userName = userName;
  // One string for the values equal to the userName (often the email too), not a copy each.
  for (const key in attributes) if (attributes[key] === userName) attributes[key] = userName;
  const email = attributes['emails[type eq "work"].value'];
  if (email !== undefined && !EMAIL.test(email)) return { ok: false, reason: `its email "${email}" is not a valid address` };
  return { ok: true, userName, attributes: sortKeys(attributes), active: isActive(appUser, options.suspended), warnings };
}

function sortKeys(attributes: Record<string, string>): UserAttributes {
  const sorted: Record<string, string> = {};
  for (const key of Object.keys(attributes).sort()) sorted[key] = attributes[key]!;
  return sorted;
}
