package okta

import (
	"errors"
	"maps"
	"slices"
	"testing"

	"github.com/dirsync/dirsync/connectors"
	"github.com/dirsync/dirsync/connectors/okta/oktafake"
)

func TestIncremental(t *testing.T) {
	// Generated data is dated 2024; the mutations below use the wall clock.
	o := oktafake.Generate(5, 60, 6, 120)
	url := serveOrg(t, o)
	s := open(t, tokenConfig(t, url, func(c *Config) { c.GroupNamePattern = "^group-0000[0-2]$" }))
	full := read(t, s, connectors.ReadRequest{})
	ids, groups := o.UserIDs(), o.GroupIDs()
	renamed, suspended := ids[1], ids[2]
	if u, _ := o.User(suspended); u.Status != oktafake.StatusActive {
		if err := o.SetStatus(suspended, oktafake.StatusActive); err != nil {
			t.Fatal(err)
		}
	}
	steps := []error{o.RenameLogin(renamed, "renamed@example.com"), o.Suspend(suspended),
		o.AddMember(groups[1], ids[0]), o.RenameGroup(groups[4], "group-00002x")}
	for _, err := range steps {
		if err != nil {
			t.Fatal(err)
		}
	}

	delta := read(t, s, connectors.ReadRequest{Cursor: full.Cursor})
	if delta.Kind != connectors.Delta {
		t.Fatalf("kind = %v, want delta", delta.Kind)
	}
	got := userByID(delta)
	if got[renamed].UserName != "renamed@example.com" || got[suspended].Active || got[suspended].SourceID == "" {
		t.Errorf("delta users = %+v, want the renamed one and the suspended (inactive) one", delta.Users)
	}
	// Besides those, only users inside the watermark's safety overlap.
	since, err := decodeCursor(full.Cursor)
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, id := range ids {
		if u, _ := o.User(id); u.LastUpdated.After(since) {
			want = append(want, id)
		}
	}
	if gotIDs := sortedIDs(slices.Collect(maps.Keys(got))...); !slices.Equal(gotIDs, want) {
		t.Errorf("delta user ids = %v, want those updated after the watermark %v", gotIDs, want)
	}
	if len(delta.Groups) != 1 || delta.Groups[0].SourceID != groups[1] ||
		!slices.Equal(delta.Groups[0].Members, o.Members(groups[1])) {
		t.Errorf("delta groups = %+v, want group-00001 with its full member list", delta.Groups)
	}
	if !slices.Equal(delta.RemovedGroups, []string{groups[4]}) {
		t.Errorf("removed groups = %v, want the group renamed out of the pattern", delta.RemovedGroups)
	}
	if delta.Cursor == "" || delta.Cursor == full.Cursor {
		t.Errorf("delta cursor %q did not advance from %q", delta.Cursor, full.Cursor)
	}
	if delta.Requests >= full.Requests {
		t.Errorf("delta made %d requests, the full read %d", delta.Requests, full.Requests)
	}

	t.Run("full flag wins over cursor", func(t *testing.T) {
		snap := read(t, s, connectors.ReadRequest{Cursor: delta.Cursor, Full: true})
		if snap.Kind != connectors.Full || len(snap.Users) != 60 {
			t.Errorf("kind %v with %d users, want a full read", snap.Kind, len(snap.Users))
		}
	})
	t.Run("deprovisioned shows up", func(t *testing.T) {
		if err := o.Deprovision(ids[3]); err != nil {
			t.Fatal(err)
		}
		snap := read(t, s, connectors.ReadRequest{Cursor: full.Cursor})
		if u, ok := userByID(snap)[ids[3]]; !ok || u.Active {
			t.Errorf("deprovisioned user in delta: %+v (present %v), want present and inactive", u, ok)
		}
	})
	t.Run("garbage cursor", func(t *testing.T) {
		_, err := s.Read(t.Context(), connectors.ReadRequest{Cursor: "not json"})
		if !errors.Is(err, connectors.ErrCursorExpired) {
			t.Errorf("err = %v, want ErrCursorExpired", err)
		}
	})
}

func TestIncrementalAppScope(t *testing.T) {
	f := newFixture(t)
	// Date the fixture in the past so the mutations below are newer.
	url := serveOrg(t, f.org)
	s := open(t, tokenConfig(t, url, func(c *Config) { c.AppID = f.app; c.GroupsAssignedToApp = true }))
	full := read(t, s, connectors.ReadRequest{})
	for _, err := range []error{f.org.AssignUser(f.app, f.bob, ""), f.org.UnassignGroup(f.app, f.sales),
		f.org.UpdateProfile(f.dave, map[string]any{"department": "X"})} {
		if err != nil {
			t.Fatal(err)
		}
	}
	delta := read(t, s, connectors.ReadRequest{Cursor: full.Cursor})
	u := userByID(delta)
	if _, ok := u[f.bob]; !ok {
		t.Errorf("newly assigned bob missing from delta users %v", delta.Users)
	}
	if !slices.Contains(delta.RemovedUsers, f.dave) {
		t.Errorf("dave changed and left the app with sales: removed = %v", delta.RemovedUsers)
	}
}
