/**
 * A deterministic, seeded Okta org: users, groups and the Verkada app with its assignments (see
 * okta-org.ts for the data). A generated org starts with an empty System Log; the helpers of
 * org-user-changes.ts and org-group-changes.ts change it between runs as Okta would.
 *
 * Same seed and options, same org, down to every id and timestamp.
 */
import { type EmulatedApp, type EmulatedGroup, type EmulatedOktaOrg, type EmulatedUser, iso, type OktaUserStatus } from "./okta-org.js";
import { directAssignment } from "./org-assignments.js";
import { realisticMembership } from "./org-distribution.js";
import { FIRST_NAMES, GROUP_NAMES, groupName, LAST_NAMES, NON_ACTIVE, phone, slug, TITLES } from "./org-names.js";
import { mulberry32, oktaId, pick } from "./seeded-random.js";

export interface GenerateOrgOptions {
  seed: number;
  users: number;
  groups: number;
  appId?: string;
  /** Domain of every login and email. Default `example.com`. */
  domain?: string;
  /** Fraction of users assigned to the app directly (scope USER). Default 0.8. */
  assignedFraction?: number;
  /** Groups assigned to the app: the first N, or these names or ids. Default none. */
  assignedGroups?: number | readonly string[];
  /** Average number of groups a user belongs to. Default 1.5. */
  membershipsPerUser?: number;
  /** Fraction of users whose status is not ACTIVE. Default 0.05. */
  nonActiveFraction?: number;
  /** Fraction of users without a primary phone. Default 0.2. */
  emptyPhoneFraction?: number;
  /** Time of the newest record, ISO 8601. Default 2024-06-01T00:00:00.000Z. */
  epoch?: string;
  /**
   * How users are spread over groups. "uniform" (default): every user is in their department's
   * group plus random others, about `membershipsPerUser` in all. "realistic": most users are in
   * 2 to 5 groups (`membershipsPerUser` is the mean, default 3.2) and group sizes are skewed: the
   * department groups and a few popular teams are large, the long tail has a few dozen members.
   */
  distribution?: "uniform" | "realistic";
}

const DAY_MS = 86_400_000;

export function generateOrg(options: GenerateOrgOptions): EmulatedOktaOrg {
  const { seed } = options;
  const rand = mulberry32(seed);
  const domain = options.domain ?? "example.com";
  const epoch = Date.parse(options.epoch ?? "2024-06-01T00:00:00.000Z");
  const assignedFraction = options.assignedFraction ?? 0.8;
  const realistic = options.distribution === "realistic";
  const memberships = Math.max(0, options.membershipsPerUser ?? (realistic ? 3.2 : 1.5));
  const nonActiveFraction = options.nonActiveFraction ?? 0.05;
  const emptyPhoneFraction = options.emptyPhoneFraction ?? 0.2;
  let serial = 0;
  const past = (maxDays: number) => epoch - Math.floor(rand() * maxDays * DAY_MS);

  const groups: EmulatedGroup[] = [];
  for (let i = 0; i < options.groups; i++) {
    const created = iso(past(900));
    groups.push({
      id: oktaId("00g", seed, serial++),
      name: groupName(i),
      description: i < GROUP_NAMES.length ? `Everyone in ${GROUP_NAMES[i]}` : null,
      type: "OKTA_GROUP",
      created,
      lastUpdated: created,
      lastMembershipUpdated: created,
      members: [],
    });
  }

  const users: EmulatedUser[] = [];
  const logins = new Map<string, number>();
  const departmentCount = Math.min(GROUP_NAMES.length, Math.max(1, options.groups));
  const chooseGroups = realistic ? realisticMembership(seed, groups.length, departmentCount, memberships) : undefined;
  for (let i = 0; i < options.users; i++) {
    const firstName = pick(rand, FIRST_NAMES);
    const lastName = pick(rand, LAST_NAMES);
    const base = `${slug(firstName)}.${slug(lastName)}`;
    const seen = logins.get(base) ?? 0;
    logins.set(base, seen + 1);
    const login = `${seen === 0 ? base : `${base}${seen + 1}`}@${domain}`;
    const departmentIndex = Math.floor(rand() * departmentCount);
    const department = GROUP_NAMES[departmentIndex]!;
    const created = past(1000);
    const updated = Math.min(epoch, created + Math.floor(rand() * 200 * DAY_MS));
    const status: OktaUserStatus = rand() < nonActiveFraction ? pick(rand, NON_ACTIVE) : "ACTIVE";
    const user: EmulatedUser = {
      id: oktaId("00u", seed, serial++),
      status,
      created: iso(created),
      activated: status === "STAGED" ? null : iso(created),
      statusChanged: iso(updated),
      lastLogin: status === "ACTIVE" ? iso(updated) : null,
      lastUpdated: iso(updated),
      passwordChanged: status === "STAGED" ? null : iso(created),
      profile: {
        login,
        email: login,
        firstName,
        lastName,
        title: rand() < 0.1 ? null : `${department} ${pick(rand, TITLES)}`,
        primaryPhone: rand() < emptyPhoneFraction ? null : phone(rand),
        mobilePhone: rand() < 0.5 ? phone(rand) : null,
        department,
        employeeNumber: String(100000 + i),
      },
    };
    users.push(user);

    if (chooseGroups) {
      for (const g of chooseGroups(departmentIndex)) groups[g]!.members.push(user.id);
    } else if (groups.length > 0) {
      const count = Math.floor(memberships) + (rand() < memberships - Math.floor(memberships) ? 1 : 0);
      const chosen = new Set<number>();
      if (count > 0 && departmentIndex < groups.length) chosen.add(departmentIndex);
      for (let tries = 0; chosen.size < Math.min(count, groups.length) && tries < count * 4; tries++) {
        chosen.add(Math.floor(rand() * groups.length));
      }
      for (const g of chosen) groups[g]!.members.push(user.id);
    }
  }
  for (const group of groups) group.members.sort();

  const appCreated = iso(epoch - 400 * DAY_MS);
  const app: EmulatedApp = {
    id: options.appId ?? oktaId("0oa", seed, serial++),
    name: "verkada",
    label: "Verkada",
    status: "ACTIVE",
    signOnMode: "SAML_2_0",
    created: appCreated,
    lastUpdated: appCreated,
    users: [],
    groups: [],
  };
  for (const user of users) {
    if (rand() >= assignedFraction) continue;
    const at = iso(Math.max(Date.parse(user.created), Date.parse(appCreated)));
    app.users.push(directAssignment(user, at));
  }

  const assigned = options.assignedGroups ?? 0;
  const assignedIds =
    typeof assigned === "number"
      ? groups.slice(0, assigned).map((g) => g.id)
      : assigned.map((entry) => {
          const group = groups.find((g) => g.id === entry || g.name === entry);
          if (!group) throw new Error(`generateOrg: no group "${entry}" to assign`);
          return group.id;
        });
  for (const [priority, groupId] of assignedIds.entries()) {
    app.groups.push({ groupId, priority, lastUpdated: appCreated, profile: {} });
  }

  return { seed, domain, clock: epoch, serial, users, groups, app, systemLog: [] };
}
