package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// AuditEntry is one row of the append-only audit log.
type AuditEntry struct {
	Seq         int64     `json:"seq"`
	At          time.Time `json:"at"`
	Channel     Channel   `json:"channel"`
	Integration string    `json:"integration,omitempty"`
	RunID       string    `json:"run_id,omitempty"`
	Actor       string    `json:"actor,omitempty"`
	Action      string    `json:"action"`
	ObjectType  string    `json:"object_type,omitempty"`
	ObjectID    string    `json:"object_id,omitempty"`
	ObjectName  string    `json:"object_name,omitempty"`
	Changes     []Change  `json:"changes,omitempty"`
	// Detail carries extra context, such as a deleted record in full.
	Detail json.RawMessage `json:"detail,omitempty"`
}

// audit appends a row for the current unit of work. It is unexported: audit
// rows are written by the mutating methods themselves, never by callers.
func (t *Tx) audit(ctx context.Context, action, objType, objID, objName string, changes []Change, detail any) error {
	d := ""
	if detail != nil {
		d = marshalJSON(detail, "")
	}
	_, err := t.exec(ctx, `INSERT INTO audit (at, channel, integration, run_id, actor, action,
		object_type, object_id, object_name, changes, detail) VALUES (?,?,?,?,?,?,?,?,?,?,?)`,
		formatTime(t.now), string(t.actor.Channel), t.actor.Integration, t.actor.RunID, t.actor.Who,
		action, objType, objID, objName, marshalJSON(changes, "[]"), d)
	if err != nil {
		return fmt.Errorf("write audit row: %w", err)
	}
	return nil
}

// Note records an event that is not a change to a user or group (a token
// reset, a held deactivation) in the audit log.
func (t *Tx) Note(ctx context.Context, action, objType, objID, objName string, detail any) error {
	if err := t.mustWrite(); err != nil {
		return err
	}
	return t.audit(ctx, action, objType, objID, objName, nil, detail)
}

// AuditQuery selects audit rows; zero fields do not filter.
type AuditQuery struct {
	Since, Until time.Time
	// User matches the object id or, case-insensitively, the object name.
	User        string
	Integration string
	// Action matches exactly ("user.update") or by prefix ending in a dot
	// ("user.").
	Action string
	RunID  string
	// Limit caps the rows returned (newest last); 0 means 1000.
	Limit int
}

// Audit returns the audit rows matching q, oldest first.
func (s *Store) Audit(ctx context.Context, q AuditQuery) ([]AuditEntry, error) {
	where, args := []string{"1=1"}, []any{}
	if !q.Since.IsZero() {
		where, args = append(where, "at >= ?"), append(args, formatTime(q.Since))
	}
	if !q.Until.IsZero() {
		where, args = append(where, "at < ?"), append(args, formatTime(q.Until))
	}
	if q.User != "" {
		where = append(where, "object_type = 'user' AND (object_id = ? OR lower(object_name) = ?)")
		args = append(args, q.User, FoldName(q.User))
	}
	if q.Integration != "" {
		where, args = append(where, "integration = ?"), append(args, q.Integration)
	}
	if strings.HasSuffix(q.Action, ".") {
		where, args = append(where, "substr(action, 1, ?) = ?"), append(args, len(q.Action), q.Action)
	} else if q.Action != "" {
		where, args = append(where, "action = ?"), append(args, q.Action)
	}
	if q.RunID != "" {
		where, args = append(where, "run_id = ?"), append(args, q.RunID)
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 1000
	}
	// The newest `limit` rows, returned oldest first.
	query := `SELECT * FROM (SELECT seq, at, channel, integration, run_id, actor, action, object_type,
		object_id, object_name, changes, detail FROM audit WHERE ` + strings.Join(where, " AND ") +
		` ORDER BY seq DESC LIMIT ?) ORDER BY seq`
	rows, err := s.reader.QueryContext(ctx, query, append(args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("query audit log: %w", err)
	}
	defer rows.Close()
	var out []AuditEntry
	for rows.Next() {
		var (
			e                AuditEntry
			at, changes, det string
			channel          string
		)
		if err := rows.Scan(&e.Seq, &at, &channel, &e.Integration, &e.RunID, &e.Actor, &e.Action,
			&e.ObjectType, &e.ObjectID, &e.ObjectName, &changes, &det); err != nil {
			return nil, fmt.Errorf("query audit log: %w", err)
		}
		e.At, e.Channel = parseTime(at), Channel(channel)
		if err := unmarshalField("changes", changes, &e.Changes); err != nil {
			return nil, fmt.Errorf("audit row %d: %w", e.Seq, err)
		}
		if det != "" {
			e.Detail = json.RawMessage(det)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("query audit log: %w", err)
	}
	return out, nil
}
