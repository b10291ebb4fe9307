/**
 * Imported before undici by every module that uses it. undici parses HTTP with llhttp compiled
 * to WebAssembly, and V8 by default also optimises that module in background threads, which the
 * process then waits for when it exits: measured on a no-change incremental sync (2 requests),
 * about 0.3 s of CPU and 33 MB of peak RSS, more than all the parsing a 100,000-user run does.
 * V8's baseline compiler alone (`--liftoff-only`) parses fast enough for these response sizes.
 */
import { setV8Flag } from "./v8-flags.js";

setV8Flag("--liftoff-only");
