package msgraph

import (
	"context"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/hashicorp/go-hclog"

	"github.com/dirsync/dirsync/connectors/msgraph/graphfake"
	"github.com/dirsync/dirsync/reconcile"
	"github.com/dirsync/dirsync/store"
	"github.com/dirsync/dirsync/store/storetest"
)

// e2e drives the whole Entra pull path: the real msgraph SDK and azidentity
// credential against the fake tenant, reconcile, and a real SQLite file.
type e2e struct {
	t     *testing.T
	fake  *graphfake.Fake
	ids   map[string]string // short name -> objectId
	eng   string            // the assigned group
	src   *source
	st    *store.Store
	run   *reconcile.Engine
	opts  reconcile.Options
	short map[string]string // objectId -> short name, for the directory view
}

func newE2E(t *testing.T) *e2e {
	t.Helper()
	f := startFake(t, allRoles...)
	e := &e2e{t: t, fake: f, ids: map[string]string{}, short: map[string]string{}}
	for _, n := range []string{"ann", "bob", "cy", "dee", "eve"} {
		id := f.AddUser(graphfake.User{UserPrincipalName: n + "@contoso.com", Mail: n + "@contoso.com",
			DisplayName: strings.ToUpper(n[:1]) + n[1:], GivenName: n, Surname: "Test", AccountEnabled: true})
		e.ids[n], e.short[id] = id, n
	}
	e.eng = f.AddGroup(graphfake.Group{DisplayName: "Eng", Members: []string{e.ids["cy"], e.ids["dee"]}})
	for _, p := range []string{e.ids["ann"], e.ids["bob"], e.eng} {
		e.must(f.Assign(p))
	}
	e.src = open(t, testConfig(t, f, "assigned"))
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "dirsync.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e.st = st
	e.run = &reconcile.Engine{Store: st, Logger: hclog.NewNullLogger()}
	e.opts = reconcile.Options{Source: "entra", RenameInPlace: true, MaxDeactivations: 100, MaxDeactivationPercent: 100}
	return e
}

func (e *e2e) must(err error) {
	e.t.Helper()
	if err != nil {
		e.t.Fatal(err)
	}
}

func (e *e2e) sync(full bool) *reconcile.Report {
	e.t.Helper()
	rep, _ := e.run.Sync(context.Background(), reconcile.Request{Source: e.src, Type: "entra", Options: e.opts, Full: full})
	return rep
}

func planOf(rep *reconcile.Report) string {
	var out []string
	for _, a := range rep.Plan.Actions {
		out = append(out, string(a.Kind)+":"+strings.TrimSuffix(a.Name, "@contoso.com"))
	}
	sort.Strings(out)
	return strings.Join(out, " ")
}

func (e *e2e) dir() string { return storetest.Directory(e.t, e.st, "@contoso.com") }

func TestEndToEndEntra(t *testing.T) {
	e := newE2E(t)
	ctx := context.Background()
	// A user the application had before Entra was connected: adopted.
	e.must(e.st.Update(ctx, store.Actor{Channel: store.ChannelCLI}, func(tx *store.Tx) error {
		return tx.CreateUser(ctx, &store.User{UserName: "ANN@contoso.com", Active: true, Extra: map[string]any{"title": "CEO"}})
	}))
	steps := []struct {
		name     string
		change   func()
		full     bool
		wantPlan string
		wantDir  string
		wantNote string
	}{
		{
			name: "first sync adopts the pre-existing user", full: true, change: func() {},
			wantPlan: "adopt:ann create:bob create:cy create:dee create_group:Eng set_members:Eng",
			wantDir:  "Eng[cy,dee] ann=true bob=true cy=true dee=true",
		},
		{
			name: "membership overwrite (delta)",
			change: func() {
				e.must(e.fake.RemoveMember(e.eng, e.ids["dee"]))
				e.must(e.fake.AddMember(e.eng, e.ids["ann"]))
			},
			// dee was in scope only through Eng: leaving it deactivates her.
			wantPlan: "deactivate:dee set_members:Eng",
			wantDir:  "Eng[ann,cy] ann=true bob=true cy=true dee=false",
		},
		{
			name:     "rename in place (delta)",
			change:   func() { e.must(e.fake.RenameUPN(e.ids["bob"], "robert@contoso.com")) },
			wantPlan: "update:robert",
			wantDir:  "Eng[ann,cy] ann=true cy=true dee=false robert=true",
		},
		{
			name:     "disable (delta)",
			change:   func() { e.must(e.fake.SetEnabled(e.ids["cy"], false)) },
			wantPlan: "deactivate:cy",
			wantDir:  "Eng[ann,cy] ann=true cy=false dee=false robert=true",
		},
		{
			name:     "soft delete (delta)",
			change:   func() { e.must(e.fake.SoftDelete(e.ids["ann"])) },
			wantPlan: "deactivate:ann set_members:Eng",
			wantDir:  "Eng[cy] ann=false cy=false dee=false robert=true",
		},
		{
			name:     "restore (delta)",
			change:   func() { e.must(e.fake.Restore(e.ids["ann"])) },
			wantPlan: "reactivate:ann",
			wantDir:  "Eng[cy] ann=true cy=false dee=false robert=true",
		},
		{
			name:     "unassign a user (delta)",
			change:   func() { e.must(e.fake.Unassign(e.ids["bob"])) },
			wantPlan: "deactivate:robert",
			wantDir:  "Eng[cy] ann=true cy=false dee=false robert=false",
		},
		{
			name:     "hard delete (delta)",
			change:   func() { e.must(e.fake.HardDelete(e.ids["ann"])) },
			wantPlan: "deactivate:ann",
			wantDir:  "Eng[cy] ann=false cy=false dee=false robert=false",
		},
		{
			name:     "expired delta token falls back to a full read",
			change:   func() { e.fake.ExpireDeltaTokens(); e.must(e.fake.SetEnabled(e.ids["cy"], true)) },
			wantPlan: "reactivate:cy",
			wantDir:  "Eng[cy] ann=false cy=true dee=false robert=false",
			wantNote: "expired",
		},
		{
			name: "unassign the group (full)", full: true,
			change:   func() { e.must(e.fake.Unassign(e.eng)) },
			wantPlan: "deactivate:cy out_of_scope:Eng",
			wantDir:  "Eng[cy] ann=false cy=false dee=false robert=false",
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
			if got := planOf(rep); got != s.wantPlan {
				t.Errorf("plan:\n got  %s\n want %s", got, s.wantPlan)
			}
			if got := e.dir(); got != s.wantDir {
				t.Errorf("directory:\n got  %s\n want %s", got, s.wantDir)
			}
			if !s.full && s.wantNote == "" && rep.Read.String() != "delta" {
				t.Errorf("read = %s, want delta", rep.Read)
			}
			if !strings.Contains(rep.Note, s.wantNote) {
				t.Errorf("note = %q, want %q", rep.Note, s.wantNote)
			}
			if again := e.sync(true); again.Plan.Changes() {
				t.Errorf("full sync afterwards not empty: %s", planOf(again))
			}
		})
	}
}

func TestEndToEndEntraFailures(t *testing.T) {
	tests := []struct {
		name  string
		fault graphfake.Fault
		ok    bool
	}{
		{"throttling completes", graphfake.Fault{Kind: "members", Status: 429, RetryAfter: "0", Times: 2}, true},
		{"5xx mid-listing fails", graphfake.Fault{Kind: "appRoleAssignedTo", Status: 500, Times: -1}, false},
		{"truncated member page fails", graphfake.Fault{Kind: "members", Truncate: true, Times: -1}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newE2E(t)
			e.sync(true)
			before := e.dir()
			e.fake.Inject(tt.fault)
			// Everyone left scope in the IdP's eyes if the read were trusted.
			rep := e.sync(true)
			if tt.ok {
				if rep.Outcome != store.OutcomeSuccess {
					t.Fatalf("outcome %s: %v", rep.Outcome, rep.Err)
				}
				if rep.Throttled != 2 {
					t.Fatalf("throttled = %d, want the 2 injected 429s", rep.Throttled)
				}
				return
			}
			if rep.Outcome != store.OutcomeFailed {
				t.Fatalf("outcome %s, want failed", rep.Outcome)
			}
			if got := e.dir(); got != before {
				t.Fatalf("failed read changed the directory:\n%s\nwant\n%s", got, before)
			}
		})
	}
}
