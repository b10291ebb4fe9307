/** Samples and churn over a generated org, for benchmarks: a day of ordinary changes, reproducibly. */
import type { EmulatedOktaOrg } from "./okta-org.js";
import { listAssignedUsers } from "./org-assignments.js";
import { addGroupMember, removeGroupMember } from "./org-group-changes.js";
import { TITLES } from "./org-names.js";
import { updateProfile } from "./org-user-changes.js";
import { mulberry32, pick, pickSample } from "./seeded-random.js";

/** Ids of users assigned to the app (directly or through a group), sampled as pickSample does. */
export function sampleAssignedUsers(org: EmulatedOktaOrg, amount: number, seed: number): string[] {
  return pickSample(
    listAssignedUsers(org).map((e) => e.user.id),
    amount,
    seed,
  );
}

export interface Membership {
  groupId: string;
  userId: string;
}

/** Existing group memberships, sampled as pickSample does (e.g. to remove some of them). */
export function sampleMemberships(org: EmulatedOktaOrg, amount: number, seed: number): Membership[] {
  const all: Membership[] = [];
  for (const group of org.groups) for (const userId of group.members) all.push({ groupId: group.id, userId });
  return pickSample(all, amount, seed);
}

export interface ChurnOptions {
  seed: number;
  /** Assigned users whose title changes (a count, or a fraction of the assigned users). */
  profileChanges?: number;
  /** Memberships changed (a count, or a fraction of all memberships): half removed, half added. */
  membershipChanges?: number;
}

export interface ChurnResult {
  /** Users whose profile changed. */
  updatedUsers: string[];
  removed: Membership[];
  added: Membership[];
}

/**
 * A day of changes made through the change helpers (so timestamps move and the System Log records
 * them): new titles for some assigned users; some memberships removed and as many new ones added
 * (random users into the groups of the sampled memberships, keeping group sizes).
 */
export function churn(org: EmulatedOktaOrg, options: ChurnOptions): ChurnResult {
  const rand = mulberry32((options.seed ^ 0x1b873593) >>> 0);
  const updatedUsers = sampleAssignedUsers(org, options.profileChanges ?? 0, options.seed);
  for (const [n, userId] of updatedUsers.entries()) {
    updateProfile(org, userId, { title: `${pick(rand, TITLES)} ${n + 1}` });
  }
  const sampled = sampleMemberships(org, options.membershipChanges ?? 0, options.seed + 1);
  const removed: Membership[] = [];
  const added: Membership[] = [];
  for (const [n, m] of sampled.entries()) {
    if (n % 2 === 0) {
      if (removeGroupMember(org, m.groupId, m.userId)) removed.push(m);
      continue;
    }
    for (let tries = 0; tries < 8 && org.users.length > 0; tries++) {
      const userId = org.users[Math.floor(rand() * org.users.length)]!.id;
      if (addGroupMember(org, m.groupId, userId)) {
        added.push({ groupId: m.groupId, userId });
        break;
      }
    }
  }
  return { updatedUsers, removed, added };
}
