package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dirsync/dirsync/connectors/okta/oktafake"
)

func TestSourceTest(t *testing.T) {
	org := oktafake.Generate(3, 20, 4, 30)
	org.AddToken("full-token")
	org.AddToken("weak-token", "okta.users.read", "okta.apps.read")
	srv, err := org.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	app := org.AppIDs()[0]
	for _, tt := range []struct {
		name, token string
		code        int
		want        []string
	}{
		{"all permissions", "full-token", exitOK, []string{"Source okta sees", "users and", "groups in scope"}},
		{"missing scope", "weak-token", exitError, []string{"FAIL", "okta.groups.read"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			os.WriteFile(filepath.Join(dir, "token"), []byte(tt.token), 0o600)
			cfg := writeConfig(t, `source "okta" "okta" {
  org_url = "`+srv.URL+`"
  api_token_file = "`+filepath.Join(dir, "token")+`"
  app_id = "`+app+`"
  groups_assigned_to_app = true
}
`)
			r := runCLI(t, nil, "--config", cfg, "source", "test", "okta")
			if r.code != tt.code {
				t.Fatalf("exit %d, want %d\n%s%s", r.code, tt.code, r.stdout, r.stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(r.stdout+r.stderr, w) {
					t.Errorf("output lacks %q:\n%s%s", w, r.stdout, r.stderr)
				}
			}
		})
	}
	r := runCLI(t, nil, "--config", writeConfig(t, `source "entra" "push" {}`+"\n"), "source", "test", "push")
	if r.code != exitUsage || !strings.Contains(r.stderr, "push-only") {
		t.Fatalf("push-only source: %+v", r)
	}
}
