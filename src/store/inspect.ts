/**
 * The snapshot DB as `check` looks at it: missing (the first sync creates it), unreadable (with
 * why), or open read-only with its run log. Nothing is created or written.
 */
import { existsSync, statSync } from "node:fs";
import type { RunRecord } from "../model.js";
import { openSnapshotStore } from "./open-store.js";
import { SCHEMA_VERSION } from "./schema.js";

export type SnapshotInspection =
  | { kind: "missing" }
  | { kind: "unreadable"; error: unknown }
  | {
      kind: "open";
      /** The file is there but empty: the first sync initialises it. */
      empty: boolean;
      /** The schema version this build reads and writes. */
      schemaVersion: number;
      /** Newest first. */
      listRuns(limit: number): RunRecord[];
      close(): void;
    };

export function inspectSnapshot(path: string): SnapshotInspection {
  if (!existsSync(path)) return { kind: "missing" };
  let store: ReturnType<typeof openSnapshotStore>;
  try {
    store = openSnapshotStore(path, { readonly: true });
  } catch (error) {
    return { kind: "unreadable", error };
  }
  let empty = false;
  try {
    empty = statSync(path).size === 0;
  } catch {
    // It was there a moment ago; the store opened, so describe it as a DB.
  }
  return { kind: "open", empty, schemaVersion: SCHEMA_VERSION, listRuns: (limit) => store.listRuns(limit), close: () => store.close() };
}
