package msgraph

import (
	"context"
	"errors"
	"testing"

	"github.com/dirsync/dirsync/connectors"
	"github.com/dirsync/dirsync/connectors/msgraph/graphfake"
)

// tenant is a small directory for delta tests.
type tenant struct {
	f                                   *graphfake.Fake
	alice, bob, carol, dave, eve, frank string
	eng, ops                            string
}

func newTenant(t *testing.T) *tenant {
	f := startFake(t, allRoles...)
	tn := &tenant{f: f}
	add := func(upn string) string {
		return f.AddUser(graphfake.User{UserPrincipalName: upn, DisplayName: upn, AccountEnabled: true})
	}
	tn.alice, tn.bob, tn.carol = add("alice@x"), add("bob@x"), add("carol@x")
	tn.dave, tn.eve, tn.frank = add("dave@x"), add("eve@x"), add("frank@x")
	tn.eng = f.AddGroup(graphfake.Group{DisplayName: "eng", Members: []string{tn.alice, tn.bob}})
	tn.ops = f.AddGroup(graphfake.Group{DisplayName: "ops", Members: []string{tn.carol}})
	for _, id := range []string{tn.eng, tn.dave, tn.eve} {
		if err := f.Assign(id); err != nil {
			t.Fatal(err)
		}
	}
	return tn
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestDeltaAllScope(t *testing.T) {
	tn := newTenant(t)
	src := open(t, testConfig(t, tn.f, "all"))
	full := read(t, src, connectors.ReadRequest{})

	t.Run("no changes", func(t *testing.T) {
		snap := read(t, src, connectors.ReadRequest{Cursor: full.Cursor})
		if snap.Kind != connectors.Delta || len(snap.Users)+len(snap.Groups)+len(snap.RemovedUsers)+len(snap.RemovedGroups) != 0 {
			t.Errorf("delta without changes = %+v, want empty delta", snap)
		}
		if snap.Requests != 2 {
			t.Errorf("requests = %d, want 2", snap.Requests)
		}
	})

	f := tn.f
	must(t, f.RenameUPN(tn.alice, "alice.new@x"))
	must(t, f.SetEnabled(tn.bob, false))
	must(t, f.SoftDelete(tn.carol)) // also leaves ops
	must(t, f.HardDelete(tn.dave))
	must(t, f.AddMember(tn.eng, tn.eve))
	must(t, f.RenameGroup(tn.ops, "operations"))
	snap := read(t, src, connectors.ReadRequest{Cursor: full.Cursor})

	if snap.Kind != connectors.Delta {
		t.Fatalf("kind = %v, want delta", snap.Kind)
	}
	if got := userIDs(snap); !sameSet(got, []string{tn.alice, tn.bob}) {
		t.Errorf("changed users = %v, want alice and bob only", got)
	}
	if u, _ := userByID(snap, tn.alice); u.UserName != "alice.new@x" || u.DisplayName != "alice@x" || !u.Active {
		t.Errorf("alice = %+v, want a complete record with the new UPN", u)
	}
	if u, _ := userByID(snap, tn.bob); u.Active || u.UserName != "bob@x" {
		t.Errorf("bob = %+v, want complete and inactive", u)
	}
	if !sameSet(snap.RemovedUsers, []string{tn.carol, tn.dave}) {
		t.Errorf("removed users = %v, want carol (soft) and dave (hard)", snap.RemovedUsers)
	}
	eng, ok := groupByID(snap, tn.eng)
	if !ok || !sameSet(eng.Members, []string{tn.alice, tn.bob, tn.eve}) {
		t.Errorf("eng = %+v, want its full member list", eng)
	}
	ops, ok := groupByID(snap, tn.ops)
	if !ok || ops.DisplayName != "operations" || len(ops.Members) != 0 {
		t.Errorf("ops = %+v, want renamed with no members", ops)
	}

	t.Run("cursor advances", func(t *testing.T) {
		must(t, f.DeleteGroup(tn.ops))
		must(t, f.Restore(tn.carol))
		next := read(t, src, connectors.ReadRequest{Cursor: snap.Cursor})
		if got := userIDs(next); !sameSet(got, []string{tn.carol}) || len(next.Groups) != 0 || !sameSet(next.RemovedGroups, []string{tn.ops}) {
			t.Errorf("second delta = %+v, want restored carol and ops removed", next)
		}
		if u, _ := userByID(next, tn.carol); !u.Active {
			t.Errorf("restored carol = %+v, want active", u)
		}
	})
}

func TestDeltaAssignedScope(t *testing.T) {
	tn := newTenant(t)
	f := tn.f
	src := open(t, testConfig(t, f, "assigned"))
	full := read(t, src, connectors.ReadRequest{})
	if got := userIDs(full); !sameSet(got, []string{tn.alice, tn.bob, tn.dave, tn.eve}) {
		t.Fatalf("full users = %v", got)
	}

	must(t, f.RenameUPN(tn.alice, "alice.new@x")) // in scope: sent
	must(t, f.RenameUPN(tn.carol, "carol.new@x")) // out of scope: not sent
	must(t, f.Unassign(tn.dave))                  // leaves scope
	must(t, f.Assign(tn.frank))                   // enters scope
	must(t, f.AddMember(tn.eng, tn.carol))        // enters scope through eng
	must(t, f.SoftDelete(tn.eve))                 // removed, reason changed
	snap := read(t, src, connectors.ReadRequest{Cursor: full.Cursor})

	if got := userIDs(snap); !sameSet(got, []string{tn.alice, tn.frank, tn.carol}) {
		t.Errorf("users = %v, want alice (changed), frank and carol (entered)", got)
	}
	if u, _ := userByID(snap, tn.carol); u.UserName != "carol.new@x" {
		t.Errorf("carol = %+v, want complete current record", u)
	}
	if !sameSet(snap.RemovedUsers, []string{tn.dave, tn.eve}) {
		t.Errorf("removed = %v, want dave (unassigned) and eve (soft-deleted)", snap.RemovedUsers)
	}
	eng, ok := groupByID(snap, tn.eng)
	if !ok || !sameSet(eng.Members, []string{tn.alice, tn.bob, tn.carol}) {
		t.Errorf("eng = %+v, want alice, bob, carol", eng)
	}

	t.Run("group unassigned", func(t *testing.T) {
		must(t, f.Unassign(tn.eng))
		next := read(t, src, connectors.ReadRequest{Cursor: snap.Cursor})
		if !sameSet(next.RemovedGroups, []string{tn.eng}) || !sameSet(next.RemovedUsers, []string{tn.alice, tn.bob, tn.carol}) {
			t.Errorf("after unassigning eng: removed groups %v users %v", next.RemovedGroups, next.RemovedUsers)
		}
	})
}

func TestDeltaNestedAllFallsBackToFull(t *testing.T) {
	tn := newTenant(t)
	c := testConfig(t, tn.f, "all")
	c.NestedGroups = true
	src := open(t, c)
	full := read(t, src, connectors.ReadRequest{})
	must(t, tn.f.AddMember(tn.ops, tn.eng))
	must(t, tn.f.RenameGroup(tn.ops, "operations"))
	snap := read(t, src, connectors.ReadRequest{Cursor: full.Cursor})
	if snap.Kind != connectors.Full {
		t.Fatalf("kind = %v, want a full read after a nested membership change", snap.Kind)
	}
	if ops, _ := groupByID(snap, tn.ops); !sameSet(ops.Members, []string{tn.carol, tn.alice, tn.bob}) {
		t.Errorf("ops = %+v, want carol plus eng's members", ops)
	}

	t.Run("rename keeps nested members", func(t *testing.T) {
		must(t, tn.f.RenameGroup(tn.ops, "ops again"))
		next := read(t, src, connectors.ReadRequest{Cursor: snap.Cursor})
		ops, ok := groupByID(next, tn.ops)
		if next.Kind != connectors.Delta || !ok || ops.DisplayName != "ops again" || !sameSet(ops.Members, []string{tn.carol, tn.alice, tn.bob}) {
			t.Errorf("after rename: %v %+v, want a delta with ops and its expanded members", next.Kind, ops)
		}
	})
}

func TestDeltaCursorExpired(t *testing.T) {
	tn := newTenant(t)
	c := testConfig(t, tn.f, "all")
	src := open(t, c)
	full := read(t, src, connectors.ReadRequest{})

	other := testConfig(t, tn.f, "all")
	other.UserNameAttribute = "mail"

	tests := []struct {
		name   string
		src    *source
		cursor string
		before func()
	}{
		{"token expired at Graph", src, full.Cursor, tn.f.ExpireDeltaTokens},
		{"not a cursor", src, "garbage", func() {}},
		{"corrupt cursor", src, cursorPrefix + "!!!", func() {}},
		{"settings changed", open(t, other), full.Cursor, func() {}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.before()
			_, err := tt.src.Read(context.Background(), connectors.ReadRequest{Cursor: tt.cursor})
			if !errors.Is(err, connectors.ErrCursorExpired) {
				t.Fatalf("err = %v, want ErrCursorExpired", err)
			}
		})
	}
	t.Run("full read recovers", func(t *testing.T) {
		snap := read(t, src, connectors.ReadRequest{Cursor: full.Cursor, Full: true})
		if snap.Kind != connectors.Full || len(snap.Users) != 6 {
			t.Errorf("full read = %v with %d users, want full with 6", snap.Kind, len(snap.Users))
		}
	})
}
