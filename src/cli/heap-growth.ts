/**
 * Imported first by the CLI. After each full garbage collection V8 lets the heap grow by a factor
 * it picks from how fast collection is, up to 4x what is live; for a run that builds a large
 * snapshot that is garbage left uncollected for long stretches. A fixed 1.5x keeps the peak
 * close to what is live: a 100,000-user initial sync peaked at 269 MiB instead of 328 MiB (the
 * CronJob allows 512 MiB), for the same CPU in the same measurement.
 *
 * V8 prints an unknown flag's error on stdout, which would break `--json`, so the flag is set
 * only on the Node majors it is known on (V8 11.3 to 13.6).
 */
import { setFlagsFromString } from "node:v8";

const major = Number.parseInt(process.versions.node, 10);
if (major >= 20 && major <= 24) setFlagsFromString("--heap-growing-percent=50");
