package reconcile

import (
	"context"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/dirsync/dirsync/connectors"
	"github.com/dirsync/dirsync/store"
)

// fakeSource returns the snapshot it holds, or its error.
type fakeSource struct {
	mu    sync.Mutex
	snap  *connectors.Snapshot
	err   error
	reads []connectors.ReadRequest
	// before runs at the start of each Read (e.g. a concurrent SCIM push).
	before func()
}

func (f *fakeSource) Read(_ context.Context, req connectors.ReadRequest) (*connectors.Snapshot, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reads = append(f.reads, req)
	if f.before != nil {
		f.before()
	}
	if f.err != nil {
		return nil, f.err
	}
	// Hand out a copy: a real source builds a new snapshot every time.
	c := *f.snap
	c.Users = append([]connectors.User(nil), f.snap.Users...)
	c.Groups = append([]connectors.Group(nil), f.snap.Groups...)
	return &c, nil
}

var epoch = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

type env struct {
	t   *testing.T
	st  *store.Store
	eng *Engine
	ids int
}

func newEnv(t *testing.T) *env {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "d.db"),
		store.WithClock(func() time.Time { return epoch }))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e := &env{t: t, st: st}
	e.eng = &Engine{Store: st, Logger: hclog.NewNullLogger(), Now: func() time.Time { return epoch }}
	return e
}

func (e *env) opts(source string) Options {
	return Options{
		Source: source, MaxDeactivations: 1000, MaxDeactivationPercent: 100,
		NewID: func() string { e.ids++; return fmt.Sprintf("id-%03d", e.ids) },
	}
}

func (e *env) sync(src connectors.Source, opts Options, dry bool) *Report {
	e.t.Helper()
	rep, err := e.eng.Sync(context.Background(), Request{Source: src, Type: "okta", Options: opts, DryRun: dry})
	if err != nil {
		e.t.Fatalf("sync: %v", err)
	}
	return rep
}

// seed writes users and groups directly, as an admin or a SCIM push would.
func (e *env) seed(users []*store.User, groups map[*store.Group][]string) {
	e.t.Helper()
	ctx := context.Background()
	err := e.st.Update(ctx, store.Actor{Channel: store.ChannelCLI}, func(tx *store.Tx) error {
		byName := map[string]string{}
		for _, u := range users {
			if err := tx.CreateUser(ctx, u); err != nil {
				return err
			}
			byName[u.UserName] = u.ID
		}
		for g, members := range groups {
			if err := tx.CreateGroup(ctx, g); err != nil {
				return err
			}
			var ids []string
			for _, m := range members {
				ids = append(ids, byName[m])
			}
			if _, err := tx.AddMembers(ctx, g.ID, ids); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		e.t.Fatal(err)
	}
}

// dir is a compact, comparable picture of the directory.
func (e *env) dir() string {
	e.t.Helper()
	ctx := context.Background()
	var lines []string
	err := e.st.View(ctx, func(tx *store.Tx) error {
		users, err := tx.AllUsers(ctx)
		if err != nil {
			return err
		}
		names := map[string]string{}
		for _, u := range users {
			names[u.ID] = u.UserName
			lines = append(lines, fmt.Sprintf("user %s owner=%s src=%s active=%v display=%q email=%s",
				u.UserName, u.Owner, u.SourceID, u.Active, u.DisplayName, u.PrimaryEmail()))
		}
		groups, err := tx.AllGroups(ctx)
		if err != nil {
			return err
		}
		for _, g := range groups {
			ms, err := tx.GroupMembers(ctx, g.ID)
			if err != nil {
				return err
			}
			var mn []string
			for _, m := range ms {
				mn = append(mn, names[m])
			}
			sort.Strings(mn)
			lines = append(lines, fmt.Sprintf("group %s owner=%s src=%s members=%s", g.DisplayName, g.Owner,
				g.SourceID, strings.Join(mn, ",")))
		}
		return nil
	})
	if err != nil {
		e.t.Fatal(err)
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

func user(id, login string, active bool) connectors.User {
	first, _, _ := strings.Cut(login, "@")
	return connectors.User{SourceID: id, ExternalID: id, UserName: login, DisplayName: strings.ToUpper(first[:1]) + first[1:],
		GivenName: first, FamilyName: "Test", Email: login, Active: active}
}

// kinds renders a plan as "kind:name" lines for table assertions.
func kinds(p *Plan) []string {
	var out []string
	for _, a := range p.Actions {
		k := string(a.Kind)
		if a.Held {
			k = "held:" + k
		}
		out = append(out, k+":"+a.Name)
	}
	return out
}
