package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/dirsync/dirsync/config"
	"github.com/dirsync/dirsync/store"
)

type result struct {
	code           int
	stdout, stderr string
}

// runCLI runs the command in-process with injected I/O and environment.
func runCLI(t *testing.T, envv map[string]string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, env{
		stdin: strings.NewReader(""), stdout: &out, stderr: &errb,
		getenv: func(k string) string { return envv[k] }, version: "v0.0.0-test",
	})
	return result{code, out.String(), errb.String()}
}

// writeConfig writes a configuration with a data directory in the test's
// temp dir and returns its path.
func writeConfig(t *testing.T, body string) string {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "dirsync.hcl")
	src := "data_dir = \"" + filepath.Join(dir, "data") + "\"\n" +
		"scim {\n  public_url = \"https://dirsync.example.com\"\n}\n" + body
	if err := os.WriteFile(path, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestVersionAndHelp(t *testing.T) {
	r := runCLI(t, nil, "version")
	if r.code != exitOK || r.stdout != "dirsync v0.0.0-test\n" {
		t.Fatalf("version: %+v", r)
	}
	r = runCLI(t, nil, "--help")
	if r.code != exitOK || !strings.Contains(r.stdout, "Exit codes:") || !strings.Contains(r.stdout, "token") {
		t.Fatalf("help lacks exit codes or commands: %+v", r)
	}
	r = runCLI(t, nil, "version", "--output", "yaml")
	if r.code != exitUsage || !strings.Contains(r.stderr, `--output: "yaml" is not text or json`) {
		t.Fatalf("bad --output: %+v", r)
	}
	r = runCLI(t, nil, "sync", "--no-such-flag")
	if r.code != exitUsage || !strings.Contains(r.stderr, "no-such-flag") {
		t.Fatalf("unknown flag: %+v", r)
	}
}

func TestConfigValidateExample(t *testing.T) {
	r := runCLI(t, nil, "config", "validate", "../../config.example.hcl")
	if r.code != exitOK || !strings.Contains(r.stdout, `source "okta" "okta": push and pull`) {
		t.Fatalf("example config: %+v", r)
	}
	// DIRSYNC_CONFIG is honoured when no file or --config is given.
	r = runCLI(t, map[string]string{"DIRSYNC_CONFIG": "../../config.example.hcl"}, "config", "validate")
	if r.code != exitOK {
		t.Fatalf("DIRSYNC_CONFIG: %+v", r)
	}
}

func TestConfigValidateBrokenCopy(t *testing.T) {
	src, err := os.ReadFile("../../config.example.hcl")
	if err != nil {
		t.Fatal(err)
	}
	broken := strings.Replace(string(src), `org_url = "https://example.okta.com"`, `org_url = "http://example.okta.com"`, 1)
	broken = strings.Replace(broken, `log_level = "info"`, `log_level = "chatty"`, 1)
	broken = strings.Replace(broken, `max_deactivations        = 50`, `max_deactivations        = "fifty"`, 1)
	if broken == string(src) {
		t.Fatal("replacements did not apply; update the test with the example")
	}
	path := filepath.Join(t.TempDir(), "broken.hcl")
	os.WriteFile(path, []byte(broken), 0o600)
	r := runCLI(t, nil, "config", "validate", path)
	if r.code != exitUsage {
		t.Fatalf("broken config exit = %d, want %d; %+v", r.code, exitUsage, r)
	}
	line := func(needle string) string {
		for i, l := range strings.Split(broken, "\n") {
			if strings.Contains(l, needle) {
				return "broken.hcl:" + strconv.Itoa(i+1) + ":"
			}
		}
		t.Fatalf("no line with %q", needle)
		return ""
	}
	// The type error stops decoding, so the value problems are reported by a
	// second run once it is fixed; check the first now.
	if want := line(`"fifty"`); !strings.Contains(r.stderr, want) || !strings.Contains(r.stderr, "max_deactivations") {
		t.Fatalf("stderr lacks %s ... max_deactivations:\n%s", want, r.stderr)
	}
	fixed := strings.Replace(broken, `"fifty"`, `50`, 1)
	os.WriteFile(path, []byte(fixed), 0o600)
	r = runCLI(t, nil, "config", "validate", path)
	for _, want := range []string{
		line(`log_level = "chatty"`) + "1: log_level:",
		line(`org_url = "http://example.okta.com"`),
		`source "okta" "okta": org_url`,
	} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	if r.code != exitUsage {
		t.Fatalf("exit %d", r.code)
	}
}

func TestTokenCreateResetList(t *testing.T) {
	cfg := writeConfig(t, "source \"okta\" \"okta\" {}\nsource \"entra\" \"entra\" {}\n")
	ctx := context.Background()
	r := runCLI(t, nil, "--config", cfg, "token", "create", "okta", "--output", "json")
	if r.code != exitOK {
		t.Fatalf("create: %+v", r)
	}
	var first struct {
		Integration string `json:"integration"`
		SCIMBaseURL string `json:"scim_base_url"`
		Token       string `json:"token"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &first); err != nil {
		t.Fatalf("create --output json: %v\n%s", err, r.stdout)
	}
	if first.Integration != "okta" || first.SCIMBaseURL != "https://dirsync.example.com/scim/okta/v2" || first.Token == "" {
		t.Fatalf("create output: %+v", first)
	}
	if r := runCLI(t, nil, "--config", cfg, "token", "create", "okta"); r.code != exitError || !strings.Contains(r.stderr, "reset") {
		t.Fatalf("second create must refuse and point at reset: %+v", r)
	}
	r = runCLI(t, nil, "--config", cfg, "token", "reset", "okta")
	if r.code != exitOK || !strings.Contains(r.stdout, "scim_base_url: https://dirsync.example.com/scim/okta/v2") {
		t.Fatalf("reset: %+v", r)
	}
	var second string
	for _, l := range strings.Split(r.stdout, "\n") {
		if v, ok := strings.CutPrefix(l, "token:"); ok {
			second = strings.TrimSpace(v)
		}
	}
	dbPath := filepath.Join(filepath.Dir(cfg), "data", "dirsync.db")
	st, err := store.Open(ctx, dbPath)
	if err != nil {
		t.Fatal(err)
	}
	okFirst, _ := st.VerifyToken(ctx, "okta", first.Token)
	okSecond, _ := st.VerifyToken(ctx, "okta", second)
	okOther, _ := st.VerifyToken(ctx, "entra", second)
	st.Close()
	if okFirst || !okSecond || okOther {
		t.Fatalf("after reset: first verifies=%v (want false), second=%v (want true), on entra=%v (want false)", okFirst, okSecond, okOther)
	}
	// No plaintext token anywhere in the database files (WAL included).
	files, _ := filepath.Glob(dbPath + "*")
	for _, f := range files {
		b, _ := os.ReadFile(f)
		if bytes.Contains(b, []byte(first.Token)) || bytes.Contains(b, []byte(second)) {
			t.Fatalf("%s holds a plaintext token", filepath.Base(f))
		}
	}
	r = runCLI(t, nil, "--config", cfg, "token", "list")
	if r.code != exitOK || !strings.Contains(r.stdout, "okta") || !strings.Contains(r.stdout, "none (dirsync token create entra)") {
		t.Fatalf("list: %+v", r)
	}
	if strings.Contains(r.stdout, second) {
		t.Fatal("list shows a token")
	}
	r = runCLI(t, nil, "--config", cfg, "token", "create", "okat")
	if r.code != exitUsage || !strings.Contains(r.stderr, `unknown source "okat": configured sources are okta, entra`) {
		t.Fatalf("unknown source: %+v", r)
	}
	// The audit log has both token events, with the CLI channel.
	r = runCLI(t, nil, "--config", cfg, "audit", "--action", "token.", "--output", "json")
	var rows []store.AuditEntry
	if err := json.Unmarshal([]byte(r.stdout), &rows); err != nil || len(rows) != 2 {
		t.Fatalf("audit: %v %+v", err, r)
	}
	if rows[0].Action != "token.create" || rows[1].Action != "token.reset" || rows[1].Channel != store.ChannelCLI {
		t.Fatalf("audit rows: %+v", rows)
	}
	r = runCLI(t, nil, "--config", cfg, "audit", "--since", "yesterday")
	if r.code != exitUsage || !strings.Contains(r.stderr, "--since") {
		t.Fatalf("bad --since: %+v", r)
	}
	r = runCLI(t, nil, "--config", cfg, "audit", "--integration", "okta", "--since", "1h")
	if r.code != exitOK || !strings.Contains(r.stdout, "token.reset") {
		t.Fatalf("audit text: %+v", r)
	}
}

func TestMissingConfigIsClear(t *testing.T) {
	r := runCLI(t, nil, "--config", "/nonexistent/dirsync.hcl", "token", "list")
	if r.code != exitUsage || !strings.Contains(r.stderr, "/nonexistent/dirsync.hcl") {
		t.Fatalf("missing config: %+v", r)
	}
}

// check passes on a consistent directory and names the problem otherwise.
func TestCheck(t *testing.T) {
	path := writeConfig(t, `source "okta" "okta" {}`)
	envv := map[string]string{"DIRSYNC_CONFIG": path}
	ctx := context.Background()
	if r := runCLI(t, envv, "check", "extra"); r.code != exitUsage || !strings.Contains(r.stderr, "extra") {
		t.Fatalf("check with an argument: %+v", r)
	}
	bad := writeConfig(t, `source "okta" "okta" { no_such_setting = 1 }`)
	if r := runCLI(t, map[string]string{"DIRSYNC_CONFIG": bad}, "check"); r.code != exitUsage ||
		!strings.Contains(r.stderr, "dirsync.hcl:") {
		t.Fatalf("check with a broken config: %+v", r)
	}
	// An empty directory is consistent; the first run creates the database.
	if r := runCLI(t, envv, "check"); r.code != exitOK {
		t.Fatalf("check on an empty directory: %+v", r)
	}
	cfg, err := config.Load(path, sourceTypes())
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(ctx, cfg.DatabasePath())
	if err != nil {
		t.Fatal(err)
	}
	err = st.Update(ctx, store.Actor{Channel: store.ChannelCLI}, func(tx *store.Tx) error {
		u, g := &store.User{UserName: "ann@example.com"}, &store.Group{DisplayName: "Eng"}
		if err := tx.CreateUser(ctx, u); err != nil {
			return err
		}
		if err := tx.CreateGroup(ctx, g); err != nil {
			return err
		}
		_, err := tx.AddMembers(ctx, g.ID, []string{u.ID})
		return err
	})
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	r := runCLI(t, envv, "check")
	if r.code != exitOK || !strings.HasPrefix(r.stdout, "ok: ") {
		t.Fatalf("check on a consistent directory: %+v", r)
	}
	// Corrupt it behind the store's back, as a hand edit would.
	db, err := sql.Open("sqlite", cfg.DatabasePath())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("UPDATE groups SET members_fp = '00000000000000000000000000000000'"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	r = runCLI(t, envv, "check")
	if r.code != exitError || !strings.Contains(r.stderr, `"Eng"`) || !strings.Contains(r.stderr, "member fingerprint") {
		t.Fatalf("check on a corrupted directory: %+v", r)
	}
}
