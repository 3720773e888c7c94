package daemon

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/dirsync/dirsync/config"
	"github.com/dirsync/dirsync/connectors"
	"github.com/dirsync/dirsync/reconcile"
	"github.com/dirsync/dirsync/store"
)

// readSource is a pull connector whose Read returns snap or err.
type readSource struct {
	snap *connectors.Snapshot
	err  error
}

var _ connectors.Source = (*readSource)(nil)

func (r *readSource) Read(context.Context, connectors.ReadRequest) (*connectors.Snapshot, error) {
	return r.snap, r.err
}

// engineSync runs the real reconcile engine over src, so runs land in the
// store like in production.
func engineSync(st *store.Store, src connectors.Source) func(ctx context.Context, s *config.Source, full bool) (*reconcile.Report, error) {
	eng := &reconcile.Engine{Store: st, Logger: hclog.NewNullLogger()}
	return func(ctx context.Context, s *config.Source, full bool) (*reconcile.Report, error) {
		return eng.Sync(ctx, reconcile.Request{Source: src, Type: s.Type, Full: full,
			Options: reconcile.Options{Source: s.Name, MaxDeactivations: 50, MaxDeactivationPercent: 10}})
	}
}

func TestHealthAndReadiness(t *testing.T) {
	cfg := testConfig(t, `source "okta" "corp" {
  pull         = true
  run_at_start = true
}`)
	st := openStore(t)
	fs := &fakeSync{fn: engineSync(st, &readSource{err: errors.New("okta: 401 invalid token")})}
	d := start(t, Options{Config: cfg, Store: st, Sync: fs.sync, Alerts: AlertConfig{AfterFailures: 1}})
	base := "http://" + d.AdminAddr()

	var health map[string]string
	if code := getJSON(t, base+"/healthz", &health); code != http.StatusOK || health["status"] != "ok" {
		t.Errorf("/healthz = %d %v, want 200 ok", code, health)
	}

	waitFor(t, "the failed start run", func() bool { return d.Status().Sources[0].ConsecutiveFailures == 1 })
	var rd Readiness
	code := getJSON(t, base+"/readyz", &rd)
	if code != http.StatusServiceUnavailable || !rd.Ready || rd.Healthy || rd.Database != "ok" {
		t.Errorf("/readyz with a failing source = %d %+v, want 503, ready but not healthy", code, rd)
	}
	if len(rd.Alerts) != 1 || rd.Alerts[0].Kind != AlertFailures || rd.Alerts[0].Source != "corp" ||
		!strings.Contains(rd.Alerts[0].Message, "401 invalid token") {
		t.Errorf("/readyz alerts = %+v, want corp's consecutive failures with the error", rd.Alerts)
	}

	// A success clears the alert; then a closed database is not ready.
	d.Observe(okReport("corp"))
	if code := getJSON(t, base+"/readyz", &rd); code != http.StatusOK || !rd.Healthy {
		t.Errorf("/readyz after a success = %d %+v, want 200", code, rd)
	}
	st.Close()
	rd = Readiness{}
	if code := getJSON(t, base+"/readyz", &rd); code != http.StatusServiceUnavailable || rd.Ready || rd.Database == "ok" {
		t.Errorf("/readyz with the database closed = %d %+v, want 503 not ready with the error", code, rd)
	}
}

func TestMetricsAfterReport(t *testing.T) {
	cfg := testConfig(t, `source "okta" "corp" {
  pull = true
}`)
	scim := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodDelete {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		io.WriteString(w, "{}")
	})
	d := start(t, Options{Config: cfg, Sync: (&fakeSync{}).sync, SCIM: scim})

	rep := okReport("corp")
	rep.Requests = 7
	rep.Plan.Actions = []*reconcile.Action{
		{Kind: reconcile.CreateUser}, {Kind: reconcile.CreateUser}, {Kind: reconcile.UpdateUser},
		{Kind: reconcile.DeactivateUser, Held: true},
	}
	rep.Plan.Held, rep.Outcome = true, store.OutcomeHeld
	d.Observe(rep)
	dry := okReport("corp")
	dry.DryRun, dry.Outcome = true, store.OutcomeDryRun
	dry.Plan.Actions = []*reconcile.Action{{Kind: reconcile.CreateUser}}
	d.Observe(dry)

	scimBase := "http://" + d.SCIMAddr()
	for _, req := range []struct{ method, path string }{
		{http.MethodGet, "/scim/corp/v2/Users/2c5e0a1b-secret-id"},
		{http.MethodDelete, "/scim/corp/v2/Users/another-id"},
		{http.MethodGet, "/scim/attacker-made-up/v2/Groups"},
	} {
		r, _ := http.NewRequest(req.method, scimBase+req.path, nil)
		resp, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}

	out := getText(t, "http://"+d.AdminAddr()+"/metrics")
	for _, want := range []string{
		`dirsync_sync_runs_total{outcome="held",source="corp"} 1`,
		`dirsync_sync_runs_total{outcome="dry_run",source="corp"} 1`,
		`dirsync_sync_duration_seconds_count{outcome="held",source="corp"} 1`,
		`dirsync_actions_total{kind="creates",mode="applied",source="corp"} 2`,
		`dirsync_actions_total{kind="updates",mode="applied",source="corp"} 1`,
		`dirsync_actions_total{kind="creates",mode="planned",source="corp"} 1`,
		`dirsync_held_deactivations{source="corp"} 1`,
		`dirsync_idp_requests_total{source="corp"} 7`,
		`dirsync_source_consecutive_failures{source="corp"} 0`,
		`dirsync_source_last_success_timestamp_seconds{source="corp"}`,
		`dirsync_source_alert{kind="held_deactivations",source="corp"} 1`,
		`dirsync_scim_requests_total{integration="corp",method="GET",route="/scim/{integration}/v2/Users/{id}",status="200"} 1`,
		`dirsync_scim_requests_total{integration="corp",method="DELETE",route="/scim/{integration}/v2/Users/{id}",status="204"} 1`,
		`dirsync_scim_requests_total{integration="unknown",method="GET",route="/scim/{integration}/v2/Groups",status="200"} 1`,
		`dirsync_scim_request_duration_seconds_count{method="GET",route="/scim/{integration}/v2/Users/{id}"} 1`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	for _, leak := range []string{"secret-id", "attacker-made-up"} {
		if strings.Contains(out, leak) {
			t.Errorf("/metrics has the request value %q as a label", leak)
		}
	}
}

func TestSCIMRoute(t *testing.T) {
	names := map[string]bool{"corp": true}
	tests := []struct {
		path, integration, route string
	}{
		{"/scim/corp/v2/Users", "corp", "/scim/{integration}/v2/Users"},
		{"/scim/corp/v2/Users/123", "corp", "/scim/{integration}/v2/Users/{id}"},
		{"/scim/corp/v2/Groups/abc/", "corp", "/scim/{integration}/v2/Groups/{id}"},
		{"/scim/corp/v2/Schemas/urn:ietf:params:scim:schemas:core:2.0:User", "corp", "/scim/{integration}/v2/Schemas/{id}"},
		{"/scim/corp/v2/ServiceProviderConfig", "corp", "/scim/{integration}/v2/ServiceProviderConfig"},
		{"/scim/corp/v2/whatever-123", "corp", "/scim/{integration}/v2/other"},
		{"/scim/nope/v2/Users", "unknown", "/scim/{integration}/v2/Users"},
		{"/favicon.ico", "none", "other"},
		{"/scim/corp/v1/Users", "none", "other"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			in, route := scimRoute(tt.path, names)
			if in != tt.integration || route != tt.route {
				t.Errorf("scimRoute(%q) = %q, %q; want %q, %q", tt.path, in, route, tt.integration, tt.route)
			}
		})
	}
}

func TestStatus(t *testing.T) {
	cfg := testConfig(t, `source "okta" "corp" {
  pull         = true
  schedule     = "@every 1h"
  run_at_start = true
}
source "okta" "push" {}`)
	st := openStore(t)
	fs := &fakeSync{fn: engineSync(st, &readSource{snap: &connectors.Snapshot{Kind: connectors.Full,
		Users: []connectors.User{{SourceID: "00u1", UserName: "ada@example.com", Active: true}}}})}
	d := start(t, Options{Config: cfg, Store: st, Sync: fs.sync})
	waitFor(t, "the start run", func() bool { return d.Status().Sources[0].LastRun != nil })

	var live Status
	if code := getJSON(t, "http://"+d.AdminAddr()+"/status", &live); code != http.StatusOK {
		t.Fatalf("/status = %d", code)
	}
	if !live.Live || len(live.Sources) != 2 {
		t.Fatalf("/status = %+v, want live with 2 sources", live)
	}
	corp, push := live.Sources[0], live.Sources[1]
	if corp.LastRun.Outcome != store.OutcomeSuccess || corp.LastRun.Counts["creates"] != 1 ||
		corp.LastRun.Kind != "full" || corp.LastRun.ID == "" || corp.LastSuccess.IsZero() {
		t.Errorf("corp last run = %+v, want a successful full run that created 1 user", corp.LastRun)
	}
	if corp.NextRun.IsZero() || corp.NextFullRun.IsZero() || corp.Running || !corp.Pulls {
		t.Errorf("corp = %+v, want next incremental and full runs, not running", corp)
	}
	if push.Pulls || push.LastRun != nil || !push.NextRun.IsZero() {
		t.Errorf("push-only source = %+v, want no runs and no schedule", push)
	}
	if err := d.stop(t); err != nil {
		t.Fatal(err)
	}

	// Without a daemon the same runs are read from the store.
	off, err := StatusFromStore(context.Background(), st, cfg, AlertConfig{}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if off.Live || off.Sources[0].LastRun == nil || off.Sources[0].LastRun.ID != corp.LastRun.ID ||
		!off.Sources[0].NextRun.IsZero() {
		t.Errorf("status from the store = %+v, want the same last run and no schedule", off.Sources[0])
	}
}

// A restart remembers a failure streak from the store.
func TestStatusFromStoreFailures(t *testing.T) {
	cfg := testConfig(t, `source "okta" "corp" {
  pull     = true
  schedule = "@every 1h"
}`)
	st := openStore(t)
	sync := engineSync(st, &readSource{err: errors.New("graph: 503")})
	for range 3 {
		if _, err := sync(context.Background(), cfg.Source("corp"), true); err == nil {
			t.Fatal("the failing source succeeded")
		}
	}
	got, err := StatusFromStore(context.Background(), st, cfg, AlertConfig{}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	s := got.Sources[0]
	if s.ConsecutiveFailures != 3 || s.LastRun.Outcome != store.OutcomeFailed || len(s.Alerts) != 1 ||
		s.Alerts[0].Kind != AlertFailures {
		t.Errorf("status = %+v, want 3 failures and the failure alert", s)
	}
}

// After a restart, status read from the store still says why deactivations
// are held: the reason is stored with the run.
func TestStatusFromStoreHeldReason(t *testing.T) {
	cfg := testConfig(t, `source "okta" "corp" {
  pull     = true
  schedule = "@every 1h"
}`)
	st := openStore(t)
	all := &connectors.Snapshot{Kind: connectors.Full}
	for i := range 20 {
		all.Users = append(all.Users, connectors.User{SourceID: fmt.Sprint("00u", i),
			UserName: fmt.Sprintf("u%d@example.com", i), Active: true})
	}
	src := &readSource{snap: all}
	sync := engineSync(st, src)
	if _, err := sync(context.Background(), cfg.Source("corp"), true); err != nil {
		t.Fatal(err)
	}
	// 5 of 20 gone: 25% is over max_deactivation_percent = 10.
	src.snap = &connectors.Snapshot{Kind: connectors.Full, Users: all.Users[5:]}
	rep, err := sync(context.Background(), cfg.Source("corp"), true)
	if err != nil || rep.Outcome != store.OutcomeHeld {
		t.Fatalf("second run: %v, %v; want held", rep.Outcome, err)
	}
	got, err := StatusFromStore(context.Background(), st, cfg, AlertConfig{}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	s := got.Sources[0]
	if s.HeldDeactivations != 5 || s.HeldReason != rep.Plan.HeldReason || s.HeldReason == "" {
		t.Errorf("status = held %d, reason %q; want 5 and %q", s.HeldDeactivations, s.HeldReason, rep.Plan.HeldReason)
	}
}
