/** Pull from Okta and turn the result into the desired state. */
import type { Config } from "../config/types.js";
import type { DesiredState } from "../model.js";
import { buildDesiredState } from "../okta/desired-state.js";
import { pullFromOkta } from "../okta/pull.js";
import type { ResponseListener } from "../metrics/http-event.js";
import { type Reporter, reportWait } from "./reporter.js";

export async function pullDesiredState(config: Config, reporter: Reporter, signal?: AbortSignal, onResponse?: ResponseListener): Promise<DesiredState> {
  reporter.step("Reading the app's users and groups from Okta");
  let users = 0;
  let groups = 0;
  let members = 0;
  try {
    const pull = await pullFromOkta({
      orgUrl: config.okta.orgUrl,
      appId: config.okta.appId,
      auth: config.okta.auth,
      groups: config.groups.push,
      onProgress: (event) => {
        if (event.kind === "appUsers") users = event.read;
        else if (event.kind === "groups") groups = event.read;
        else members = event.read;
        reporter.progress(`Reading from Okta: ${users} assigned users, ${groups} groups, ${members} memberships`);
      },
    }, {
      retry: config.retry,
      maxRateShare: config.okta.maxRateShare,
      onWait: reportWait(reporter),
      ...(signal === undefined ? {} : { signal }),
      ...(onResponse === undefined ? {} : { onResponse }),
    });
    const desired = buildDesiredState(pull, {
      attributes: config.attributes,
      phoneType: config.users.phoneType,
      suspended: config.users.suspended,
      domains: config.command.domains,
      outsideDomains: config.users.outsideDomains,
    });
    reporter.stepDone(
      `Read ${pull.appUsers.length} assigned users and ${pull.groups.length} groups from Okta (${pull.requests} requests)`,
    );
    return desired;
  } catch (error) {
    reporter.stepFailed("Reading from Okta failed; nothing was planned or written");
    throw error;
  }
}
