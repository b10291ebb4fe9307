/**
 * Preloaded with `node --import` (NODE_OPTIONS): makes @okta/okta-sdk-nodejs impossible to load,
 * so a test can show that a command never loads it.
 */
import { register } from "node:module";

register("./without-okta-sdk-hooks.mjs", import.meta.url);
