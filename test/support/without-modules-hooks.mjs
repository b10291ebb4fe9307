/** Module hooks (see without-modules.mjs): importing a blocked package fails with a message naming it. */
let blocked = [];

export function initialize(names) {
  blocked = names;
}

export async function resolve(specifier, context, nextResolve) {
  const name = blocked.find((b) => specifier === b || specifier.startsWith(`${b}/`));
  if (name !== undefined) throw new Error(`a blocked package was loaded: ${specifier} imported from ${context.parentURL}`);
  return nextResolve(specifier, context);
}
