-- +goose Up
-- SCIM's displayName is caseExact=false: filters compare it with NOCASE, and
-- this index keeps "displayName eq" an index lookup.
DROP INDEX users_display_name;
CREATE INDEX users_display_name ON users (display_name COLLATE NOCASE);

-- +goose Down
DROP INDEX users_display_name;
CREATE INDEX users_display_name ON users (display_name);
