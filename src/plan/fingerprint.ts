/** A fingerprint of a snapshot, so a saved plan is applied only to the state it was made from. */
import { createHash } from "node:crypto";
import type { Snapshot } from "../model.js";

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) out[key] = canonical((value as Record<string, unknown>)[key]);
    return out;
  }
  return value;
}

export function snapshotFingerprint(snapshot: Snapshot): string {
  const users = [...snapshot.users].sort((a, b) => (a.oktaId < b.oktaId ? -1 : a.oktaId > b.oktaId ? 1 : 0));
  const groups = [...snapshot.groups].sort((a, b) => (a.oktaId < b.oktaId ? -1 : a.oktaId > b.oktaId ? 1 : 0));
  const text = JSON.stringify(canonical({ users, groups: groups.map((g) => ({ ...g, members: [...g.members].sort() })) }));
  return `sha256:${createHash("sha256").update(text).digest("hex")}`;
}
