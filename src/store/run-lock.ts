/**
 * The run lock: only one run may work on a snapshot DB at a time. It lives in the DB itself (the
 * `meta` table), so it holds wherever the file is, and is taken in a write transaction, so two
 * processes cannot both win.
 *
 * A lock left by a process that died is taken over: at once when the holder was on this host and
 * its pid is gone, otherwise when its lease ran out. The holder renews the lease on a timer, so
 * only a dead (or frozen) holder lets it run out; pids get reused and other hosts cannot be
 * asked, which is why the lease exists at all.
 */
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import type Database from "better-sqlite3";
import { SyncError } from "../errors.js";

const LOCK_KEY = "run_lock";

/** Who holds the lock; stored as JSON in `meta`. */
export interface LockHolder {
  token: string;
  pid: number;
  host: string;
  command: string;
  acquiredAt: string;
  renewedAt: string;
}

export interface LockOptions {
  now?: Date;
  /** How long a lock lives without being renewed. Default 10 minutes. */
  leaseMs?: number;
  /** Renew the lease on a timer while the lock is held (default true). */
  heartbeat?: boolean;
  /** Whether a process on this host is alive; replaceable in tests. */
  isAlive?: (pid: number) => boolean;
}

export interface RunLock {
  readonly holder: LockHolder;
  /** The holder of a dead lock this one replaced. */
  readonly takenOverFrom: LockHolder | undefined;
  /** Runs a dead holder left `running`, now marked `interrupted`. */
  readonly interruptedRuns: number;
  /** Extend the lease; false when the lock was lost (taken over after the lease ran out). */
  renew(now?: Date): boolean;
  release(): void;
}

export const DEFAULT_LEASE_MS = 10 * 60 * 1000;

/** Tokens of the locks this process holds: a lock naming our own pid may be an earlier process's. */
const heldHere = new Set<string>();

export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

function parseHolder(value: string | undefined): LockHolder | undefined {
  if (value === undefined) return undefined;
  try {
    const parsed = JSON.parse(value) as Partial<LockHolder>;
    if (typeof parsed.token === "string" && typeof parsed.pid === "number" && typeof parsed.host === "string") {
      return {
        token: parsed.token,
        pid: parsed.pid,
        host: parsed.host,
        command: String(parsed.command ?? "?"),
        acquiredAt: String(parsed.acquiredAt ?? ""),
        renewedAt: String(parsed.renewedAt ?? parsed.acquiredAt ?? ""),
      };
    }
  } catch {
    // An unreadable lock cannot name a live holder; it is replaced below.
  }
  return undefined;
}

function isHeld(holder: LockHolder, now: Date, options: LockOptions): boolean {
  if (holder.host === hostname()) {
    if (holder.pid === process.pid) return heldHere.has(holder.token);
    if (!(options.isAlive ?? isProcessAlive)(holder.pid)) return false;
  }
  const age = now.getTime() - Date.parse(holder.renewedAt);
  // An unparseable time yields NaN, and the lock counts as abandoned.
  return age <= (options.leaseMs ?? DEFAULT_LEASE_MS);
}

/**
 * Take the lock or throw a SyncError of kind `conflict` naming the holder. `onAcquired` runs in
 * the same transaction, so work that needs the lock (marking dead runs) is atomic with it.
 */
export function acquireRunLock(
  db: Database.Database,
  path: string,
  command: string,
  options: LockOptions,
  onAcquired: (now: Date) => number,
): RunLock {
  const now = options.now ?? new Date();
  const select = db.prepare<[string], string>("SELECT value FROM meta WHERE key = ?").pluck();
  const write = db.prepare<[string, string, string]>(
    `INSERT INTO meta (key, value, updated_at) VALUES (?, ?, ?)
     ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
  );
  const holder: LockHolder = {
    token: randomBytes(8).toString("hex"),
    pid: process.pid,
    host: hostname(),
    command,
    acquiredAt: now.toISOString(),
    renewedAt: now.toISOString(),
  };

  const heldBy = (current: LockHolder) =>
    new SyncError(
      "conflict",
      `another run holds the lock on snapshot DB ${path}: ${current.command} (pid ${current.pid} on ${current.host}, since ${current.acquiredAt})`,
      { hint: "wait for it to finish, then run again" },
    );
  let taken: { previous: LockHolder | undefined; interruptedRuns: number };
  try {
    taken = db
      .transaction(() => {
        const stored = select.get(LOCK_KEY);
        const current = parseHolder(stored);
        if (current !== undefined && isHeld(current, now, options)) throw heldBy(current);
        write.run(LOCK_KEY, JSON.stringify(holder), now.toISOString());
        return { previous: stored === undefined ? undefined : current, interruptedRuns: onAcquired(now) };
      })
      .immediate();
  } catch (error) {
    // A run stopped in the middle of a write (frozen, or just slow) keeps the DB busy for longer
    // than the busy timeout; a read still works, and says whose run it is.
    if ((error as { code?: unknown }).code === "SQLITE_BUSY") {
      const current = parseHolder(select.get(LOCK_KEY));
      if (current !== undefined && isHeld(current, now, options)) throw heldBy(current);
    }
    throw error;
  }
  const { previous, interruptedRuns } = taken;
  heldHere.add(holder.token);

  const ours = "json_valid(value) AND json_extract(value, '$.token') = ?";
  const extend = db.prepare<[string, string, string, string]>(
    `UPDATE meta SET value = json_set(value, '$.renewedAt', ?), updated_at = ? WHERE key = ? AND ${ours}`,
  );
  const remove = db.prepare<[string, string]>(`DELETE FROM meta WHERE key = ? AND ${ours}`);
  let released = false;
  let timer: NodeJS.Timeout | undefined;

  const lock: RunLock = {
    holder,
    takenOverFrom: previous,
    interruptedRuns,
    renew(at = new Date()) {
      if (released || !db.open) return false;
      const stamp = at.toISOString();
      return extend.run(stamp, stamp, LOCK_KEY, holder.token).changes === 1;
    },
    release() {
      if (timer !== undefined) clearInterval(timer);
      heldHere.delete(holder.token);
      if (released || !db.open) return;
      released = true;
      remove.run(LOCK_KEY, holder.token);
    },
  };
  if (options.heartbeat !== false) {
    const every = Math.max(1000, Math.floor((options.leaseMs ?? DEFAULT_LEASE_MS) / 4));
    timer = setInterval(() => {
      try {
        lock.renew();
      } catch {
        // A busy DB misses one beat; the lease outlasts several.
      }
    }, every);
    // The lock must not keep a finished CLI alive.
    timer.unref();
  }
  return lock;
}
