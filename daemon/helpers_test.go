package daemon

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/dirsync/dirsync/config"
	"github.com/dirsync/dirsync/connectors"
	"github.com/dirsync/dirsync/reconcile"
	"github.com/dirsync/dirsync/store"
)

// fakeSettings stands in for a connector's Config: `pull = true` makes the
// block a pulling source.
type fakeSettings struct {
	Pull bool `hcl:"pull,optional"`
}

var _ connectors.Config = (*fakeSettings)(nil)

func (f *fakeSettings) Validate() error   { return nil }
func (f *fakeSettings) PullEnabled() bool { return f.Pull }
func (f *fakeSettings) Open(context.Context, string, hclog.Logger) (connectors.Source, error) {
	return nil, errors.New("the daemon tests sync through a fake SyncFunc")
}

var testTypes = config.Types{"okta": func() connectors.Config { return new(fakeSettings) }}

// testConfig parses body after listeners on 127.0.0.1:0.
func testConfig(t *testing.T, body string) *config.Config {
	t.Helper()
	src := "scim {\n  listen = \"127.0.0.1:0\"\n}\nadmin {\n  listen = \"127.0.0.1:0\"\n}\n" + body
	c, err := config.Parse([]byte(src), filepath.Join(t.TempDir(), "dirsync.hcl"), testTypes)
	if err != nil {
		t.Fatalf("parse test config: %v", err)
	}
	return c
}

// every is a cron.Schedule far faster than cron allows (@every rounds to
// seconds), so schedule tests run in milliseconds.
type every time.Duration

func (e every) Next(t time.Time) time.Time { return t.Add(time.Duration(e)) }

func openStore(t *testing.T) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "dirsync.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

type call struct {
	source string
	full   bool
}

// fakeSync records calls and how many runs of one source overlap. fn, when
// set, does the run; otherwise a run succeeds with an empty plan.
type fakeSync struct {
	mu        sync.Mutex
	calls     []call
	active    map[string]int
	maxActive int
	fn        func(ctx context.Context, src *config.Source, full bool) (*reconcile.Report, error)
}

func (f *fakeSync) sync(ctx context.Context, _ *config.Config, src *config.Source, full bool) (*reconcile.Report, error) {
	f.mu.Lock()
	if f.active == nil {
		f.active = map[string]int{}
	}
	f.calls = append(f.calls, call{src.Name, full})
	f.active[src.Name]++
	f.maxActive = max(f.maxActive, f.active[src.Name])
	fn := f.fn
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		f.active[src.Name]--
		f.mu.Unlock()
	}()
	if fn != nil {
		return fn(ctx, src, full)
	}
	return okReport(src.Name), nil
}

func (f *fakeSync) snapshot() ([]call, int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]call(nil), f.calls...), f.maxActive
}

func okReport(source string) *reconcile.Report {
	return &reconcile.Report{RunID: "run-" + source, Source: source, Type: "okta", Started: time.Now().UTC(),
		Duration: time.Second, Outcome: store.OutcomeSuccess, Plan: &reconcile.Plan{Source: source}}
}

func failedReport(source string) *reconcile.Report {
	return &reconcile.Report{RunID: "run-" + source, Source: source, Type: "okta", Started: time.Now().UTC(),
		Outcome: store.OutcomeFailed, Err: errors.New("okta: 401 invalid token")}
}

// running is a daemon started by start; stop cancels it and returns Run's
// error.
type running struct {
	*Daemon
	cancel context.CancelFunc
	done   chan struct{}
	err    error
}

func (r *running) stop(t *testing.T) error {
	t.Helper()
	r.cancel()
	select {
	case <-r.done:
		return r.err
	case <-time.After(20 * time.Second):
		t.Fatal("Run did not return after its context was cancelled")
		return nil
	}
}

// start builds and runs a daemon with test defaults filled in.
func start(t *testing.T, opts Options) *running {
	t.Helper()
	if opts.Store == nil {
		opts.Store = openStore(t)
	}
	if opts.Logger == nil {
		opts.Logger = hclog.NewNullLogger()
	}
	d, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Listen(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{Daemon: d, cancel: cancel, done: make(chan struct{})}
	go func() {
		r.err = d.Run(ctx)
		close(r.done)
	}()
	t.Cleanup(func() {
		cancel()
		<-r.done
	})
	// Run is up once its schedules exist and the admin listener answers.
	waitFor(t, "schedules", func() bool {
		d.mu.Lock()
		defer d.mu.Unlock()
		return d.sched != nil
	})
	waitFor(t, "admin listener", func() bool {
		resp, err := http.Get("http://" + d.AdminAddr() + "/healthz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return true
	})
	return r
}

// waitFor polls cond until it holds. It bounds a wait; it asserts no timing.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// getJSON fetches url, decodes the body into v and returns the status.
func getJSON(t *testing.T, url string, v any) int {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if v != nil {
		if err := json.Unmarshal(body, v); err != nil {
			t.Fatalf("decode %s: %v\n%s", url, err, body)
		}
	}
	return resp.StatusCode
}

func getText(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(body)
}
