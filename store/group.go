package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Group is one directory group. Members are kept apart (see GroupMembers) so
// that a membership change never rewrites the group row's other fields and
// concurrent member edits only touch the rows they name.
type Group struct {
	ID          string
	DisplayName string
	ExternalID  string
	// Owner is the integration that manages the group; empty when unowned.
	Owner        string
	SourceID     string
	Extra        map[string]any
	Created      time.Time
	LastModified time.Time
	Version      int64
	// MembersFP is the fingerprint of the current member ids
	// (MemberSetFingerprint); the store keeps it in step with every
	// membership change.
	MembersFP string
}

// GroupColumns is the column list scanGroup expects, in order.
const GroupColumns = `pk, id, display_name, external_id, owner, source_id, extra, created, last_modified, version,
	COALESCE(members_fp, '')`

func scanGroup(r scanner) (*Group, int64, error) {
	var (
		g               Group
		pk              int64
		extra, crt, lmd string
	)
	if err := r.Scan(&pk, &g.ID, &g.DisplayName, &g.ExternalID, &g.Owner, &g.SourceID, &extra,
		&crt, &lmd, &g.Version, &g.MembersFP); err != nil {
		return nil, 0, err
	}
	if err := unmarshalField("extra", extra, &g.Extra); err != nil {
		return nil, 0, fmt.Errorf("group %s: %w", g.ID, err)
	}
	g.Created, g.LastModified = parseTime(crt), parseTime(lmd)
	return &g, pk, nil
}

func (t *Tx) groupWhere(ctx context.Context, where string, args ...any) (*Group, int64, error) {
	g, pk, err := scanGroup(t.queryRow(ctx, "SELECT "+GroupColumns+" FROM groups WHERE "+where, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, 0, ErrNotFound
	}
	if err != nil {
		return nil, 0, fmt.Errorf("read group: %w", err)
	}
	return g, pk, nil
}

// GetGroup returns the group with SCIM id id, or ErrNotFound.
func (t *Tx) GetGroup(ctx context.Context, id string) (*Group, error) {
	g, _, err := t.groupWhere(ctx, "id = ?", id)
	return g, err
}

// GroupByDisplayName finds a group by displayName, case-insensitively.
func (t *Tx) GroupByDisplayName(ctx context.Context, name string) (*Group, error) {
	g, _, err := t.groupWhere(ctx, "display_name_fold = ?", FoldName(name))
	return g, err
}

// GroupBySource finds the group an integration owns under a source object id.
func (t *Tx) GroupBySource(ctx context.Context, owner, sourceID string) (*Group, error) {
	g, _, err := t.groupWhere(ctx, "owner = ? AND source_id = ? ORDER BY pk LIMIT 1", owner, sourceID)
	return g, err
}

// GroupsOwnedBy returns every group an integration owns, ordered by id.
func (t *Tx) GroupsOwnedBy(ctx context.Context, owner string) ([]*Group, error) {
	return t.queryGroups(ctx, "WHERE owner = ? ORDER BY id", owner)
}

func (t *Tx) queryGroups(ctx context.Context, tail string, args ...any) ([]*Group, error) {
	rows, err := t.query(ctx, "SELECT "+GroupColumns+" FROM groups "+tail, args...)
	if err != nil {
		return nil, fmt.Errorf("list groups: %w", err)
	}
	defer rows.Close()
	var out []*Group
	for rows.Next() {
		g, _, err := scanGroup(rows)
		if err != nil {
			return nil, fmt.Errorf("list groups: %w", err)
		}
		out = append(out, g)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list groups: %w", err)
	}
	return out, nil
}

// CreateGroup inserts g and audits it. A displayName taken is ErrConflict.
func (t *Tx) CreateGroup(ctx context.Context, g *Group) error {
	if err := t.mustWrite(); err != nil {
		return err
	}
	if strings.TrimSpace(g.DisplayName) == "" {
		return errors.New("create group: displayName is required")
	}
	if g.ID == "" {
		g.ID = NewID()
	}
	g.Created, g.LastModified, g.Version = t.now, t.now, 1
	g.MembersFP = MemberSetFingerprint(nil)
	_, err := t.exec(ctx, `INSERT INTO groups (id, display_name, display_name_fold, external_id,
		owner, source_id, extra, created, last_modified, version, members_fp) VALUES (?,?,?,?,?,?,?,?,?,?,?)`,
		g.ID, g.DisplayName, FoldName(g.DisplayName), g.ExternalID, g.Owner, g.SourceID,
		marshalJSON(g.Extra, "{}"), formatTime(g.Created), formatTime(g.LastModified), g.Version, g.MembersFP)
	if err != nil {
		if isUnique(err) {
			return fmt.Errorf("create group %q: displayName %w", g.DisplayName, ErrConflict)
		}
		return fmt.Errorf("create group %q: %w", g.DisplayName, err)
	}
	return t.audit(ctx, "group.create", "group", g.ID, g.DisplayName, DiffGroups(&Group{}, g), nil)
}

// UpdateGroup writes g's attributes (not members) over the stored group.
func (t *Tx) UpdateGroup(ctx context.Context, g *Group, ifVersion int64) (changed bool, err error) {
	if err := t.mustWrite(); err != nil {
		return false, err
	}
	old, pk, err := t.groupWhere(ctx, "id = ?", g.ID)
	if err != nil {
		return false, fmt.Errorf("update group %s: %w", g.ID, err)
	}
	if ifVersion != 0 && old.Version != ifVersion {
		return false, fmt.Errorf("update group %s: %w", g.ID, ErrPrecondition)
	}
	if strings.TrimSpace(g.DisplayName) == "" {
		return false, fmt.Errorf("update group %s: displayName is required", g.ID)
	}
	changes := DiffGroups(old, g)
	if len(changes) == 0 {
		*g = *old
		return false, nil
	}
	g.Created, g.LastModified, g.Version = old.Created, t.now, old.Version+1
	_, err = t.exec(ctx, `UPDATE groups SET display_name=?, display_name_fold=?, external_id=?,
		owner=?, source_id=?, extra=?, last_modified=?, version=? WHERE pk=?`,
		g.DisplayName, FoldName(g.DisplayName), g.ExternalID, g.Owner, g.SourceID,
		marshalJSON(g.Extra, "{}"), formatTime(g.LastModified), g.Version, pk)
	if err != nil {
		if isUnique(err) {
			return false, fmt.Errorf("update group %s: displayName %q %w", g.ID, g.DisplayName, ErrConflict)
		}
		return false, fmt.Errorf("update group %s: %w", g.ID, err)
	}
	return true, t.audit(ctx, "group.update", "group", g.ID, g.DisplayName, changes, nil)
}

// DeleteGroup removes a group and its memberships, auditing the whole record
// and its member list.
func (t *Tx) DeleteGroup(ctx context.Context, id string, ifVersion int64) error {
	if err := t.mustWrite(); err != nil {
		return err
	}
	old, pk, err := t.groupWhere(ctx, "id = ?", id)
	if err != nil {
		return fmt.Errorf("delete group %s: %w", id, err)
	}
	if ifVersion != 0 && old.Version != ifVersion {
		return fmt.Errorf("delete group %s: %w", id, ErrPrecondition)
	}
	members, err := t.GroupMembers(ctx, id)
	if err != nil {
		return err
	}
	if _, err := t.exec(ctx, "DELETE FROM groups WHERE pk = ?", pk); err != nil {
		return fmt.Errorf("delete group %s: %w", id, err)
	}
	detail := map[string]any{"record": old, "members": members}
	return t.audit(ctx, "group.delete", "group", id, old.DisplayName, DiffGroups(old, &Group{}), detail)
}

// AllGroups returns every group, ordered by id.
func (t *Tx) AllGroups(ctx context.Context) ([]*Group, error) {
	return t.queryGroups(ctx, "ORDER BY id")
}
