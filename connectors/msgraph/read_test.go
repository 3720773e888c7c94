package msgraph

import (
	"reflect"
	"testing"

	"github.com/dirsync/dirsync/connectors"
	"github.com/dirsync/dirsync/connectors/msgraph/graphfake"
)

func TestReadFullMapping(t *testing.T) {
	f := startFake(t, allRoles...)
	boss := f.AddUser(graphfake.User{UserPrincipalName: "boss@contoso.example", Mail: "boss@contoso.com", DisplayName: "Boss", AccountEnabled: true})
	ada := f.AddUser(graphfake.User{
		UserPrincipalName: "ada@contoso.example", Mail: "ada.lovelace@contoso.com", DisplayName: "Ada Lovelace",
		GivenName: "Ada", Surname: "Lovelace", AccountEnabled: true, EmployeeID: "E42", Department: "R&D", ManagerID: boss,
	})
	nomail := f.AddUser(graphfake.User{UserPrincipalName: "nomail@contoso.example", DisplayName: "No Mail", AccountEnabled: true})

	tests := []struct {
		name       string
		attr       string
		enterprise map[string]string
		want       connectors.User
		noMailName string
	}{
		{
			name: "userPrincipalName",
			attr: "",
			want: connectors.User{SourceID: ada, ExternalID: ada, UserName: "ada@contoso.example", DisplayName: "Ada Lovelace",
				GivenName: "Ada", FamilyName: "Lovelace", Email: "ada.lovelace@contoso.com", Active: true},
			noMailName: "nomail@contoso.example",
		},
		{
			name:       "mail with enterprise mapping",
			attr:       "mail",
			enterprise: map[string]string{"employeeNumber": "employeeId", "department": "department", "manager": "manager"},
			want: connectors.User{SourceID: ada, ExternalID: ada, UserName: "ada.lovelace@contoso.com", DisplayName: "Ada Lovelace",
				GivenName: "Ada", FamilyName: "Lovelace", Email: "ada.lovelace@contoso.com", Active: true,
				Enterprise: map[string]string{"employeeNumber": "E42", "department": "R&D", "manager": boss}},
			noMailName: "",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := testConfig(t, f, "all")
			c.UserNameAttribute, c.Enterprise = tt.attr, tt.enterprise
			snap := read(t, open(t, c), connectors.ReadRequest{})
			if snap.Kind != connectors.Full || snap.Cursor == "" {
				t.Fatalf("kind %v cursor %q, want full with a cursor", snap.Kind, snap.Cursor)
			}
			got, ok := userByID(snap, ada)
			if !ok {
				t.Fatalf("ada missing from %v", userIDs(snap))
			}
			if !equalUser(got, tt.want) {
				t.Errorf("ada = %+v\nwant  %+v", got, tt.want)
			}
			if u, _ := userByID(snap, nomail); u.UserName != tt.noMailName {
				t.Errorf("user without mail: userName %q, want %q", u.UserName, tt.noMailName)
			}
			if len(snap.Users) != 3 {
				t.Errorf("got %d users, want 3", len(snap.Users))
			}
			if snap.Requests != 2 {
				t.Errorf("requests = %d, want 2 (users and groups delta)", snap.Requests)
			}
		})
	}
}

func equalUser(a, b connectors.User) bool { return reflect.DeepEqual(a, b) }

func TestReadAssignedScope(t *testing.T) {
	f := startFake(t, allRoles...)
	direct := f.AddUser(graphfake.User{UserPrincipalName: "direct@x", DisplayName: "Direct", AccountEnabled: true})
	disabled := f.AddUser(graphfake.User{UserPrincipalName: "disabled@x", DisplayName: "Disabled", AccountEnabled: false})
	member := f.AddUser(graphfake.User{UserPrincipalName: "member@x", DisplayName: "Member", AccountEnabled: true})
	nested := f.AddUser(graphfake.User{UserPrincipalName: "nested@x", DisplayName: "Nested", AccountEnabled: true})
	outside := f.AddUser(graphfake.User{UserPrincipalName: "outside@x", DisplayName: "Outside", AccountEnabled: true})
	softDeleted := f.AddUser(graphfake.User{UserPrincipalName: "gone@x", DisplayName: "Gone", AccountEnabled: true})
	child := f.AddGroup(graphfake.Group{DisplayName: "Child", Members: []string{nested}})
	parent := f.AddGroup(graphfake.Group{DisplayName: "App Users", Members: []string{member, child, softDeleted}})
	f.AddGroup(graphfake.Group{DisplayName: "Unassigned", Members: []string{outside}})
	for _, id := range []string{direct, disabled, parent, softDeleted} {
		if err := f.Assign(id); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.SoftDelete(softDeleted); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name        string
		nested      bool
		wantUsers   []string
		wantMembers []string
	}{
		{"direct members", false, []string{direct, disabled, member}, []string{member}},
		{"nested members", true, []string{direct, disabled, member, nested}, []string{member, nested}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := testConfig(t, f, "assigned")
			c.NestedGroups = tt.nested
			snap := read(t, open(t, c), connectors.ReadRequest{})
			if got := userIDs(snap); !sameSet(got, tt.wantUsers) {
				t.Errorf("users = %v, want %v", got, sorted(tt.wantUsers...))
			}
			if u, _ := userByID(snap, disabled); u.Active {
				t.Error("disabled user is active")
			}
			if len(snap.Groups) != 1 {
				t.Fatalf("groups = %+v, want only the assigned group", snap.Groups)
			}
			g := snap.Groups[0]
			if g.SourceID != parent || g.DisplayName != "App Users" || !sameSet(g.Members, tt.wantMembers) {
				t.Errorf("group = %+v, want %s App Users with %v", g, parent, tt.wantMembers)
			}
		})
	}
}

func TestReadGroupsAllScope(t *testing.T) {
	f := startFake(t, allRoles...)
	u1 := f.AddUser(graphfake.User{UserPrincipalName: "u1@x", AccountEnabled: true})
	u2 := f.AddUser(graphfake.User{UserPrincipalName: "u2@x", AccountEnabled: true})
	u3 := f.AddUser(graphfake.User{UserPrincipalName: "u3@x", AccountEnabled: true})
	a := f.AddGroup(graphfake.Group{DisplayName: "eng-a", Members: []string{u1}})
	b := f.AddGroup(graphfake.Group{DisplayName: "eng-b", Members: []string{u2, a}})
	// a cycle: a contains b contains a
	if err := f.AddMember(a, b); err != nil {
		t.Fatal(err)
	}
	other := f.AddGroup(graphfake.Group{DisplayName: "sales", Members: []string{u3}})

	tests := []struct {
		name   string
		nested bool
		groups []string
		want   map[string][]string
	}{
		{"direct", false, nil, map[string][]string{a: {u1}, b: {u2}, other: {u3}}},
		{"nested with cycle", true, nil, map[string][]string{a: {u1, u2}, b: {u1, u2}, other: {u3}}},
		{"name selection", false, []string{"eng-*"}, map[string][]string{a: {u1}, b: {u2}}},
	}
	// Graph may spread a group's members over several delta items.
	f.SplitDeltaMembers(1)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := testConfig(t, f, "all")
			c.NestedGroups, c.Groups = tt.nested, tt.groups
			snap := read(t, open(t, c), connectors.ReadRequest{})
			if len(snap.Groups) != len(tt.want) {
				t.Fatalf("got %d groups %+v, want %d", len(snap.Groups), snap.Groups, len(tt.want))
			}
			for id, members := range tt.want {
				g, ok := groupByID(snap, id)
				if !ok || !sameSet(g.Members, members) {
					t.Errorf("group %s = %+v, want members %v", id, g, members)
				}
			}
		})
	}
}
