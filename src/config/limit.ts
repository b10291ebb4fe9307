/** The count-or-percent grammar of limits, apart from the schema so a flag parser can use it without loading zod. */
import type { Limit } from "./types.js";

/** `25` -> at most 25 (users, groups, memberships); `10%` -> at most 10% of what the snapshot holds. */
export function parseLimit(value: unknown): Limit | undefined {
  if (typeof value === "number") return Number.isSafeInteger(value) && value >= 0 ? { kind: "count", value } : undefined;
  if (typeof value !== "string") return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return { kind: "count", value: Number(text) };
  const percent = /^(\d+(?:\.\d+)?)\s*%$/.exec(text);
  if (percent === null) return undefined;
  const amount = Number(percent[1]);
  return amount <= 100 ? { kind: "percent", value: amount } : undefined;
}
