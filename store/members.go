package store

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// GroupMembers returns the SCIM ids of a group's members, sorted.
func (t *Tx) GroupMembers(ctx context.Context, groupID string) ([]string, error) {
	rows, err := t.query(ctx, `SELECT u.id FROM memberships m
		JOIN groups g ON g.pk = m.group_pk JOIN users u ON u.pk = m.user_pk
		WHERE g.id = ? ORDER BY u.id`, groupID)
	if err != nil {
		return nil, fmt.Errorf("read members of group %s: %w", groupID, err)
	}
	return collectStrings(rows, "read members of group "+groupID)
}

// GroupIDsOfUser returns the ids of the groups a user belongs to, sorted.
func (t *Tx) GroupIDsOfUser(ctx context.Context, userID string) ([]string, error) {
	rows, err := t.query(ctx, `SELECT g.id FROM memberships m
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
	// Aggregate integer keys without joining users a million times, then
	// translate them with one scan of the users' (pk, id) pairs.
	rows, err := t.query(ctx, `SELECT g.id, group_concat(m.user_pk) FROM groups g
		JOIN memberships m ON m.group_pk = g.pk
		WHERE g.owner IN (SELECT value FROM json_each(?)) GROUP BY g.pk`, jsonList(owners))
	if err != nil {
		return nil, fmt.Errorf("read memberships of %s: %w", owner, err)
	}
	lists := map[string]string{}
	for rows.Next() {
		var id, list string
		if err := rows.Scan(&id, &list); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read memberships of %s: %w", owner, err)
		}
		lists[id] = list
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read memberships of %s: %w", owner, err)
	}
	out := make(map[string][]string, len(lists))
	if len(lists) == 0 {
		return out, nil
	}
	ids, err := t.userIDsByPK(ctx)
	if err != nil {
		return nil, err
	}
	for gid, list := range lists {
		pks := strings.Split(list, ",")
		members := make([]string, 0, len(pks))
		for _, p := range pks {
			pk, err := strconv.ParseInt(p, 10, 64)
			if err != nil {
				return nil, fmt.Errorf("read memberships of %s: bad key %q", owner, p)
			}
			members = append(members, ids[pk])
		}
		out[gid] = members
	}
	return out, nil
}

func (t *Tx) userIDsByPK(ctx context.Context) (map[int64]string, error) {
	rows, err := t.query(ctx, "SELECT pk, id FROM users")
	if err != nil {
		return nil, fmt.Errorf("read user keys: %w", err)
	}
	defer rows.Close()
	ids := map[int64]string{}
	for rows.Next() {
		var (
			pk int64
			id string
		)
		if err := rows.Scan(&pk, &id); err != nil {
			return nil, fmt.Errorf("read user keys: %w", err)
		}
		ids[pk] = id
	}
	return ids, rows.Err()
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
	g, gpk, err := t.groupWhere(ctx, "id = ?", groupID)
	if err != nil {
		return mc, fmt.Errorf("edit members of group %s: %w", groupID, err)
	}
	// Work on integer keys: each user id is looked up once, and the
	// membership rows are written without joining users again.
	have, err := t.pkMap(ctx, `SELECT u.id, u.pk FROM memberships m JOIN users u ON u.pk = m.user_pk
		WHERE m.group_pk = ?`, gpk)
	if err != nil {
		return mc, fmt.Errorf("read members of group %s: %w", groupID, err)
	}
	var addPKs, removePKs []int64
	if len(add) > 0 {
		ids := dedupe(add)
		pks, err := t.userKeys(ctx, ids)
		if err != nil {
			return mc, fmt.Errorf("look up members: %w", err)
		}
		for i, id := range ids {
			pk := pks[i]
			switch {
			case pk == 0:
				mc.Missing = append(mc.Missing, id)
			case have[id] == 0:
				mc.Added = append(mc.Added, id)
				addPKs = append(addPKs, pk)
			}
		}
	}
	if replace && len(have) > 0 {
		want := toSet(add)
		for id, pk := range have {
			if !want[id] {
				mc.Removed = append(mc.Removed, id)
				removePKs = append(removePKs, pk)
			}
		}
	}
	for _, id := range dedupe(remove) {
		if pk := have[id]; pk != 0 {
			mc.Removed = append(mc.Removed, id)
			removePKs = append(removePKs, pk)
		}
	}
	sort.Strings(mc.Added)
	sort.Strings(mc.Removed)
	sort.Strings(mc.Missing)
	if !mc.Changed() {
		return mc, nil
	}
	if err := t.insertMemberships(ctx, gpk, addPKs); err != nil {
		return mc, fmt.Errorf("add members to group %s: %w", groupID, err)
	}
	if len(removePKs) > 0 {
		if _, err := t.exec(ctx, `DELETE FROM memberships WHERE group_pk = ? AND user_pk IN
			(SELECT value FROM json_each(?))`, gpk, jsonInts(removePKs)); err != nil {
			return mc, fmt.Errorf("remove members from group %s: %w", groupID, err)
		}
	}
	if _, err := t.exec(ctx, `UPDATE groups SET version = version + 1, last_modified = ? WHERE pk = ?`,
		formatTime(t.now), gpk); err != nil {
		return mc, fmt.Errorf("edit members of group %s: %w", groupID, err)
	}
	if err := t.toggleMembersFP(ctx, gpk, append(append([]string(nil), mc.Added...), mc.Removed...)...); err != nil {
		return mc, fmt.Errorf("edit members of group %s: %w", groupID, err)
	}
	change := []Change{{Field: "members", Old: nilIfEmpty(mc.Removed), New: nilIfEmpty(mc.Added)}}
	return mc, t.audit(ctx, "group.members", "group", g.ID, g.DisplayName, change, nil)
}

// pkMap runs a query of (id, pk) rows into a map.
func (t *Tx) pkMap(ctx context.Context, query string, args ...any) (map[string]int64, error) {
	rows, err := t.query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	m := map[string]int64{}
	for rows.Next() {
		var (
			id string
			pk int64
		)
		if err := rows.Scan(&id, &pk); err != nil {
			return nil, err
		}
		m[id] = pk
	}
	return m, rows.Err()
}

func jsonInts(v []int64) string {
	b, _ := json.Marshal(v)
	return string(b)
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
	if slices.IsSorted(ids) {
		// A reconcile passes sorted lists: neighbours are the duplicates,
		// and a million memberships need no map.
		return slices.Compact(slices.Clone(ids))
	}
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

// MembersOf returns the member ids of the given groups.
func (t *Tx) MembersOf(ctx context.Context, groupIDs []string) (map[string][]string, error) {
	out := make(map[string][]string, len(groupIDs))
	if len(groupIDs) == 0 {
		return out, nil
	}
	rows, err := t.query(ctx, `SELECT g.id, u.id FROM groups g JOIN memberships m ON m.group_pk = g.pk
		JOIN users u ON u.pk = m.user_pk WHERE g.id IN (SELECT value FROM json_each(?))`, jsonList(groupIDs))
	if err != nil {
		return nil, fmt.Errorf("read members: %w", err)
	}
	defer rows.Close()
	for _, id := range groupIDs {
		out[id] = []string{}
	}
	for rows.Next() {
		var g, u string
		if err := rows.Scan(&g, &u); err != nil {
			return nil, fmt.Errorf("read members: %w", err)
		}
		out[g] = append(out[g], u)
	}
	return out, rows.Err()
}

// userKeys resolves user ids to internal keys, aligned with ids (0 for an
// unknown id; keys start at 1): from the transaction's cache of the users it
// created where it can, with one query for the rest.
func (t *Tx) userKeys(ctx context.Context, ids []string) ([]int64, error) {
	pks := make([]int64, len(ids))
	var miss []string
	for i, id := range ids {
		if pk, ok := t.userPKs[id]; ok {
			pks[i] = pk
		} else {
			miss = append(miss, id)
		}
	}
	if len(miss) == 0 {
		return pks, nil
	}
	found, err := t.pkMap(ctx, `SELECT u.id, u.pk FROM json_each(?) j JOIN users u ON u.id = j.value`, jsonList(miss))
	if err != nil {
		return nil, err
	}
	for i, id := range ids {
		if pks[i] == 0 {
			pks[i] = found[id]
		}
	}
	return pks, nil
}

// insertMemberships adds rows in batches of multi-row VALUES statements,
// which SQLite inserts faster than rows unpacked from JSON.
func (t *Tx) insertMemberships(ctx context.Context, gpk int64, userPKs []int64) error {
	// In key order the primary-key B-tree is appended to, not split.
	slices.Sort(userPKs)
	const batch = 100
	for len(userPKs) > 0 {
		n := min(len(userPKs), batch)
		query := "INSERT OR IGNORE INTO memberships (group_pk, user_pk) VALUES " +
			strings.TrimSuffix(strings.Repeat("(?,?),", n), ",")
		args := make([]any, 0, 2*n)
		for _, pk := range userPKs[:n] {
			args = append(args, gpk, pk)
		}
		if _, err := t.exec(ctx, query, args...); err != nil {
			return err
		}
		userPKs = userPKs[n:]
	}
	return nil
}

// bulkMemberMin is the smallest batch of membership additions for which
// BulkMembers considers rebuilding the user-side index.
const bulkMemberMin = 10_000

// BulkMembers runs fn, which is about to add about adds membership rows.
// When that is large next to the table (a first sync, a new source), the
// user-side index is dropped for the duration and built again afterwards, all
// inside this transaction: inserting a million rows into an index in random
// user order costs several times more than sorting them once (measured in
// docs/benchmarks.md). Readers never see the index missing, and a rollback
// restores it. While fn runs, lookups of a user's groups scan the table, so
// fn should only edit group memberships.
func (t *Tx) BulkMembers(ctx context.Context, adds int, fn func() error) error {
	if err := t.mustWrite(); err != nil {
		return err
	}
	rebuild := false
	if adds >= bulkMemberMin {
		var have int
		if err := t.queryRow(ctx, "SELECT count(*) FROM memberships").Scan(&have); err != nil {
			return fmt.Errorf("count memberships: %w", err)
		}
		// Rebuilding sorts every row; inserting pays a random index
		// descent for each added one. Half the table is where the
		// rebuild clearly wins.
		rebuild = adds*2 >= have
	}
	if !rebuild {
		return fn()
	}
	// DDL goes straight to the transaction, not the statement cache.
	if _, err := t.tx.ExecContext(ctx, "DROP INDEX memberships_user"); err != nil {
		return fmt.Errorf("drop membership index for a bulk load: %w", err)
	}
	if err := fn(); err != nil {
		return err
	}
	if _, err := t.tx.ExecContext(ctx, "CREATE INDEX memberships_user ON memberships (user_pk)"); err != nil {
		return fmt.Errorf("rebuild membership index: %w", err)
	}
	return nil
}
