package store

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// GroupMembers returns the SCIM ids of a group's members, sorted.
func (t *Tx) GroupMembers(ctx context.Context, groupID string) ([]string, error) {
	rows, err := t.tx.QueryContext(ctx, `SELECT u.id FROM memberships m
		JOIN groups g ON g.pk = m.group_pk JOIN users u ON u.pk = m.user_pk
		WHERE g.id = ? ORDER BY u.id`, groupID)
	if err != nil {
		return nil, fmt.Errorf("read members of group %s: %w", groupID, err)
	}
	return collectStrings(rows, "read members of group "+groupID)
}

// GroupIDsOfUser returns the ids of the groups a user belongs to, sorted.
func (t *Tx) GroupIDsOfUser(ctx context.Context, userID string) ([]string, error) {
	rows, err := t.tx.QueryContext(ctx, `SELECT g.id FROM memberships m
		JOIN groups g ON g.pk = m.group_pk JOIN users u ON u.pk = m.user_pk
		WHERE u.id = ? ORDER BY g.id`, userID)
	if err != nil {
		return nil, fmt.Errorf("read groups of user %s: %w", userID, err)
	}
	return collectStrings(rows, "read groups of user "+userID)
}

// MembersByGroup returns, for every group owned by one of owners ("" for
// unowned groups), its members' SCIM ids. It aggregates in SQL so that a
// million memberships cross the driver as ten thousand rows, which keeps a
// no-op reconcile fast.
func (t *Tx) MembersByGroup(ctx context.Context, owners ...string) (map[string][]string, error) {
	owner := strings.Join(owners, ",")
	rows, err := t.tx.QueryContext(ctx, `SELECT g.id, group_concat(u.id, ',') FROM groups g
		JOIN memberships m ON m.group_pk = g.pk JOIN users u ON u.pk = m.user_pk
		WHERE g.owner IN (SELECT value FROM json_each(?)) GROUP BY g.pk`, jsonList(owners))
	if err != nil {
		return nil, fmt.Errorf("read memberships of %s: %w", owner, err)
	}
	defer rows.Close()
	out := map[string][]string{}
	for rows.Next() {
		var id, list string
		if err := rows.Scan(&id, &list); err != nil {
			return nil, fmt.Errorf("read memberships of %s: %w", owner, err)
		}
		out[id] = strings.Split(list, ",")
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read memberships of %s: %w", owner, err)
	}
	return out, nil
}

// MemberChange is what a membership edit did.
type MemberChange struct {
	Added, Removed []string
	// Missing are requested member ids that name no user; nothing is
	// invented for them.
	Missing []string
}

// Changed reports whether any membership row was written.
func (c MemberChange) Changed() bool { return len(c.Added)+len(c.Removed) > 0 }

// AddMembers adds users to a group. Members already present and members not
// named are left alone, so concurrent additions never lose each other.
func (t *Tx) AddMembers(ctx context.Context, groupID string, userIDs []string) (MemberChange, error) {
	return t.editMembers(ctx, groupID, userIDs, nil, false)
}

// RemoveMembers removes the named users from a group.
func (t *Tx) RemoveMembers(ctx context.Context, groupID string, userIDs []string) (MemberChange, error) {
	return t.editMembers(ctx, groupID, nil, userIDs, false)
}

// ReplaceMembers makes userIDs the group's exact membership (group overwrite).
func (t *Tx) ReplaceMembers(ctx context.Context, groupID string, userIDs []string) (MemberChange, error) {
	return t.editMembers(ctx, groupID, userIDs, nil, true)
}

func (t *Tx) editMembers(ctx context.Context, groupID string, add, remove []string, replace bool) (MemberChange, error) {
	var mc MemberChange
	if err := t.mustWrite(); err != nil {
		return mc, err
	}
	g, pk, err := t.groupWhere(ctx, "id = ?", groupID)
	if err != nil {
		return mc, fmt.Errorf("edit members of group %s: %w", groupID, err)
	}
	current, err := t.GroupMembers(ctx, groupID)
	if err != nil {
		return mc, err
	}
	have := toSet(current)
	if len(add) > 0 {
		existing, err := t.existingUserIDs(ctx, add)
		if err != nil {
			return mc, err
		}
		for _, id := range dedupe(add) {
			switch {
			case !existing[id]:
				mc.Missing = append(mc.Missing, id)
			case !have[id]:
				mc.Added = append(mc.Added, id)
			}
		}
	}
	if replace {
		want := toSet(add)
		for _, id := range current {
			if !want[id] {
				mc.Removed = append(mc.Removed, id)
			}
		}
	}
	for _, id := range dedupe(remove) {
		if have[id] {
			mc.Removed = append(mc.Removed, id)
		}
	}
	sort.Strings(mc.Added)
	sort.Strings(mc.Removed)
	sort.Strings(mc.Missing)
	if !mc.Changed() {
		return mc, nil
	}
	if len(mc.Added) > 0 {
		if _, err := t.tx.ExecContext(ctx, `INSERT OR IGNORE INTO memberships (group_pk, user_pk)
			SELECT ?, u.pk FROM json_each(?) j JOIN users u ON u.id = j.value`, pk, jsonList(mc.Added)); err != nil {
			return mc, fmt.Errorf("add members to group %s: %w", groupID, err)
		}
	}
	if len(mc.Removed) > 0 {
		if _, err := t.tx.ExecContext(ctx, `DELETE FROM memberships WHERE group_pk = ? AND user_pk IN
			(SELECT u.pk FROM json_each(?) j JOIN users u ON u.id = j.value)`, pk, jsonList(mc.Removed)); err != nil {
			return mc, fmt.Errorf("remove members from group %s: %w", groupID, err)
		}
	}
	if _, err := t.tx.ExecContext(ctx, `UPDATE groups SET version = version + 1, last_modified = ? WHERE pk = ?`,
		formatTime(t.now), pk); err != nil {
		return mc, fmt.Errorf("edit members of group %s: %w", groupID, err)
	}
	change := []Change{{Field: "members", Old: nilIfEmpty(mc.Removed), New: nilIfEmpty(mc.Added)}}
	return mc, t.audit(ctx, "group.members", "group", g.ID, g.DisplayName, change, nil)
}

func (t *Tx) existingUserIDs(ctx context.Context, ids []string) (map[string]bool, error) {
	rows, err := t.tx.QueryContext(ctx, `SELECT u.id FROM json_each(?) j JOIN users u ON u.id = j.value`, jsonList(ids))
	if err != nil {
		return nil, fmt.Errorf("look up members: %w", err)
	}
	found, err := collectStrings(rows, "look up members")
	return toSet(found), err
}

type rowsLike interface {
	Next() bool
	Scan(...any) error
	Err() error
	Close() error
}

func collectStrings(rows rowsLike, what string) ([]string, error) {
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return out, nil
}

func jsonList(ids []string) string {
	b, _ := json.Marshal(ids)
	return string(b)
}

func toSet(ids []string) map[string]bool {
	m := make(map[string]bool, len(ids))
	for _, id := range ids {
		m[id] = true
	}
	return m
}

func dedupe(ids []string) []string {
	seen := make(map[string]bool, len(ids))
	out := ids[:0:0]
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

func nilIfEmpty(s []string) any {
	if len(s) == 0 {
		return nil
	}
	return s
}
