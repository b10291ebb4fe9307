/**
 * Preloaded with `node --import` (NODE_OPTIONS): makes the packages named in OCS_TEST_BLOCKED
 * (comma-separated) impossible to load, so a test can show that a command never loads them:
 * through `import` (module hooks, which also see the bundled CLI's vendor chunks) and through
 * `require` (the CommonJS loader, which the hooks do not see).
 */
import Module, { register } from "node:module";

const blocked = (process.env.OCS_TEST_BLOCKED ?? "").split(",").filter((name) => name !== "");
register("./without-modules-hooks.mjs", import.meta.url, { data: blocked });

const load = Module._load;
Module._load = function guardedLoad(request, parent, isMain) {
  const name = blocked.find((b) => request === b || request.startsWith(`${b}/`));
  if (name !== undefined) throw new Error(`a blocked package was loaded: ${request} required from ${parent?.filename ?? "?"}`);
  return load.call(this, request, parent, isMain);
};
