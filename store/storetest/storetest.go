// Package storetest has helpers for tests that assert on a whole directory.
package storetest

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/dirsync/dirsync/store"
)

// Directory renders the directory compactly and deterministically: each user
// as "name=active" and each group as "Name[member,member]", sorted, with
// suffix (e.g. "@example.com") trimmed from userNames.
func Directory(t testing.TB, st *store.Store, suffix string) string {
	t.Helper()
	ctx := context.Background()
	var parts []string
	err := st.View(ctx, func(tx *store.Tx) error {
		users, err := tx.AllUsers(ctx)
		if err != nil {
			return err
		}
		names := map[string]string{}
		for _, u := range users {
			names[u.ID] = strings.TrimSuffix(u.UserName, suffix)
			parts = append(parts, fmt.Sprintf("%s=%v", names[u.ID], u.Active))
		}
		groups, err := tx.AllGroups(ctx)
		if err != nil {
			return err
		}
		for _, g := range groups {
			ids, err := tx.GroupMembers(ctx, g.ID)
			if err != nil {
				return err
			}
			ms := make([]string, 0, len(ids))
			for _, id := range ids {
				ms = append(ms, names[id])
			}
			sort.Strings(ms)
			parts = append(parts, fmt.Sprintf("%s[%s]", g.DisplayName, strings.Join(ms, ",")))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(parts)
	return strings.Join(parts, " ")
}
