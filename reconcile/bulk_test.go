package reconcile

import (
	"context"
	"fmt"
	"net/mail"
	"slices"
	"testing"

	"github.com/dirsync/dirsync/connectors"
	"github.com/dirsync/dirsync/store"
)

// A first sync large enough to load memberships in bulk (store.BulkMembers
// drops and rebuilds the user-side index) leaves a directory that is exact,
// consistent and steady.
func TestBulkFirstSyncIsExact(t *testing.T) {
	const users, groups = 300, 40 // 12,000 memberships: a bulk load
	e := newEnv(t)
	opts := e.opts("okta")
	snap := &connectors.Snapshot{Kind: connectors.Full}
	for i := range users {
		snap.Users = append(snap.Users, user(fmt.Sprintf("00u%d", i), fmt.Sprintf("u%03d@example.com", i), true))
	}
	for g := range groups {
		grp := connectors.Group{SourceID: fmt.Sprintf("00g%d", g), DisplayName: fmt.Sprintf("G%02d", g)}
		for i := range users {
			grp.Members = append(grp.Members, fmt.Sprintf("00u%d", i))
		}
		snap.Groups = append(snap.Groups, grp)
	}
	rep := e.sync(&fakeSource{snap: snap}, opts, false)
	if s := rep.Summary(); s.Creates != users || s.GroupChanges != 2*groups {
		t.Fatalf("summary %+v", s)
	}
	ctx := context.Background()
	if err := e.st.CheckIntegrity(ctx); err != nil {
		t.Fatal(err)
	}
	// The rebuilt index answers "groups of a user" for every group.
	err := e.st.View(ctx, func(tx *store.Tx) error {
		u, err := tx.UserByUserName(ctx, "u007@example.com")
		if err != nil {
			return err
		}
		gs, err := tx.GroupIDsOfUser(ctx, u.ID)
		if err != nil || len(gs) != groups {
			return fmt.Errorf("groups of u007: %d, %v; want %d", len(gs), err, groups)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if again := e.sync(&fakeSource{snap: snap}, opts, true); again.Plan.Changes() {
		t.Fatalf("second plan not empty: %v", kinds(again.Plan)[:5])
	}
	// A small change afterwards is applied in place, index and all.
	snap.Groups[3].Members = snap.Groups[3].Members[1:]
	rep = e.sync(&fakeSource{snap: snap}, opts, false)
	if got := kinds(rep.Plan); !slices.Equal(got, []string{"set_members:G03"}) {
		t.Fatalf("plan = %v", got)
	}
	if err := e.st.CheckIntegrity(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestValidEmail(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"ann@example.com", true},
		{"Ann.Lee+tag@sub.example.co", true},
		{"a_b%c-d@x-y.example", true},
		{"", false},
		{"ann", false},
		{"@example.com", false},
		{"ann@", false},
		{".ann@example.com", false},
		{"ann.@example.com", false},
		{"an..n@example.com", false},
		{"ann@example..com", false},
		{"Ann <ann@example.com>", false}, // parses, but not to itself
		{"ann@example.com ", false},
		{"o'brien@example.com", true}, // not a simple address: decided by net/mail
		{`"quoted"@example.com`, false},
	}
	for _, tc := range tests {
		if got := validEmail(tc.in); got != tc.want {
			t.Errorf("validEmail(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

// The fast path accepts only what net/mail parses to the same address.
func FuzzSimpleAddress(f *testing.F) {
	for _, s := range []string{"a@b", "a.b@c.d", "a..b@c", ".a@b", "a@b.", "a@@b", "a+b%c@d-e", "a b@c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !simpleAddress(s) {
			return
		}
		a, err := mail.ParseAddress(s)
		if err != nil || a.Address != s {
			t.Fatalf("simpleAddress(%q) = true, but net/mail gives %v, %v", s, a, err)
		}
	})
}
