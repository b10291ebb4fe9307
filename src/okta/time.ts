/** Okta's times (ISO 8601, Okta's clock), in the one form that compares as text. */

/** A time as Okta sent it (a string, or a Date), as ISO 8601 UTC with milliseconds; undefined when it is none. */
export function oktaTime(value: unknown): string | undefined {
  const date = value instanceof Date ? value : typeof value === "string" && value !== "" ? new Date(value) : undefined;
  return date === undefined || Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

/** The time `ms` milliseconds before `time`. */
export function minus(time: string, ms: number): string {
  return new Date(Date.parse(time) - ms).toISOString();
}
