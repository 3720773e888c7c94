package daemon

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/http"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/dirsync/dirsync/config"
	"github.com/dirsync/dirsync/reconcile"
)

func TestJitter(t *testing.T) {
	tests := []struct {
		name string
		max  time.Duration
		rnd  func(int64) int64
		want time.Duration
	}{
		{name: "no jitter", max: 0, rnd: func(int64) int64 { panic("not called") }, want: 0},
		{name: "negative is none", max: -time.Second, rnd: func(int64) int64 { panic("not called") }, want: 0},
		{name: "lowest", max: time.Minute, rnd: func(int64) int64 { return 0 }, want: 0},
		{name: "highest", max: time.Minute, rnd: func(n int64) int64 { return n - 1 }, want: time.Minute - 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := jitter(tt.max, tt.rnd); got != tt.want {
				t.Errorf("jitter(%s) = %s, want %s", tt.max, got, tt.want)
			}
		})
	}
	t.Run("random stays in bounds", func(t *testing.T) {
		const max = 30 * time.Second
		for range 10000 {
			if got := jitter(max, rand.Int64N); got < 0 || got >= max {
				t.Fatalf("jitter(%s) = %s, out of [0, %s)", max, got, max)
			}
		}
	})
}

// A slow sync and a fast schedule: ticks during the run are skipped and
// counted, and two runs of the source never overlap.
func TestSchedulesNeverOverlap(t *testing.T) {
	cfg := testConfig(t, `source "okta" "corp" {
  pull     = true
  schedule = "@every 1h"
}`)
	cfg.Source("corp").ScheduleSpec = every(5 * time.Millisecond)
	cfg.Source("corp").FullSyncSpec = nil
	release := make(chan struct{})
	fs := &fakeSync{fn: func(ctx context.Context, src *config.Source, full bool) (*reconcile.Report, error) {
		<-release
		return okReport(src.Name), nil
	}}
	d := start(t, Options{Config: cfg, Sync: fs.sync})
	skipped := d.metrics.skipped.WithLabelValues("corp")
	waitFor(t, "skipped ticks", func() bool { return testutil.ToFloat64(skipped) >= 3 })
	close(release)
	waitFor(t, "more runs", func() bool { calls, _ := fs.snapshot(); return len(calls) >= 3 })
	if err := d.stop(t); err != nil {
		t.Fatal(err)
	}
	calls, maxActive := fs.snapshot()
	if maxActive != 1 {
		t.Errorf("%d runs of one source overlapped, want never more than 1", maxActive)
	}
	for i, c := range calls {
		if c.source != "corp" || c.full {
			t.Errorf("call %d = %+v, want an incremental sync of corp", i, c)
		}
	}
}

func TestScheduleKinds(t *testing.T) {
	tests := []struct {
		name      string
		inc, full every
		wantFull  bool
	}{
		// Both due at once: the full sync covers the incremental one.
		{name: "full wins a tie", inc: every(5 * time.Millisecond), full: every(5 * time.Millisecond), wantFull: true},
		{name: "incremental only", inc: every(5 * time.Millisecond), wantFull: false},
		{name: "full only", full: every(5 * time.Millisecond), wantFull: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig(t, `source "okta" "corp" {
  pull = true
}`)
			src := cfg.Source("corp")
			if tt.inc != 0 {
				src.ScheduleSpec = tt.inc
			}
			if tt.full != 0 {
				src.FullSyncSpec = tt.full
			}
			fs := &fakeSync{}
			d := start(t, Options{Config: cfg, Sync: fs.sync})
			waitFor(t, "runs", func() bool { calls, _ := fs.snapshot(); return len(calls) >= 3 })
			if err := d.stop(t); err != nil {
				t.Fatal(err)
			}
			calls, _ := fs.snapshot()
			for i, c := range calls {
				if c.full != tt.wantFull {
					t.Errorf("call %d full = %v, want %v", i, c.full, tt.wantFull)
				}
			}
		})
	}
}

func TestRunAtStart(t *testing.T) {
	cfg := testConfig(t, `source "okta" "corp" {
  pull         = true
  run_at_start = true
}
source "okta" "push" {}`)
	fs := &fakeSync{}
	d := start(t, Options{Config: cfg, Sync: fs.sync})
	waitFor(t, "the start run", func() bool { calls, _ := fs.snapshot(); return len(calls) == 1 })
	waitFor(t, "the run's status", func() bool { return d.Status().Sources[0].LastRun != nil })
	if err := d.stop(t); err != nil {
		t.Fatal(err)
	}
	calls, _ := fs.snapshot()
	if len(calls) != 1 || calls[0] != (call{"corp", true}) {
		t.Errorf("calls = %+v, want one full sync of corp (push-only sources never run)", calls)
	}
}

func TestReloadChangesSchedule(t *testing.T) {
	body := `source "okta" "corp" {
  pull     = true
  schedule = "@every 1h"
}`
	cfg := testConfig(t, body)
	fs := &fakeSync{}
	d := start(t, Options{Config: cfg, Sync: fs.sync})
	if st := d.Status().Sources[0]; st.NextRun.IsZero() {
		t.Fatalf("status has no next run before reload: %+v", st)
	}

	next := testConfig(t, body+`
source "okta" "hr" {
  pull     = true
  schedule = "@every 1h"
}`)
	next.Source("hr").ScheduleSpec = every(5 * time.Millisecond)
	next.SCIM.Listen = "127.0.0.1:1" // needs a restart: logged, not applied
	if err := d.Reload(next, nil, nil); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "runs on the new schedule", func() bool { calls, _ := fs.snapshot(); return len(calls) >= 2 })
	if err := d.stop(t); err != nil {
		t.Fatal(err)
	}
	calls, _ := fs.snapshot()
	for _, c := range calls {
		if c.source != "hr" {
			t.Errorf("ran %s; only hr is due within the test", c.source)
		}
	}
	if err := d.Reload(next, nil, nil); !errors.Is(err, ErrStopping) {
		t.Errorf("Reload after shutdown = %v, want ErrStopping", err)
	}
}

// Shutdown lets a running sync finish with a live context within the grace
// period, and only then returns.
func TestShutdownWaitsForSync(t *testing.T) {
	cfg := testConfig(t, `source "okta" "corp" {
  pull         = true
  run_at_start = true
}`)
	started, release := make(chan struct{}), make(chan struct{})
	var ctxErr error
	finished := false
	fs := &fakeSync{fn: func(ctx context.Context, src *config.Source, full bool) (*reconcile.Report, error) {
		close(started)
		<-release
		ctxErr, finished = ctx.Err(), true
		return okReport(src.Name), nil
	}}
	d := start(t, Options{Config: cfg, Sync: fs.sync, SyncGrace: time.Minute})
	<-started
	stopped := make(chan error, 1)
	go func() { stopped <- d.stop(t) }()
	// Shutdown has begun once the listeners stop answering.
	waitFor(t, "listeners to close", func() bool {
		_, err := http.Get("http://" + d.AdminAddr() + "/healthz")
		return err != nil
	})
	close(release)
	if err := <-stopped; err != nil {
		t.Fatal(err)
	}
	if !finished {
		t.Fatal("Run returned before the sync finished")
	}
	if ctxErr != nil {
		t.Errorf("the sync's context was cancelled within the grace period: %v", ctxErr)
	}
}

// A sync still running after the grace period has its context cancelled,
// and Run still waits for it to return.
func TestShutdownCancelsAfterGrace(t *testing.T) {
	cfg := testConfig(t, `source "okta" "corp" {
  pull         = true
  run_at_start = true
}`)
	started := make(chan struct{})
	var ctxErr error
	fs := &fakeSync{fn: func(ctx context.Context, src *config.Source, full bool) (*reconcile.Report, error) {
		close(started)
		<-ctx.Done()
		ctxErr = ctx.Err()
		return failedReport(src.Name), ctx.Err()
	}}
	d := start(t, Options{Config: cfg, Sync: fs.sync, SyncGrace: 10 * time.Millisecond})
	<-started
	if err := d.stop(t); err != nil {
		t.Fatal(err)
	}
	if !errors.Is(ctxErr, context.Canceled) {
		t.Errorf("sync context error = %v, want context.Canceled after the grace period", ctxErr)
	}
}
