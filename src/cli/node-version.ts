/**
 * The Node.js version check that bin/ runs before it loads the program. It is loaded by whatever
 * Node the user has (Debian 12 and Ubuntu 24.04 ship Node 18), so this file keeps to syntax and
 * APIs Node 12 understands: no `?.`, `??`, class fields, top-level await or `node:` imports.
 */

export interface NodeVersionProblem {
  message: string;
  hint: string;
}

function parts(version: string): number[] | undefined {
  const match = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?/.exec(version.trim());
  if (match === null) return undefined;
  return [Number(match[1]), Number(match[2] || 0), Number(match[3] || 0)];
}

/**
 * What is wrong when Node `found` does not satisfy `engines` (package.json's `engines.node`,
 * of the form `>=MAJOR[.MINOR[.PATCH]]`), or undefined when it does.
 */
export function nodeVersionProblem(found: string, engines: string, executable?: string): NodeVersionProblem | undefined {
  const range = /^\s*>=\s*(\d+(?:\.\d+){0,2})\s*$/.exec(engines);
  if (range === null) throw new Error(`package.json engines.node must read ">=MAJOR.MINOR", not ${JSON.stringify(engines)}`);
  const needed = range[1] as string;
  const want = parts(needed) as number[];
  const have = parts(found);
  if (have !== undefined) {
    for (let i = 0; i < 3; i++) {
      if ((have[i] as number) > (want[i] as number)) return undefined;
      if ((have[i] as number) < (want[i] as number)) break;
      if (i === 2) return undefined;
    }
  }
  const where = executable === undefined ? "" : ` (${executable})`;
  return {
    message: `okta-command-sync needs Node.js ${needed} or newer, but this is Node.js ${found}${where}`,
    hint: `install Node.js ${needed} or newer (https://nodejs.org/en/download lists installers and package managers), or run the container image`,
  };
}

/** The single line printed on stderr. */
export function nodeVersionLine(problem: NodeVersionProblem): string {
  return `${problem.message}: ${problem.hint}.`;
}
