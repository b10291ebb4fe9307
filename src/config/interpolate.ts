/** `${VAR}` substitution in the strings of a parsed YAML tree. Pure. */

export type Env = Readonly<Record<string, string | undefined>>;

/** A string whose variables could not be resolved; it carries the problem instead of a value. */
export class Unresolved {
  constructor(readonly problem: string) {}
}

const REFERENCE = /\$\$\{|\$\{([^}]*)\}?/g;
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Replaces every `${NAME}` with the variable's value; `$${` stands for a literal `${`.
 * `subject` names the key in problems. Values of variables never appear in a problem.
 */
export function interpolateString(value: string, env: Env, subject: string): string | Unresolved {
  const missing: string[] = [];
  const malformed: string[] = [];
  const result = value.replace(REFERENCE, (match: string, name: string | undefined) => {
    if (match === "$${") return "${";
    if (!match.endsWith("}") || name === undefined || !NAME.test(name)) {
      malformed.push(match);
      return match;
    }
    const resolved = env[name];
    if (resolved === undefined) {
      missing.push(name);
      return match;
    }
    return resolved;
  });
  if (malformed.length > 0) {
    return new Unresolved(
      `${subject}: ${malformed.map((m) => JSON.stringify(m)).join(", ")} is not a variable reference: write \${NAME} (letters, digits, _), or $\${ for a literal \${`,
    );
  }
  if (missing.length > 0) {
    const names = [...new Set(missing)];
    return new Unresolved(
      `${subject}: environment variable${names.length > 1 ? "s" : ""} ${names.join(", ")} ${names.length > 1 ? "are" : "is"} not set (referenced as ${names.map((n) => `\${${n}}`).join(", ")})`,
    );
  }
  return result;
}

/** A path as shown to users: `attributes[0].okta`, `groups.push[2]`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const segment of path) {
    if (typeof segment === "number") out += `[${segment}]`;
    else out += out === "" ? String(segment) : `.${String(segment)}`;
  }
  return out;
}

/** Interpolates every string in the tree; keys are left alone. */
export function interpolateTree(value: unknown, env: Env, path: readonly PropertyKey[] = []): unknown {
  if (typeof value === "string") return interpolateString(value, env, formatPath(path));
  if (Array.isArray(value)) return value.map((item, index) => interpolateTree(item, env, [...path, index]));
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) out[key] = interpolateTree(item, env, [...path, key]);
    return out;
  }
  return value;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof Unresolved);
}

/** YAML writes an empty key as null; it means "not set", like a commented-out line. */
export function withoutNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutNulls);
  if (!isPlainObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) if (item !== null && item !== undefined) out[key] = withoutNulls(item);
  return out;
}
