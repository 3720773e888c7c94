package reconcile

import (
	"context"
	"fmt"
	"sort"

	"github.com/dirsync/dirsync/connectors"
	"github.com/dirsync/dirsync/store"
)

// State is the part of the directory a plan needs. It starts slim: every
// user's keys (store.Tx.UserKeys) and every group, but no memberships. A
// steady-state sync decides almost everything from fingerprints; the users
// and groups that differ are loaded in full (Details) for a second, exact
// pass of Build.
type State struct {
	Users  []*store.User
	Groups []*store.Group
	// Members holds the member ids of the groups loaded in full.
	Members map[string][]string
	// Full marks the users whose record is complete.
	Full map[string]bool
}

// LoadState reads the slim state inside tx. Loading and planning in the
// same transaction as the apply is what makes a concurrent SCIM push
// impossible to lose or overwrite.
func LoadState(ctx context.Context, tx *store.Tx) (*State, error) {
	users, err := tx.UserKeys(ctx)
	if err != nil {
		return nil, fmt.Errorf("load directory users: %w", err)
	}
	groups, err := tx.AllGroups(ctx)
	if err != nil {
		return nil, fmt.Errorf("load directory groups: %w", err)
	}
	return &State{Users: users, Groups: groups, Members: map[string][]string{}, Full: map[string]bool{}}, nil
}

// Details loads the full records of users and the members of groups.
func (st *State) Details(ctx context.Context, tx *store.Tx, userIDs, groupIDs []string) error {
	full, err := tx.UsersByIDs(ctx, userIDs)
	if err != nil {
		return fmt.Errorf("load users: %w", err)
	}
	byID := make(map[string]*store.User, len(full))
	for _, u := range full {
		byID[u.ID] = u
		st.Full[u.ID] = true
	}
	for i, u := range st.Users {
		if f, ok := byID[u.ID]; ok {
			st.Users[i] = f
		}
	}
	members, err := tx.MembersOf(ctx, groupIDs)
	if err != nil {
		return fmt.Errorf("load memberships: %w", err)
	}
	for id, m := range members {
		st.Members[id] = m
	}
	return nil
}

// Prepare plans snap against the directory inside tx: a first pass on the
// slim state, then, when it found objects that differ, a second exact pass
// with those loaded in full. Both passes are Build, which is pure.
func Prepare(ctx context.Context, tx *store.Tx, snap *connectors.Snapshot, opts Options) (*Plan, error) {
	st, err := LoadState(ctx, tx)
	if err != nil {
		return nil, err
	}
	p := Build(st, snap, opts)
	if len(p.needUsers)+len(p.needGroups) == 0 {
		return p, nil
	}
	if err := st.Details(ctx, tx, keys(p.needUsers), keys(p.needGroups)); err != nil {
		return nil, err
	}
	p = Build(st, snap, opts)
	if len(p.needUsers)+len(p.needGroups) > 0 {
		return nil, fmt.Errorf("plan incomplete after loading details: %d users, %d groups",
			len(p.needUsers), len(p.needGroups))
	}
	return p, nil
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
