/** The names, titles and phone numbers the generated people and groups are made of. */
import type { OktaUserStatus } from "./okta-org.js";

/** The department groups, in order; a user's department is one of them. */
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

export const FIRST_NAMES = [
  "Ada", "Alan", "Grace", "Linus", "Margaret", "Dennis", "Barbara", "Ken", "Frances", "Edsger",
  "Radia", "Donald", "Katherine", "John", "Hedy", "Tim", "Sophie", "Guido", "Anita", "Bjarne",
  "Shafi", "Leslie", "Karen", "Niklaus", "Jean", "Vint", "Mary", "Whitfield", "Adele", "Ivan",
  "Lynn", "Robert", "Evelyn", "Yukihiro", "Joan", "James", "Carol", "Brian", "Elena", "Ole",
] as const;

export const LAST_NAMES = [
  "Lovelace", "Turing", "Hopper", "Torvalds", "Hamilton", "Ritchie", "Liskov", "Thompson", "Allen",
  "Dijkstra", "Perlman", "Knuth", "Johnson", "McCarthy", "Lamarr", "Berners-Lee", "Wilson", "van Rossum",
  "Borg", "Stroustrup", "Goldwasser", "Lamport", "Sparck Jones", "Wirth", "Sammet", "Cerf", "Keller",
  "Diffie", "Goldberg", "Sutherland", "Conway", "Kahn", "Boyd", "Matsumoto", "Clarke", "Gosling",
  "Shaw", "Kernighan", "O'Neil", "Dahl",
] as const;

export const TITLES = ["Engineer", "Senior Engineer", "Manager", "Director", "Analyst", "Specialist", "Coordinator", "Lead"];

/** The statuses a user who is not ACTIVE is given. */
export const NON_ACTIVE: readonly OktaUserStatus[] = [
  "SUSPENDED",
  "DEPROVISIONED",
  "STAGED",
  "PROVISIONED",
  "PASSWORD_EXPIRED",
  "LOCKED_OUT",
  "RECOVERY",
];

/** A fictitious North American number (555 exchange). */
export function phone(rand: () => number): string {
  const n = () => Math.floor(rand() * 10);
  return `+1 555-${n()}${n()}${n()}-${n()}${n()}${n()}${n()}`;
}

/** A name as it goes into a login: lower case, letters and digits only. */
export function slug(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]+/g, "");
}

/** The name of the n-th generated group: the departments first, then "Team 1", "Team 2"... */
export function groupName(index: number): string {
  return index < GROUP_NAMES.length ? GROUP_NAMES[index]! : `Team ${index - GROUP_NAMES.length + 1}`;
}
