package store

import (
	"context"
	"errors"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/dirsync/dirsync/connectors/scim/filter"
)

func seedFilterUsers(t *testing.T, s *Store) map[string]string {
	t.Helper()
	clock := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	ids := map[string]string{}
	users := []*User{
		{UserName: "BJensen@example.com", ExternalID: "ext-1", DisplayName: "Babs Jensen", Active: true,
			Name:       Name{GivenName: "Barbara", FamilyName: "Jensen"},
			Emails:     []Email{{Value: "bjensen@example.com", Type: "work", Primary: true}, {Value: "babs@home.example", Type: "home"}},
			Enterprise: map[string]any{"employeeNumber": "701984", "manager": map[string]any{"value": "mgr-1"}},
			Extra:      map[string]any{"title": "Tour Guide", "phoneNumbers": []any{map[string]any{"value": "555-1234", "type": "work"}}}},
		{UserName: "jsmith", ExternalID: "ext-2", DisplayName: "John Smith", Active: false,
			Name: Name{GivenName: "John", FamilyName: "Smith"}, Emails: []Email{{Value: "john@example.org", Type: "work"}}},
		{UserName: "Ärger_100%", ExternalID: "ext-1", DisplayName: "Umlaut", Active: true,
			Extra: map[string]any{"userType": "Contractor"}},
	}
	for i, u := range users {
		s.now = func() time.Time { return clock.Add(time.Duration(i) * time.Hour) }
		mustUpdate(t, s, func(tx *Tx) error { return tx.CreateUser(context.Background(), u) })
		ids[u.UserName] = u.ID
	}
	mustUpdate(t, s, func(tx *Tx) error {
		ctx := context.Background()
		g := &Group{DisplayName: "Tour Guides"}
		if err := tx.CreateGroup(ctx, g); err != nil {
			return err
		}
		ids["Tour Guides"] = g.ID
		_, err := tx.AddMembers(ctx, g.ID, []string{ids["BJensen@example.com"]})
		return err
	})
	return ids
}

func TestFindUsersFilter(t *testing.T) {
	s := openTest(t)
	ids := seedFilterUsers(t, s)
	tests := []struct {
		filter string
		want   string // userNames, sorted, comma-separated
	}{
		{`userName eq "bjensen@example.com"`, "BJensen@example.com"},
		{`USERNAME EQ "BJENSEN@EXAMPLE.COM"`, "BJensen@example.com"},
		{`userName eq "ärger_100%"`, "Ärger_100%"},
		{`userName sw "bj"`, "BJensen@example.com"},
		{`userName co "100%"`, "Ärger_100%"},
		{`userName ew ".COM"`, "BJensen@example.com"},
		{`userName eq "nobody-` + "7f3a" + `"`, ""},
		{`externalId eq "ext-1"`, "BJensen@example.com,Ärger_100%"},
		{`externalId eq "EXT-1"`, ""},
		{`id eq "` + ids["jsmith"] + `"`, "jsmith"},
		{`displayName eq "John Smith"`, "jsmith"},
		{`displayName eq "JOHN SMITH"`, "jsmith"},
		{`active eq false`, "jsmith"},
		{`active eq "True"`, "BJensen@example.com,Ärger_100%"},
		{`name.givenName eq "barbara"`, "BJensen@example.com"},
		{`name.familyName sw "S"`, "jsmith"},
		{`emails eq "john@example.org"`, "jsmith"},
		{`emails.value co "home"`, "BJensen@example.com"},
		{`emails[type eq "work" and primary eq true]`, "BJensen@example.com"},
		{`emails[type eq "work" and value ew "org"]`, "jsmith"},
		{`emails pr`, "BJensen@example.com,jsmith"},
		{`not (emails pr)`, "Ärger_100%"},
		{`emails.type ne "home"`, "jsmith,Ärger_100%"},
		{`title eq "tour guide"`, "BJensen@example.com"},
		{`title pr`, "BJensen@example.com"},
		{`title eq null`, "jsmith,Ärger_100%"},
		{`phoneNumbers[type eq "work"]`, "BJensen@example.com"},
		{`phoneNumbers.value eq "555-1234"`, "BJensen@example.com"},
		{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "701984"`, "BJensen@example.com"},
		{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "mgr-1"`, "BJensen@example.com"},
		{`urn:ietf:params:scim:schemas:core:2.0:User:userName eq "jsmith"`, "jsmith"},
		{`meta.lastModified gt "2024-01-01T00:30:00Z"`, "jsmith,Ärger_100%"},
		{`meta.created le "2024-01-01T01:00:00+00:00"`, "BJensen@example.com,jsmith"},
		{`meta.resourceType eq "User"`, "BJensen@example.com,jsmith,Ärger_100%"},
		{`groups eq "` + ids["Tour Guides"] + `"`, "BJensen@example.com"},
		{`userName eq "jsmith" or (active eq true and userType eq "Contractor")`, "jsmith,Ärger_100%"},
		{`not (active eq true) and userName pr`, "jsmith"},
		{`userName eq jsmith`, "jsmith"},
		{`externalId eq "x' OR 1=1 --"`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.filter, func(t *testing.T) {
			e, err := filter.Parse(tt.filter, filter.Limits{})
			if err != nil {
				t.Fatal(err)
			}
			var got []*User
			var total int
			err = s.View(context.Background(), func(tx *Tx) error {
				got, total, err = tx.FindUsers(context.Background(), ListQuery{Filter: e, Limit: 100})
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			names := make([]string, len(got))
			for i, u := range got {
				names[i] = u.UserName
			}
			sort.Strings(names)
			if g := strings.Join(names, ","); g != tt.want || total != len(got) {
				t.Fatalf("got %q (total %d), want %q", g, total, tt.want)
			}
		})
	}
}

func TestFindUsersErrorsAndPaging(t *testing.T) {
	s := openTest(t)
	seedFilterUsers(t, s)
	ctx := context.Background()
	for _, f := range []string{`active gt true`, `meta.lastModified gt "yesterday"`, `userName co 5`, `name.nickname eq "x"`} {
		t.Run(f, func(t *testing.T) {
			e, err := filter.Parse(f, filter.Limits{})
			if err != nil {
				t.Fatal(err)
			}
			err = s.View(ctx, func(tx *Tx) error {
				_, _, err := tx.FindUsers(ctx, ListQuery{Filter: e, Limit: 10})
				return err
			})
			if !errors.Is(err, ErrInvalidFilter) {
				t.Fatalf("error = %v, want ErrInvalidFilter", err)
			}
		})
	}
	t.Run("paging and sort", func(t *testing.T) {
		var page []*User
		var total int
		err := s.View(ctx, func(tx *Tx) (err error) {
			page, total, err = tx.FindUsers(ctx, ListQuery{SortBy: filter.AttrPath{Name: "userName"}, Descending: true, Offset: 1, Limit: 1})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if total != 3 || len(page) != 1 || page[0].UserName != "jsmith" {
			t.Fatalf("page = %v, total %d", page, total)
		}
	})
}

func TestFindGroupsFilter(t *testing.T) {
	s := openTest(t)
	ids := seedFilterUsers(t, s)
	ctx := context.Background()
	tests := []struct {
		filter string
		want   int
	}{
		{`displayName eq "tour guides"`, 1},
		{`displayName eq "Other"`, 0},
		{`members eq "` + ids["BJensen@example.com"] + `"`, 1},
		{`members[value eq "` + ids["jsmith"] + `"]`, 0},
		{`id eq "` + ids["Tour Guides"] + `" and members.value eq "` + ids["BJensen@example.com"] + `"`, 1},
		{`externalId pr`, 0},
	}
	for _, tt := range tests {
		t.Run(tt.filter, func(t *testing.T) {
			e, err := filter.Parse(tt.filter, filter.Limits{})
			if err != nil {
				t.Fatal(err)
			}
			var total int
			err = s.View(ctx, func(tx *Tx) (err error) {
				_, total, err = tx.FindGroups(ctx, ListQuery{Filter: e, Limit: 10})
				return err
			})
			if err != nil || total != tt.want {
				t.Fatalf("total = %d, err %v; want %d", total, err, tt.want)
			}
		})
	}
}

// The lookups IdPs make before every create must not scan the table.
func TestFilterUsesIndexes(t *testing.T) {
	s := openTest(t)
	tests := []struct {
		scope  scope
		filter string
		index  string
	}{
		{userScope{}, `userName eq "x"`, "user_name_fold"},
		{userScope{}, `userName sw "x"`, "user_name_fold"},
		{userScope{}, `externalId eq "x"`, "users_external_id"},
		{userScope{}, `id eq "x"`, "(id=?)"},
		{userScope{}, `displayName eq "x"`, "users_display_name"},
		{userScope{}, `userName eq "x" and active eq true`, "user_name_fold"},
		{groupScope{}, `displayName eq "x"`, "display_name_fold"},
		{groupScope{}, `externalId eq "x"`, "groups_external_id"},
		{groupScope{}, `id eq "x"`, "(id=?)"},
	}
	for _, tt := range tests {
		t.Run(tt.scope.table()+" "+tt.filter, func(t *testing.T) {
			e, err := filter.Parse(tt.filter, filter.Limits{})
			if err != nil {
				t.Fatal(err)
			}
			where, order, args, err := compileQuery(tt.scope, ListQuery{Filter: e})
			if err != nil {
				t.Fatal(err)
			}
			rows, err := s.reader.Query("EXPLAIN QUERY PLAN SELECT * FROM "+tt.scope.table()+" WHERE "+where+" ORDER BY "+order, args...)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			var plan []string
			for rows.Next() {
				var id, parent, notused int
				var detail string
				if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
					t.Fatal(err)
				}
				plan = append(plan, detail)
			}
			p := strings.Join(plan, "; ")
			if !strings.Contains(p, "USING") || !strings.Contains(p, tt.index) || strings.Contains(p, "SCAN "+tt.scope.table()) {
				t.Fatalf("plan %q does not use index %s", p, tt.index)
			}
		})
	}
}

// Any filter the parser accepts either runs or fails with ErrInvalidFilter:
// never an SQL error, which the SCIM endpoint would have to answer with 500.
func FuzzFindUsers(f *testing.F) {
	for _, s := range []string{`userName eq "x"`, `emails[type eq "work" and primary eq true]`, `meta.lastModified gt "2024-01-01T00:00:00Z"`,
		`urn:x:y'z:title eq 1`, "urn:\x00:A Co\"\"", `groups.display sw "a" or not (title pr)`, `phoneNumbers.value ew "1" and active ne false`,
		`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value co "%_\\"`} {
		f.Add(s)
	}
	s := openTestF(f)
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, in string) {
		e, err := filter.Parse(in, filter.Limits{MaxLength: 512, MaxDepth: 8})
		if err != nil {
			return
		}
		for _, sc := range []bool{true, false} {
			err = s.View(ctx, func(tx *Tx) error {
				q := ListQuery{Filter: e, Limit: 5, SortBy: filter.AttrPath{Name: "userName"}}
				if sc {
					_, _, err := tx.FindUsers(ctx, q)
					return err
				}
				_, _, err := tx.FindGroups(ctx, q)
				return err
			})
			if err != nil && !errors.Is(err, ErrInvalidFilter) {
				t.Fatalf("filter %q: %v", in, err)
			}
		}
	})
}

func openTestF(f *testing.F) *Store {
	f.Helper()
	s, err := Open(context.Background(), f.TempDir()+"/fuzz.db")
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { s.Close() })
	err = s.Update(context.Background(), cli, func(tx *Tx) error {
		return tx.CreateUser(context.Background(), &User{UserName: "a", Emails: []Email{{Value: "a@x", Type: "work"}},
			Extra: map[string]any{"title": "t", "phoneNumbers": []any{map[string]any{"value": "1"}}}})
	})
	if err != nil {
		f.Fatal(err)
	}
	return s
}
