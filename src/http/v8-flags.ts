/**
 * V8 flags set by the program itself, at run time. V8 prints an unknown flag's error on stdout,
 * which would break `--json`, so a flag is set only on the Node majors it is known on (20 to 24:
 * V8 11.3 to 13.6); elsewhere the program runs with V8's defaults.
 */
import { setFlagsFromString } from "node:v8";

const major = Number.parseInt(process.versions.node, 10);

export function setV8Flag(flag: string): void {
  if (major >= 20 && major <= 24) setFlagsFromString(flag);
}
