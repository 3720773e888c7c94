package okta

import (
	"context"
	"fmt"
	"time"

	"github.com/okta/okta-sdk-golang/v2/okta"
	"github.com/okta/okta-sdk-golang/v2/okta/query"
	"golang.org/x/sync/errgroup"

	"github.com/dirsync/dirsync/connectors"
)

// readDelta returns what changed since the cursor's watermark:
//
//   - users whose lastUpdated is newer (profile, login, status changes,
//     deprovisioning); with app_id, also users whose app assignment is newer,
//     and changed users no longer assigned are reported in RemovedUsers;
//   - selected groups whose lastUpdated or lastMembershipUpdated is newer,
//     with their complete member lists; with a name/pattern/app selection, a
//     changed group that no longer matches is in RemovedGroups.
//
// What a delta cannot see, because Okta bumps no timestamp for it: a user
// unassigned from the app (or leaving an assigned group) without other
// changes, a group unassigned from the app, a deleted group or user, and
// members leaving the scope of a group that did not change itself. The
// periodic full read covers all of them. With app_id, a delta still lists
// the app's users (without profiles) to know the scope.
func (s *source) readDelta(ctx context.Context, raw string, st *readStats) (*connectors.Snapshot, error) {
	since, err := decodeCursor(raw)
	if err != nil {
		return nil, err
	}
	ts := since.UTC().Format(oktaTime)
	m := &marks{}
	changed, err := s.listUsers(ctx, "changed users", func(qp *query.Params) {
		qp.Filter = fmt.Sprintf("lastUpdated gt %q", ts)
	})
	if err != nil {
		return nil, err
	}
	gone, err := s.listUsers(ctx, "changed deprovisioned users", func(qp *query.Params) {
		qp.Search = fmt.Sprintf("status eq \"DEPROVISIONED\" and lastUpdated gt %q", ts)
	})
	if err != nil {
		return nil, err
	}
	changed = dedupe(append(changed, gone...))
	snap := &connectors.Snapshot{Kind: connectors.Delta}
	inScope := func(string) bool { return true }
	if s.cfg.AppID == "" {
		for _, r := range changed {
			snap.Users = append(snap.Users, s.mapUser(r))
			m.see(r.lastUpdated)
		}
	} else {
		if inScope, err = s.appDelta(ctx, since, changed, snap, m); err != nil {
			return nil, err
		}
	}
	if s.hasGroupSelection() {
		if err := s.groupDelta(ctx, since, inScope, snap, m); err != nil {
			return nil, err
		}
	}
	snap.Cursor = encodeCursor(nextWatermark(since, m.max, st.serverStart()))
	return snap, nil
}

// appDelta narrows the changed users to the app's scope and adds users whose
// assignment is newer than the watermark. It returns the scope test.
func (s *source) appDelta(ctx context.Context, since time.Time, changed []rawUser, snap *connectors.Snapshot, m *marks) (func(string) bool, error) {
	aus, err := s.listAppUsers(ctx, false)
	if err != nil {
		return nil, err
	}
	scope := make(map[string]bool, len(aus))
	appNames := make(map[string]string, len(aus))
	for _, au := range aus {
		scope[au.Id] = true
		if au.Credentials != nil {
			appNames[au.Id] = au.Credentials.UserName
		}
	}
	seen := map[string]bool{}
	for i := range changed {
		changed[i].appUserName = appNames[changed[i].id]
	}
	for _, r := range changed {
		seen[r.id] = true
		m.see(r.lastUpdated)
		if scope[r.id] {
			snap.Users = append(snap.Users, s.mapUser(r))
		} else {
			snap.RemovedUsers = append(snap.RemovedUsers, r.id)
		}
	}
	var fresh []string
	for _, au := range aus {
		if au.LastUpdated != nil && au.LastUpdated.After(since) && !seen[au.Id] {
			fresh = append(fresh, au.Id)
			m.see(*au.LastUpdated)
		}
	}
	users := make([]rawUser, len(fresh))
	eg, ectx := errgroup.WithContext(ctx)
	eg.SetLimit(s.cfg.MaxConcurrency)
	for i, id := range fresh {
		eg.Go(func() (err error) {
			users[i], err = s.getUser(ectx, id)
			return err
		})
	}
	if err := eg.Wait(); err != nil {
		return nil, err
	}
	for _, r := range users {
		r.appUserName = appNames[r.id]
		snap.Users = append(snap.Users, s.mapUser(r))
	}
	return func(id string) bool { return scope[id] }, nil
}

func (s *source) groupDelta(ctx context.Context, since time.Time, inScope func(string) bool, snap *connectors.Snapshot, m *marks) error {
	ts := since.UTC().Format(oktaTime)
	cand, err := s.listGroups(ctx, fmt.Sprintf("lastUpdated gt %q or lastMembershipUpdated gt %q", ts, ts))
	if err != nil {
		return err
	}
	assigned, as, err := s.assignedGroups(ctx, m)
	if err != nil {
		return err
	}
	have := map[string]bool{}
	for _, g := range cand {
		have[g.Id] = true
	}
	// A newly assigned group has a new assignment, not a new group timestamp.
	for _, a := range as {
		if a.LastUpdated == nil || !a.LastUpdated.After(since) || have[a.Id] {
			continue
		}
		g, err := s.getGroup(ctx, a.Id)
		if statusOf(err) == 404 {
			continue
		}
		if err != nil {
			return err
		}
		cand = append(cand, g)
	}
	var chosen []*okta.Group
	for _, g := range cand {
		if s.selects(g, assigned) {
			chosen = append(chosen, g)
		} else if s.dynamicSelection() {
			snap.RemovedGroups = append(snap.RemovedGroups, g.Id)
		}
	}
	snap.Groups, err = s.readMembers(ctx, chosen, inScope, m)
	return err
}
