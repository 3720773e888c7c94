package main

import (
	"strings"
	"testing"
)

// The README's main command: the demo runs the whole product against the
// simulated tenants and prints readable reports.
func TestDemoOnce(t *testing.T) {
	t.Setenv("AZURE_AUTHORITY_HOST", "")
	t.Setenv("AZURE_REGIONAL_AUTHORITY_NAME", "")
	r := runCLI(t, nil, "demo", "--once", "--dir", t.TempDir())
	if r.code != exitOK {
		t.Fatalf("demo exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{
		"/scim/okta/v2", "/scim/entra/v2", "token dsk_",
		"Source okta (okta), full read, dry run: nothing was changed",
		"Would apply: 6 creates",
		"Source entra (entra), full read, apply",
		"Applied: 4 creates",
		"Source okta (okta), delta read, apply",
		"- deactivate       user  bob@example.com",
		`displayName: "Sales" -> "Sales EMEA"`,
		`userName: "dan@contoso.com" -> "daniel@contoso.com"`,
		"- deactivate       user  eve@contoso.com",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("demo output lacks %q", want)
		}
	}
	if t.Failed() {
		t.Logf("stdout:\n%s\nstderr:\n%s", r.stdout, r.stderr)
	}
}
