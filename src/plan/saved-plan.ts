/**
 * A plan saved for review and applied later (`plan --out`, `sync --plan`). The file names the
 * snapshot it was computed from (a fingerprint) and the Okta app and Command org it is for, so a
 * reviewed change is exactly the change made, or nothing.
 */
import { z } from "zod";
import { SyncError } from "../errors.js";
import type { Operation, Plan } from "../model.js";

export const SAVED_PLAN_FORMAT = "okta-command-sync/plan";
export const SAVED_PLAN_VERSION = 1;

export interface SavedPlanTarget {
  oktaOrgUrl: string;
  oktaAppId: string;
  scimUrl: string;
}

export interface SavedPlan {
  format: typeof SAVED_PLAN_FORMAT;
  version: number;
  createdAt: string;
  fingerprint: string;
  target: SavedPlanTarget;
  plan: Plan;
}

const attrs = z.record(z.string(), z.string());
const member = z.object({ oktaId: z.string().min(1), userName: z.string() }).strict();
const id = z.string().min(1);
const operation = z.discriminatedUnion("type", [
  z.object({ type: z.literal("createUser"), oktaId: id, userName: id, after: attrs, replaces: z.object({ scimId: id, userName: z.string() }).strict().optional() }).strict(),
  z.object({ type: z.literal("updateUser"), oktaId: id, scimId: id, userName: id, before: attrs, after: attrs, attributes: attrs, active: z.boolean() }).strict(),
  z.object({ type: z.literal("deactivateUser"), oktaId: id, scimId: id, userName: z.string() }).strict(),
  z.object({ type: z.literal("reactivateUser"), oktaId: id, scimId: id, userName: z.string() }).strict(),
  z.object({ type: z.literal("createGroup"), oktaGroupId: id, displayName: id }).strict(),
  z.object({ type: z.literal("updateGroup"), oktaGroupId: id, scimId: id, before: z.object({ displayName: z.string() }).strict(), after: z.object({ displayName: id }).strict() }).strict(),
  z.object({ type: z.literal("deleteGroup"), oktaGroupId: id, scimId: id, displayName: z.string() }).strict(),
  z.object({ type: z.literal("addMembers"), oktaGroupId: id, displayName: z.string(), members: z.array(member).min(1) }).strict(),
  z.object({ type: z.literal("removeMembers"), oktaGroupId: id, displayName: z.string(), members: z.array(member).min(1) }).strict(),
]);
const schema = z
  .object({
    format: z.literal(SAVED_PLAN_FORMAT),
    version: z.literal(SAVED_PLAN_VERSION),
    createdAt: z.string(),
    fingerprint: z.string().regex(/^sha256:[0-9a-f]{64}$/),
    target: z.object({ oktaOrgUrl: z.string(), oktaAppId: z.string(), scimUrl: z.string() }).strict(),
    plan: z.object({ operations: z.array(operation), warnings: z.array(z.string()) }).passthrough(),
  })
  .passthrough();

export function savePlan(plan: Plan, fingerprint: string, target: SavedPlanTarget, createdAt: Date): SavedPlan {
  return { format: SAVED_PLAN_FORMAT, version: SAVED_PLAN_VERSION, createdAt: createdAt.toISOString(), fingerprint, target, plan };
}

/** Parse a saved plan file's text; every problem is a clear config error naming the file. */
export function parseSavedPlan(text: string, file: string): SavedPlan {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new SyncError("config", `${file} is not a saved plan: it is not valid JSON`, { hint: "make one with `plan --out FILE`" });
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const where = issue.path.length > 0 ? issue.path.join(".") : "(top level)";
    throw new SyncError("config", `${file} is not a usable saved plan: ${where}: ${issue.message}`, { hint: "make a new one with `plan --out FILE`" });
  }
  const value = parsed.data;
  return { ...value, plan: { operations: value.plan.operations as Operation[], warnings: value.plan.warnings } } as SavedPlan;
}

/** Why a saved plan may not be applied here, or undefined when it may. */
export function savedPlanMismatch(saved: SavedPlan, fingerprint: string, target: SavedPlanTarget): string | undefined {
  for (const key of ["oktaOrgUrl", "oktaAppId", "scimUrl"] as const) {
    if (saved.target[key] !== target[key]) return `the plan was made for ${key} ${saved.target[key]}, but this configuration has ${target[key]}`;
  }
  if (saved.fingerprint !== fingerprint) {
    return `the snapshot changed since the plan was made (${saved.createdAt}): another run applied changes, so the reviewed plan no longer describes what would happen`;
  }
  return undefined;
}
