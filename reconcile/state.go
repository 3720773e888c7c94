package reconcile

import (
	"context"
	"fmt"

	"github.com/dirsync/dirsync/store"
)

// State is the part of the directory a plan needs: every user and group (to
// find adoptions and conflicts) and the memberships of the source's groups.
type State struct {
	Users   []*store.User
	Groups  []*store.Group
	Members map[string][]string // group id -> member user ids, owned and unowned groups
}

// LoadState reads the state for planning source inside tx. Loading and
// planning in the same transaction as the apply is what makes a concurrent
// SCIM push impossible to lose or overwrite.
func LoadState(ctx context.Context, tx *store.Tx, source string) (*State, error) {
	users, err := tx.AllUsers(ctx)
	if err != nil {
		return nil, fmt.Errorf("load directory users: %w", err)
	}
	groups, err := tx.AllGroups(ctx)
	if err != nil {
		return nil, fmt.Errorf("load directory groups: %w", err)
	}
	// Unowned groups' members too: an adopted group's overwrite must diff
	// against the members it already has.
	members, err := tx.MembersByGroup(ctx, source, "")
	if err != nil {
		return nil, fmt.Errorf("load memberships: %w", err)
	}
	return &State{Users: users, Groups: groups, Members: members}, nil
}
