/**
 * Preloaded with `node --import` (NODE_OPTIONS): makes the packages named in OCS_TEST_BLOCKED
 * (comma-separated) impossible to import, so a test can show that a command never loads them.
 */
import { register } from "node:module";

register("./without-modules-hooks.mjs", import.meta.url, { data: (process.env.OCS_TEST_BLOCKED ?? "").split(",").filter((name) => name !== "") });
