/** A fingerprint of a snapshot, so a saved plan is applied only to the state it was made from. */
import { createHash } from "node:crypto";
import { compareStrings, type Snapshot } from "../model.js";

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) out[key] = canonical((value as Record<string, unknown>)[key]);
    return out;
  }
  return value;
}

/**
 * The SHA-256 of the snapshot as canonical JSON (keys sorted, users and groups by Okta id,
 * members sorted), hashed one record at a time: a snapshot of 100,000 users is never copied
 * whole nor written out as one string.
 */
export function snapshotFingerprint(snapshot: Snapshot): string {
  const hash = createHash("sha256");
  const byOktaId = (a: { oktaId: string }, b: { oktaId: string }) => compareStrings(a.oktaId, b.oktaId);
  const list = <T extends { oktaId: string }>(records: readonly T[], shape: (record: T) => unknown) => {
    hash.update("[");
    let first = true;
    for (const record of [...records].sort(byOktaId)) {
      hash.update(`${first ? "" : ","}${JSON.stringify(canonical(shape(record)))}`);
      first = false;
    }
    hash.update("]");
  };
  hash.update('{"groups":');
  list(snapshot.groups, (g) => ({ ...g, members: [...g.members].sort() }));
  hash.update(',"users":');
  list(snapshot.users, (u) => u);
  hash.update("}");
  return `sha256:${hash.digest("hex")}`;
}
