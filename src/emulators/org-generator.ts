/**
 * A deterministic, seeded Okta org: users, groups and the Verkada app with its assignments, as
 * plain mutable data. The Okta emulator serves it; tests and the demo change it between runs with
 * the helpers below, which keep `lastUpdated` / `lastMembershipUpdated` honest.
 *
 * Same seed and options, same org, down to every id and timestamp.
 */

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
  const memberships = Math.max(0, options.membershipsPerUser ?? 1.5);
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

    if (groups.length > 0) {
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

  return { seed, domain, clock: epoch, serial, users, groups, app };
}

function directAssignment(user: EmulatedUser, at: string): EmulatedAppUser {
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

export function findUser(org: EmulatedOktaOrg, userId: string): EmulatedUser {
  const user = org.users.find((u) => u.id === userId);
  if (!user) throw new Error(`no Okta user ${userId}`);
  return user;
}

/** A group by id or exact name. */
export function findGroup(org: EmulatedOktaOrg, idOrName: string): EmulatedGroup {
  const group = org.groups.find((g) => g.id === idOrName) ?? org.groups.find((g) => g.name === idOrName);
  if (!group) throw new Error(`no Okta group ${idOrName}`);
  return group;
}

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
  return user;
}

/** Assigns a user to the app directly (scope USER); an existing direct assignment is updated. */
export function assignUser(
  org: EmulatedOktaOrg,
  userId: string,
  init: Partial<Pick<EmulatedAppUser, "externalId" | "status" | "userName" | "profile">> = {},
): EmulatedAppUser {
  const user = findUser(org, userId);
  const at = tick(org);
  let assignment = org.app.users.find((a) => a.userId === userId);
  if (!assignment) {
    assignment = directAssignment(user, at);
    org.app.users.push(assignment);
  }
  Object.assign(assignment, init, { lastUpdated: at });
  return assignment;
}

/**
 * Removes a direct assignment. A user who is also in an assigned group stays assigned with scope
 * GROUP, as in Okta. Returns whether there was a direct assignment.
 */
export function unassignUser(org: EmulatedOktaOrg, userId: string): boolean {
  const index = org.app.users.findIndex((a) => a.userId === userId);
  if (index < 0) return false;
  org.app.users.splice(index, 1);
  tick(org);
  return true;
}

export function setUserStatus(org: EmulatedOktaOrg, userId: string, status: OktaUserStatus): EmulatedUser {
  const user = findUser(org, userId);
  const at = tick(org);
  user.status = status;
  user.statusChanged = at;
  user.lastUpdated = at;
  if (status === "ACTIVE" && user.activated === null) user.activated = at;
  return user;
}

/** Changes profile attributes (null clears one); the direct assignment's app data follows, like Okta's mappings. */
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
  const assignment = org.app.users.find((a) => a.userId === userId);
  if (assignment) {
    const mapped = appProfileFor(user.profile);
    for (const key of Object.keys(mapped)) {
      if (key in changes) assignment.profile[key] = mapped[key];
    }
    if (assignment.userName === oldLogin) assignment.userName = user.profile.login;
    assignment.lastUpdated = at;
  }
  return user;
}

export function addGroupMember(org: EmulatedOktaOrg, groupId: string, userId: string): boolean {
  const group = findGroup(org, groupId);
  findUser(org, userId);
  if (group.members.includes(userId)) return false;
  group.members.push(userId);
  group.members.sort();
  group.lastMembershipUpdated = tick(org);
  return true;
}

export function removeGroupMember(org: EmulatedOktaOrg, groupId: string, userId: string): boolean {
  const group = findGroup(org, groupId);
  const index = group.members.indexOf(userId);
  if (index < 0) return false;
  group.members.splice(index, 1);
  group.lastMembershipUpdated = tick(org);
  return true;
}

export function renameGroup(org: EmulatedOktaOrg, groupId: string, name: string): EmulatedGroup {
  const group = findGroup(org, groupId);
  group.name = name;
  group.lastUpdated = tick(org);
  return group;
}

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
  return group;
}

/** Assigns a group to the app: its members become app users with scope GROUP. */
export function assignGroup(org: EmulatedOktaOrg, groupId: string, priority?: number): EmulatedGroupAssignment {
  const group = findGroup(org, groupId);
  const at = tick(org);
  let assignment = org.app.groups.find((g) => g.groupId === group.id);
  if (!assignment) {
    assignment = { groupId: group.id, priority: priority ?? org.app.groups.length, lastUpdated: at, profile: {} };
    org.app.groups.push(assignment);
  } else {
    assignment.lastUpdated = at;
    if (priority !== undefined) assignment.priority = priority;
  }
  return assignment;
}

export function unassignGroup(org: EmulatedOktaOrg, groupId: string): boolean {
  const group = findGroup(org, groupId);
  const index = org.app.groups.findIndex((g) => g.groupId === group.id);
  if (index < 0) return false;
  org.app.groups.splice(index, 1);
  tick(org);
  return true;
}
