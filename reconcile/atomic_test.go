package reconcile

import (
	"context"
	"strings"
	"testing"

	"github.com/dirsync/dirsync/connectors"
	"github.com/dirsync/dirsync/store"
)

// A SCIM push that lands while the source is being read is neither lost nor
// overwritten with stale data: the plan is built inside the write transaction,
// after the read.
func TestPushDuringReadIsKept(t *testing.T) {
	e := newEnv(t)
	opts := e.opts("okta")
	e.sync(&fakeSource{snap: base()}, opts, false)
	ctx := context.Background()
	src := &fakeSource{snap: base()}
	src.snap.Users[0].DisplayName = "Ann (from pull)"
	src.before = func() {
		// Entra pushes a new user, and someone updates an attribute the pull
		// does not manage, while Okta is being read.
		err := e.st.Update(ctx, store.Actor{Channel: store.ChannelPush, Integration: "entra"}, func(tx *store.Tx) error {
			if err := tx.CreateUser(ctx, &store.User{UserName: "pushed@example.com", Owner: "entra", SourceID: "aad-9", Active: true}); err != nil {
				return err
			}
			u, err := tx.UserByUserName(ctx, "bob@example.com")
			if err != nil {
				return err
			}
			u.Extra = map[string]any{"title": "Manager"}
			_, err = tx.UpdateUser(ctx, u, 0)
			return err
		})
		if err != nil {
			t.Error(err)
		}
	}
	rep := e.sync(src, opts, false)
	if rep.Outcome != store.OutcomeSuccess {
		t.Fatal(rep.Err)
	}
	dir := e.dir()
	for _, want := range []string{"user pushed@example.com owner=entra", `display="Ann (from pull)"`} {
		if !strings.Contains(dir, want) {
			t.Errorf("directory lacks %q:\n%s", want, dir)
		}
	}
	err := e.st.View(ctx, func(tx *store.Tx) error {
		u, err := tx.UserByUserName(ctx, "bob@example.com")
		if err == nil && u.Extra["title"] != "Manager" {
			t.Errorf("pushed attribute overwritten by the pull: %v", u.Extra)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// An apply that fails half-way leaves the directory exactly as it was.
func TestApplyFailureRollsBackEverything(t *testing.T) {
	e := newEnv(t)
	opts := e.opts("okta")
	e.sync(&fakeSource{snap: base()}, opts, false)
	before := e.dir()
	snap := base()
	snap.Users = append(snap.Users, user("00u4", "dan@example.com", true))
	snap.Users[0].DisplayName = "Changed"
	ctx := context.Background()
	err := e.st.Update(ctx, store.Actor{Channel: store.ChannelPull, Integration: "okta"}, func(tx *store.Tx) error {
		p, err := Prepare(ctx, tx, snap, opts)
		if err != nil {
			return err
		}
		// Sabotage the last action: the store refuses it mid-apply, after the
		// create and update before it were written.
		p.Actions = append(p.Actions, &Action{Kind: UpdateUser, Object: "user", ID: "no-such-id", Name: "ghost",
			user: &store.User{ID: "no-such-id", UserName: "ghost"}})
		return Apply(ctx, tx, p)
	})
	if err == nil || !strings.Contains(err.Error(), "ghost") {
		t.Fatalf("apply error = %v", err)
	}
	if got := e.dir(); got != before {
		t.Fatalf("directory changed by a failed apply:\n%s\nwant\n%s", got, before)
	}
	audit, _ := e.st.Audit(ctx, store.AuditQuery{User: "dan@example.com"})
	if len(audit) != 0 {
		t.Fatal("audit rows of a rolled-back apply were kept")
	}
}

var _ connectors.Source = (*fakeSource)(nil)
