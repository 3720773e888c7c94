package msgraph

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dirsync/dirsync/connectors"
	"github.com/dirsync/dirsync/connectors/msgraph/graphfake"
)

// ca_file makes the connector trust a private CA (a TLS-inspecting proxy, or
// the demo's simulated tenant) without any test-only hook; without it the
// fake's self-signed login certificate is refused.
func TestCAFile(t *testing.T) {
	f := startFake(t, allRoles...)
	f.AddUser(graphfake.User{UserPrincipalName: "ann@contoso.com", AccountEnabled: true})
	c := testConfig(t, f, "all")
	c.authClient = nil
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "ca.pem"), f.LoginCertificatePEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	src := open(t, c)
	if _, err := src.Read(context.Background(), connectors.ReadRequest{Full: true}); err == nil ||
		!strings.Contains(err.Error(), "certificate") {
		t.Fatalf("read without ca_file: err = %v, want a certificate error", err)
	}
	c.CAFile = filepath.Join(dir, "ca.pem")
	snap := read(t, open(t, c), connectors.ReadRequest{Full: true})
	if len(snap.Users) != 1 {
		t.Fatalf("users = %d, want 1", len(snap.Users))
	}
	c.CAFile = filepath.Join(dir, "missing.pem")
	if _, err := c.Open(context.Background(), "corp", nil); err == nil || !strings.Contains(err.Error(), "ca_file") {
		t.Fatalf("missing ca_file: err = %v", err)
	}
}
