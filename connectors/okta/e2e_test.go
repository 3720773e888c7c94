package okta

import (
	"context"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/hashicorp/go-hclog"

	"github.com/dirsync/dirsync/connectors/okta/oktafake"
	"github.com/dirsync/dirsync/reconcile"
	"github.com/dirsync/dirsync/store"
	"github.com/dirsync/dirsync/store/storetest"
)

// e2e drives the whole pull path: the real SDK reads the fake org over
// loopback, reconcile plans and applies into a real SQLite file.
type e2e struct {
	t     *testing.T
	org   *oktafake.Org
	app   string
	users map[string]string // login -> Okta id
	src   *source
	st    *store.Store
	eng   *reconcile.Engine
	opts  reconcile.Options
}

func newE2E(t *testing.T, mod func(*Config)) *e2e {
	t.Helper()
	org := oktafake.New()
	e := &e2e{t: t, org: org, users: map[string]string{}}
	e.app = org.AddApp("LastPass")
	for _, n := range []string{"ann", "bob", "cy", "dee"} {
		id := org.AddUser(oktafake.User{Status: "ACTIVE", Profile: map[string]any{
			"login": n + "@example.com", "email": n + "@example.com", "firstName": strings.ToUpper(n[:1]) + n[1:], "lastName": "Test",
		}})
		e.users[n] = id
	}
	for _, n := range []string{"ann", "bob", "cy"} {
		if err := org.AssignUser(e.app, e.users[n], n+"@example.com"); err != nil {
			t.Fatal(err)
		}
	}
	eng := org.AddGroup("LP-Eng", "")
	sales := org.AddGroup("LP-Sales", "")
	org.AddGroup("Other", "")
	for _, m := range [][2]string{{eng, "ann"}, {eng, "bob"}, {sales, "cy"}, {sales, "dee"}} {
		if err := org.AddMember(m[0], e.users[m[1]]); err != nil {
			t.Fatal(err)
		}
	}
	url := serveOrg(t, org)
	cfg := tokenConfig(t, url, func(c *Config) {
		c.AppID = e.app
		c.GroupNamePattern = "^LP-"
		c.PageSize = 2 // several pages even for a small org
		if mod != nil {
			mod(c)
		}
	})
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	e.src = open(t, cfg)
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "dirsync.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e.st = st
	e.eng = &reconcile.Engine{Store: st, Logger: hclog.NewNullLogger()}
	e.opts = reconcile.Options{Source: "okta", MaxDeactivations: 100, MaxDeactivationPercent: 100}
	return e
}

func (e *e2e) sync(full bool) *reconcile.Report {
	e.t.Helper()
	rep, _ := e.eng.Sync(context.Background(), reconcile.Request{Source: e.src, Type: "okta", Options: e.opts, Full: full})
	return rep
}

// plan renders a report's actions as sorted "kind:name" strings.
func plan(rep *reconcile.Report) string {
	var out []string
	for _, a := range rep.Plan.Actions {
		out = append(out, string(a.Kind)+":"+a.Name)
	}
	sort.Strings(out)
	return strings.Join(out, " ")
}

func (e *e2e) dir() string { return storetest.Directory(e.t, e.st, "@example.com") }

func (e *e2e) must(err error) {
	e.t.Helper()
	if err != nil {
		e.t.Fatal(err)
	}
}

func TestEndToEndPull(t *testing.T) {
	e := newE2E(t, nil)
	steps := []struct {
		name     string
		change   func()
		full     bool
		wantPlan string
		wantDir  string
	}{
		{
			name: "first sync", full: true, change: func() {},
			wantPlan: "create:ann@example.com create:bob@example.com create:cy@example.com create_group:LP-Eng create_group:LP-Sales set_members:LP-Eng set_members:LP-Sales",
			// dee is in LP-Sales but not assigned to the app: out of scope, not invented.
			wantDir: "LP-Eng[ann,bob] LP-Sales[cy] ann=true bob=true cy=true",
		},
		{
			name: "attribute update", full: true,
			change:   func() { e.must(e.org.UpdateProfile(e.users["ann"], map[string]any{"firstName": "Annie"})) },
			wantPlan: "update:ann@example.com",
			wantDir:  "LP-Eng[ann,bob] LP-Sales[cy] ann=true bob=true cy=true",
		},
		{
			name: "suspend", full: true,
			change:   func() { e.must(e.org.Suspend(e.users["bob"])) },
			wantPlan: "deactivate:bob@example.com",
			wantDir:  "LP-Eng[ann,bob] LP-Sales[cy] ann=true bob=false cy=true",
		},
		{
			name: "unsuspend reactivates", full: true,
			change:   func() { e.must(e.org.Unsuspend(e.users["bob"])) },
			wantPlan: "reactivate:bob@example.com",
			wantDir:  "LP-Eng[ann,bob] LP-Sales[cy] ann=true bob=true cy=true",
		},
		{
			name: "unassign from the app", full: true,
			change:   func() { e.must(e.org.UnassignUser(e.app, e.users["cy"])) },
			wantPlan: "deactivate:cy@example.com set_members:LP-Sales",
			wantDir:  "LP-Eng[ann,bob] LP-Sales[] ann=true bob=true cy=false",
		},
		{
			name: "reassign reactivates", full: true,
			change:   func() { e.must(e.org.AssignUser(e.app, e.users["cy"], "cy@example.com")) },
			wantPlan: "reactivate:cy@example.com set_members:LP-Sales",
			wantDir:  "LP-Eng[ann,bob] LP-Sales[cy] ann=true bob=true cy=true",
		},
		{
			name: "group push overwrite", full: true,
			change: func() {
				eng, sales := groupID(e, "LP-Eng"), groupID(e, "LP-Sales")
				e.must(e.org.RemoveMember(eng, e.users["bob"]))
				e.must(e.org.AddMember(sales, e.users["ann"]))
			},
			wantPlan: "set_members:LP-Eng set_members:LP-Sales",
			wantDir:  "LP-Eng[ann] LP-Sales[ann,cy] ann=true bob=true cy=true",
		},
		{
			name: "group rename", full: true,
			change:   func() { e.must(e.org.RenameGroup(groupID(e, "LP-Eng"), "LP-Engineering")) },
			wantPlan: "update_group:LP-Engineering",
			wantDir:  "LP-Engineering[ann] LP-Sales[ann,cy] ann=true bob=true cy=true",
		},
		{
			name: "incremental pull picks up only the change",
			change: func() {
				e.must(e.org.UpdateProfile(e.users["bob"], map[string]any{"lastName": "Builder"}))
				e.org.ResetRequests()
			},
			wantPlan: "update:bob@example.com",
			wantDir:  "LP-Engineering[ann] LP-Sales[ann,cy] ann=true bob=true cy=true",
		},
		{
			name: "deprovision", full: true,
			change:   func() { e.must(e.org.Deprovision(e.users["ann"])) },
			wantPlan: "deactivate:ann@example.com set_members:LP-Engineering set_members:LP-Sales",
			wantDir:  "LP-Engineering[] LP-Sales[cy] ann=false bob=true cy=true",
		},
		{
			name: "username change creates a new user (Okta default)", full: true,
			change: func() {
				e.must(e.org.RenameLogin(e.users["bob"], "robert@example.com"))
			},
			wantPlan: "create:robert@example.com deactivate:bob@example.com",
			wantDir:  "LP-Engineering[] LP-Sales[cy] ann=false bob=false cy=true robert=true",
		},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			e.t = t
			s.change()
			rep := e.sync(s.full)
			if rep.Outcome != store.OutcomeSuccess {
				t.Fatalf("outcome %s: %v", rep.Outcome, rep.Err)
			}
			if got := plan(rep); got != s.wantPlan {
				t.Errorf("plan:\n got  %s\n want %s", got, s.wantPlan)
			}
			if got := e.dir(); got != s.wantDir {
				t.Errorf("directory:\n got  %s\n want %s", got, s.wantDir)
			}
			if !s.full && rep.Read.String() != "delta" {
				t.Errorf("read = %s, want delta", rep.Read)
			}
			// Idempotent: the same state again plans nothing.
			if again := e.sync(true); again.Plan.Changes() {
				t.Errorf("second sync not empty: %s", plan(again))
			}
		})
	}
}

func groupID(e *e2e, name string) string {
	for _, id := range e.org.GroupIDs() {
		if g, ok := e.org.Group(id); ok && g.Name == name {
			return id
		}
	}
	e.t.Fatalf("no group %s", name)
	return ""
}

func TestEndToEndRenamePolicy(t *testing.T) {
	e := newE2E(t, nil)
	e.opts.RenameInPlace = true
	e.sync(true)
	e.must(e.org.RenameLogin(e.users["bob"], "robert@example.com"))
	rep := e.sync(true)
	if got := plan(rep); got != "update:robert@example.com" {
		t.Fatalf("plan = %s", got)
	}
	if got := e.dir(); got != "LP-Eng[ann,robert] LP-Sales[cy] ann=true cy=true robert=true" {
		t.Fatalf("dir = %s", got)
	}
}

func TestEndToEndFailuresDeactivateNobody(t *testing.T) {
	tests := []struct {
		name   string
		inject func(e *e2e)
		ok     bool
	}{
		{"429 storm completes", func(e *e2e) { e.org.Throttle(3) }, true},
		{"500 on page 3 fails", func(e *e2e) {
			e.org.Inject(oktafake.Fault{Path: "/api/v1/apps/" + e.app + "/users", After: 2, Status: 500, Times: -1})
		}, false},
		{"truncated listing fails", func(e *e2e) {
			e.org.Inject(oktafake.Fault{Path: "/api/v1/apps/" + e.app + "/users", After: 1, Truncate: true, Times: -1})
		}, false},
		{"connection dropped mid-listing fails", func(e *e2e) {
			e.org.Inject(oktafake.Fault{Path: "/api/v1/groups", After: 0, Close: true, Times: -1})
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newE2E(t, func(c *Config) { c.MaxRetries = ptr(5); c.PageSize = 1 })
			e.sync(true)
			before := e.dir()
			tt.inject(e)
			rep := e.sync(true)
			if tt.ok {
				if rep.Outcome != store.OutcomeSuccess {
					t.Fatalf("outcome %s: %v", rep.Outcome, rep.Err)
				}
				if rep.Throttled != 3 {
					t.Fatalf("throttled = %d, want the 3 injected 429s", rep.Throttled)
				}
				return
			}
			if rep.Outcome != store.OutcomeFailed || rep.Err == nil {
				t.Fatalf("outcome = %s, want failed", rep.Outcome)
			}
			if got := e.dir(); got != before {
				t.Fatalf("failed read changed the directory:\n%s\nwant\n%s", got, before)
			}
		})
	}
}
