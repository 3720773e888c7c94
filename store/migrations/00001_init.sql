-- +goose Up
-- Users: the directory of record. pk is an internal integer key so that the
-- million-row membership table stays small and fast to scan; id is the SCIM id.
CREATE TABLE users (
    pk               INTEGER PRIMARY KEY,
    id               TEXT    NOT NULL UNIQUE,
    user_name        TEXT    NOT NULL,
    -- user_name_fold is userName lower-cased with Unicode rules in Go: SQLite's
    -- NOCASE folds ASCII only, and SCIM says userName is caseExact=false.
    user_name_fold   TEXT    NOT NULL UNIQUE,
    external_id      TEXT    NOT NULL DEFAULT '',
    owner            TEXT    NOT NULL DEFAULT '',
    source_id        TEXT    NOT NULL DEFAULT '',
    display_name     TEXT    NOT NULL DEFAULT '',
    formatted_name   TEXT    NOT NULL DEFAULT '',
    given_name       TEXT    NOT NULL DEFAULT '',
    family_name      TEXT    NOT NULL DEFAULT '',
    middle_name      TEXT    NOT NULL DEFAULT '',
    honorific_prefix TEXT    NOT NULL DEFAULT '',
    honorific_suffix TEXT    NOT NULL DEFAULT '',
    emails           TEXT    NOT NULL DEFAULT '[]',
    active           INTEGER NOT NULL DEFAULT 1,
    enterprise       TEXT    NOT NULL DEFAULT '{}',
    extra            TEXT    NOT NULL DEFAULT '{}',
    created          TEXT    NOT NULL,
    last_modified    TEXT    NOT NULL,
    version          INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX users_owner_source ON users (owner, source_id);
CREATE INDEX users_external_id ON users (external_id);
CREATE INDEX users_display_name ON users (display_name);
CREATE INDEX users_last_modified ON users (last_modified);

CREATE TABLE groups (
    pk                INTEGER PRIMARY KEY,
    id                TEXT NOT NULL UNIQUE,
    display_name      TEXT NOT NULL,
    display_name_fold TEXT NOT NULL UNIQUE,
    external_id       TEXT NOT NULL DEFAULT '',
    owner             TEXT NOT NULL DEFAULT '',
    source_id         TEXT NOT NULL DEFAULT '',
    extra             TEXT NOT NULL DEFAULT '{}',
    created           TEXT NOT NULL,
    last_modified     TEXT NOT NULL,
    version           INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX groups_owner_source ON groups (owner, source_id);
CREATE INDEX groups_external_id ON groups (external_id);
CREATE INDEX groups_display_name ON groups (display_name);
CREATE INDEX groups_last_modified ON groups (last_modified);

CREATE TABLE memberships (
    group_pk INTEGER NOT NULL REFERENCES groups (pk) ON DELETE CASCADE,
    user_pk  INTEGER NOT NULL REFERENCES users (pk) ON DELETE CASCADE,
    PRIMARY KEY (group_pk, user_pk)
) WITHOUT ROWID;
CREATE INDEX memberships_user ON memberships (user_pk);

-- Integrations are the configured sources; a token is stored only as its
-- SHA-256 hash, so a stolen database file does not grant SCIM access.
CREATE TABLE integrations (
    name          TEXT PRIMARY KEY,
    type          TEXT NOT NULL DEFAULT '',
    token_hash    BLOB,
    token_created TEXT,
    created       TEXT NOT NULL
);

CREATE TABLE audit (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    at          TEXT NOT NULL,
    channel     TEXT NOT NULL,
    integration TEXT NOT NULL DEFAULT '',
    run_id      TEXT NOT NULL DEFAULT '',
    actor       TEXT NOT NULL DEFAULT '',
    action      TEXT NOT NULL,
    object_type TEXT NOT NULL DEFAULT '',
    object_id   TEXT NOT NULL DEFAULT '',
    object_name TEXT NOT NULL DEFAULT '',
    changes     TEXT NOT NULL DEFAULT '[]',
    detail      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_at ON audit (at);
CREATE INDEX audit_object ON audit (object_id);
CREATE INDEX audit_integration ON audit (integration, at);
CREATE INDEX audit_run ON audit (run_id);
-- The audit log is append-only: the database itself refuses edits.
-- +goose StatementBegin
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
-- +goose StatementEnd

CREATE TABLE sync_runs (
    id       TEXT PRIMARY KEY,
    source   TEXT NOT NULL,
    kind     TEXT NOT NULL,
    dry_run  INTEGER NOT NULL DEFAULT 0,
    started  TEXT NOT NULL,
    finished TEXT,
    outcome  TEXT NOT NULL,
    counts   TEXT NOT NULL DEFAULT '{}',
    error    TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sync_runs_source ON sync_runs (source, started);

CREATE TABLE cursors (
    source  TEXT NOT NULL,
    name    TEXT NOT NULL,
    value   TEXT NOT NULL,
    updated TEXT NOT NULL,
    PRIMARY KEY (source, name)
);

-- +goose Down
DROP TABLE cursors;
DROP TABLE sync_runs;
DROP TABLE audit;
DROP TABLE integrations;
DROP TABLE memberships;
DROP TABLE groups;
DROP TABLE users;
