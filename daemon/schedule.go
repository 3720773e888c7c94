package daemon

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/dirsync/dirsync/config"
	"github.com/dirsync/dirsync/reconcile"
	"github.com/dirsync/dirsync/store"
)

// scheduler is one generation of schedule loops; Reload stops it and starts
// the next. Stopping it never cancels a running sync.
type scheduler struct {
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

func (s *scheduler) stop() {
	s.cancel()
	s.wg.Wait()
}

// startSchedules starts one loop per scheduled source of cfg; d.mu is
// held. The next-run times are set before it returns, so that /status shows
// them as soon as the schedules exist.
func (d *Daemon) startSchedules(cfg *config.Config) *scheduler {
	ctx, cancel := context.WithCancel(context.Background())
	s := &scheduler{ctx: ctx, cancel: cancel}
	for _, st := range d.sources {
		st.nextRun, st.nextFull = time.Time{}, time.Time{}
	}
	now := d.now()
	for _, src := range cfg.Sources {
		if !scheduled(src) {
			continue
		}
		st := d.stateLocked(src.Name)
		st.nextRun, st.nextFull = next(src.ScheduleSpec, now), next(src.FullSyncSpec, now)
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			d.loop(ctx, s, cfg, src)
		}()
	}
	return s
}

// loop fires src's incremental and full schedules until ctx is done. When
// both fall due at the same time only the full sync runs: it sees
// everything the incremental one would.
func (d *Daemon) loop(ctx context.Context, s *scheduler, cfg *config.Config, src *config.Source) {
	var last time.Time
	for {
		from := d.now()
		// Never compute from before the last tick: a timer that fires a
		// little early must not fire the same tick twice.
		if from.Before(last) {
			from = last
		}
		inc, full := next(src.ScheduleSpec, from), next(src.FullSyncSpec, from)
		at, isFull := full, true
		if full.IsZero() || (!inc.IsZero() && inc.Before(full)) {
			at, isFull = inc, false
		}
		d.mu.Lock()
		st := d.stateLocked(src.Name)
		st.nextRun, st.nextFull = inc, full
		d.mu.Unlock()
		t := time.NewTimer(at.Sub(d.now()))
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		last = at
		d.start(s, cfg, src, isFull, jitter(src.JitterDuration, rand.Int64N))
	}
}

func next(s cron.Schedule, from time.Time) time.Time {
	if s == nil {
		return time.Time{}
	}
	return s.Next(from)
}

// jitter picks a delay in [0, max) with rnd (rand.Int64N), so that many
// daemons on one schedule do not hit an IdP's rate limit together.
func jitter(max time.Duration, rnd func(int64) int64) time.Duration {
	if max <= 0 {
		return 0
	}
	return time.Duration(rnd(int64(max)))
}

// start runs one sync of src in the background unless one is in progress,
// in which case the tick is skipped: two runs of one source must never
// overlap. It reports whether a run was started.
func (d *Daemon) start(s *scheduler, cfg *config.Config, src *config.Source, full bool, delay time.Duration) bool {
	d.mu.Lock()
	st := d.stateLocked(src.Name)
	if st.running {
		d.mu.Unlock()
		d.metrics.skipped.WithLabelValues(src.Name).Inc()
		d.log.Warn("skipping a scheduled sync: the previous run is still in progress", "source", src.Name,
			"full", full)
		return false
	}
	st.running, st.runningSince, st.observed = true, d.now().UTC(), false
	d.mu.Unlock()
	d.metrics.setRunning(src.Name, true)
	d.runs.Add(1)
	go func() {
		defer d.runs.Done()
		d.run(s.ctx, cfg, src, full, delay)
	}()
	return true
}

// run waits out delay (abandoned if the schedule stops meanwhile), then
// syncs. The sync gets d.runCtx, not the schedule's context: stopping the
// schedule must not cut off an apply.
func (d *Daemon) run(schedCtx context.Context, cfg *config.Config, src *config.Source, full bool, delay time.Duration) {
	log := d.log.With("source", src.Name)
	defer func() {
		d.mu.Lock()
		st := d.stateLocked(src.Name)
		st.running, st.runningSince = false, time.Time{}
		d.mu.Unlock()
		d.metrics.setRunning(src.Name, false)
	}()
	if delay > 0 {
		t := time.NewTimer(delay)
		select {
		case <-schedCtx.Done():
			t.Stop()
			log.Debug("scheduled sync abandoned during its jitter delay")
			return
		case <-t.C:
		}
		d.mu.Lock()
		d.stateLocked(src.Name).runningSince = d.now().UTC()
		d.mu.Unlock()
	}
	log.Debug("sync starting", "full", full)
	rep, err := d.safeSync(cfg, src, full)
	d.mu.Lock()
	observed := d.stateLocked(src.Name).observed
	d.mu.Unlock()
	if observed {
		return
	}
	if rep == nil {
		if err == nil {
			err = errors.New("sync returned no report")
		}
		rep = &reconcile.Report{Source: src.Name, Type: src.Type, Outcome: store.OutcomeFailed, Err: err}
	}
	d.Observe(rep)
}

// safeSync turns a panicking sync into a failed run, so that one bad run
// does not take SCIM down with it.
func (d *Daemon) safeSync(cfg *config.Config, src *config.Source, full bool) (rep *reconcile.Report, err error) {
	defer func() {
		if p := recover(); p != nil {
			rep, err = nil, fmt.Errorf("sync panicked: %v", p)
			d.log.Error("sync panicked", "source", src.Name, "panic", p)
		}
	}()
	return d.sync(d.runCtx, cfg, src, full)
}

// runAtStart starts a full sync of every source that asks for one.
func (d *Daemon) runAtStart(s *scheduler, cfg *config.Config) {
	for _, src := range cfg.Sources {
		if src.RunAtStart && src.Pulls() {
			d.start(s, cfg, src, true, 0)
		}
	}
}
