package msgraph

import (
	"context"

	"golang.org/x/sync/errgroup"

	"github.com/dirsync/dirsync/connectors"
)

// readDelta follows the cursor's delta links and returns what changed.
func (s *source) readDelta(ctx context.Context, raw string) (*connectors.Snapshot, error) {
	cur, err := decodeCursor(raw, s.cfg.fingerprint())
	if err != nil {
		return nil, err
	}
	if s.cfg.scope() == "all" {
		return s.deltaAll(ctx, cur)
	}
	return s.deltaAssigned(ctx, cur)
}

func (s *source) deltaAll(ctx context.Context, cur cursor) (*connectors.Snapshot, error) {
	var ur *userRound
	var gr *groupRound
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) { ur, err = s.readUsers(gctx, cur.Users); return err })
	g.Go(func() (err error) { gr, err = s.readGroups(gctx, cur.Groups); return err })
	if err := g.Wait(); err != nil {
		return nil, err
	}
	if s.cfg.NestedGroups {
		for _, gg := range gr.groups {
			if gg.memberDelta {
				// A membership change may reach any ancestor group, which
				// the delta does not name: only a full read is exact.
				s.log.Info("nested membership changed, reading in full")
				return s.readFull(ctx)
			}
		}
	}
	snap := &connectors.Snapshot{Kind: connectors.Delta, RemovedUsers: ur.removed, RemovedGroups: gr.removed}
	users, err := s.fetchUsers(ctx, ur.changed)
	if err != nil {
		return nil, err
	}
	for _, id := range ur.changed {
		if u, ok := users[id]; ok {
			snap.Users = append(snap.Users, u)
		} else {
			snap.RemovedUsers = append(snap.RemovedUsers, id) // deleted since
		}
	}
	// Groups named by the delta: fetch missing names, then full member lists
	// (members@delta only has the difference).
	var unnamed []string
	for _, id := range gr.order {
		if gr.groups[id].name == nil {
			unnamed = append(unnamed, id)
		}
	}
	names, err := s.fetchGroupNames(ctx, unnamed)
	if err != nil {
		return nil, err
	}
	var changed []string
	for _, id := range gr.order {
		name, ok := names[id]
		if n := gr.groups[id].name; n != nil {
			name, ok = *n, true
		}
		switch {
		case !ok:
			snap.RemovedGroups = append(snap.RemovedGroups, id) // deleted since
		case !s.cfg.matchGroup(name):
			snap.RemovedGroups = append(snap.RemovedGroups, id) // renamed out of selection
		default:
			changed = append(changed, id)
			names[id] = name
		}
	}
	// With nested_groups only renames get here (membership changes read in
	// full above), and a renamed group keeps its expanded members.
	members, err := s.membersOf(ctx, changed, s.cfg.NestedGroups)
	if err != nil {
		return nil, err
	}
	for _, id := range changed {
		snap.Groups = append(snap.Groups, connectors.Group{SourceID: id, ExternalID: id, DisplayName: names[id], Members: members[id]})
	}
	if snap.Cursor, err = (cursor{Config: cur.Config, Users: ur.link, Groups: gr.link}).encode(); err != nil {
		return nil, err
	}
	return snap, nil
}

// deltaAssigned combines the users delta with a fresh read of the app's
// assignments and of the assigned groups' members: assignments have no
// delta, and comparing with the cursor's scope finds who entered or left.
func (s *source) deltaAssigned(ctx context.Context, cur cursor) (*connectors.Snapshot, error) {
	var ur *userRound
	var as *assigned
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) { ur, err = s.readUsers(gctx, cur.Users); return err })
	g.Go(func() (err error) { as, err = s.readAssigned(gctx); return err })
	if err := g.Wait(); err != nil {
		return nil, err
	}
	prev := make(map[string]bool, len(cur.InScope))
	for _, id := range cur.InScope {
		prev[id] = true
	}
	var fetch []string
	fetching := map[string]bool{}
	for id := range as.inScope {
		if !prev[id] {
			fetch = append(fetch, id) // entered scope
			fetching[id] = true
		}
	}
	for _, id := range ur.changed {
		if as.inScope[id] && prev[id] {
			fetch = append(fetch, id)
			fetching[id] = true
		}
	}
	users, err := s.fetchUsers(ctx, fetch)
	if err != nil {
		return nil, err
	}
	snap := &connectors.Snapshot{Kind: connectors.Delta}
	now := make(map[string]bool, len(as.inScope))
	for id := range as.inScope {
		if u, ok := users[id]; ok {
			snap.Users = append(snap.Users, u)
			now[id] = true
		} else if prev[id] && !fetching[id] {
			now[id] = true // unchanged and still in scope
		}
	}
	removed := map[string]bool{}
	for _, id := range ur.removed {
		removed[id] = true
	}
	for _, id := range cur.InScope {
		if !now[id] || removed[id] {
			delete(now, id)
			snap.RemovedUsers = append(snap.RemovedUsers, id)
		}
	}
	// Every assigned group is re-read anyway to compute scope, so each is
	// sent as a complete record; unchanged ones plan to nothing.
	for _, gid := range as.reported {
		snap.Groups = append(snap.Groups, connectors.Group{
			SourceID: gid, ExternalID: gid, DisplayName: as.names[gid],
			Members: inSet(as.members[gid], now),
		})
	}
	reported := map[string]bool{}
	for _, gid := range as.reported {
		reported[gid] = true
	}
	for _, gid := range cur.Reported {
		if !reported[gid] {
			snap.RemovedGroups = append(snap.RemovedGroups, gid)
		}
	}
	next := cursor{Config: cur.Config, Users: ur.link, InScope: sortedKeys(now), Reported: as.reported}
	if snap.Cursor, err = next.encode(); err != nil {
		return nil, err
	}
	return snap, nil
}
