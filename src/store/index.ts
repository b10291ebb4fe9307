export { type OpenSnapshotOptions, openSnapshotStore } from "./open-store.js";
export { type RunResult, newRunId } from "./run-log.js";
export { DEFAULT_LEASE_MS, type LockHolder, type LockOptions, type RunLock } from "./run-lock.js";
export { APPLICATION_ID, SCHEMA_VERSION } from "./schema.js";
export { SqliteSnapshotStore } from "./sqlite-store.js";
