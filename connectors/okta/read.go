package okta

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/okta/okta-sdk-golang/v2/okta/query"

	"github.com/dirsync/dirsync/connectors"
)

// Read returns a Full snapshot, or a Delta when req carries a cursor and
// does not ask for Full. Any failed request fails the whole read.
func (s *source) Read(ctx context.Context, req connectors.ReadRequest) (*connectors.Snapshot, error) {
	ctx, st := withStats(ctx)
	var snap *connectors.Snapshot
	var err error
	if req.Cursor != "" && !req.Full {
		snap, err = s.readDelta(ctx, req.Cursor, st)
	} else {
		snap, err = s.readFull(ctx, st)
	}
	if err != nil {
		return nil, fmt.Errorf("okta read: %w", err)
	}
	snap.Requests = int(st.requests.Load())
	snap.Throttled = int(st.throttled.Load())
	s.logger.Debug("read done", "kind", snap.Kind.String(), "users", len(snap.Users),
		"groups", len(snap.Groups), "requests", snap.Requests)
	return snap, nil
}

func (s *source) readFull(ctx context.Context, st *readStats) (*connectors.Snapshot, error) {
	m := &marks{}
	raws, err := s.scopeUsers(ctx, m)
	if err != nil {
		return nil, err
	}
	snap := &connectors.Snapshot{Kind: connectors.Full, Users: make([]connectors.User, 0, len(raws))}
	scope := make(map[string]bool, len(raws))
	for _, r := range raws {
		snap.Users = append(snap.Users, s.mapUser(r))
		scope[r.id] = true
		m.see(r.lastUpdated)
	}
	groups, _, err := s.selectGroups(ctx, m)
	if err != nil {
		return nil, err
	}
	if snap.Groups, err = s.readMembers(ctx, groups, func(id string) bool { return scope[id] }, m); err != nil {
		return nil, err
	}
	snap.Cursor = encodeCursor(nextWatermark(time.Time{}, m.max, st.serverStart()))
	return snap, nil
}

// scopeUsers lists the users in scope: the app's users (direct and group
// assignments) when app_id is set, else every user, DEPROVISIONED ones
// included; the plain user list leaves those out, so they are fetched
// with a search of their own.
func (s *source) scopeUsers(ctx context.Context, m *marks) ([]rawUser, error) {
	if s.cfg.AppID != "" {
		aus, err := s.listAppUsers(ctx, true)
		if err != nil {
			return nil, err
		}
		out := make([]rawUser, 0, len(aus))
		for _, au := range aus {
			r, err := fromEmbedded(au)
			if err != nil {
				return nil, err
			}
			if au.LastUpdated != nil {
				m.see(*au.LastUpdated)
			}
			out = append(out, r)
		}
		return dedupe(out), nil
	}
	users, err := s.listUsers(ctx, "users", nil)
	if err != nil {
		return nil, err
	}
	gone, err := s.listUsers(ctx, "deprovisioned users", func(qp *query.Params) {
		qp.Search = `status eq "DEPROVISIONED"`
	})
	if err != nil {
		return nil, err
	}
	return dedupe(append(users, gone...)), nil
}

// dedupe keeps the last record of each id: a user changed while the pages
// were read can show up twice, and the later copy is the newer one.
func dedupe(users []rawUser) []rawUser {
	idx := make(map[string]int, len(users))
	out := users[:0:0]
	for _, u := range users {
		if i, ok := idx[u.id]; ok {
			out[i] = u
			continue
		}
		idx[u.id] = len(out)
		out = append(out, u)
	}
	return out
}

// marks tracks the newest Okta timestamp seen during a read.
type marks struct {
	mu  sync.Mutex
	max time.Time
}

func (m *marks) see(ts ...time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, t := range ts {
		if t.After(m.max) {
			m.max = t
		}
	}
}

// The cursor is a watermark on Okta's lastUpdated timestamps. It is taken
// from the data (never the local clock), capped at the server time the read
// started (so a change made during the read is seen again next time) and
// moved back by watermarkOverlap, because Okta's search index, used for
// DEPROVISIONED users, is eventually consistent. Re-reading a few minutes
// of changes is harmless; missing one is not.
const watermarkOverlap = 2 * time.Minute

const oktaTime = "2006-01-02T15:04:05.000Z"

type cursor struct {
	V     int    `json:"v"`
	Since string `json:"since"`
}

func encodeCursor(since time.Time) string {
	b, _ := json.Marshal(cursor{V: 1, Since: since.UTC().Format(oktaTime)})
	return string(b)
}

func decodeCursor(s string) (time.Time, error) {
	var c cursor
	if err := json.Unmarshal([]byte(s), &c); err != nil || c.V != 1 {
		return time.Time{}, fmt.Errorf("unreadable okta cursor %q: %w", s, connectors.ErrCursorExpired)
	}
	t, err := time.Parse(time.RFC3339Nano, c.Since)
	if err != nil {
		return time.Time{}, fmt.Errorf("unreadable okta cursor %q: %w", s, connectors.ErrCursorExpired)
	}
	return t, nil
}

// nextWatermark never moves the watermark backwards.
func nextWatermark(prev, maxSeen, serverStart time.Time) time.Time {
	w := maxSeen
	if w.IsZero() || (!serverStart.IsZero() && serverStart.Before(w)) {
		w = serverStart
	}
	if w.IsZero() {
		return prev
	}
	if w = w.Add(-watermarkOverlap); w.Before(prev) {
		return prev
	}
	return w
}
