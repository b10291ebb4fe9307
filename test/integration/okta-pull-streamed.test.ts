/**
 * A pull that hands the assigned app users on a page at a time (`onAppUsers`), as a run does to
 * map them without holding every raw user: the users handed on are exactly those a pull that
 * returns them all reads, each once and complete, full or incremental.
 */
import { describe, expect, it } from "vitest";
import type { OktaEmulator } from "../../src/emulators/okta-emulator.js";
import { generateOrg } from "../../src/emulators/org-generator.js";
import { unassignUser, updateProfile } from "../../src/emulators/org-user-changes.js";
import { pullFromOkta } from "../../src/okta/pull.js";
import type { OktaAppUserView, OktaPullOptions, OktaPullResult } from "../../src/okta/types.js";
import { oktaEmulators } from "../support/okta-emulators.js";

const TOKEN = "00streamed-pull-test-token-3c9a";
const emulators = oktaEmulators(TOKEN);

function pull(emulator: OktaEmulator, options: Partial<OktaPullOptions>): Promise<OktaPullResult> {
  return pullFromOkta({ orgUrl: emulator.url, appId: emulator.org.app.id, auth: { mode: "token", token: TOKEN }, groups: [], ...options });
}

const byId = (views: readonly OktaAppUserView[]) => [...views].sort((a, b) => (a.id < b.id ? -1 : 1));

/** A pull with `onAppUsers`, and what it handed on. */
async function streamed(emulator: OktaEmulator, options: Partial<OktaPullOptions>) {
  const pages: { views: OktaAppUserView[]; from: "okta" | "kept" }[] = [];
  const result = await pull(emulator, { ...options, onAppUsers: (views, from) => pages.push({ views: [...views], from }) });
  return { result, pages, views: pages.flatMap((p) => p.views) };
}

describe("app users handed on as they are read", () => {
  it("full pull: every assigned user once, page by page, none kept in the result", async () => {
    const org = generateOrg({ seed: 21, users: 120, groups: 4, assignedFraction: 0.8 });
    const emulator = await emulators.start(org);
    const groups = org.groups.map((g) => g.name);
    const whole = await pull(emulator, { groups, pageSize: 25 });

    const { result, pages, views } = await streamed(emulator, { groups, pageSize: 25 });
    expect(result.appUsers).toEqual([]);
    expect(result.appUsersRead).toBe(whole.appUsers.length);
    expect(pages.length).toBe(Math.ceil(whole.appUsers.length / 25));
    expect(pages.every((p) => p.from === "okta")).toBe(true);
    expect(new Set(views.map((v) => v.id)).size).toBe(views.length);
    expect(views.every((v) => v.user !== undefined && v.user.id === v.id)).toBe(true);
    expect(byId(views)).toEqual(byId(whole.appUsers));
    expect(result.groups).toEqual(whole.groups);
  });

  it("incremental pull: the kept users still assigned, then the users the System Log named, read again", async () => {
    const org = generateOrg({ seed: 22, users: 400, groups: 6, assignedFraction: 0.8 });
    const emulator = await emulators.start(org);
    const groups = org.groups.map((g) => g.name);
    // Small pages, so two named users cost fewer requests than a full pull.
    const base = await pull(emulator, { groups, pageSize: 20, trackLog: true });
    const kept = new Map(base.appUsers.map((u) => [u.id, u]));
    const resume = { previousGroups: new Map(base.groups.map((g) => [g.id, g])), incremental: { appUsers: kept, checkpoint: base.checkpoint!, groups } };

    const assigned = org.app.users.map((a) => a.userId);
    updateProfile(org, assigned[0]!, { title: "Changed while streamed" });
    unassignUser(org, assigned[1]!);
    const whole = await pull(emulator, { groups, pageSize: 20, ...resume });
    expect(whole.mode).toBe("incremental");

    const { result, pages, views } = await streamed(emulator, { groups, pageSize: 20, ...resume });
    expect(result.mode).toBe("incremental");
    expect(result.appUsers).toEqual([]);
    expect(result.appUsersRead).toBe(whole.appUsers.length);
    expect(byId(views)).toEqual(byId(whole.appUsers));
    expect(views.some((v) => v.id === assigned[1])).toBe(false);
    // The changed user comes as read now, after the kept ones, and never as kept.
    const fresh = pages.filter((p) => p.from === "okta").flatMap((p) => p.views);
    expect(fresh.map((v) => v.id)).toEqual([assigned[0]]);
    expect(fresh[0]!.user.profile.title).toBe("Changed while streamed");
    expect(pages[pages.length - 1]!.from).toBe("okta");
    expect(result.changedUsers).toEqual(whole.changedUsers);
  });
});
