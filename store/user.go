package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
)

// User is one directory user, shaped after the SCIM core User schema.
type User struct {
	// ID is the SCIM id, a UUIDv7 assigned at creation (NewID).
	ID       string
	UserName string
	// ExternalID is the provisioning client's id for the user; not unique.
	ExternalID string
	// Owner is the integration (source name) that manages the user; empty
	// for users no source owns, which no source changes.
	Owner string
	// SourceID is the owner IdP's immutable object id.
	SourceID    string
	DisplayName string
	Name        Name
	Emails      []Email
	Active      bool
	// Enterprise holds the enterprise-extension attributes as sent (e.g.
	// employeeNumber, department, manager {value, displayName}).
	Enterprise map[string]any
	// Extra holds every other attribute as sent (title, locale, phoneNumbers,
	// ...), so nothing a client pushed is lost.
	Extra        map[string]any
	Created      time.Time
	LastModified time.Time
	// Version increments on every change; it backs ETags and meta.version.
	Version int64
	// PullFP is the fingerprint of the source record a pull last applied
	// (see reconcile). UpdateUser clears it on any change that does not set
	// a new one, so it never vouches for a record someone else changed.
	PullFP string
}

// Name is the SCIM name complex attribute.
type Name struct {
	Formatted       string `json:"formatted,omitempty"`
	GivenName       string `json:"givenName,omitempty"`
	FamilyName      string `json:"familyName,omitempty"`
	MiddleName      string `json:"middleName,omitempty"`
	HonorificPrefix string `json:"honorificPrefix,omitempty"`
	HonorificSuffix string `json:"honorificSuffix,omitempty"`
}

// Email is one SCIM emails entry.
type Email struct {
	Value   string `json:"value"`
	Type    string `json:"type,omitempty"`
	Primary bool   `json:"primary,omitempty"`
	Display string `json:"display,omitempty"`
}

// PrimaryEmail returns the primary email, else the work one, else the first.
func (u *User) PrimaryEmail() string {
	for _, e := range u.Emails {
		if e.Primary {
			return e.Value
		}
	}
	for _, e := range u.Emails {
		if strings.EqualFold(e.Type, "work") {
			return e.Value
		}
	}
	if len(u.Emails) > 0 {
		return u.Emails[0].Value
	}
	return ""
}

// Clone returns a deep copy, so a caller can edit a user read from the store
// and still diff against the original.
func (u *User) Clone() *User {
	c := *u
	c.Emails = append([]Email(nil), u.Emails...)
	c.Enterprise = cloneMap(u.Enterprise)
	c.Extra = cloneMap(u.Extra)
	return &c
}

func cloneMap(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	c := make(map[string]any, len(m))
	for k, v := range m {
		c[k] = cloneValue(v)
	}
	return c
}

// cloneValue deep-copies a JSON-shaped value (maps, slices, scalars).
func cloneValue(v any) any {
	switch x := v.(type) {
	case map[string]any:
		return cloneMap(x)
	case []any:
		c := make([]any, len(x))
		for i, e := range x {
			c[i] = cloneValue(e)
		}
		return c
	default:
		return v
	}
}

// FoldName is the case-insensitive key for userName and group displayName.
func FoldName(s string) string { return strings.ToLower(s) }

// UserColumns is the column list scanUser expects, in order.
const UserColumns = `pk, id, user_name, external_id, owner, source_id, display_name, formatted_name,
	given_name, family_name, middle_name, honorific_prefix, honorific_suffix, emails, active,
	enterprise, extra, created, last_modified, version, pull_fp`

type scanner interface{ Scan(dest ...any) error }

func scanUser(r scanner) (*User, int64, error) {
	var (
		u                             User
		pk                            int64
		emails, ent, extra, crt, lmod string
	)
	err := r.Scan(&pk, &u.ID, &u.UserName, &u.ExternalID, &u.Owner, &u.SourceID, &u.DisplayName,
		&u.Name.Formatted, &u.Name.GivenName, &u.Name.FamilyName, &u.Name.MiddleName,
		&u.Name.HonorificPrefix, &u.Name.HonorificSuffix, &emails, &u.Active, &ent, &extra,
		&crt, &lmod, &u.Version, &u.PullFP)
	if err != nil {
		return nil, 0, err
	}
	if err := errors.Join(
		unmarshalField("emails", emails, &u.Emails),
		unmarshalField("enterprise", ent, &u.Enterprise),
		unmarshalField("extra", extra, &u.Extra),
	); err != nil {
		return nil, 0, fmt.Errorf("user %s: %w", u.ID, err)
	}
	u.Created, u.LastModified = parseTime(crt), parseTime(lmod)
	return &u, pk, nil
}

func unmarshalField(name, s string, v any) error {
	// Most rows hold empty objects and lists; skip the decoder for them.
	if s == "" || s == "{}" || s == "[]" || s == "null" {
		return nil
	}
	if err := json.Unmarshal([]byte(s), v); err != nil {
		return fmt.Errorf("decode %s: %w", name, err)
	}
	return nil
}

func marshalJSON(v any, empty string) string {
	b, err := json.Marshal(v)
	if err != nil || string(b) == "null" {
		return empty
	}
	return string(b)
}

func (t *Tx) userWhere(ctx context.Context, where string, args ...any) (*User, int64, error) {
	row := t.queryRow(ctx, "SELECT "+UserColumns+" FROM users WHERE "+where, args...)
	u, pk, err := scanUser(row)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, 0, ErrNotFound
	}
	if err != nil {
		return nil, 0, fmt.Errorf("read user: %w", err)
	}
	return u, pk, nil
}

// GetUser returns the user with SCIM id id, or ErrNotFound.
func (t *Tx) GetUser(ctx context.Context, id string) (*User, error) {
	u, _, err := t.userWhere(ctx, "id = ?", id)
	return u, err
}

// UserByUserName finds a user by userName, case-insensitively.
func (t *Tx) UserByUserName(ctx context.Context, userName string) (*User, error) {
	u, _, err := t.userWhere(ctx, "user_name_fold = ?", FoldName(userName))
	return u, err
}

// UserBySource finds the user an integration owns under a source object id.
func (t *Tx) UserBySource(ctx context.Context, owner, sourceID string) (*User, error) {
	u, _, err := t.userWhere(ctx, "owner = ? AND source_id = ? ORDER BY pk LIMIT 1", owner, sourceID)
	return u, err
}

// UsersOwnedBy returns every user an integration owns, ordered by id.
func (t *Tx) UsersOwnedBy(ctx context.Context, owner string) ([]*User, error) {
	return t.queryUsers(ctx, "WHERE owner = ? ORDER BY id", owner)
}

// QueryUsers runs a SELECT of UserColumns with the given tail (WHERE, ORDER,
// LIMIT); it exists for the SCIM filter compiler in this package.
func (t *Tx) queryUsers(ctx context.Context, tail string, args ...any) ([]*User, error) {
	rows, err := t.query(ctx, "SELECT "+UserColumns+" FROM users "+tail, args...)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	defer rows.Close()
	var out []*User
	for rows.Next() {
		u, _, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("list users: %w", err)
		}
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	return out, nil
}

// CountUsers returns the number of users, optionally only active ones of an
// owner (owner "" counts all users).
func (t *Tx) CountUsers(ctx context.Context, owner string, activeOnly bool) (int, error) {
	q, args := "SELECT COUNT(*) FROM users WHERE 1=1", []any{}
	if owner != "" {
		q, args = q+" AND owner = ?", append(args, owner)
	}
	if activeOnly {
		q += " AND active"
	}
	var n int
	if err := t.queryRow(ctx, q, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("count users: %w", err)
	}
	return n, nil
}

// CreateUser inserts u, assigning ID (when empty), timestamps and version 1,
// and audits the new record. A userName taken case-insensitively is ErrConflict.
func (t *Tx) CreateUser(ctx context.Context, u *User) error {
	if err := t.mustWrite(); err != nil {
		return err
	}
	if strings.TrimSpace(u.UserName) == "" {
		return errors.New("create user: userName is required")
	}
	if u.ID == "" {
		u.ID = NewID()
	}
	u.Created, u.LastModified, u.Version = t.now, t.now, 1
	res, err := t.exec(ctx, `INSERT INTO users (id, user_name, user_name_fold, external_id, owner,
		source_id, display_name, formatted_name, given_name, family_name, middle_name, honorific_prefix,
		honorific_suffix, emails, active, enterprise, extra, created, last_modified, version, pull_fp)
		VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
		u.ID, u.UserName, FoldName(u.UserName), u.ExternalID, u.Owner, u.SourceID, u.DisplayName,
		u.Name.Formatted, u.Name.GivenName, u.Name.FamilyName, u.Name.MiddleName,
		u.Name.HonorificPrefix, u.Name.HonorificSuffix, marshalJSON(u.Emails, "[]"), u.Active,
		marshalJSON(u.Enterprise, "{}"), marshalJSON(u.Extra, "{}"),
		formatTime(u.Created), formatTime(u.LastModified), u.Version, u.PullFP)
	if err != nil {
		if isUnique(err) {
			return fmt.Errorf("create user %q: userName %w", u.UserName, ErrConflict)
		}
		return fmt.Errorf("create user %q: %w", u.UserName, err)
	}
	if pk, err := res.LastInsertId(); err == nil {
		if t.userPKs == nil {
			t.userPKs = map[string]int64{}
		}
		t.userPKs[u.ID] = pk
	}
	return t.audit(ctx, "user.create", "user", u.ID, u.UserName, DiffUsers(&User{}, u), nil)
}

// UpdateUser writes u over the stored user with the same ID. Only fields that
// differ are written to the audit log; an update that changes nothing writes
// nothing and returns changed=false. When ifVersion is non-zero and the stored
// version differs, it returns ErrPrecondition (SCIM If-Match).
func (t *Tx) UpdateUser(ctx context.Context, u *User, ifVersion int64) (changed bool, err error) {
	if err := t.mustWrite(); err != nil {
		return false, err
	}
	old, pk, err := t.userWhere(ctx, "id = ?", u.ID)
	if err != nil {
		return false, fmt.Errorf("update user %s: %w", u.ID, err)
	}
	if ifVersion != 0 && old.Version != ifVersion {
		return false, fmt.Errorf("update user %s: %w", u.ID, ErrPrecondition)
	}
	if strings.TrimSpace(u.UserName) == "" {
		return false, fmt.Errorf("update user %s: userName is required", u.ID)
	}
	changes := DiffUsers(old, u)
	if len(changes) == 0 {
		*u = *old
		return false, nil
	}
	u.Created, u.LastModified, u.Version = old.Created, t.now, old.Version+1
	if u.PullFP == old.PullFP {
		// Changed by someone other than a pull that knows the new
		// fingerprint: the old one no longer describes the record.
		u.PullFP = ""
	}
	_, err = t.exec(ctx, `UPDATE users SET user_name=?, user_name_fold=?, external_id=?, owner=?,
		source_id=?, display_name=?, formatted_name=?, given_name=?, family_name=?, middle_name=?,
		honorific_prefix=?, honorific_suffix=?, emails=?, active=?, enterprise=?, extra=?,
		last_modified=?, version=?, pull_fp=? WHERE pk=?`,
		u.UserName, FoldName(u.UserName), u.ExternalID, u.Owner, u.SourceID, u.DisplayName,
		u.Name.Formatted, u.Name.GivenName, u.Name.FamilyName, u.Name.MiddleName,
		u.Name.HonorificPrefix, u.Name.HonorificSuffix, marshalJSON(u.Emails, "[]"), u.Active,
		marshalJSON(u.Enterprise, "{}"), marshalJSON(u.Extra, "{}"),
		formatTime(u.LastModified), u.Version, u.PullFP, pk)
	if err != nil {
		if isUnique(err) {
			return false, fmt.Errorf("update user %s: userName %q %w", u.ID, u.UserName, ErrConflict)
		}
		return false, fmt.Errorf("update user %s: %w", u.ID, err)
	}
	return true, t.audit(ctx, "user.update", "user", u.ID, u.UserName, changes, nil)
}

// DeleteUser removes a user and its memberships. The whole record goes to the
// audit log first, so a deletion can always be reconstructed.
func (t *Tx) DeleteUser(ctx context.Context, id string, ifVersion int64) error {
	if err := t.mustWrite(); err != nil {
		return err
	}
	old, pk, err := t.userWhere(ctx, "id = ?", id)
	if err != nil {
		return fmt.Errorf("delete user %s: %w", id, err)
	}
	if ifVersion != 0 && old.Version != ifVersion {
		return fmt.Errorf("delete user %s: %w", id, ErrPrecondition)
	}
	groups, err := t.GroupIDsOfUser(ctx, id)
	if err != nil {
		return err
	}
	// The cascade drops the user's memberships: keep their groups'
	// fingerprints in step.
	gpks, err := t.pkMap(ctx, `SELECT g.id, g.pk FROM memberships m JOIN groups g ON g.pk = m.group_pk WHERE m.user_pk = ?`, pk)
	if err != nil {
		return fmt.Errorf("delete user %s: %w", id, err)
	}
	for _, gpk := range gpks {
		if err := t.toggleMembersFP(ctx, gpk, id); err != nil {
			return err
		}
	}
	delete(t.userPKs, id)
	if _, err := t.exec(ctx, "DELETE FROM users WHERE pk = ?", pk); err != nil {
		return fmt.Errorf("delete user %s: %w", id, err)
	}
	detail := map[string]any{"record": old, "groups": groups}
	return t.audit(ctx, "user.delete", "user", id, old.UserName, DiffUsers(old, &User{}), detail)
}

func isUnique(err error) bool {
	return err != nil && strings.Contains(err.Error(), "UNIQUE constraint failed")
}

// AllUsers returns every user in the directory, ordered by id. Reconcile
// needs the whole directory: unowned users may be adopted and users owned by
// another source are conflicts.
func (t *Tx) AllUsers(ctx context.Context) ([]*User, error) {
	return t.queryUsers(ctx, "ORDER BY id")
}

// UserKeys returns every user with only the fields a reconcile matches on
// filled: ID, UserName, Owner, SourceID, Active and PullFP. It reads a
// fraction of what AllUsers does; UsersByIDs fetches the rest where needed.
func (t *Tx) UserKeys(ctx context.Context) ([]*User, error) {
	rows, err := t.query(ctx, "SELECT id, user_name, owner, source_id, active, pull_fp FROM users ORDER BY pk")
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	defer rows.Close()
	var out []*User
	for rows.Next() {
		u := &User{}
		if err := rows.Scan(&u.ID, &u.UserName, &u.Owner, &u.SourceID, &u.Active, &u.PullFP); err != nil {
			return nil, fmt.Errorf("list users: %w", err)
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// UsersByIDs returns the full records of the users with the given ids
// (unknown ids are left out).
func (t *Tx) UsersByIDs(ctx context.Context, ids []string) ([]*User, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	return t.queryUsers(ctx, "WHERE id IN (SELECT value FROM json_each(?)) ORDER BY id", jsonList(ids))
}

// NewID returns a new SCIM id for a user or group: a UUIDv7, whose leading
// timestamp makes ids created together sort together. The id and audit
// indexes then grow at their ends instead of taking a random page for each
// of a first sync's 100k creates (docs/benchmarks.md). An id stays opaque to
// clients; only its creation time can be read from it.
func NewID() string {
	id, err := uuid.NewV7()
	if err != nil {
		// Only when the system's random source fails, where NewString
		// panics; keep the same behaviour.
		return uuid.NewString()
	}
	return id.String()
}
