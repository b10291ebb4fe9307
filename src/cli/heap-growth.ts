/**
 * Imported first by the CLI. After each full garbage collection V8 lets the heap grow by a factor
 * it picks from how fast collection is, up to 4x what is live; for a run that builds a large
 * snapshot that is garbage left uncollected for long stretches. A fixed 1.5x keeps the peak
 * close to what is live: a 100,000-user initial sync peaked at 269 MiB instead of 328 MiB (the
 * CronJob allows 512 MiB), for the same CPU in the same measurement.
 */
import { setV8Flag } from "../http/v8-flags.js";

setV8Flag("--heap-growing-percent=50");
