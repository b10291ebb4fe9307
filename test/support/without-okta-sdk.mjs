/**
 * Preloaded with `node --import` (NODE_OPTIONS): makes @okta/okta-sdk-nodejs impossible to load,
 * so a test can show that a command never loads it: through `import` (module hooks) and through
 * `require` (the CommonJS loader, which the hooks do not see).
 */
import Module, { register } from "node:module";

register("./without-okta-sdk-hooks.mjs", import.meta.url);

const load = Module._load;
Module._load = function guardedLoad(request, parent, isMain) {
  if (request === "@okta/okta-sdk-nodejs" || request.startsWith("@okta/okta-sdk-nodejs/")) {
    throw new Error(`the Okta SDK was loaded (${request} required from ${parent?.filename ?? "?"})`);
  }
  return load.call(this, request, parent, isMain);
};
