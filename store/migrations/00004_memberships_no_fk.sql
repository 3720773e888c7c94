-- +goose Up
-- Memberships lose their foreign keys. Checking two parent rows for every
-- inserted membership was a third of a first sync (2.4 s of 11 s for 1M
-- memberships, docs/benchmarks.md), and the store is the only writer: every
-- membership it inserts carries keys it has just read or written in the same
-- transaction (Tx.insertMemberships). The cascades become triggers, so a
-- deleted user or group still takes its memberships with it, and
-- Store.CheckIntegrity finds any orphan.
CREATE TABLE memberships_v4 (
    group_pk INTEGER NOT NULL,
    user_pk  INTEGER NOT NULL,
    PRIMARY KEY (group_pk, user_pk)
) WITHOUT ROWID;
INSERT INTO memberships_v4 (group_pk, user_pk) SELECT group_pk, user_pk FROM memberships;
DROP TABLE memberships;
ALTER TABLE memberships_v4 RENAME TO memberships;
CREATE INDEX memberships_user ON memberships (user_pk);
-- +goose StatementBegin
CREATE TRIGGER users_drop_memberships AFTER DELETE ON users
BEGIN DELETE FROM memberships WHERE user_pk = OLD.pk; END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER groups_drop_memberships AFTER DELETE ON groups
BEGIN DELETE FROM memberships WHERE group_pk = OLD.pk; END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER groups_drop_memberships;
DROP TRIGGER users_drop_memberships;
CREATE TABLE memberships_v1 (
    group_pk INTEGER NOT NULL REFERENCES groups (pk) ON DELETE CASCADE,
    user_pk  INTEGER NOT NULL REFERENCES users (pk) ON DELETE CASCADE,
    PRIMARY KEY (group_pk, user_pk)
) WITHOUT ROWID;
INSERT INTO memberships_v1 (group_pk, user_pk) SELECT group_pk, user_pk FROM memberships;
DROP TABLE memberships;
ALTER TABLE memberships_v1 RENAME TO memberships;
CREATE INDEX memberships_user ON memberships (user_pk);
