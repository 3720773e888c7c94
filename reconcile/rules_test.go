package reconcile

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/dirsync/dirsync/connectors"
	"github.com/dirsync/dirsync/store"
)

func base() *connectors.Snapshot {
	return &connectors.Snapshot{Kind: connectors.Full,
		Users: []connectors.User{
			user("00u1", "ann@example.com", true),
			user("00u2", "bob@example.com", true),
			user("00u3", "cy@example.com", true),
		},
		Groups: []connectors.Group{{SourceID: "00g1", ExternalID: "00g1", DisplayName: "Eng", Members: []string{"00u1", "00u2"}}},
	}
}

func TestRules(t *testing.T) {
	tests := []struct {
		name string
		// seed is the directory before the first sync (nil: empty).
		seed func(e *env)
		// first is synced and applied before next (nil: base()).
		first     *connectors.Snapshot
		skipFirst bool
		next      func(s *connectors.Snapshot)
		opts      func(o *Options)
		// nextOpts adjusts the options of the second sync only.
		nextOpts func(o *Options)
		wantPlan []string
		// wantDir lists lines that must appear in the directory afterwards.
		wantDir []string
		outcome string
	}{
		{
			name:      "first sync creates users, group and members",
			skipFirst: true,
			next:      func(s *connectors.Snapshot) {},
			wantPlan:  []string{"create:ann@example.com", "create:bob@example.com", "create:cy@example.com", "create_group:Eng", "set_members:Eng"},
			wantDir:   []string{"user ann@example.com owner=okta src=00u1 active=true", "group Eng owner=okta src=00g1 members=ann@example.com,bob@example.com"},
		},
		{
			name: "attribute update changes only mapped fields",
			next: func(s *connectors.Snapshot) {
				s.Users[1].DisplayName = "Robert"
				s.Users[1].Email = "robert@example.com"
			},
			wantPlan: []string{"update:bob@example.com"},
			wantDir:  []string{`user bob@example.com owner=okta src=00u2 active=true display="Robert" email=robert@example.com`},
		},
		{
			name:     "left the scope: deactivated, never deleted",
			next:     func(s *connectors.Snapshot) { s.Users = s.Users[:2] },
			wantPlan: []string{"deactivate:cy@example.com"},
			wantDir:  []string{"user cy@example.com owner=okta src=00u3 active=false"},
		},
		{
			name:     "disabled or suspended in the source: deactivated",
			next:     func(s *connectors.Snapshot) { s.Users[2].Active = false },
			wantPlan: []string{"deactivate:cy@example.com"},
			wantDir:  []string{"user cy@example.com owner=okta src=00u3 active=false"},
		},
		{
			name: "deleted in the source (delta): deactivated",
			next: func(s *connectors.Snapshot) {
				*s = connectors.Snapshot{Kind: connectors.Delta, RemovedUsers: []string{"00u3"}}
			},
			wantPlan: []string{"deactivate:cy@example.com"},
			wantDir:  []string{"user cy@example.com owner=okta src=00u3 active=false", "user ann@example.com owner=okta src=00u1 active=true"},
		},
		{
			name: "delta touches only what it names",
			next: func(s *connectors.Snapshot) {
				u := user("00u1", "ann@example.com", true)
				u.DisplayName = "Annie"
				*s = connectors.Snapshot{Kind: connectors.Delta, Users: []connectors.User{u},
					Groups: []connectors.Group{{SourceID: "00g1", ExternalID: "00g1", DisplayName: "Eng", Members: []string{"00u1", "00u3"}}}}
			},
			wantPlan: []string{"update:ann@example.com", "set_members:Eng"},
			wantDir:  []string{`user ann@example.com owner=okta src=00u1 active=true display="Annie"`, "user bob@example.com owner=okta src=00u2 active=true", "group Eng owner=okta src=00g1 members=ann@example.com,cy@example.com"},
		},
		{
			name: "reactivated when back",
			first: func() *connectors.Snapshot {
				s := base()
				s.Users[2].Active = false
				return s
			}(),
			next:     func(s *connectors.Snapshot) {},
			wantPlan: []string{"reactivate:cy@example.com"},
			wantDir:  []string{"user cy@example.com owner=okta src=00u3 active=true"},
		},
		{
			name:     "okta username change (default): new user, old one deactivated",
			next:     func(s *connectors.Snapshot) { s.Users[0].UserName = "ann.lee@example.com" },
			wantPlan: []string{"create:ann.lee@example.com", "deactivate:ann@example.com", "set_members:Eng"},
			wantDir: []string{"user ann.lee@example.com owner=okta src=00u1 active=true", "user ann@example.com owner=okta src=00u1 active=false",
				"group Eng owner=okta src=00g1 members=ann.lee@example.com,bob@example.com"},
		},
		{
			name:     "username change with rename policy: renamed in place",
			next:     func(s *connectors.Snapshot) { s.Users[0].UserName = "ann.lee@example.com" },
			opts:     func(o *Options) { o.RenameInPlace = true },
			wantPlan: []string{"update:ann.lee@example.com"},
			wantDir:  []string{"user ann.lee@example.com owner=okta src=00u1 active=true", "group Eng owner=okta src=00g1 members=ann.lee@example.com,bob@example.com"},
		},
		{
			name: "rename onto a taken userName is a conflict",
			seed: func(e *env) { e.seed([]*store.User{{UserName: "taken@example.com", Active: true}}, nil) },
			next: func(s *connectors.Snapshot) { s.Users[0].UserName = "taken@example.com" },
			opts: func(o *Options) { o.RenameInPlace = true },
			// The old account stays as it is: neither renamed nor deactivated.
			wantPlan: []string{"conflict:taken@example.com", "set_members:Eng"},
			wantDir:  []string{"user ann@example.com owner=okta src=00u1 active=true", "user taken@example.com owner= src= active=true"},
		},
		{
			name: "unowned users and groups are adopted, not duplicated",
			seed: func(e *env) {
				e.seed([]*store.User{{UserName: "ANN@example.com", Active: true, Extra: map[string]any{"title": "CTO"}}},
					map[*store.Group][]string{{DisplayName: "eng"}: {"ANN@example.com"}})
			},
			skipFirst: true,
			next:      func(s *connectors.Snapshot) {},
			wantPlan:  []string{"create:bob@example.com", "create:cy@example.com", "adopt:ann@example.com", "adopt_group:Eng", "set_members:Eng"},
			wantDir:   []string{"user ann@example.com owner=okta src=00u1 active=true", "group Eng owner=okta src=00g1 members=ann@example.com,bob@example.com"},
		},
		{
			name: "userName owned by another source is a conflict",
			seed: func(e *env) {
				e.seed([]*store.User{{UserName: "bob@example.com", Owner: "entra", SourceID: "aad-1", Active: true}}, nil)
			},
			skipFirst: true,
			next:      func(s *connectors.Snapshot) {},
			wantPlan:  []string{"create:ann@example.com", "create:cy@example.com", "conflict:bob@example.com", "create_group:Eng", "set_members:Eng"},
			wantDir:   []string{"user bob@example.com owner=entra src=aad-1 active=true", "group Eng owner=okta src=00g1 members=ann@example.com"},
		},
		{
			name:     "protected users are never changed",
			next:     func(s *connectors.Snapshot) { s.Users = s.Users[1:]; s.Users[0].DisplayName = "Changed" },
			nextOpts: func(o *Options) { o.Protected = []string{"ANN@example.com", "bob@example.com"} },
			wantPlan: []string{"skip:ann@example.com", "skip:bob@example.com", "skip:Eng"},
			wantDir:  []string{"user ann@example.com owner=okta src=00u1 active=true", `user bob@example.com owner=okta src=00u2 active=true display="Bob"`},
		},
		{
			name:      "invalid objects are skipped, the rest applied",
			skipFirst: true,
			next: func(s *connectors.Snapshot) {
				s.Users = append(s.Users,
					connectors.User{SourceID: "00u9", UserName: "", Active: true},
					user("00u7", "dup@example.com", true), user("00u8", "DUP@example.com", true),
					connectors.User{SourceID: "00u6", UserName: "bad", Email: "not an email", Active: true})
			},
			wantPlan: []string{"create:ann@example.com", "create:bob@example.com", "create:cy@example.com",
				"skip:", "skip:DUP@example.com", "skip:bad", "skip:dup@example.com", "create_group:Eng", "set_members:Eng"},
			wantDir: []string{"user cy@example.com owner=okta src=00u3 active=true"},
		},
		{
			name:     "group overwrite replaces members and reports the unknown",
			next:     func(s *connectors.Snapshot) { s.Groups[0].Members = []string{"00u3", "00u404"} },
			wantPlan: []string{"set_members:Eng"},
			wantDir:  []string{"group Eng owner=okta src=00g1 members=cy@example.com"},
		},
		{
			name:     "group rename in place",
			next:     func(s *connectors.Snapshot) { s.Groups[0].DisplayName = "Engineering" },
			wantPlan: []string{"update_group:Engineering"},
			wantDir:  []string{"group Engineering owner=okta src=00g1 members=ann@example.com,bob@example.com"},
		},
		{
			name:     "group out of scope is kept",
			next:     func(s *connectors.Snapshot) { s.Groups = nil },
			wantPlan: []string{"out_of_scope:Eng"},
			wantDir:  []string{"group Eng owner=okta src=00g1 members=ann@example.com,bob@example.com"},
		},
		{
			name:     "guard holds deactivations over the count, applies the rest",
			next:     func(s *connectors.Snapshot) { s.Users = s.Users[:1]; s.Users[0].DisplayName = "Ann L" },
			opts:     func(o *Options) { o.MaxDeactivations = 1 },
			wantPlan: []string{"update:ann@example.com", "held:deactivate:bob@example.com", "held:deactivate:cy@example.com", "set_members:Eng"},
			wantDir:  []string{`user ann@example.com owner=okta src=00u1 active=true display="Ann L"`, "user bob@example.com owner=okta src=00u2 active=true", "user cy@example.com owner=okta src=00u3 active=true"},
			outcome:  store.OutcomeHeld,
		},
		{
			name:     "guard holds deactivations over the percentage",
			next:     func(s *connectors.Snapshot) { s.Users = s.Users[:2] },
			opts:     func(o *Options) { o.MaxDeactivationPercent = 30 },
			wantPlan: []string{"held:deactivate:cy@example.com"},
			wantDir:  []string{"user cy@example.com owner=okta src=00u3 active=true"},
			outcome:  store.OutcomeHeld,
		},
		{
			name:     "guard allowed by the admin",
			next:     func(s *connectors.Snapshot) { s.Users = s.Users[:1] },
			opts:     func(o *Options) { o.MaxDeactivations = 1; o.AllowDeactivations = true },
			wantPlan: []string{"deactivate:bob@example.com", "deactivate:cy@example.com", "set_members:Eng"},
			wantDir:  []string{"user bob@example.com owner=okta src=00u2 active=false", "user cy@example.com owner=okta src=00u3 active=false"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			if tt.seed != nil {
				tt.seed(e)
			}
			opts := e.opts("okta")
			if tt.opts != nil {
				tt.opts(&opts)
			}
			if !tt.skipFirst {
				first := tt.first
				if first == nil {
					first = base()
				}
				if rep := e.sync(&fakeSource{snap: first}, opts, false); rep.Outcome != store.OutcomeSuccess {
					t.Fatalf("first sync: %s %v", rep.Outcome, rep.Err)
				}
			}
			snap := base()
			tt.next(snap)
			if tt.nextOpts != nil {
				tt.nextOpts(&opts)
			}
			rep := e.sync(&fakeSource{snap: snap}, opts, false)
			want := tt.outcome
			if want == "" {
				want = store.OutcomeSuccess
			}
			if rep.Outcome != want {
				t.Fatalf("outcome = %s, want %s (err %v)", rep.Outcome, want, rep.Err)
			}
			if got := strings.Join(kinds(rep.Plan), " "); got != strings.Join(tt.wantPlan, " ") {
				t.Errorf("plan:\n got  %s\n want %s", got, strings.Join(tt.wantPlan, " "))
			}
			dir := e.dir()
			for _, w := range tt.wantDir {
				if !strings.Contains(dir, w) {
					t.Errorf("directory lacks %q:\n%s", w, dir)
				}
			}
			// Idempotence: the same snapshot again plans nothing, unless
			// deactivations are still held.
			if rep.Outcome == store.OutcomeSuccess {
				again := e.sync(&fakeSource{snap: snap}, opts, true)
				if again.Plan.Changes() {
					t.Errorf("second plan of the same snapshot is not empty: %v", kinds(again.Plan))
				}
			}
		})
	}
}

func TestMissingMembersReported(t *testing.T) {
	e := newEnv(t)
	snap := base()
	snap.Groups[0].Members = append(snap.Groups[0].Members, "00u404")
	rep := e.sync(&fakeSource{snap: snap}, e.opts("okta"), false)
	var sm *Action
	for _, a := range rep.Plan.Actions {
		if a.Kind == SetMembers {
			sm = a
		}
	}
	if sm == nil || fmt.Sprint(sm.Missing) != "[00u404]" || len(sm.Added) != 2 {
		t.Fatalf("set_members = %+v", sm)
	}
}

func TestFailedReadAppliesNothing(t *testing.T) {
	e := newEnv(t)
	opts := e.opts("okta")
	e.sync(&fakeSource{snap: base()}, opts, false)
	before := e.dir()
	rep, err := e.eng.Sync(t.Context(), Request{Source: &fakeSource{err: errors.New("page 3: 500 Internal Server Error")}, Options: opts})
	if err == nil || rep.Outcome != store.OutcomeFailed || !strings.Contains(err.Error(), "page 3") {
		t.Fatalf("failed read: outcome %s, err %v", rep.Outcome, err)
	}
	if e.dir() != before {
		t.Fatal("a failed read changed the directory")
	}
	runs, _ := e.st.Runs(t.Context(), "okta", 1)
	if len(runs) != 1 || runs[0].Outcome != store.OutcomeFailed || !strings.Contains(runs[0].Error, "page 3") {
		t.Fatalf("failed run not recorded: %+v", runs)
	}
}

func TestCursorSavedAfterCommitAndExpiryFallsBack(t *testing.T) {
	e := newEnv(t)
	opts := e.opts("okta")
	snap := base()
	snap.Cursor = "c1"
	src := &fakeSource{snap: snap}
	e.sync(src, opts, false)
	e.sync(src, opts, false)
	if len(src.reads) != 2 || !src.reads[0].Full || src.reads[1].Cursor != "c1" || src.reads[1].Full {
		t.Fatalf("reads = %+v; want a full read, then an incremental one from c1", src.reads)
	}
	// A held run does not advance the cursor.
	held := base()
	held.Users, held.Cursor = nil, "c2"
	opts.MaxDeactivations = 0
	if rep := e.sync(&fakeSource{snap: held}, opts, false); rep.Outcome != store.OutcomeHeld {
		t.Fatalf("outcome %s", rep.Outcome)
	}
	src3 := &fakeSource{snap: base()}
	e.sync(src3, opts, true)
	if src3.reads[0].Cursor != "c1" {
		t.Fatalf("cursor after a held run = %q, want c1", src3.reads[0].Cursor)
	}
	// An expired cursor falls back to a full read, and says so.
	exp := &expiring{snap: base()}
	rep := e.sync(exp, opts, true)
	if exp.calls != 2 || !strings.Contains(rep.Note, "expired") {
		t.Fatalf("expired cursor: calls %d, note %q", exp.calls, rep.Note)
	}
}

type expiring struct {
	snap  *connectors.Snapshot
	calls int
}

func (x *expiring) Read(_ context.Context, req connectors.ReadRequest) (*connectors.Snapshot, error) {
	x.calls++
	if !req.Full {
		return nil, fmt.Errorf("delta token: %w", connectors.ErrCursorExpired)
	}
	return x.snap, nil
}
