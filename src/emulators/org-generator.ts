/**
 * A deterministic, seeded Okta org: users, groups and the Verkada app with its assignments, as
 * plain mutable data. The Okta emulator serves it; tests and the demo change it between runs with
 * the helpers below, which keep `lastUpdated` / `lastMembershipUpdated` honest and record each
 * change in the org's System Log as Okta would.
 *
 * Same seed and options, same org, down to every id and timestamp.
 */
import {
  appendLogEvent,
  appTarget,
  type EmulatedLogEvent,
  type EmulatedLogTarget,
  groupTarget,
  statusEventType,
  userTarget,
} from "./okta-system-log.js";

export type { EmulatedLogActor, EmulatedLogEvent, EmulatedLogTarget } from "./okta-system-log.js";

export type OktaUserStatus =
  | "ACTIVE"
  | "STAGED"
  | "PROVISIONED"
  | "RECOVERY"
  | "PASSWORD_EXPIRED"
  | "LOCKED_OUT"
  | "SUSPENDED"
  | "DEPROVISIONED";

export interface EmulatedUserProfile {
  login: string;
  email: string;
  firstName: string;
  lastName: string;
  title: string | null;
  primaryPhone: string | null;
  mobilePhone: string | null;
  department: string | null;
  employeeNumber: string | null;
  /** Custom attributes ride along, as in Okta. */
  [attribute: string]: unknown;
}

export interface EmulatedUser {
  id: string;
  status: OktaUserStatus;
  created: string;
  activated: string | null;
  statusChanged: string | null;
  lastLogin: string | null;
  lastUpdated: string;
  passwordChanged: string | null;
  profile: EmulatedUserProfile;
}

export interface EmulatedGroup {
  id: string;
  name: string;
  description: string | null;
  type: "OKTA_GROUP" | "APP_GROUP" | "BUILT_IN";
  created: string;
  lastUpdated: string;
  lastMembershipUpdated: string;
  /** Okta user ids, sorted, unique. */
  members: string[];
}

/** A direct assignment of a user to the app (scope USER), with the app-level data Okta keeps. */
export interface EmulatedAppUser {
  userId: string;
  /** The id in the target app, once Okta provisioned the user there. */
  externalId: string | null;
  status: string;
  syncState: string;
  /** `credentials.userName`: the app username. */
  userName: string;
  /** The app user profile built by Okta's profile mappings. */
  profile: Record<string, unknown>;
  created: string;
  lastUpdated: string;
  statusChanged: string;
}

export interface EmulatedGroupAssignment {
  groupId: string;
  priority: number;
  lastUpdated: string;
  profile: Record<string, unknown>;
}

export interface EmulatedApp {
  id: string;
  name: string;
  label: string;
  status: "ACTIVE" | "INACTIVE";
  signOnMode: string;
  created: string;
  lastUpdated: string;
  /** Direct assignments. Members of `groups` are assigned too, with scope GROUP. */
  users: EmulatedAppUser[];
  groups: EmulatedGroupAssignment[];
}

export interface EmulatedOktaOrg {
  seed: number;
  domain: string;
  /** Epoch ms of the latest change; every mutation moves it on by one second. */
  clock: number;
  /** Serial number of the next id to mint. */
  serial: number;
  users: EmulatedUser[];
  groups: EmulatedGroup[];
  app: EmulatedApp;
  /**
   * The System Log, oldest first. A generated org starts with an empty log; every mutation helper
   * below appends the events Okta records for the change, `published` at the org clock's tick.
   */
  systemLog: EmulatedLogEvent[];
  /** Serial of the last log event recorded; event uuids derive from it. */
  logSerial?: number;
}

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

export const GROUP_NAMES: readonly string[] = [
  "Engineering",
  "Sales",
  "Marketing",
  "Finance",
  "Human Resources",
  "Legal",
  "Operations",
  "Customer Support",
  "Security",
  "IT",
  "Product",
  "Design",
  "Facilities",
  "Research",
  "Executive",
];

const FIRST_NAMES = [
  "Ada", "Alan", "Grace", "Linus", "Margaret", "Dennis", "Barbara", "Ken", "Frances", "Edsger",
  "Radia", "Donald", "Katherine", "John", "Hedy", "Tim", "Sophie", "Guido", "Anita", "Bjarne",
  "Shafi", "Leslie", "Karen", "Niklaus", "Jean", "Vint", "Mary", "Whitfield", "Adele", "Ivan",
  "Lynn", "Robert", "Evelyn", "Yukihiro", "Joan", "James", "Carol", "Brian", "Elena", "Ole",
] as const;

const LAST_NAMES = [
  "Lovelace", "Turing", "Hopper", "Torvalds", "Hamilton", "Ritchie", "Liskov", "Thompson", "Allen",
  "Dijkstra", "Perlman", "Knuth", "Johnson", "McCarthy", "Lamarr", "Berners-Lee", "Wilson", "van Rossum",
  "Borg", "Stroustrup", "Goldwasser", "Lamport", "Sparck Jones", "Wirth", "Sammet", "Cerf", "Keller",
  "Diffie", "Goldberg", "Sutherland", "Conway", "Kahn", "Boyd", "Matsumoto", "Clarke", "Gosling",
  "Shaw", "Kernighan", "O'Neil", "Dahl",
] as const;

const TITLES = ["Engineer", "Senior Engineer", "Manager", "Director", "Analyst", "Specialist", "Coordinator", "Lead"];

const NON_ACTIVE: readonly OktaUserStatus[] = [
  "SUSPENDED",
  "DEPROVISIONED",
  "STAGED",
  "PROVISIONED",
  "PASSWORD_EXPIRED",
  "LOCKED_OUT",
  "RECOVERY",
];

const ID_CHARS = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
const DAY_MS = 86_400_000;

/** mulberry32: tiny, fast, good enough for test data. Returns floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A 20-character Okta-style id. The last six characters encode the serial, so ids never collide;
 * the rest come from the seed so that two orgs look different.
 */
export function oktaId(prefix: string, seed: number, serial: number): string {
  const rand = mulberry32((seed ^ Math.imul(serial + 1, 0x9e3779b1)) >>> 0);
  let id = prefix;
  for (let i = 0; i < 11; i++) id += ID_CHARS[Math.floor(rand() * 62)];
  let n = serial;
  let tail = "";
  for (let i = 0; i < 6; i++) {
    tail = ID_CHARS[n % 62] + tail;
    n = Math.floor(n / 62);
  }
  return id + tail;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function pick<T>(rand: () => number, items: readonly T[]): T {
  return items[Math.floor(rand() * items.length)]!;
}

function phone(rand: () => number): string {
  const n = () => Math.floor(rand() * 10);
  return `+1 555-${n()}${n()}${n()}-${n()}${n()}${n()}${n()}`;
}

function slug(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]+/g, "");
}

/** The app profile Okta's default mappings would build from a user profile. */
export function appProfileFor(profile: EmulatedUserProfile): Record<string, unknown> {
  return {
    email: profile.email,
    firstName: profile.firstName,
    lastName: profile.lastName,
    title: profile.title,
    department: profile.department,
    primaryPhone: profile.primaryPhone,
    mobilePhone: profile.mobilePhone,
    employeeNumber: profile.employeeNumber,
  };
}

export function groupName(index: number): string {
  return index < GROUP_NAMES.length ? GROUP_NAMES[index]! : `Team ${index - GROUP_NAMES.length + 1}`;
}

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

/** Exponent of the popularity curve of non-department groups: the n-th most popular has ~n^-0.75 of the top one's members. */
const ZIPF_EXPONENT = 0.75;

/**
 * The group picker of the "realistic" distribution: each user is in their department's group and
 * `1 + Poisson(mean - 1)` groups in all; the others are drawn by a Zipf-like popularity over the
 * non-department groups (in a shuffled order, so the popular teams are not the first ones).
 * Draws from a random stream of its own.
 */
function realisticMembership(seed: number, groupCount: number, departmentCount: number, mean: number) {
  const rand = mulberry32((seed ^ 0x2545f491) >>> 0);
  const pool: number[] = [];
  for (let g = groupCount > departmentCount ? departmentCount : 0; g < groupCount; g++) pool.push(g);
  for (let i = pool.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [pool[i], pool[j]] = [pool[j]!, pool[i]!];
  }
  const cdf = new Float64Array(pool.length);
  let total = 0;
  for (let r = 0; r < pool.length; r++) {
    total += (r + 1) ** -ZIPF_EXPONENT;
    cdf[r] = total;
  }
  const popular = () => {
    const x = rand() * total;
    let lo = 0;
    let hi = pool.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cdf[mid]! < x) lo = mid + 1;
      else hi = mid;
    }
    return pool[lo]!;
  };
  const poissonLimit = Math.exp(-Math.max(0, mean - 1));
  const count = () => {
    if (mean < 1) return rand() < mean ? 1 : 0;
    let k = 0;
    for (let p = rand(); p > poissonLimit; p *= rand()) k++;
    return 1 + k;
  };
  return (departmentIndex: number): number[] => {
    if (groupCount === 0) return [];
    const wanted = Math.min(count(), groupCount);
    const chosen: number[] = [];
    if (wanted > 0 && departmentIndex < groupCount) chosen.push(departmentIndex);
    for (let tries = 0; chosen.length < wanted && tries < wanted * 4; tries++) {
      const g = popular();
      if (!chosen.includes(g)) chosen.push(g);
    }
    return chosen;
  };
}

/** The app data Okta keeps for a user assigned at `at` (directly, or through a group). */
export function directAssignment(user: EmulatedUser, at: string): EmulatedAppUser {
  return {
    userId: user.id,
    externalId: null,
    status: "PROVISIONED",
    syncState: "SYNCHRONIZED",
    userName: user.profile.login,
    profile: appProfileFor(user.profile),
    created: at,
    lastUpdated: at,
    statusChanged: at,
  };
}

/** A user assigned to the app, as Okta lists it: directly (USER) wins over through a group (GROUP). */
export interface EffectiveAppUser {
  user: EmulatedUser;
  scope: "USER" | "GROUP";
  assignment: EmulatedAppUser;
}

/** Every user assigned to the app, sorted by user id. */
export function listAssignedUsers(org: EmulatedOktaOrg): EffectiveAppUser[] {
  const usersById = new Map(org.users.map((u) => [u.id, u]));
  const result = new Map<string, EffectiveAppUser>();
  for (const assignment of org.app.users) {
    const user = usersById.get(assignment.userId);
    if (user) result.set(user.id, { user, scope: "USER", assignment });
  }
  for (const ga of org.app.groups) {
    const group = org.groups.find((g) => g.id === ga.groupId);
    if (!group) continue;
    for (const memberId of group.members) {
      if (result.has(memberId)) continue;
      const user = usersById.get(memberId);
      if (user) result.set(user.id, { user, scope: "GROUP", assignment: directAssignment(user, ga.lastUpdated) });
    }
  }
  return [...result.values()].sort((a, b) => (a.user.id < b.user.id ? -1 : a.user.id > b.user.id ? 1 : 0));
}

// --- mutations -------------------------------------------------------------------------------

/** Moves the org's clock on and returns the new time, so every change gets a later timestamp. */
export function tick(org: EmulatedOktaOrg): string {
  org.clock += 1000;
  return iso(org.clock);
}

interface UserIndex {
  users: EmulatedUser[];
  length: number;
  byId: Map<string, number>;
}

const userIndexes = new WeakMap<EmulatedOktaOrg, UserIndex>();

/**
 * A user by id, or undefined. Backed by an index that follows `org.users` as it grows, so lookups
 * stay cheap in orgs of 100,000 users; a hit is checked against the array itself.
 */
export function lookupUser(org: EmulatedOktaOrg, userId: string): EmulatedUser | undefined {
  let index = userIndexes.get(org);
  if (!index || index.users !== org.users || index.length > org.users.length) {
    index = { users: org.users, length: 0, byId: new Map() };
    userIndexes.set(org, index);
  }
  for (; index.length < org.users.length; index.length++) {
    const id = org.users[index.length]!.id;
    if (!index.byId.has(id)) index.byId.set(id, index.length);
  }
  const at = index.byId.get(userId);
  const user = at === undefined ? undefined : org.users[at];
  if (user?.id === userId) return user;
  // The array was edited in place: look the slow way and index afresh next time.
  const found = org.users.find((u) => u.id === userId);
  if (found) userIndexes.delete(org);
  return found;
}

export function findUser(org: EmulatedOktaOrg, userId: string): EmulatedUser {
  const user = lookupUser(org, userId);
  if (!user) throw new Error(`no Okta user ${userId}`);
  return user;
}

/** A group by id or exact name. */
export function findGroup(org: EmulatedOktaOrg, idOrName: string): EmulatedGroup {
  const group = org.groups.find((g) => g.id === idOrName) ?? org.groups.find((g) => g.name === idOrName);
  if (!group) throw new Error(`no Okta group ${idOrName}`);
  return group;
}

interface DirectIndex {
  list: EmulatedAppUser[];
  length: number;
  byUser: Map<string, number>;
}

const directIndexes = new WeakMap<EmulatedOktaOrg, DirectIndex>();

/** A user's direct assignment to the app, if any; indexed like lookupUser. */
export function findDirectAssignment(org: EmulatedOktaOrg, userId: string): EmulatedAppUser | undefined {
  const list = org.app.users;
  let index = directIndexes.get(org);
  if (!index || index.list !== list || index.length > list.length) {
    index = { list, length: 0, byUser: new Map() };
    directIndexes.set(org, index);
  }
  for (; index.length < list.length; index.length++) {
    const id = list[index.length]!.userId;
    if (!index.byUser.has(id)) index.byUser.set(id, index.length);
  }
  const at = index.byUser.get(userId);
  if (at === undefined) return undefined;
  const assignment = list[at];
  if (assignment?.userId === userId) return assignment;
  directIndexes.delete(org);
  return list.find((a) => a.userId === userId);
}

/** Whether a sorted list of ids holds one. */
function hasMember(members: readonly string[], userId: string): boolean {
  let lo = 0;
  let hi = members.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (members[mid]! < userId) lo = mid + 1;
    else hi = mid;
  }
  return members[lo] === userId;
}

/** How a user holds the app, as listAssignedUsers sees it: directly, through a group, or not at all. */
export type AppAccess = { scope: "USER" } | { scope: "GROUP"; groupId: string; since: string } | undefined;

/** The app access of one user (the first assigned group listing them, when not assigned directly). */
export function appAccess(org: EmulatedOktaOrg, userId: string): AppAccess {
  if (!lookupUser(org, userId)) return undefined;
  if (findDirectAssignment(org, userId)) return { scope: "USER" };
  for (const ga of org.app.groups) {
    const group = org.groups.find((g) => g.id === ga.groupId);
    if (group && hasMember(group.members, userId)) return { scope: "GROUP", groupId: group.id, since: ga.lastUpdated };
  }
  return undefined;
}

/** For every user assigned through a group, that group and its assignment time. */
function groupAccess(org: EmulatedOktaOrg): Map<string, { groupId: string; since: string }> {
  const result = new Map<string, { groupId: string; since: string }>();
  for (const ga of org.app.groups) {
    const group = org.groups.find((g) => g.id === ga.groupId);
    if (!group) continue;
    for (const id of group.members) if (!result.has(id)) result.set(id, { groupId: group.id, since: ga.lastUpdated });
  }
  return result;
}

const targetOf = (org: EmulatedOktaOrg, userId: string): EmulatedLogTarget => {
  const user = lookupUser(org, userId);
  return user ? userTarget(user) : { id: userId, type: "User", alternateId: userId, displayName: userId };
};

/** application.user_membership.* for a user whose access went from `before` to `after`, if it changed. */
function logAccessChange(org: EmulatedOktaOrg, userId: string, before: AppAccess, after: AppAccess, at: string): void {
  let type: string | undefined;
  if (before === undefined) type = after === undefined ? undefined : "application.user_membership.add";
  else if (after === undefined) type = "application.user_membership.remove";
  else if (before.scope !== after.scope) type = "application.user_membership.change_profile";
  else if (before.scope === "GROUP" && after.scope === "GROUP" && (before.groupId !== after.groupId || before.since !== after.since)) {
    type = "application.user_membership.change_profile";
  }
  if (type) appendLogEvent(org, type, [targetOf(org, userId), appTarget(org.app)], at);
}

/**
 * Logs the app access changes of a group's members after a change of the group's assignment,
 * given who had access through groups before it.
 */
function logGroupAccessChanges(
  org: EmulatedOktaOrg,
  group: EmulatedGroup,
  before: Map<string, { groupId: string; since: string }>,
  at: string,
): void {
  const direct = new Set(org.app.users.map((a) => a.userId));
  const after = groupAccess(org);
  for (const id of group.members) {
    if (direct.has(id) || !lookupUser(org, id)) continue;
    const was = before.get(id);
    const now = after.get(id);
    logAccessChange(org, id, was && { scope: "GROUP", ...was }, now && { scope: "GROUP", ...now }, at);
  }
}

/** Logs `user.lifecycle.create`. */
export function createUser(
  org: EmulatedOktaOrg,
  profile: Partial<EmulatedUserProfile> & { login: string },
  status: OktaUserStatus = "ACTIVE",
): EmulatedUser {
  const at = tick(org);
  const user: EmulatedUser = {
    id: oktaId("00u", org.seed, org.serial++),
    status,
    created: at,
    activated: status === "STAGED" ? null : at,
    statusChanged: at,
    lastLogin: null,
    lastUpdated: at,
    passwordChanged: null,
    profile: {
      email: profile.login,
      firstName: "",
      lastName: "",
      title: null,
      primaryPhone: null,
      mobilePhone: null,
      department: null,
      employeeNumber: null,
      ...profile,
    },
  };
  org.users.push(user);
  appendLogEvent(org, "user.lifecycle.create", [userTarget(user)], at);
  return user;
}

/**
 * Assigns a user to the app directly (scope USER); an existing direct assignment is updated.
 * Logs `application.user_membership.add` for a new direct assignment (also when the user had the
 * app through a group), `application.user_membership.change_profile` for an update.
 */
export function assignUser(
  org: EmulatedOktaOrg,
  userId: string,
  init: Partial<Pick<EmulatedAppUser, "externalId" | "status" | "userName" | "profile">> = {},
): EmulatedAppUser {
  const user = findUser(org, userId);
  const at = tick(org);
  let assignment = findDirectAssignment(org, userId);
  const added = !assignment;
  if (!assignment) {
    assignment = directAssignment(user, at);
    org.app.users.push(assignment);
  }
  Object.assign(assignment, init, { lastUpdated: at });
  const type = added ? "application.user_membership.add" : "application.user_membership.change_profile";
  appendLogEvent(org, type, [userTarget(user), appTarget(org.app)], at);
  return assignment;
}

/**
 * Removes a direct assignment. A user who is also in an assigned group stays assigned with scope
 * GROUP, as in Okta. Returns whether there was a direct assignment. Logs
 * `application.user_membership.remove`, or `.change_profile` when the user keeps the app through a group.
 */
export function unassignUser(org: EmulatedOktaOrg, userId: string): boolean {
  const index = org.app.users.findIndex((a) => a.userId === userId);
  if (index < 0) return false;
  org.app.users.splice(index, 1);
  const at = tick(org);
  logAccessChange(org, userId, { scope: "USER" }, appAccess(org, userId), at);
  return true;
}

/** Logs the lifecycle event of the change: deactivate, suspend, unsuspend, activate, reactivate, lock... */
export function setUserStatus(org: EmulatedOktaOrg, userId: string, status: OktaUserStatus): EmulatedUser {
  const user = findUser(org, userId);
  const at = tick(org);
  const from = user.status;
  user.status = status;
  user.statusChanged = at;
  user.lastUpdated = at;
  if (status === "ACTIVE" && user.activated === null) user.activated = at;
  appendLogEvent(org, statusEventType(from, status), [userTarget(user)], at);
  return user;
}

const MAPPED_ATTRIBUTES = new Set(Object.keys(appProfileFor({} as EmulatedUserProfile)));

/**
 * Changes profile attributes (null clears one); the direct assignment's app data follows, like
 * Okta's mappings. Logs `user.account.update_profile`, and `application.user_membership.change_profile`
 * when the user has the app and a mapped attribute or the login changed.
 */
export function updateProfile(
  org: EmulatedOktaOrg,
  userId: string,
  changes: Partial<EmulatedUserProfile>,
): EmulatedUser {
  const user = findUser(org, userId);
  const at = tick(org);
  const oldLogin = user.profile.login;
  Object.assign(user.profile, changes);
  user.lastUpdated = at;
  const assignment = findDirectAssignment(org, userId);
  if (assignment) {
    const mapped = appProfileFor(user.profile);
    for (const key of Object.keys(mapped)) {
      if (key in changes) assignment.profile[key] = mapped[key];
    }
    if (assignment.userName === oldLogin) assignment.userName = user.profile.login;
    assignment.lastUpdated = at;
  }
  appendLogEvent(org, "user.account.update_profile", [userTarget(user)], at);
  const appProfileChanged = Object.keys(changes).some((key) => key === "login" || MAPPED_ATTRIBUTES.has(key));
  if (appProfileChanged && (assignment || appAccess(org, userId))) {
    appendLogEvent(org, "application.user_membership.change_profile", [userTarget(user), appTarget(org.app)], at);
  }
  return user;
}

/**
 * Logs `group.user_membership.add`, and `application.user_membership.add` when the group is
 * assigned to the app and the user gets the app through it.
 */
export function addGroupMember(org: EmulatedOktaOrg, groupId: string, userId: string): boolean {
  const group = findGroup(org, groupId);
  const user = findUser(org, userId);
  if (group.members.includes(userId)) return false;
  const assigned = org.app.groups.some((ga) => ga.groupId === group.id);
  const before = assigned ? appAccess(org, userId) : undefined;
  group.members.push(userId);
  group.members.sort();
  const at = tick(org);
  group.lastMembershipUpdated = at;
  appendLogEvent(org, "group.user_membership.add", [userTarget(user), groupTarget(group)], at);
  if (assigned && before === undefined) logAccessChange(org, userId, undefined, appAccess(org, userId), at);
  return true;
}

/**
 * Logs `group.user_membership.remove`, and `application.user_membership.remove` when the user
 * loses the app with it.
 */
export function removeGroupMember(org: EmulatedOktaOrg, groupId: string, userId: string): boolean {
  const group = findGroup(org, groupId);
  const index = group.members.indexOf(userId);
  if (index < 0) return false;
  const assigned = org.app.groups.some((ga) => ga.groupId === group.id);
  const before = assigned ? appAccess(org, userId) : undefined;
  group.members.splice(index, 1);
  const at = tick(org);
  group.lastMembershipUpdated = at;
  appendLogEvent(org, "group.user_membership.remove", [targetOf(org, userId), groupTarget(group)], at);
  if (before !== undefined) {
    const after = appAccess(org, userId);
    if (after === undefined) logAccessChange(org, userId, before, after, at);
  }
  return true;
}

/** Logs `group.profile.update`. */
export function renameGroup(org: EmulatedOktaOrg, groupId: string, name: string): EmulatedGroup {
  const group = findGroup(org, groupId);
  group.name = name;
  const at = tick(org);
  group.lastUpdated = at;
  appendLogEvent(org, "group.profile.update", [groupTarget(group)], at);
  return group;
}

/** Logs `group.lifecycle.create`, then `group.user_membership.add` for each initial member. */
export function createGroup(
  org: EmulatedOktaOrg,
  name: string,
  init: { description?: string | null; members?: readonly string[] } = {},
): EmulatedGroup {
  const at = tick(org);
  for (const id of init.members ?? []) findUser(org, id);
  const group: EmulatedGroup = {
    id: oktaId("00g", org.seed, org.serial++),
    name,
    description: init.description ?? null,
    type: "OKTA_GROUP",
    created: at,
    lastUpdated: at,
    lastMembershipUpdated: at,
    members: [...new Set(init.members ?? [])].sort(),
  };
  org.groups.push(group);
  appendLogEvent(org, "group.lifecycle.create", [groupTarget(group)], at);
  for (const id of group.members) appendLogEvent(org, "group.user_membership.add", [targetOf(org, id), groupTarget(group)], at);
  return group;
}

/**
 * Assigns a group to the app: its members become app users with scope GROUP. Logs
 * `group.application_assignment.add` (`.update` when it was assigned already), then
 * `application.user_membership.add` for each member who gets the app through it, or
 * `.change_profile` for each whose group assignment changed.
 */
export function assignGroup(org: EmulatedOktaOrg, groupId: string, priority?: number): EmulatedGroupAssignment {
  const group = findGroup(org, groupId);
  const before = groupAccess(org);
  const at = tick(org);
  let assignment = org.app.groups.find((g) => g.groupId === group.id);
  const added = !assignment;
  if (!assignment) {
    assignment = { groupId: group.id, priority: priority ?? org.app.groups.length, lastUpdated: at, profile: {} };
    org.app.groups.push(assignment);
  } else {
    assignment.lastUpdated = at;
    if (priority !== undefined) assignment.priority = priority;
  }
  const type = added ? "group.application_assignment.add" : "group.application_assignment.update";
  appendLogEvent(org, type, [groupTarget(group), appTarget(org.app)], at);
  logGroupAccessChanges(org, group, before, at);
  return assignment;
}

/**
 * Logs `group.application_assignment.remove`, then `application.user_membership.remove` for each
 * member who loses the app with it (`.change_profile` for one who keeps it through another group).
 */
export function unassignGroup(org: EmulatedOktaOrg, groupId: string): boolean {
  const group = findGroup(org, groupId);
  const index = org.app.groups.findIndex((g) => g.groupId === group.id);
  if (index < 0) return false;
  const before = groupAccess(org);
  org.app.groups.splice(index, 1);
  const at = tick(org);
  appendLogEvent(org, "group.application_assignment.remove", [groupTarget(group), appTarget(org.app)], at);
  logGroupAccessChanges(org, group, before, at);
  return true;
}

// --- sampling, for benchmarks and churn --------------------------------------------------------

/**
 * A deterministic sample: `amount` items when it is 1 or more, else that fraction of them
 * (rounded, at least one when the fraction is above 0). Order follows `items`.
 */
export function pickSample<T>(items: readonly T[], amount: number, seed: number): T[] {
  const wanted = Math.min(items.length, amount >= 1 ? Math.floor(amount) : amount > 0 ? Math.max(1, Math.round(items.length * amount)) : 0);
  if (wanted === 0) return [];
  const rand = mulberry32((seed ^ 0x68e31da4) >>> 0);
  // Selection sampling (Knuth's algorithm S): one pass, no shuffle of a copy.
  const result: T[] = [];
  for (let i = 0; i < items.length && result.length < wanted; i++) {
    if (rand() * (items.length - i) < wanted - result.length) result.push(items[i]!);
  }
  return result;
}

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
 * A day of changes made through the helpers above (so timestamps move and the System Log records
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
