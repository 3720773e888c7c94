package okta

import (
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/hashicorp/go-hclog"

	"github.com/dirsync/dirsync/connectors"
	"github.com/dirsync/dirsync/connectors/okta/oktafake"
)

const testToken = "00-test-token"

// serveOrg serves o on loopback and registers the test API token.
func serveOrg(t testing.TB, o *oktafake.Org) string {
	t.Helper()
	o.AddToken(testToken)
	srv := httptest.NewServer(o.Handler())
	t.Cleanup(srv.Close)
	return srv.URL
}

// tokenConfig is a config using an API token file, modified by mod.
func tokenConfig(t testing.TB, url string, mod func(*Config)) *Config {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "token"), []byte(testToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c := &Config{OrgURL: url, APITokenFile: "token", MaxRetries: ptr(3)}
	c.SetBaseDir(dir)
	if mod != nil {
		mod(c)
	}
	return c
}

func open(t testing.TB, c *Config) *source {
	t.Helper()
	src, err := c.Open(context.Background(), "test", hclog.NewNullLogger())
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	return src.(*source)
}

func read(t testing.TB, s *source, req connectors.ReadRequest) *connectors.Snapshot {
	t.Helper()
	snap, err := s.Read(context.Background(), req)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	return snap
}

func userByID(snap *connectors.Snapshot) map[string]connectors.User {
	m := map[string]connectors.User{}
	for _, u := range snap.Users {
		m[u.SourceID] = u
	}
	return m
}

func groupByName(snap *connectors.Snapshot) map[string][]string {
	m := map[string][]string{}
	for _, g := range snap.Groups {
		m[g.DisplayName] = g.Members
	}
	return m
}

func sortedIDs(ids ...string) []string {
	s := slices.Clone(ids)
	slices.Sort(s)
	return s
}

// fixture is a small org: six users of various statuses, three groups, an
// app with one direct assignment and one group assignment.
type fixture struct {
	org                                *oktafake.Org
	alice, bob, carol, dave, erin, fay string
	eng, sales, ops                    string
	app                                string
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	o := oktafake.New()
	add := func(status, login string, profile map[string]any) string {
		p := map[string]any{"login": login, "email": login, "firstName": "F" + login[:1], "lastName": "L" + login[:1],
			"displayName": nil, "employeeNumber": "E-" + login[:1], "department": "D"}
		for k, v := range profile {
			p[k] = v
		}
		return o.AddUser(oktafake.User{Status: status, Profile: p})
	}
	f := &fixture{org: o}
	f.alice = add("ACTIVE", "alice@example.com", map[string]any{"displayName": "Alice A."})
	f.bob = add("SUSPENDED", "bob@example.com", nil)
	f.carol = add("DEPROVISIONED", "carol@example.com", nil)
	f.dave = add("LOCKED_OUT", "dave@example.com", map[string]any{"email": "dave@work.example.com"})
	f.erin = add("STAGED", "erin@example.com", map[string]any{"employeeNumber": 42.0})
	f.fay = add("ACTIVE", "fay@example.com", nil)
	f.eng = o.AddGroup("eng", "engineers")
	f.sales = o.AddGroup("sales", "")
	f.ops = o.AddGroup("ops-team", "")
	f.app = o.AddApp("dirsync")
	for _, err := range []error{
		o.AddMember(f.eng, f.alice), o.AddMember(f.eng, f.bob), o.AddMember(f.eng, f.carol),
		o.AddMember(f.sales, f.dave), o.AddMember(f.sales, f.fay), o.AddMember(f.ops, f.erin),
		o.AssignUser(f.app, f.alice, "alice"), o.AssignGroup(f.app, f.sales),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	return f
}
