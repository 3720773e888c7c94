package okta

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dirsync/dirsync/connectors"
	"github.com/dirsync/dirsync/connectors/okta/oktafake"
)

func writeKey(t *testing.T, block *pem.Block) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "key.pem")
	if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestOAuthPrivateKey(t *testing.T) {
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pkcs8, _ := x509.MarshalPKCS8PrivateKey(rsaKey)
	ecDER, _ := x509.MarshalECPrivateKey(ecKey)
	all := []string{oktafake.ScopeUsersRead, oktafake.ScopeGroupsRead, oktafake.ScopeAppsRead}
	tests := []struct {
		name    string
		block   *pem.Block
		pub     any
		granted []string
		scopes  []string
		failing string // the check expected to fail, empty for none
		detail  string
	}{
		{"pkcs1 rsa", &pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(rsaKey)}, &rsaKey.PublicKey, all, nil, "", ""},
		{"pkcs8 rsa", &pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8}, &rsaKey.PublicKey, all, nil, "", ""},
		{"ec p-256", &pem.Block{Type: "EC PRIVATE KEY", Bytes: ecDER}, &ecKey.PublicKey, all, nil, "", ""},
		{"groups scope not needed without groups", &pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8}, &rsaKey.PublicKey, all,
			[]string{"okta.users.read", "okta.apps.read"}, "", ""},
		{"scope not granted", &pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8}, &rsaKey.PublicKey,
			[]string{oktafake.ScopeUsersRead, oktafake.ScopeAppsRead}, nil, "credentials", "not granted to the client: okta.groups.read"},
		{"wrong key", &pem.Block{Type: "EC PRIVATE KEY", Bytes: ecDER}, &rsaKey.PublicKey, all, nil, "credentials", "signature is invalid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			f.org.AddClient("0oaservice", tt.pub, tt.granted...)
			url := serveOrg(t, f.org)
			c := &Config{OrgURL: url, ClientID: "0oaservice", PrivateKeyFile: writeKey(t, tt.block), Scopes: tt.scopes,
				AppID: f.app}
			if tt.scopes == nil {
				c.GroupIDs = []string{f.eng} // so Test checks okta.groups.read
			}
			res, err := open(t, c).Test(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			var failed *connectors.Check
			for i := range res.Checks {
				if !res.Checks[i].OK {
					failed = &res.Checks[i]
					break
				}
			}
			switch {
			case tt.failing == "" && failed != nil:
				t.Errorf("check %s failed: %s", failed.Name, failed.Detail)
			case tt.failing == "" && res.Users != 3:
				t.Errorf("users in scope = %d, want 3", res.Users)
			case tt.failing != "" && (failed == nil || failed.Name != tt.failing || !strings.Contains(failed.Detail, tt.detail)):
				t.Errorf("failed check = %+v, want %s with %q", failed, tt.failing, tt.detail)
			}
		})
	}
}

func TestTestChecks(t *testing.T) {
	f := newFixture(t)
	url := serveOrg(t, f.org)
	f.org.AddToken("no-groups", oktafake.ScopeUsersRead, oktafake.ScopeAppsRead)
	tests := []struct {
		name    string
		mod     func(*Config)
		failing string
		detail  string
	}{
		{"all good", func(c *Config) { c.AppID = f.app; c.GroupNames = []string{"sales"} }, "", "3 users and 1 groups"},
		{"wrong token", func(c *Config) { c.APITokenFile, c.APITokenEnv = "", "DIRSYNC_TEST_BAD_TOKEN" }, "credentials", "Invalid token"},
		{"token lacks groups", func(c *Config) {
			c.APITokenFile, c.APITokenEnv, c.GroupIDs = "", "DIRSYNC_TEST_NO_GROUPS", []string{f.eng}
		}, "okta.groups.read", "the API token lacks okta.groups.read"},
		{"unknown app", func(c *Config) { c.AppID = "0oadoesnotexist" }, "okta.apps.read", "app 0oadoesnotexist not found"},
		{"unreachable", func(c *Config) { c.OrgURL = "http://127.0.0.1:1" }, "reach org", "cannot reach"},
	}
	t.Setenv("DIRSYNC_TEST_BAD_TOKEN", "nope")
	t.Setenv("DIRSYNC_TEST_NO_GROUPS", "no-groups")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := open(t, tokenConfig(t, url, tt.mod)).Test(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			last := res.Checks[len(res.Checks)-1]
			if tt.failing == "" {
				if !res.OK() || !strings.Contains(last.Detail, tt.detail) {
					t.Errorf("checks = %+v, want all OK and %q", res.Checks, tt.detail)
				}
				return
			}
			if res.OK() || last.Name != tt.failing || !strings.Contains(last.Detail, tt.detail) {
				t.Errorf("last check = %+v, want %s failing with %q", last, tt.failing, tt.detail)
			}
		})
	}
}
