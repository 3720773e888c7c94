package msgraph

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/hashicorp/go-hclog"

	"github.com/dirsync/dirsync/connectors"
	"github.com/dirsync/dirsync/connectors/msgraph/graphfake"
)

const testSecret = "s3cr3t-value"

var allRoles = []string{graphfake.UserReadAll, graphfake.GroupReadAll, graphfake.AppReadAll}

// startFake runs a fake tenant whose app has the given roles and clears the
// environment azidentity would otherwise read.
func startFake(t testing.TB, roles ...string) *graphfake.Fake {
	t.Helper()
	t.Setenv("AZURE_AUTHORITY_HOST", "")
	t.Setenv("AZURE_REGIONAL_AUTHORITY_NAME", "")
	f := graphfake.New()
	f.Start()
	t.Cleanup(f.Close)
	f.RegisterSecret(graphfake.AppID, testSecret, roles...)
	return f
}

// testConfig is a complete pull config against the fake, with the client
// secret in a file.
func testConfig(t testing.TB, f *graphfake.Fake, scope string) *Config {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "secret"), []byte(testSecret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c := &Config{
		TenantID:         graphfake.TenantID,
		ClientID:         graphfake.AppID,
		ClientSecretFile: "secret",
		AuthorityHost:    f.AuthorityURL(),
		GraphURL:         f.GraphURL(),
		Scope:            scope,
		authClient:       f.LoginClient(),
	}
	if scope == "assigned" {
		c.ServicePrincipalID = graphfake.ServicePrincipalID
	}
	c.SetBaseDir(dir)
	return c
}

func open(t testing.TB, c *Config) *source {
	t.Helper()
	src, err := c.Open(context.Background(), "corp", hclog.NewNullLogger())
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

func userByID(snap *connectors.Snapshot, id string) (connectors.User, bool) {
	for _, u := range snap.Users {
		if u.SourceID == id {
			return u, true
		}
	}
	return connectors.User{}, false
}

func groupByID(snap *connectors.Snapshot, id string) (connectors.Group, bool) {
	for _, g := range snap.Groups {
		if g.SourceID == id {
			return g, true
		}
	}
	return connectors.Group{}, false
}

func userIDs(snap *connectors.Snapshot) []string {
	var ids []string
	for _, u := range snap.Users {
		ids = append(ids, u.SourceID)
	}
	slices.Sort(ids)
	return ids
}

func sorted(ids ...string) []string {
	out := slices.Clone(ids)
	slices.Sort(out)
	return out
}

func sameSet(a, b []string) bool {
	return slices.Equal(sorted(a...), sorted(b...))
}
