package okta

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/okta/okta-sdk-golang/v2/okta"
	"golang.org/x/sync/errgroup"

	"github.com/dirsync/dirsync/connectors"
)

// getGroupLimit is how many selected group ids are fetched one by one; with
// more, listing every group (200 a page) is cheaper.
const getGroupLimit = 20

func (s *source) hasGroupSelection() bool {
	c := s.cfg
	return len(c.GroupIDs) > 0 || len(c.GroupNames) > 0 || c.GroupNamePattern != "" || c.GroupsAssignedToApp
}

// dynamicSelection reports whether a group can leave the selection by
// changing (a rename, an unassignment), not only by config edits.
func (s *source) dynamicSelection() bool {
	return len(s.cfg.GroupNames) > 0 || s.cfg.GroupNamePattern != "" || s.cfg.GroupsAssignedToApp
}

func (s *source) selects(g *okta.Group, assigned map[string]bool) bool {
	name := ""
	if g.Profile != nil {
		name = g.Profile.Name
	}
	return slices.Contains(s.cfg.GroupIDs, g.Id) || slices.Contains(s.cfg.GroupNames, name) ||
		(s.cfg.pattern != nil && s.cfg.pattern.MatchString(name)) || assigned[g.Id]
}

// assignedGroups lists the groups assigned to the app, when selected by that.
func (s *source) assignedGroups(ctx context.Context, m *marks) (map[string]bool, []*okta.ApplicationGroupAssignment, error) {
	if !s.cfg.GroupsAssignedToApp {
		return nil, nil, nil
	}
	as, err := s.listAppGroups(ctx)
	if err != nil {
		return nil, nil, err
	}
	set := make(map[string]bool, len(as))
	for _, a := range as {
		set[a.Id] = true
		if a.LastUpdated != nil {
			m.see(*a.LastUpdated)
		}
	}
	return set, as, nil
}

// selectGroups returns every selected group. A configured group id that does
// not exist fails the read: silently dropping it would strip its members.
func (s *source) selectGroups(ctx context.Context, m *marks) ([]*okta.Group, map[string]bool, error) {
	if !s.hasGroupSelection() {
		return nil, nil, nil
	}
	assigned, _, err := s.assignedGroups(ctx, m)
	if err != nil {
		return nil, nil, err
	}
	ids := slices.Sorted(maps.Keys(assigned))
	for _, id := range s.cfg.GroupIDs {
		if !assigned[id] {
			ids = append(ids, id)
		}
	}
	var groups []*okta.Group
	found := map[string]bool{}
	if len(s.cfg.GroupNames) > 0 || s.cfg.pattern != nil || len(ids) > getGroupLimit {
		all, err := s.listGroups(ctx, "")
		if err != nil {
			return nil, nil, err
		}
		for _, g := range all {
			if s.selects(g, assigned) {
				groups = append(groups, g)
				found[g.Id] = true
			}
		}
	} else {
		for _, id := range ids {
			g, err := s.getGroup(ctx, id)
			if statusOf(err) == 404 && assigned[id] && !slices.Contains(s.cfg.GroupIDs, id) {
				continue // deleted while we read
			}
			if err != nil {
				return nil, nil, err
			}
			groups = append(groups, g)
			found[g.Id] = true
		}
	}
	for _, id := range s.cfg.GroupIDs {
		if !found[id] {
			return nil, nil, fmt.Errorf("group_ids: group %s not found in okta", id)
		}
	}
	return groups, assigned, nil
}

// readMembers reads each group's members once, max_concurrency groups at a
// time, keeping only members in the user scope. The first error cancels the
// rest and fails the read.
func (s *source) readMembers(ctx context.Context, groups []*okta.Group, inScope func(string) bool, m *marks) ([]connectors.Group, error) {
	out := make([]connectors.Group, len(groups))
	eg, ectx := errgroup.WithContext(ctx)
	eg.SetLimit(s.cfg.MaxConcurrency)
	for i, g := range groups {
		eg.Go(func() error {
			users, err := listAll(ectx, "members of group "+g.Id, func() ([]*okta.User, *okta.Response, error) {
				return s.client.Group.ListGroupUsers(ectx, g.Id, s.params(nil))
			})
			if err != nil {
				return err
			}
			members := make([]string, 0, len(users))
			for _, u := range users {
				if inScope(u.Id) {
					members = append(members, u.Id)
				}
			}
			slices.Sort(members)
			members = slices.Compact(members)
			name := ""
			if g.Profile != nil {
				name = g.Profile.Name
			}
			// ExternalID stays empty: Okta's Group Push sends none, and a pull
			// must produce what the push sends so that the two converge.
			out[i] = connectors.Group{SourceID: g.Id, DisplayName: name, Members: members}
			for _, t := range []*time.Time{g.LastUpdated, g.LastMembershipUpdated} {
				if t != nil {
					m.see(*t)
				}
			}
			return nil
		})
	}
	if err := eg.Wait(); err != nil {
		return nil, err
	}
	return out, nil
}
