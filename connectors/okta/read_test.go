package okta

import (
	"maps"
	"slices"
	"testing"

	"github.com/dirsync/dirsync/connectors"
)

func TestFullReadMapping(t *testing.T) {
	f := newFixture(t)
	url := serveOrg(t, f.org)
	snap := read(t, open(t, tokenConfig(t, url, func(c *Config) {
		c.Enterprise = map[string]string{"employeeNumber": "employeeNumber", "department": "department"}
	})), connectors.ReadRequest{})
	if snap.Kind != connectors.Full || snap.Cursor == "" {
		t.Errorf("kind %v cursor %q, want a full snapshot with a cursor", snap.Kind, snap.Cursor)
	}
	users := userByID(snap)
	tests := []struct {
		name, id    string
		active      bool
		userName    string
		displayName string
		email       string
		empNo       string
	}{
		{"active with displayName", f.alice, true, "alice@example.com", "Alice A.", "alice@example.com", "E-a"},
		{"suspended is inactive", f.bob, false, "bob@example.com", "Fb Lb", "bob@example.com", "E-b"},
		{"deprovisioned included, inactive", f.carol, false, "carol@example.com", "Fc Lc", "carol@example.com", "E-c"},
		{"locked out is active, own email", f.dave, true, "dave@example.com", "Fd Ld", "dave@work.example.com", "E-d"},
		{"staged is active, numeric attribute", f.erin, true, "erin@example.com", "Fe Le", "erin@example.com", "42"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, ok := users[tt.id]
			if !ok {
				t.Fatalf("user %s missing", tt.id)
			}
			want := connectors.User{SourceID: tt.id, ExternalID: tt.id, UserName: tt.userName,
				DisplayName: tt.displayName, GivenName: "F" + tt.userName[:1], FamilyName: "L" + tt.userName[:1],
				Email: tt.email, Active: tt.active,
				Enterprise: map[string]string{"employeeNumber": tt.empNo, "department": "D"}}
			if u.SourceID != want.SourceID || u.ExternalID != want.ExternalID || u.UserName != want.UserName ||
				u.DisplayName != want.DisplayName || u.GivenName != want.GivenName || u.FamilyName != want.FamilyName ||
				u.Email != want.Email || u.Active != want.Active || !maps.Equal(u.Enterprise, want.Enterprise) {
				t.Errorf("got  %+v\nwant %+v", u, want)
			}
		})
	}
	if len(users) != 6 {
		t.Errorf("got %d users, want all 6", len(users))
	}
	if len(snap.Groups) != 0 {
		t.Errorf("no group selection configured, got groups %v", snap.Groups)
	}
	if snap.Requests != 2 {
		t.Errorf("requests = %d, want 2 (users, deprovisioned users)", snap.Requests)
	}
}

func TestActiveStatusesConfigurable(t *testing.T) {
	f := newFixture(t)
	snap := read(t, open(t, tokenConfig(t, serveOrg(t, f.org), func(c *Config) {
		c.ActiveStatuses = []string{"ACTIVE", "SUSPENDED"}
	})), connectors.ReadRequest{})
	u := userByID(snap)
	if !u[f.bob].Active || u[f.dave].Active || u[f.carol].Active {
		t.Errorf("active: bob %v dave %v carol %v, want true false false", u[f.bob].Active, u[f.dave].Active, u[f.carol].Active)
	}
}

func TestAppScope(t *testing.T) {
	f := newFixture(t)
	url := serveOrg(t, f.org)
	snap := read(t, open(t, tokenConfig(t, url, func(c *Config) {
		c.AppID = f.app
		c.GroupIDs = []string{f.eng, f.sales}
	})), connectors.ReadRequest{})
	users := userByID(snap)
	got := sortedIDs(slices.Collect(maps.Keys(users))...)
	want := sortedIDs(f.alice, f.dave, f.fay) // alice direct; dave, fay via sales
	if !slices.Equal(got, want) {
		t.Errorf("users in app scope = %v, want %v", got, want)
	}
	groups := groupByName(snap)
	if !slices.Equal(groups["eng"], []string{f.alice}) {
		t.Errorf("eng members = %v, want only alice (bob and carol are out of scope)", groups["eng"])
	}
	if !slices.Equal(groups["sales"], sortedIDs(f.dave, f.fay)) {
		t.Errorf("sales members = %v", groups["sales"])
	}

	// Unassigning the direct assignment takes alice out of a full snapshot.
	if err := f.org.UnassignUser(f.app, f.alice); err != nil {
		t.Fatal(err)
	}
	snap = read(t, open(t, tokenConfig(t, url, func(c *Config) { c.AppID = f.app })), connectors.ReadRequest{})
	if _, ok := userByID(snap)[f.alice]; ok {
		t.Errorf("unassigned user still in the snapshot")
	}
}

func TestGroupSelection(t *testing.T) {
	f := newFixture(t)
	url := serveOrg(t, f.org)
	tests := []struct {
		name string
		mod  func(*Config)
		want []string
	}{
		{"ids", func(c *Config) { c.GroupIDs = []string{f.ops} }, []string{"ops-team"}},
		{"names", func(c *Config) { c.GroupNames = []string{"eng", "sales"} }, []string{"eng", "sales"}},
		{"pattern", func(c *Config) { c.GroupNamePattern = "^(ops|sal)" }, []string{"ops-team", "sales"}},
		{"assigned to app", func(c *Config) { c.AppID = f.app; c.GroupsAssignedToApp = true }, []string{"sales"}},
		{"union", func(c *Config) { c.GroupIDs = []string{f.eng}; c.GroupNames = []string{"sales"} }, []string{"eng", "sales"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			snap := read(t, open(t, tokenConfig(t, url, tt.mod)), connectors.ReadRequest{})
			got := slices.Sorted(maps.Keys(groupByName(snap)))
			if !slices.Equal(got, tt.want) {
				t.Errorf("groups = %v, want %v", got, tt.want)
			}
		})
	}
	t.Run("unknown id fails", func(t *testing.T) {
		s := open(t, tokenConfig(t, url, func(c *Config) { c.GroupIDs = []string{"00gdoesnotexist"} }))
		if _, err := s.Read(t.Context(), connectors.ReadRequest{}); err == nil {
			t.Error("read succeeded with a group id that does not exist")
		}
	})
	t.Run("all members in all-users scope", func(t *testing.T) {
		snap := read(t, open(t, tokenConfig(t, url, func(c *Config) { c.GroupNames = []string{"eng"} })), connectors.ReadRequest{})
		if got := groupByName(snap)["eng"]; !slices.Equal(got, sortedIDs(f.alice, f.bob, f.carol)) {
			t.Errorf("eng members = %v, want alice, bob, carol", got)
		}
	})
}
