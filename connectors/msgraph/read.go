package msgraph

import (
	"context"
	"slices"

	"golang.org/x/sync/errgroup"

	"github.com/dirsync/dirsync/connectors"
)

// Read returns a full snapshot, or a delta since req.Cursor. A cursor Graph
// no longer accepts (or one made under other settings) yields an error
// wrapping connectors.ErrCursorExpired: the caller then asks for a full read.
func (s *source) Read(ctx context.Context, req connectors.ReadRequest) (*connectors.Snapshot, error) {
	ctx, n := withCounter(ctx)
	var snap *connectors.Snapshot
	var err error
	if req.Cursor != "" && !req.Full {
		snap, err = s.readDelta(ctx, req.Cursor)
	} else {
		snap, err = s.readFull(ctx)
	}
	if err != nil {
		return nil, err
	}
	snap.Requests = int(n.requests.Load())
	snap.Throttled = int(n.throttled.Load())
	return snap, nil
}

// assigned is the application's scope: assigned users plus the user
// members of assigned groups.
type assigned struct {
	users    []string
	groups   []string
	names    map[string]string
	members  map[string][]string
	inScope  map[string]bool
	reported []string // assigned groups that pass the groups selection
}

func (s *source) readAssigned(ctx context.Context) (*assigned, error) {
	a := &assigned{}
	var err error
	if a.users, a.groups, err = s.assignments(ctx); err != nil {
		return nil, err
	}
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) {
		a.names, err = s.fetchGroupNames(gctx, a.groups)
		return err
	})
	g.Go(func() (err error) {
		// Entra's assignment does not cascade to nested groups; expanding
		// them is the operator's choice.
		a.members, err = s.membersOf(gctx, a.groups, s.cfg.NestedGroups)
		return err
	})
	if err := g.Wait(); err != nil {
		return nil, err
	}
	a.inScope = map[string]bool{}
	for _, id := range a.users {
		a.inScope[id] = true
	}
	for _, gid := range a.groups {
		for _, id := range a.members[gid] {
			a.inScope[id] = true
		}
		if name, ok := a.names[gid]; ok && s.cfg.matchGroup(name) {
			a.reported = append(a.reported, gid)
		}
	}
	return a, nil
}

func (s *source) readFull(ctx context.Context) (*connectors.Snapshot, error) {
	var ur *userRound
	var gr *groupRound
	var as *assigned
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) {
		ur, err = s.readUsers(gctx, "")
		return err
	})
	g.Go(func() (err error) {
		if s.cfg.scope() == "all" {
			gr, err = s.readGroups(gctx, "")
		} else {
			as, err = s.readAssigned(gctx)
		}
		return err
	})
	if err := g.Wait(); err != nil {
		return nil, err
	}
	snap := &connectors.Snapshot{Kind: connectors.Full}
	cur := cursor{Config: s.cfg.fingerprint(), Users: ur.link}
	live := make(map[string]bool, len(ur.users))
	for _, u := range ur.users {
		if as == nil || as.inScope[u.SourceID] {
			snap.Users = append(snap.Users, u)
			live[u.SourceID] = true
		}
	}
	if as != nil {
		for _, gid := range as.reported {
			snap.Groups = append(snap.Groups, connectors.Group{
				SourceID: gid, ExternalID: gid, DisplayName: as.names[gid],
				Members: inSet(as.members[gid], live),
			})
		}
		cur.InScope = sortedKeys(live)
		cur.Reported = as.reported
	} else {
		for _, gid := range gr.order {
			gg := gr.groups[gid]
			if !s.cfg.matchGroup(str(gg.name)) {
				continue
			}
			members := gg.users
			if s.cfg.NestedGroups {
				members = expand(gid, gr.groups)
			}
			snap.Groups = append(snap.Groups, connectors.Group{
				SourceID: gid, ExternalID: gid, DisplayName: str(gg.name),
				Members: inSet(members, live),
			})
		}
		cur.Groups = gr.link
	}
	var err error
	if snap.Cursor, err = cur.encode(); err != nil {
		return nil, err
	}
	s.log.Debug("full read", "users", len(snap.Users), "groups", len(snap.Groups))
	return snap, nil
}

// expand returns the user members of a group and of every group nested in
// it, each once; a membership cycle is walked once.
func expand(root string, all map[string]*graphGroup) []string {
	seenGroup := map[string]bool{root: true}
	seenUser := map[string]bool{}
	var out []string
	stack := []string{root}
	for len(stack) > 0 {
		gid := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		g, ok := all[gid]
		if !ok {
			continue
		}
		for _, u := range g.users {
			if !seenUser[u] {
				seenUser[u] = true
				out = append(out, u)
			}
		}
		for _, c := range g.groups {
			if !seenGroup[c] {
				seenGroup[c] = true
				stack = append(stack, c)
			}
		}
	}
	return out
}

// inSet keeps the ids in set, without duplicates, in order.
func inSet(ids []string, set map[string]bool) []string {
	out := make([]string, 0, len(ids))
	seen := make(map[string]bool, len(ids))
	for _, id := range ids {
		if set[id] && !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
