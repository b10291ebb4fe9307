/**
 * The layers a configuration is assembled from (file < environment) and how they merge.
 * Command-line flags that override a key (`sync --max-deactivations`) are applied by their
 * command. Pure: the environment is passed in.
 */
import { ENV_VARS } from "./env.js";
import { type Env, formatPath, isPlainObject, Unresolved } from "./interpolate.js";

export type Tree = Record<string, unknown>;

export interface Layer {
  values: Tree;
  /** Where each key's value came from, by key path; absent for the config file. */
  origins: Record<string, string>;
  problems: string[];
  /** Key paths with a problem already reported. */
  reported: Set<string>;
}

const TOKEN = ["token", "tokenFile"];
const OAUTH = ["clientId", "privateKey", "privateKeyFile", "keyId", "scopes"];

/**
 * Keys of a lower layer that a key of a higher layer replaces. A higher layer that picks an
 * Okta credential, a secret source or a SCIM endpoint replaces the lower layer's choice as a
 * whole, so that OKTA_API_TOKEN overrides a file set up for OAuth instead of conflicting with it.
 */
const REPLACES: Readonly<Record<string, readonly string[]>> = {
  "okta.token": [...TOKEN, ...OAUTH],
  "okta.tokenFile": [...TOKEN, ...OAUTH],
  "okta.clientId": ["clientId", ...TOKEN],
  "okta.privateKey": ["privateKey", "privateKeyFile", ...TOKEN],
  "okta.privateKeyFile": ["privateKey", "privateKeyFile", ...TOKEN],
  "command.token": TOKEN,
  "command.tokenFile": TOKEN,
  "command.region": ["region", "scimUrl"],
  "command.scimUrl": ["region", "scimUrl"],
  "notify.webhook": ["webhook", "webhookFile"],
  "notify.webhookFile": ["webhook", "webhookFile"],
};

/** Alternatives of which one layer may set only one. */
const EXCLUSIVE: readonly (readonly [string, string])[] = [
  ["okta.token", "okta.tokenFile"],
  ["okta.privateKey", "okta.privateKeyFile"],
  ["command.token", "command.tokenFile"],
  ["notify.webhook", "notify.webhookFile"],
];

export function emptyLayer(values: Tree = {}): Layer {
  return { values, origins: {}, problems: [], reported: new Set() };
}

function section(tree: Tree, name: string): Tree {
  const existing = tree[name];
  if (isPlainObject(existing)) return existing;
  const created: Tree = {};
  tree[name] = created;
  return created;
}

function setPath(layer: Layer, path: string, value: unknown, origin: string): void {
  const [sectionName, key] = path.split(".") as [string, string];
  section(layer.values, sectionName)[key] = value;
  layer.origins[path] = origin;
}

function getPath(tree: Tree, path: string): unknown {
  const [sectionName, key] = path.split(".") as [string, string];
  const node = tree[sectionName];
  return isPlainObject(node) ? node[key] : undefined;
}

function deletePath(layer: Layer, path: string): void {
  const [sectionName, key] = path.split(".") as [string, string];
  const node = layer.values[sectionName];
  if (isPlainObject(node)) delete node[key];
  delete layer.origins[path];
}

/** Reports and removes both alternatives when one layer sets both. */
function checkExclusive(layer: Layer, name: (path: string) => string): void {
  for (const [a, b] of EXCLUSIVE) {
    if (getPath(layer.values, a) === undefined || getPath(layer.values, b) === undefined) continue;
    layer.problems.push(`${name(a)} and ${name(b)} are both set; set only one`);
    deletePath(layer, a);
    deletePath(layer, b);
    layer.reported.add(a.replace(/File$/, ""));
  }
}

export function fileLayer(values: Tree): Layer {
  const layer = emptyLayer(values);
  checkExclusive(layer, (path) => path);
  return layer;
}

/** PEM keys in environment variables are often written on one line with literal `\n`. */
function unescapePem(value: string): string {
  return value.includes("-----BEGIN") && !value.includes("\n") ? value.replace(/\\n/g, "\n") : value;
}

export function envLayer(env: Env): Layer {
  const layer = emptyLayer();
  const names: Record<string, string> = {};
  for (const { name, path } of ENV_VARS) {
    const value = env[name];
    // An empty variable counts as unset, as container runtimes often pass them that way.
    if (value === undefined || value === "") continue;
    setPath(layer, path, path === "okta.privateKey" ? unescapePem(value) : value, name);
    names[path] = name;
  }
  checkExclusive(layer, (path) => names[path] ?? path);
  return layer;
}

/** `higher` over `lower`; sections merge key by key, lists and values are replaced. */
export function mergeLayers(lower: Layer, higher: Layer): Layer {
  const merged: Layer = {
    values: structuredCloneTree(lower.values),
    origins: { ...lower.origins },
    problems: [...lower.problems, ...higher.problems],
    reported: new Set([...lower.reported, ...higher.reported]),
  };
  for (const [name, value] of Object.entries(higher.values)) {
    const target = merged.values[name];
    if (isPlainObject(value) && (target === undefined || isPlainObject(target))) {
      const into = section(merged.values, name);
      // What the lower layer chose is replaced first, so that two keys of the higher layer
      // (COMMAND_REGION and COMMAND_SCIM_URL) both reach validation instead of one hiding the other.
      for (const key of Object.keys(value)) {
        for (const replaced of REPLACES[`${name}.${key}`] ?? [key]) {
          delete into[replaced];
          delete merged.origins[`${name}.${replaced}`];
        }
      }
      for (const [key, item] of Object.entries(value)) {
        const path = `${name}.${key}`;
        into[key] = item;
        const origin = higher.origins[path];
        if (origin !== undefined) merged.origins[path] = origin;
      }
    } else if (target === undefined || isPlainObject(value) === isPlainObject(target)) {
      // A section the file wrote as something other than a mapping stays, to be reported.
      merged.values[name] = value;
    }
  }
  return merged;
}

function structuredCloneTree(tree: Tree): Tree {
  const out: Tree = {};
  for (const [key, value] of Object.entries(tree)) out[key] = isPlainObject(value) ? { ...value } : value;
  return out;
}

/** Takes unresolved `${VAR}` strings out of the tree, reporting each. */
export function takeUnresolved(layer: Layer): void {
  const walk = (node: unknown, path: PropertyKey[]): void => {
    if (Array.isArray(node)) {
      node.forEach((item, index) => {
        if (item instanceof Unresolved) {
          layer.problems.push(item.problem);
          layer.reported.add(formatPath([...path, index]));
          node[index] = undefined;
        } else walk(item, [...path, index]);
      });
    } else if (isPlainObject(node)) {
      for (const [key, item] of Object.entries(node)) {
        if (item instanceof Unresolved) {
          layer.problems.push(item.problem);
          layer.reported.add(formatPath([...path, key]).replace(/File$/, ""));
          delete node[key];
        } else walk(item, [...path, key]);
      }
    }
  };
  walk(layer.values, []);
}
