-- +goose Up
-- pull_fp is the fingerprint of the source record a pull last applied to the
-- user; any other write clears it. While it matches the source's record the
-- user is unchanged, so a reconcile need not load or compare it.
ALTER TABLE users ADD COLUMN pull_fp TEXT NOT NULL DEFAULT '';
-- members_fp is an order-independent hash of the group's member ids, kept
-- up to date by every membership change; NULL until computed (on open).
ALTER TABLE groups ADD COLUMN members_fp TEXT;

-- +goose Down
ALTER TABLE groups DROP COLUMN members_fp;
ALTER TABLE users DROP COLUMN pull_fp;
