/**
 * Module hooks (see without-modules.mjs): importing a blocked package fails with a message naming
 * it, whether it is imported by name or as its chunk of the bundled CLI (dist/bin/vendor/<name>.js).
 */
let blocked = [];

export function initialize(names) {
  blocked = names;
}

export async function resolve(specifier, context, nextResolve) {
  const byName = blocked.find((b) => specifier === b || specifier.startsWith(`${b}/`));
  if (byName !== undefined) throw new Error(`a blocked package was loaded: ${specifier} imported from ${context.parentURL}`);
  const resolved = await nextResolve(specifier, context);
  const chunk = /\/dist\/bin\/vendor\/(.+)\.js$/.exec(resolved.url)?.[1];
  if (chunk !== undefined && blocked.includes(chunk)) throw new Error(`a blocked package was loaded: ${chunk} (its chunk, imported from ${context.parentURL})`);
  return resolved;
}
