-- +goose Up
-- note keeps what a run's outcome alone does not say: why deactivations were
-- held, or that an expired cursor forced a full read. Status rebuilt from the
-- database after a restart shows it.
ALTER TABLE sync_runs ADD COLUMN note TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE sync_runs DROP COLUMN note;
