package reconcile

import (
	"context"
	"strings"
	"testing"

	"github.com/dirsync/dirsync/store"
)

// The fingerprint shortcuts must never hide drift: a change someone else
// made to a mapped attribute or to a group's members is seen by the next
// pull of the unchanged source, and corrected.
func TestFingerprintsDoNotHideDrift(t *testing.T) {
	e := newEnv(t)
	opts := e.opts("okta")
	ctx := context.Background()
	e.sync(&fakeSource{snap: base()}, opts, false)
	if again := e.sync(&fakeSource{snap: base()}, opts, true); again.Plan.Changes() {
		t.Fatalf("steady state not empty: %v", kinds(again.Plan))
	}
	// Drift: an admin renames ann and adds cy to Eng behind the IdP's back.
	err := e.st.Update(ctx, store.Actor{Channel: store.ChannelCLI}, func(tx *store.Tx) error {
		u, err := tx.UserByUserName(ctx, "ann@example.com")
		if err != nil {
			return err
		}
		u.DisplayName = "Changed by hand"
		if _, err := tx.UpdateUser(ctx, u, 0); err != nil {
			return err
		}
		cy, err := tx.UserByUserName(ctx, "cy@example.com")
		if err != nil {
			return err
		}
		g, err := tx.GroupByDisplayName(ctx, "Eng")
		if err != nil {
			return err
		}
		_, err = tx.AddMembers(ctx, g.ID, []string{cy.ID})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	rep := e.sync(&fakeSource{snap: base()}, opts, false)
	if got := strings.Join(kinds(rep.Plan), " "); got != "update:ann@example.com set_members:Eng" {
		t.Fatalf("drift not corrected: %s", got)
	}
	if !strings.Contains(e.dir(), `display="Ann"`) || !strings.Contains(e.dir(), "members=ann@example.com,bob@example.com") {
		t.Fatalf("directory after correction:\n%s", e.dir())
	}
	if again := e.sync(&fakeSource{snap: base()}, opts, true); again.Plan.Changes() {
		t.Fatalf("not steady after correction: %v", kinds(again.Plan))
	}
}

// Users without a fingerprint (written by SCIM, or before the fingerprints
// existed) are compared in full once, then recorded, so the next plan is
// decided from fingerprints alone.
func TestUnchangedUsersGetStamped(t *testing.T) {
	e := newEnv(t)
	opts := e.opts("okta")
	ctx := context.Background()
	e.sync(&fakeSource{snap: base()}, opts, false)
	// Forget every fingerprint, as a SCIM write would.
	err := e.st.Update(ctx, store.Actor{Channel: store.ChannelCLI}, func(tx *store.Tx) error {
		users, err := tx.AllUsers(ctx)
		if err != nil {
			return err
		}
		fps := map[string]string{}
		for _, u := range users {
			fps[u.ID] = ""
		}
		return tx.SetPullFingerprints(ctx, fps)
	})
	if err != nil {
		t.Fatal(err)
	}
	firstPass := func() (need int) {
		e.st.View(ctx, func(tx *store.Tx) error {
			st, err := LoadState(ctx, tx)
			if err != nil {
				return err
			}
			need = len(Build(st, base(), opts).needUsers)
			return nil
		})
		return need
	}
	if n := firstPass(); n != 3 {
		t.Fatalf("users needing a full comparison = %d, want 3", n)
	}
	rep := e.sync(&fakeSource{snap: base()}, opts, false)
	if rep.Plan.Changes() {
		t.Fatalf("unchanged users planned changes: %v", kinds(rep.Plan))
	}
	if n := firstPass(); n != 0 {
		t.Fatalf("after stamping, %d users still need a full comparison", n)
	}
}

// A member listed twice by the source must not cancel out of the member-set
// fingerprint (it is an XOR): the missing member is still added.
func TestDuplicateMemberListingStillAdds(t *testing.T) {
	e := newEnv(t)
	opts := e.opts("okta")
	e.sync(&fakeSource{snap: base()}, opts, false) // Eng = ann, bob
	snap := base()
	snap.Groups[0].Members = []string{"00u1", "00u2", "00u3", "00u3"}
	rep := e.sync(&fakeSource{snap: snap}, opts, false)
	if got := strings.Join(kinds(rep.Plan), " "); got != "set_members:Eng" {
		t.Fatalf("plan = %s", got)
	}
	if !strings.Contains(e.dir(), "members=ann@example.com,bob@example.com,cy@example.com") {
		t.Fatalf("cy not added:\n%s", e.dir())
	}
	// And the same listing again is a no-op.
	if again := e.sync(&fakeSource{snap: snap}, opts, true); again.Plan.Changes() {
		t.Fatalf("not steady: %v", kinds(again.Plan))
	}
}
