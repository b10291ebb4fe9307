// The shipped CLI: dist/ (from tsc) bundled into dist/bin/, the two modules bin/okta-command-sync.js
// loads and the chunks they import. Loading a few large files instead of some 900 small ones
// (our modules, zod's, undici's, yaml's) takes a third of the start-up of every run. Each command
// still loads only what it runs: its code and each heavy package are chunks of their own
// (dist/bin/vendor/<package>.js), imported when the command runs. better-sqlite3 is native and
// stays a package; so do pino and libphonenumber-js, which are required on first use.
const VENDORS = ["zod", "yaml", "undici", "commander", "ora", "p-limit"];

export default {
  input: { main: "dist/cli/main.js", exit: "dist/cli/exit.js" },
  platform: "node",
  external: [/^node:/, "better-sqlite3", "pino", "libphonenumber-js"],
  logLevel: "warn",
  output: {
    dir: "dist/bin",
    cleanDir: true,
    format: "esm",
    entryFileNames: "[name].js",
    chunkFileNames: "[name].js",
    sourcemap: true,
    codeSplitting: {
      groups: VENDORS.map((name) => ({ name: `vendor/${name}`, test: new RegExp(`[\\\\/]node_modules[\\\\/]${name}[\\\\/]`), priority: 10 })),
    },
  },
};
