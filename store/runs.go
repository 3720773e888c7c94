package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Run outcomes recorded in sync_runs.
const (
	OutcomeRunning = "running"
	OutcomeSuccess = "success"
	// OutcomeHeld: creates and updates applied, deactivations held by the
	// deletion guard until an admin allows them.
	OutcomeHeld   = "held"
	OutcomeFailed = "failed"
	// OutcomeDryRun: planned and reported, nothing applied.
	OutcomeDryRun = "dry_run"
)

// Run is one sync run of one source.
type Run struct {
	ID       string         `json:"id"`
	Source   string         `json:"source"`
	Kind     string         `json:"kind"`
	DryRun   bool           `json:"dry_run"`
	Started  time.Time      `json:"started"`
	Finished time.Time      `json:"finished,omitzero"`
	Outcome  string         `json:"outcome"`
	Counts   map[string]int `json:"counts,omitempty"`
	Error    string         `json:"error,omitempty"`
	// Note is why deactivations were held, or another remark on the run.
	Note string `json:"note,omitempty"`
}

// Duration is how long a finished run took.
func (r *Run) Duration() time.Duration {
	if r.Finished.IsZero() {
		return 0
	}
	return r.Finished.Sub(r.Started)
}

// StartRun records a run as running. It commits on its own so that a run
// that crashes is still visible.
func (s *Store) StartRun(ctx context.Context, r *Run) error {
	r.Outcome = OutcomeRunning
	_, err := s.writer.ExecContext(ctx, `INSERT INTO sync_runs (id, source, kind, dry_run, started, outcome)
		VALUES (?,?,?,?,?,?)`, r.ID, r.Source, r.Kind, r.DryRun, formatTime(r.Started), r.Outcome)
	if err != nil {
		return fmt.Errorf("record run start: %w", err)
	}
	return nil
}

// FinishRun records a run's end, outcome, counts and error.
func (s *Store) FinishRun(ctx context.Context, r *Run) error {
	_, err := s.writer.ExecContext(ctx, `UPDATE sync_runs SET finished = ?, outcome = ?, counts = ?, error = ?,
		note = ? WHERE id = ?`, formatTime(r.Finished), r.Outcome, marshalJSON(r.Counts, "{}"), r.Error, r.Note, r.ID)
	if err != nil {
		return fmt.Errorf("record run end: %w", err)
	}
	return nil
}

// Runs returns the latest runs of a source (all sources when source is ""),
// newest first.
func (s *Store) Runs(ctx context.Context, source string, limit int) ([]Run, error) {
	if limit <= 0 {
		limit = 20
	}
	q, args := `SELECT id, source, kind, dry_run, started, COALESCE(finished, ''), outcome, counts, error,
		note FROM sync_runs`, []any{}
	if source != "" {
		q, args = q+" WHERE source = ?", append(args, source)
	}
	rows, err := s.reader.QueryContext(ctx, q+" ORDER BY started DESC, rowid DESC LIMIT ?", append(args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("list runs: %w", err)
	}
	defer rows.Close()
	var out []Run
	for rows.Next() {
		var (
			r                        Run
			started, finished, count string
		)
		if err := rows.Scan(&r.ID, &r.Source, &r.Kind, &r.DryRun, &started, &finished, &r.Outcome,
			&count, &r.Error, &r.Note); err != nil {
			return nil, fmt.Errorf("list runs: %w", err)
		}
		r.Started, r.Finished = parseTime(started), parseTime(finished)
		if err := json.Unmarshal([]byte(count), &r.Counts); err != nil {
			return nil, fmt.Errorf("run %s counts: %w", r.ID, err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// Cursor returns a source's saved incremental position ("" when none).
func (t *Tx) Cursor(ctx context.Context, source, name string) (string, error) {
	var v string
	err := t.queryRow(ctx, "SELECT value FROM cursors WHERE source = ? AND name = ?", source, name).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read cursor %s/%s: %w", source, name, err)
	}
	return v, nil
}

// SetCursor saves a source's incremental position in the current unit of
// work, so it commits together with the changes read up to it, or not at all.
func (t *Tx) SetCursor(ctx context.Context, source, name, value string) error {
	if err := t.mustWrite(); err != nil {
		return err
	}
	_, err := t.exec(ctx, `INSERT INTO cursors (source, name, value, updated) VALUES (?,?,?,?)
		ON CONFLICT (source, name) DO UPDATE SET value = excluded.value, updated = excluded.updated`,
		source, name, value, formatTime(t.now))
	if err != nil {
		return fmt.Errorf("save cursor %s/%s: %w", source, name, err)
	}
	return nil
}

// ClearCursor forgets a source's incremental position, forcing a full read.
func (t *Tx) ClearCursor(ctx context.Context, source, name string) error {
	if err := t.mustWrite(); err != nil {
		return err
	}
	if _, err := t.exec(ctx, "DELETE FROM cursors WHERE source = ? AND name = ?", source, name); err != nil {
		return fmt.Errorf("clear cursor %s/%s: %w", source, name, err)
	}
	return nil
}
