/**
 * The snapshot DB schema as an ordered list of migrations. `PRAGMA user_version` records the last
 * one applied; a migration is never edited once released, only followed by a new one.
 */

/** Marks the file as ours (`PRAGMA application_id`, "OCS1"), so a foreign DB is never migrated. */
export const APPLICATION_ID = 0x4f435331;

export interface Migration {
  readonly version: number;
  readonly description: string;
  readonly sql: string;
}

const INITIAL = `
PRAGMA application_id = ${APPLICATION_ID};

CREATE TABLE users (
  okta_id    TEXT PRIMARY KEY NOT NULL,
  scim_id    TEXT NOT NULL UNIQUE,
  user_name  TEXT NOT NULL,
  attributes TEXT NOT NULL CHECK (json_valid(attributes)),
  active     INTEGER NOT NULL CHECK (active IN (0, 1)),
  updated_at TEXT NOT NULL
) STRICT;

CREATE TABLE groups (
  okta_id      TEXT PRIMARY KEY NOT NULL,
  scim_id      TEXT NOT NULL UNIQUE,
  display_name TEXT NOT NULL,
  updated_at   TEXT NOT NULL
) STRICT;

-- No foreign key to users: a membership is recorded once Command confirmed it, and must not fail
-- to commit because of the order in which links were saved. unlinkUser removes them explicitly.
CREATE TABLE group_members (
  group_okta_id TEXT NOT NULL REFERENCES groups (okta_id) ON DELETE CASCADE,
  user_okta_id  TEXT NOT NULL,
  PRIMARY KEY (group_okta_id, user_okta_id)
) STRICT, WITHOUT ROWID;

CREATE INDEX group_members_by_user ON group_members (user_okta_id);

CREATE TABLE runs (
  id          TEXT PRIMARY KEY NOT NULL,
  command     TEXT NOT NULL,
  started_at  TEXT NOT NULL,
  finished_at TEXT,
  status      TEXT NOT NULL
              CHECK (status IN ('running', 'succeeded', 'partial', 'failed', 'refused', 'interrupted')),
  summary     TEXT CHECK (summary IS NULL OR json_valid(summary)),
  failed      INTEGER NOT NULL DEFAULT 0,
  warnings    TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(warnings))
) STRICT;

CREATE INDEX runs_by_start ON runs (started_at);
CREATE INDEX runs_running ON runs (status) WHERE status = 'running';

CREATE TABLE run_operations (
  run_id  TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  idx     INTEGER NOT NULL,
  type    TEXT NOT NULL,
  target  TEXT NOT NULL,
  outcome TEXT NOT NULL CHECK (outcome IN ('succeeded', 'failed', 'skipped')),
  error   TEXT,
  detail  TEXT NOT NULL CHECK (json_valid(detail)),
  PRIMARY KEY (run_id, idx)
) STRICT, WITHOUT ROWID;

CREATE TABLE meta (
  key        TEXT PRIMARY KEY NOT NULL,
  value      TEXT NOT NULL,
  updated_at TEXT NOT NULL
) STRICT, WITHOUT ROWID;
`;

const PULL_CACHE = `
-- Creates sent to Command whose answer is not recorded yet (the process may have died in between):
-- the next run looks these up in Command before creating them again. Every other create goes
-- straight to POST, since the snapshot proves the record is new.
CREATE TABLE pending_creates (
  kind    TEXT NOT NULL CHECK (kind IN ('user', 'group')),
  okta_id TEXT NOT NULL,
  run_id  TEXT NOT NULL,
  PRIMARY KEY (kind, okta_id)
) STRICT, WITHOUT ROWID;

-- What the last Okta pull read, so the next one re-reads only what moved: a group's members are
-- read again only when its lastMembershipUpdated changed; an incremental run re-fetches only the
-- users the System Log names.
CREATE TABLE okta_groups (
  okta_id                 TEXT PRIMARY KEY NOT NULL,
  name                    TEXT NOT NULL,
  last_membership_updated TEXT,
  member_ids              TEXT NOT NULL
) STRICT;

CREATE TABLE okta_app_users (
  okta_id TEXT PRIMARY KEY NOT NULL,
  view    TEXT NOT NULL
) STRICT;
`;

const KEPT_PLANS = `
-- A refused run keeps the plan it refused (a saved plan, with the fingerprint of the snapshot it
-- was made against), so that someone can review it and approve exactly it (\`sync --approve\`).
-- The approving run names the run it approved; that is also what makes an approval single-use.
ALTER TABLE runs ADD COLUMN kept_plan TEXT CHECK (kept_plan IS NULL OR json_valid(kept_plan));
ALTER TABLE runs ADD COLUMN approves TEXT;
CREATE INDEX runs_by_approved ON runs (approves) WHERE approves IS NOT NULL;
`;

export const MIGRATIONS: readonly Migration[] = [
  { version: 1, description: "initial schema", sql: INITIAL },
  { version: 2, description: "pending creates and the Okta pull cache", sql: PULL_CACHE },
  { version: 3, description: "plans kept by refused runs, and approvals", sql: KEPT_PLANS },
];

/** The schema version this code writes and understands. */
export const SCHEMA_VERSION: number = MIGRATIONS[MIGRATIONS.length - 1]?.version ?? 0;
