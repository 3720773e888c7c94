package daemon

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"time"

	"github.com/dirsync/dirsync/reconcile"
)

// alertCheckInterval is how often "no success for" is re-evaluated between
// runs.
const alertCheckInterval = time.Minute

// Run serves SCIM and the admin endpoints and runs the schedules until ctx
// is done, then shuts down in order: stop the schedules, drain the
// listeners, wait for a running sync (cancelling it only after SyncGrace),
// wait for alert posts. The caller closes the store afterwards. Run is
// called once.
func (d *Daemon) Run(ctx context.Context) error {
	if err := d.Listen(); err != nil {
		return err
	}
	d.seed(ctx)
	d.scimSrv = newServer(d.scimMux(), d.log.Named("scim_http"))
	d.adminSrv = newServer(d.adminMux(), d.log.Named("admin_http"))
	var scimTLS *tls.Config
	if d.certs.enabled() {
		scimTLS = d.certs.tlsConfig()
	}
	served := make(chan error, 2)
	go func() { served <- serve(d.scimSrv, d.scimLn, scimTLS) }()
	go func() { served <- serve(d.adminSrv, d.adminLn, nil) }()
	d.log.Info("listening", "scim", d.SCIMAddr(), "scim_tls", scimTLS != nil, "admin", d.AdminAddr())

	// Schedules start under the lock so that a concurrent Reload sees them.
	d.mu.Lock()
	cfg := d.cfg
	sched := d.startSchedules(cfg)
	d.sched = sched
	d.mu.Unlock()
	d.runAtStart(sched, cfg)
	d.checkAlerts()

	notifier := newNotifier(d.log)
	notifier.notify(sdReady)
	bg, stopBG := context.WithCancel(ctx)
	defer stopBG()
	go notifier.watchdog(bg, d.healthy)
	go d.alertLoop(bg)

	var err error
	select {
	case <-ctx.Done():
		d.log.Info("shutting down")
	case err = <-served:
		// A listener failed: nothing can be served, so stop everything.
		err = fmt.Errorf("serve: %w", err)
		d.log.Error("listener failed; shutting down", "error", err)
	}
	notifier.notify(sdStopping)
	stopBG()
	return errors.Join(err, d.shutdown())
}

// shutdown stops the schedules, drains both listeners, then waits for a
// running sync and for alert posts.
func (d *Daemon) shutdown() error {
	d.mu.Lock()
	d.stopping = true
	sched := d.sched
	d.mu.Unlock()
	if sched != nil {
		sched.stop()
	}

	ctx, cancel := context.WithTimeout(context.Background(), d.opts.ShutdownTimeout)
	defer cancel()
	errs := make(chan error, 2)
	go func() { errs <- d.scimSrv.Shutdown(ctx) }()
	go func() { errs <- d.adminSrv.Shutdown(ctx) }()
	var err error
	for range 2 {
		if e := <-errs; e != nil {
			err = errors.Join(err, fmt.Errorf("drain listeners: %w", e))
		}
	}

	err = errors.Join(err, d.waitRuns())
	d.hooks.Wait()
	d.cancelRuns()
	d.log.Info("stopped")
	return err
}

// waitRuns lets a running sync commit or roll back on its own for
// SyncGrace, then cancels its context and waits a bounded time more.
func (d *Daemon) waitRuns() error {
	done := make(chan struct{})
	go func() {
		d.runs.Wait()
		close(done)
	}()
	grace := time.NewTimer(d.opts.SyncGrace)
	defer grace.Stop()
	select {
	case <-done:
		return nil
	case <-grace.C:
	}
	d.log.Warn("a sync is still running after the grace period; cancelling it", "grace", d.opts.SyncGrace)
	d.cancelRuns()
	after := time.NewTimer(d.opts.ShutdownTimeout)
	defer after.Stop()
	select {
	case <-done:
		return nil
	case <-after.C:
		return errors.New("a sync did not stop after its context was cancelled")
	}
}

// healthy is what the watchdog checks before each ping: a daemon whose
// database does not answer should be restarted by systemd.
func (d *Daemon) healthy(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, pingTimeout)
	defer cancel()
	return d.store.Ping(ctx)
}

func (d *Daemon) alertLoop(ctx context.Context) {
	t := time.NewTicker(alertCheckInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			d.checkAlerts()
		}
	}
}

// Observe records a finished report in the metrics, the source's status and
// its alerts. Set reconcile.Engine.Observe to it; the scheduler also
// observes the runs it starts, and counts each report once either way.
func (d *Daemon) Observe(rep *reconcile.Report) {
	if rep == nil {
		return
	}
	d.metrics.observe(rep)
	if rep.DryRun {
		// A dry run changes nothing, so it says nothing about the source's
		// health.
		return
	}
	r, held, reason := reportRun(rep)
	d.mu.Lock()
	st := d.stateLocked(rep.Source)
	if st.running {
		st.observed = true
	}
	st.record(r, held, reason)
	var events []Alert
	if src := d.cfg.Source(rep.Source); src != nil {
		events = d.transitionsLocked(rep.Source, st, evaluate(src, st, d.alerts, d.now()))
	}
	snapshot := *st
	d.mu.Unlock()
	d.metrics.setSource(rep.Source, &snapshot)
	d.raise(events)
}
