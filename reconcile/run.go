package reconcile

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/hashicorp/go-hclog"

	"github.com/dirsync/dirsync/connectors"
	"github.com/dirsync/dirsync/store"
)

// cursorName is the key a source's incremental position is saved under.
const cursorName = "pull"

// Engine runs syncs of sources into one store.
type Engine struct {
	Store  *store.Store
	Logger hclog.Logger
	// Now defaults to time.Now.
	Now func() time.Time
	// Observe, when set, is called with every finished report (metrics,
	// alerts).
	Observe func(*Report)
}

// Request is one sync of one source.
type Request struct {
	Source connectors.Source
	// Type is the source type label ("okta", "entra"), for the report.
	Type    string
	Options Options
	// Full forces a full read even when an incremental cursor exists.
	Full bool
	// DryRun plans and reports without applying.
	DryRun bool
}

// Report is the outcome of one run: what was read, planned and done.
type Report struct {
	RunID    string
	Source   string
	Type     string
	Read     connectors.Kind
	DryRun   bool
	Started  time.Time
	Duration time.Duration
	Requests int
	// Throttled counts the IdP's rate-limit responses during the read.
	Throttled int
	// Outcome is one of store.Outcome*.
	Outcome string
	// Note explains a fallback, e.g. an expired delta cursor.
	Note string
	Plan *Plan
	// Err is the failure of a failed run.
	Err error
}

// Summary counts the plan's actions (zero when the run failed before planning).
func (r *Report) Summary() Summary {
	if r.Plan == nil {
		return Summary{}
	}
	return r.Plan.Summary()
}

// Sync reads the source, plans against the directory and, unless DryRun,
// applies the plan. A failed read plans nothing: everything missing from a
// partial read would look deprovisioned. The returned report is non-nil even
// when err is not.
func (e *Engine) Sync(ctx context.Context, req Request) (*Report, error) {
	now := time.Now
	if e.Now != nil {
		now = e.Now
	}
	name := req.Options.Source
	log := e.Logger.Named("reconcile").With("source", name)
	rep := &Report{RunID: uuid.NewString(), Source: name, Type: req.Type, DryRun: req.DryRun, Started: now().UTC()}
	run := &store.Run{ID: rep.RunID, Source: name, Kind: "full", DryRun: req.DryRun, Started: rep.Started}
	if err := e.Store.StartRun(ctx, run); err != nil {
		return e.finish(ctx, rep, run, err, now)
	}
	log = log.With("run_id", rep.RunID)

	snap, err := e.read(ctx, log, req, rep)
	if err != nil {
		return e.finish(ctx, rep, run, fmt.Errorf("read source %s: %w", name, err), now)
	}
	rep.Read, rep.Requests, rep.Throttled = snap.Kind, snap.Requests, snap.Throttled
	run.Kind = snap.Kind.String()
	log.Debug("source read", "kind", snap.Kind, "users", len(snap.Users), "groups", len(snap.Groups), "requests", snap.Requests)

	if req.DryRun {
		err = e.Store.View(ctx, func(tx *store.Tx) (err error) {
			rep.Plan, err = Prepare(ctx, tx, snap, req.Options)
			return err
		})
		return e.finish(ctx, rep, run, err, now)
	}
	actor := store.Actor{Channel: store.ChannelPull, Integration: name, RunID: rep.RunID}
	err = e.Store.Update(ctx, actor, func(tx *store.Tx) error {
		p, err := Prepare(ctx, tx, snap, req.Options)
		if err != nil {
			return err
		}
		rep.Plan = p
		if err := Apply(ctx, tx, p); err != nil {
			return err
		}
		if p.Held {
			// The cursor stays where it was, so the held removals are read
			// again until an admin allows them.
			return tx.Note(ctx, "sync.held", "integration", name, name, map[string]any{
				"reason": p.HeldReason, "held": p.Summary().Held})
		}
		if p.Cursor != "" {
			if err := tx.SetCursor(ctx, name, cursorName, p.Cursor); err != nil {
				return err
			}
		}
		return nil
	})
	return e.finish(ctx, rep, run, err, now)
}

func (e *Engine) read(ctx context.Context, log hclog.Logger, req Request, rep *Report) (*connectors.Snapshot, error) {
	var cursor string
	if !req.Full {
		err := e.Store.View(ctx, func(tx *store.Tx) (err error) {
			cursor, err = tx.Cursor(ctx, req.Options.Source, cursorName)
			return err
		})
		if err != nil {
			return nil, err
		}
	}
	snap, err := req.Source.Read(ctx, connectors.ReadRequest{Cursor: cursor, Full: req.Full || cursor == ""})
	if errors.Is(err, connectors.ErrCursorExpired) {
		rep.Note = "incremental cursor expired; fell back to a full read"
		log.Warn("incremental cursor expired, running a full read instead", "error", err)
		snap, err = req.Source.Read(ctx, connectors.ReadRequest{Full: true})
	}
	if err != nil {
		return nil, err
	}
	if snap == nil {
		return nil, errors.New("source returned no snapshot")
	}
	return snap, nil
}

func (e *Engine) finish(ctx context.Context, rep *Report, run *store.Run, err error, now func() time.Time) (*Report, error) {
	rep.Duration = now().UTC().Sub(rep.Started)
	run.Finished = rep.Started.Add(rep.Duration)
	log := e.Logger.Named("reconcile").With("source", rep.Source, "run_id", rep.RunID)
	switch {
	case err != nil:
		rep.Outcome, rep.Err = store.OutcomeFailed, err
		run.Error = err.Error()
		log.Error("sync failed; nothing was applied", "error", err)
	case rep.DryRun:
		rep.Outcome = store.OutcomeDryRun
	case rep.Plan.Held:
		rep.Outcome = store.OutcomeHeld
		log.Error("deactivations held by the deletion guard", "reason", rep.Plan.HeldReason,
			"held", rep.Plan.Summary().Held)
	default:
		rep.Outcome = store.OutcomeSuccess
	}
	run.Outcome, run.Counts, run.Note = rep.Outcome, rep.Summary().Counts(), rep.Note
	if rep.Outcome == store.OutcomeHeld {
		run.Note = rep.Plan.HeldReason
	}
	if rep.Outcome != store.OutcomeFailed {
		s := rep.Summary()
		log.Info("sync finished", "outcome", rep.Outcome, "read", rep.Read, "creates", s.Creates,
			"updates", s.Updates, "deactivations", s.Deactivations, "reactivations", s.Reactivations,
			"group_changes", s.GroupChanges, "conflicts", s.Conflicts, "held", s.Held, "duration", rep.Duration)
	}
	// Record the run even when ctx was cancelled mid-run.
	if ferr := e.Store.FinishRun(context.WithoutCancel(ctx), run); ferr != nil && err == nil {
		err = ferr
	}
	if e.Observe != nil {
		e.Observe(rep)
	}
	return rep, err
}
