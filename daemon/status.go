package daemon

import (
	"context"
	"fmt"
	"time"

	"github.com/dirsync/dirsync/config"
	"github.com/dirsync/dirsync/reconcile"
	"github.com/dirsync/dirsync/store"
)

// seedRuns is how many stored runs of a source are read to rebuild its
// state at start, which caps the failure streak a restart remembers.
const seedRuns = 50

// Status is the JSON of GET /status and of `dirsync status`.
type Status struct {
	// Generated is when the status was built.
	Generated time.Time `json:"generated"`
	// Live is true when a running daemon built the status; false when it was
	// read from the database alone (no next-run times, nothing in progress).
	Live    bool           `json:"live"`
	Sources []SourceStatus `json:"sources"`
}

// SourceStatus is one source's schedule, last run and health.
type SourceStatus struct {
	Name string `json:"name"`
	Type string `json:"type"`
	// Pulls is false for a push-only (SCIM) integration, which never runs.
	Pulls bool `json:"pulls"`
	// Running is true while a sync of the source is in progress (or waiting
	// out its jitter).
	Running      bool      `json:"running"`
	RunningSince time.Time `json:"running_since,omitzero"`
	// LastRun is the latest finished applying run; dry runs are not shown.
	LastRun *RunStatus `json:"last_run,omitempty"`
	// LastSuccess is when the latest successful (or held) run started.
	LastSuccess         time.Time `json:"last_success,omitzero"`
	ConsecutiveFailures int       `json:"consecutive_failures"`
	// HeldDeactivations are deactivations the deletion guard is holding
	// until an admin allows them.
	HeldDeactivations int    `json:"held_deactivations"`
	HeldReason        string `json:"held_reason,omitempty"`
	// NextRun and NextFullRun are the next scheduled incremental and full
	// syncs (live status only).
	NextRun     time.Time `json:"next_run,omitzero"`
	NextFullRun time.Time `json:"next_full_run,omitzero"`
	// Alerts are the source's firing alerts.
	Alerts []Alert `json:"alerts,omitempty"`
}

// RunStatus is one finished run.
type RunStatus struct {
	ID         string         `json:"id,omitempty"`
	Kind       string         `json:"kind,omitempty"` // "full" or "delta"
	Started    time.Time      `json:"started,omitzero"`
	Finished   time.Time      `json:"finished,omitzero"`
	DurationMS int64          `json:"duration_ms"`
	Outcome    string         `json:"outcome"`
	Counts     map[string]int `json:"counts,omitempty"`
	Error      string         `json:"error,omitempty"`
}

// sourceState is what the daemon knows about one source between runs.
type sourceState struct {
	last        *RunStatus
	lastSuccess time.Time
	// firstSeen is where "no success for" counts from when there never was
	// a success: the oldest known run, or the daemon's start.
	firstSeen  time.Time
	failures   int
	held       int
	heldReason string

	running      bool
	runningSince time.Time
	// observed is set when Observe saw the running sync's report, so the
	// scheduler does not count it a second time.
	observed          bool
	nextRun, nextFull time.Time
	// firing is the set of alert kinds currently raised.
	firing map[string]bool
}

func newSourceState() *sourceState { return &sourceState{firing: map[string]bool{}} }

// record folds one finished applying run into the state.
func (s *sourceState) record(r RunStatus, held int, heldReason string) {
	s.last = &r
	if s.firstSeen.IsZero() || r.Started.Before(s.firstSeen) {
		s.firstSeen = r.Started
	}
	switch r.Outcome {
	case store.OutcomeFailed:
		s.failures++
		// A failed run planned nothing: what was held before still is.
	case store.OutcomeSuccess, store.OutcomeHeld:
		s.failures = 0
		s.lastSuccess = r.Started
		s.held, s.heldReason = held, heldReason
	}
}

// reportRun turns a report into the run it describes.
func reportRun(rep *reconcile.Report) (RunStatus, int, string) {
	r := RunStatus{ID: rep.RunID, Started: rep.Started, DurationMS: rep.Duration.Milliseconds(),
		Outcome: rep.Outcome}
	if !rep.Started.IsZero() {
		r.Finished = rep.Started.Add(rep.Duration)
	}
	if rep.Err != nil {
		r.Error = rep.Err.Error()
	}
	var held int
	var reason string
	if rep.Plan != nil {
		r.Kind, r.Counts = rep.Read.String(), rep.Summary().Counts()
		held, reason = rep.Summary().Held, rep.Plan.HeldReason
	}
	return r, held, reason
}

// stateFromRuns rebuilds a source's state from its stored runs, newest
// first. Running (or crashed) runs and dry runs are ignored.
func stateFromRuns(runs []store.Run) *sourceState {
	s := newSourceState()
	for i := len(runs) - 1; i >= 0; i-- {
		r := runs[i]
		if r.DryRun || r.Outcome == store.OutcomeRunning {
			continue
		}
		rs := RunStatus{ID: r.ID, Kind: r.Kind, Started: r.Started, Finished: r.Finished,
			DurationMS: r.Duration().Milliseconds(), Outcome: r.Outcome, Counts: r.Counts, Error: r.Error}
		reason := ""
		if r.Outcome == store.OutcomeHeld {
			reason = r.Note
		}
		s.record(rs, r.Counts["held"], reason)
	}
	return s
}

// sourceStatus renders one source's state.
func sourceStatus(src *config.Source, s *sourceState, alerts []Alert) SourceStatus {
	return SourceStatus{
		Name: src.Name, Type: src.Type, Pulls: src.Pulls(), Running: s.running, RunningSince: s.runningSince,
		LastRun: s.last, LastSuccess: s.lastSuccess, ConsecutiveFailures: s.failures,
		HeldDeactivations: s.held, HeldReason: s.heldReason, NextRun: s.nextRun, NextFullRun: s.nextFull,
		Alerts: alerts,
	}
}

// StatusFromStore builds a status from the database alone, for `dirsync
// status` when no daemon answers: last runs and health, but no next-run
// times and nothing in progress.
func StatusFromStore(ctx context.Context, st *store.Store, cfg *config.Config, alerts AlertConfig, now time.Time) (*Status, error) {
	alerts, err := alerts.withDefaults()
	if err != nil {
		return nil, err
	}
	out := &Status{Generated: now.UTC(), Sources: []SourceStatus{}}
	for _, src := range cfg.Sources {
		runs, err := st.Runs(ctx, src.Name, seedRuns)
		if err != nil {
			return nil, fmt.Errorf("status of source %s: %w", src.Name, err)
		}
		s := stateFromRuns(runs)
		out.Sources = append(out.Sources, sourceStatus(src, s, evaluate(src, s, alerts, now)))
	}
	return out, nil
}

// Status is the live status of every configured source.
func (d *Daemon) Status() *Status {
	d.mu.Lock()
	defer d.mu.Unlock()
	now := d.now()
	out := &Status{Generated: now.UTC(), Live: true, Sources: []SourceStatus{}}
	for _, src := range d.cfg.Sources {
		s := d.stateLocked(src.Name)
		out.Sources = append(out.Sources, sourceStatus(src, s, evaluate(src, s, d.alerts, now)))
	}
	return out
}

// stateLocked returns name's state, creating it; d.mu must be held.
func (d *Daemon) stateLocked(name string) *sourceState {
	s, ok := d.sources[name]
	if !ok {
		s = newSourceState()
		s.firstSeen = d.started
		d.sources[name] = s
	}
	return s
}

// seed rebuilds every configured source's state from the store, so that a
// restart does not forget a failure streak or a held deactivation.
func (d *Daemon) seed(ctx context.Context) {
	d.mu.Lock()
	cfg := d.cfg
	d.mu.Unlock()
	for _, src := range cfg.Sources {
		runs, err := d.store.Runs(ctx, src.Name, seedRuns)
		if err != nil {
			d.log.Warn("cannot read the last runs of a source; its status starts empty", "source", src.Name, "error", err)
			continue
		}
		s := stateFromRuns(runs)
		d.mu.Lock()
		if s.firstSeen.IsZero() {
			s.firstSeen = d.started
		}
		d.sources[src.Name] = s
		d.mu.Unlock()
		d.metrics.setSource(src.Name, s)
	}
}
