/**
 * The pull step of a run: read the desired state through the Okta source, with progress and a
 * closing line for the user. Whether the pull may start from the Okta cache is the source's call
 * (src/okta/pull-cache.ts).
 */
import { count } from "../plural.js";
import type { OktaSource, Pulled, PullRequest } from "./ports.js";
import type { Reporter } from "./reporter.js";

export type { Pulled, PullSummary } from "./ports.js";

export async function pullDesiredState(okta: Pick<OktaSource, "pullDesired">, reporter: Reporter, request: Omit<PullRequest, "onProgress"> = {}): Promise<Pulled> {
  reporter.step("Reading the app's users and groups from Okta");
  let users = 0;
  let groups = 0;
  let members = 0;
  try {
    const pulled = await okta.pullDesired({
      ...request,
      onProgress: (event) => {
        if (event.kind === "appUsers") users = event.read;
        else if (event.kind === "groups") groups = event.read;
        else members = event.read;
        reporter.progress(`Reading from Okta: ${count(users, "assigned user")}, ${count(groups, "group")}, ${count(members, "membership")}`);
      },
    });
    const { summary } = pulled;
    const how =
      summary.mode === "incremental"
        ? `incremental: ${count(summary.events ?? 0, "new System Log event")}, ${count(summary.usersReread ?? 0, "user")} re-read, ${summary.usersRemoved} no longer assigned; `
        : "";
    reporter.stepDone(`Read ${count(pulled.appUsersRead, "assigned user")} and ${count(pulled.groups.length, "group")} from Okta (${how}${count(summary.requests, "request")})`);
    if (request.incremental === true && summary.fallback !== undefined) {
      reporter.info(`read everything from Okta: ${summary.fallback}`, { fallback: summary.fallback });
    }
    return pulled;
  } catch (error) {
    reporter.stepFailed("Reading from Okta failed; nothing was planned or written");
    throw error;
  }
}
