package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/dirsync/dirsync/connectors/okta/oktafake"
	"github.com/dirsync/dirsync/daemon"
	"github.com/dirsync/dirsync/store"
)

// binary is the real dirsync, built once by TestMain for the end-to-end
// tests that run it as a separate process and send it signals.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "dirsync-e2e")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "dirsync")
	// The same flags as .ci/run's build, so that CI reuses its build cache.
	build := exec.Command("go", "build", "-trimpath", "-o", binary, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build dirsync: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// syncBuffer collects a process's output while tests read it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type daemonProc struct {
	t      *testing.T
	cmd    *exec.Cmd
	out    *syncBuffer
	admin  string
	done   chan error
	config string
}

// e2eOrg serves an Okta org on loopback with an app and returns its URL.
func e2eOrg(t *testing.T, org *oktafake.Org) (url, app string) {
	t.Helper()
	org.AddToken("e2e-token")
	srv, err := org.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	apps := org.AppIDs()
	if len(apps) == 0 {
		t.Fatal("org has no app")
	}
	return srv.URL, apps[0]
}

func e2eConfig(t *testing.T, dir, orgURL, app, schedule string) (path, scimAddr, adminAddr string) {
	t.Helper()
	var err error
	if scimAddr, err = freeAddr(); err != nil {
		t.Fatal(err)
	}
	if adminAddr, err = freeAddr(); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "okta-token"), []byte("e2e-token\n"), 0o600)
	path = filepath.Join(dir, "dirsync.hcl")
	writeE2EConfig(t, path, dir, scimAddr, adminAddr, orgURL, app, schedule)
	return path, scimAddr, adminAddr
}

func writeE2EConfig(t *testing.T, path, dir, scimAddr, adminAddr, orgURL, app, schedule string) {
	t.Helper()
	src := fmt.Sprintf(`data_dir = %q
log_format = "json"
scim {
  listen = %q
}
admin {
  listen = %q
}
safety {
  max_deactivation_percent = 100
}
source "okta" "okta" {
  schedule               = %q
  run_at_start           = true
  org_url                = %q
  api_token_file         = "okta-token"
  app_id                 = %q
  groups_assigned_to_app = true
}
source "entra" "entra" {}
`, dir, scimAddr, adminAddr, schedule, orgURL, app)
	if err := os.WriteFile(path, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
}

func startDaemon(t *testing.T, config, admin string) *daemonProc {
	t.Helper()
	p := &daemonProc{t: t, out: &syncBuffer{}, admin: admin, done: make(chan error, 1), config: config}
	p.cmd = exec.Command(binary, "serve", "--config", config)
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	p.cmd.Env = append(os.Environ(), "NOTIFY_SOCKET=")
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.done <- p.cmd.Wait() }()
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			p.cmd.Process.Kill()
			<-p.done
		}
		if t.Failed() {
			t.Logf("daemon output:\n%s", p.out.String())
		}
	})
	p.waitFor("healthz", 15*time.Second, func() bool {
		res, err := http.Get("http://" + admin + "/healthz")
		if err != nil {
			return false
		}
		res.Body.Close()
		return res.StatusCode == 200
	})
	return p
}

func (p *daemonProc) waitFor(what string, limit time.Duration, ok func() bool) {
	p.t.Helper()
	deadline := time.Now().Add(limit)
	for !ok() {
		if time.Now().After(deadline) {
			p.t.Fatalf("timed out waiting for %s", what)
		}
		select {
		case err := <-p.done:
			p.t.Fatalf("daemon exited while waiting for %s: %v\n%s", what, err, p.out.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func (p *daemonProc) status() *daemon.Status {
	p.t.Helper()
	res, err := http.Get("http://" + p.admin + "/status")
	if err != nil {
		return nil
	}
	defer res.Body.Close()
	var st daemon.Status
	if json.NewDecoder(res.Body).Decode(&st) != nil {
		return nil
	}
	return &st
}

func (p *daemonProc) source(name string) *daemon.SourceStatus {
	st := p.status()
	if st == nil {
		return nil
	}
	for i := range st.Sources {
		if st.Sources[i].Name == name {
			return &st.Sources[i]
		}
	}
	return nil
}

func (p *daemonProc) stop(sig syscall.Signal, limit time.Duration) error {
	p.t.Helper()
	p.cmd.Process.Signal(sig)
	select {
	case err := <-p.done:
		return err
	case <-time.After(limit):
		p.t.Fatalf("daemon did not stop within %s after %v", limit, sig)
		return nil
	}
}

func binaryRun(t *testing.T, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	out, err := cmd.CombinedOutput()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return string(out), code
}

func TestServeEndToEnd(t *testing.T) {
	org := oktafake.Generate(7, 40, 6, 60)
	orgURL, app := e2eOrg(t, org)
	dir := t.TempDir()
	config, scimAddr, admin := e2eConfig(t, dir, orgURL, app, "@every 1s")

	out, code := binaryRun(t, "--config", config, "token", "create", "entra", "--output", "json")
	if code != 0 {
		t.Fatalf("token create: %d %s", code, out)
	}
	token := jsonField(out, "token")
	if !strings.HasPrefix(token, "dsk_") {
		t.Fatalf("token create output: %s", out)
	}

	p := startDaemon(t, config, admin)
	p.waitFor("a scheduled run", 20*time.Second, func() bool {
		s := p.source("okta")
		return s != nil && s.LastRun != nil && s.LastRun.Outcome == store.OutcomeSuccess && !s.NextRun.IsZero()
	})

	// A SCIM push is served while a (slowed) run is in progress.
	org.SetDelay(400 * time.Millisecond)
	p.waitFor("a run in progress", 20*time.Second, func() bool {
		s := p.source("okta")
		return s != nil && s.Running
	})
	body := `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"pushed@contoso.com","externalId":"aad-1","active":"True"}`
	req, _ := http.NewRequest("POST", "http://"+scimAddr+"/scim/entra/v2/Users", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/scim+json")
	t0 := time.Now()
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 201 {
		t.Fatalf("push during a run: %d", res.StatusCode)
	}
	if s := p.source("okta"); s == nil || !s.Running {
		t.Logf("note: the run finished before the push was answered (%s)", time.Since(t0))
	}
	org.SetDelay(0)

	// Metrics are scraped in the Prometheus text format.
	res, err = http.Get("http://" + admin + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(res.Body)
	res.Body.Close()
	for _, want := range []string{
		`dirsync_sync_runs_total{outcome="success",source="okta"}`,
		`dirsync_scim_requests_total{integration="entra",method="POST",route="/scim/{integration}/v2/Users",status="201"} 1`,
		`dirsync_idp_requests_total{source="okta"}`,
		`dirsync_idp_throttled_total{source="okta"} 0`,
	} {
		if !strings.Contains(string(metrics), want) {
			t.Errorf("metrics lack %s", want)
		}
	}

	// `dirsync status` asks the running daemon.
	out, code = binaryRun(t, "--config", config, "status")
	if code != 0 || !strings.Contains(out, "Live status from the daemon") ||
		!(strings.Contains(out, "success") || strings.Contains(out, "running since")) {
		t.Errorf("status: %d\n%s", code, out)
	}

	// SIGHUP with a changed schedule: the next run moves an hour out.
	writeE2EConfig(t, config, dir, scimAddr, admin, orgURL, app, "@every 1h")
	p.cmd.Process.Signal(syscall.SIGHUP)
	p.waitFor("the new schedule", 20*time.Second, func() bool {
		s := p.source("okta")
		return s != nil && time.Until(s.NextRun) > 30*time.Minute
	})
	// SIGHUP with a broken file: the running configuration stays.
	os.WriteFile(config, []byte("scim {\n  listen = 8080\n"), 0o600)
	p.cmd.Process.Signal(syscall.SIGHUP)
	p.waitFor("the reload error", 10*time.Second, func() bool {
		return strings.Contains(p.out.String(), "reload failed; keeping the running configuration")
	})
	if s := p.source("okta"); s == nil || time.Until(s.NextRun) < 30*time.Minute {
		t.Fatal("a broken reload changed the running configuration")
	}

	if err := p.stop(syscall.SIGTERM, 30*time.Second); err != nil {
		t.Fatalf("SIGTERM: exit %v", err)
	}
	if !strings.Contains(p.out.String(), `"@message":"dirsync serving"`) {
		t.Errorf("JSON logs expected with log_format = json")
	}
	if strings.Contains(p.out.String(), token) {
		t.Fatal("a token was logged")
	}
}

func jsonField(s, field string) string {
	var m map[string]any
	if json.Unmarshal([]byte(s), &m) != nil {
		return ""
	}
	v, _ := m[field].(string)
	return v
}

// SIGTERM while a large apply is running: the daemon lets the apply commit
// (or, had it failed, roll back); the directory is never half-written.
func TestSIGTERMDuringLargeApply(t *testing.T) {
	const users = 20_000
	org := oktafake.Generate(11, users, 200, 20_000)
	orgURL, app := e2eOrg(t, org)
	dir := t.TempDir()
	config, _, admin := e2eConfig(t, dir, orgURL, app, "@every 1h")
	assigned := len(org.AppUserIDs(app))
	p := startDaemon(t, config, admin)
	// The read is done when the org stops serving requests; the apply
	// follows inside one transaction.
	last, still := -1, 0
	p.waitFor("the read to finish", 60*time.Second, func() bool {
		n := org.Requests()
		if n == last && n > 0 {
			still++
		} else {
			still = 0
		}
		last = n
		return still >= 2
	})
	if err := p.stop(syscall.SIGTERM, 90*time.Second); err != nil {
		t.Fatalf("SIGTERM: exit %v", err)
	}
	st, err := store.Open(context.Background(), filepath.Join(dir, "dirsync.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var n int
	st.View(context.Background(), func(tx *store.Tx) (err error) { n, err = tx.CountUsers(context.Background(), "", false); return })
	runs, _ := st.Runs(context.Background(), "okta", 5)
	if n != 0 && n != assigned {
		t.Fatalf("directory half-written: %d users of %d", n, assigned)
	}
	if len(runs) == 0 || (n == assigned) != (runs[0].Outcome == store.OutcomeSuccess) {
		t.Fatalf("run record does not match the directory: %d users, runs %+v", n, runs)
	}
	t.Logf("after SIGTERM: %d of %d users, run outcome %s", n, assigned, runs[0].Outcome)
	// The signal landed while the run was going: shutdown began before the
	// run finished, and the daemon waited for it.
	out := p.out.String()
	stop, done := strings.Index(out, `"shutting down"`), strings.Index(out, `"sync finished"`)
	if stop < 0 || done < 0 || done < stop {
		t.Errorf("SIGTERM did not arrive during the run (shutting down at %d, sync finished at %d); the test proves less than it claims", stop, done)
	}
}
