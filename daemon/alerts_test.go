package daemon

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dirsync/dirsync/reconcile"
	"github.com/dirsync/dirsync/store"
)

// webhook is an alert receiver on 127.0.0.1.
type webhook struct {
	mu     sync.Mutex
	alerts []Alert
}

func newWebhook(t *testing.T) (*webhook, string) {
	t.Helper()
	w := &webhook{}
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		var a Alert
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" {
			http.Error(rw, "want a JSON POST", http.StatusBadRequest)
			return
		}
		if err := json.NewDecoder(r.Body).Decode(&a); err != nil {
			http.Error(rw, err.Error(), http.StatusBadRequest)
			return
		}
		w.mu.Lock()
		w.alerts = append(w.alerts, a)
		w.mu.Unlock()
	}))
	t.Cleanup(srv.Close)
	return w, srv.URL
}

func (w *webhook) received() []Alert {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]Alert(nil), w.alerts...)
}

func TestAlertWebhook(t *testing.T) {
	hook, url := newWebhook(t)
	cfg := testConfig(t, `source "okta" "corp" {
  pull     = true
  schedule = "@every 1h"
}`)
	d := start(t, Options{Config: cfg, Sync: (&fakeSync{}).sync,
		Alerts: AlertConfig{WebhookURL: url, AfterFailures: 2}})

	d.Observe(failedReport("corp"))
	// Dry runs say nothing about health, even failed ones.
	dry := failedReport("corp")
	dry.DryRun = true
	d.Observe(dry)
	if got := d.Status().Sources[0].ConsecutiveFailures; got != 1 {
		t.Fatalf("consecutive failures = %d, want 1", got)
	}
	d.Observe(failedReport("corp"))
	waitFor(t, "the failure alert", func() bool { return len(hook.received()) == 1 })
	a := hook.received()[0]
	if a.Source != "corp" || a.Kind != AlertFailures || !a.Firing || !strings.Contains(a.Message, "401") {
		t.Errorf("posted %+v, want corp's firing failure alert with the error", a)
	}
	d.Observe(failedReport("corp")) // still firing: no second post

	held := okReport("corp")
	held.Outcome = store.OutcomeHeld
	held.Plan.Held, held.Plan.HeldReason = true, "60 deactivations exceed max_deactivations 50"
	held.Plan.Actions = []*reconcile.Action{{Kind: reconcile.DeactivateUser, Held: true}}
	d.Observe(held)
	waitFor(t, "the held alert and the resolved failure", func() bool { return len(hook.received()) == 3 })
	got := map[string]bool{}
	for _, a := range hook.received()[1:] {
		got[a.Kind+"/"+map[bool]string{true: "firing", false: "resolved"}[a.Firing]] = true
	}
	if !got[AlertHeld+"/firing"] || !got[AlertFailures+"/resolved"] {
		t.Errorf("posted %+v, want the held alert firing and the failure alert resolved", hook.received())
	}
	st := d.Status().Sources[0]
	if st.HeldDeactivations != 1 || st.HeldReason == "" {
		t.Errorf("status = %+v, want 1 held deactivation with its reason", st)
	}
}

// "No success for" fires with the passing of time alone.
func TestAlertNoSuccess(t *testing.T) {
	hook, url := newWebhook(t)
	cfg := testConfig(t, `source "okta" "corp" {
  pull     = true
  schedule = "@every 1h"
}
source "okta" "manual" {
  pull = true
}`)
	var mu sync.Mutex
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	d, err := New(Options{Config: cfg, Store: openStore(t), Sync: (&fakeSync{}).sync, Now: clock,
		Alerts: AlertConfig{WebhookURL: url, NoSuccessFor: 6 * time.Hour}})
	if err != nil {
		t.Fatal(err)
	}
	d.checkAlerts()
	mu.Lock()
	now = now.Add(7 * time.Hour)
	mu.Unlock()
	d.checkAlerts()
	waitFor(t, "the alert", func() bool { return len(hook.received()) == 1 })
	d.hooks.Wait()
	a := hook.received()[0]
	if a.Source != "corp" || a.Kind != AlertNoSuccess || !a.Firing {
		t.Errorf("posted %+v, want corp's no-success alert (manual has no schedule)", a)
	}
}

func TestNewRejectsBadOptions(t *testing.T) {
	cfg := testConfig(t, "")
	sync := (&fakeSync{}).sync
	tests := []struct {
		name string
		opts Options
		want string
	}{
		{name: "no config", opts: Options{Store: openStore(t), Sync: sync}, want: "config is required"},
		{name: "no store", opts: Options{Config: cfg, Sync: sync}, want: "store is required"},
		{name: "no sync", opts: Options{Config: cfg, Store: openStore(t)}, want: "sync function is required"},
		{name: "bad webhook", opts: Options{Config: cfg, Store: openStore(t), Sync: sync,
			Alerts: AlertConfig{WebhookURL: "ftp://x"}}, want: "alerts: webhook_url"},
		{name: "negative failures", opts: Options{Config: cfg, Store: openStore(t), Sync: sync,
			Alerts: AlertConfig{AfterFailures: -1}}, want: "alerts: after_failures"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("New() error = %v, want it to mention %q", err, tt.want)
			}
		})
	}
}
