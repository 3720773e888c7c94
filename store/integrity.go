package store

import (
	"context"
	"fmt"
	"strings"
)

// CheckIntegrity verifies what the schema does not enforce by itself: that
// every membership names an existing user and group (memberships carry no
// foreign keys since migration 4) and that every group's member fingerprint
// matches its rows. It reads the whole directory, so it is meant for tests and
// for an admin's occasional check (dirsync check), not for every request.
func (s *Store) CheckIntegrity(ctx context.Context) error {
	return s.View(ctx, func(tx *Tx) error {
		var problems []string
		var orphans int
		err := tx.queryRow(ctx, `SELECT count(*) FROM memberships m
			WHERE NOT EXISTS (SELECT 1 FROM users u WHERE u.pk = m.user_pk)
			   OR NOT EXISTS (SELECT 1 FROM groups g WHERE g.pk = m.group_pk)`).Scan(&orphans)
		if err != nil {
			return fmt.Errorf("check memberships: %w", err)
		}
		if orphans > 0 {
			problems = append(problems, fmt.Sprintf("%d memberships name a missing user or group", orphans))
		}
		groups, err := tx.AllGroups(ctx)
		if err != nil {
			return err
		}
		ids := make([]string, len(groups))
		for i, g := range groups {
			ids[i] = g.ID
		}
		members, err := tx.MembersOf(ctx, ids)
		if err != nil {
			return err
		}
		for _, g := range groups {
			if want := MemberSetFingerprint(members[g.ID]); g.MembersFP != want {
				problems = append(problems, fmt.Sprintf("group %s (%q): member fingerprint %q, rows say %q",
					g.ID, g.DisplayName, g.MembersFP, want))
			}
		}
		if len(problems) > 0 {
			return fmt.Errorf("directory integrity: %s", strings.Join(problems, "; "))
		}
		return nil
	})
}
