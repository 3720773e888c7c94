package reconcile

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/dirsync/dirsync/store"
)

// ReportSchema versions the JSON report. Fields are only ever added within a
// version; a change that could break a script bumps it.
const ReportSchema = "dirsync.sync-report/v1"

// JSONReport is the documented JSON form of a Report (see README, "Sync
// reports").
type JSONReport struct {
	Schema     string    `json:"schema"`
	RunID      string    `json:"run_id"`
	Source     string    `json:"source"`
	Type       string    `json:"type"`
	Read       string    `json:"read"` // "full" or "delta"
	DryRun     bool      `json:"dry_run"`
	Outcome    string    `json:"outcome"`
	Started    time.Time `json:"started"`
	DurationMS int64     `json:"duration_ms"`
	Requests   int       `json:"requests"`
	Throttled  int       `json:"throttled"`
	Note       string    `json:"note,omitempty"`
	Error      string    `json:"error,omitempty"`
	Held       bool      `json:"held"`
	HeldReason string    `json:"held_reason,omitempty"`
	Summary    Summary   `json:"summary"`
	Actions    []*Action `json:"actions"`
}

// JSON returns the report's JSON form.
func (r *Report) JSON() JSONReport {
	j := JSONReport{
		Schema: ReportSchema, RunID: r.RunID, Source: r.Source, Type: r.Type, Read: r.Read.String(),
		DryRun: r.DryRun, Outcome: r.Outcome, Started: r.Started, DurationMS: r.Duration.Milliseconds(),
		Requests: r.Requests, Throttled: r.Throttled, Note: r.Note, Summary: r.Summary(), Actions: []*Action{},
	}
	if r.Err != nil {
		j.Error = r.Err.Error()
	}
	if r.Plan != nil {
		j.Held, j.HeldReason = r.Plan.Held, r.Plan.HeldReason
		j.Actions = make([]*Action, len(r.Plan.Actions))
		for i, a := range r.Plan.Actions {
			c := *a
			c.Changes = a.FieldChanges()
			j.Actions[i] = &c
		}
	}
	return j
}

// WriteJSON writes the JSON report.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r.JSON())
}

var symbols = map[Kind]string{
	CreateUser: "+", AdoptUser: "&", UpdateUser: "~", ReactivateUser: "^", DeactivateUser: "-",
	CreateGroup: "+", AdoptGroup: "&", UpdateGroup: "~", SetMembers: "~", LinkUser: "=", LinkGroup: "=",
	Conflict: "!", Skip: "?", OutOfScope: "?",
}

// WriteText writes the report for an admin: a header, a summary line, then
// one line per object with its field diffs, in the plan's stable order.
func (r *Report) WriteText(w io.Writer) error {
	b := &strings.Builder{}
	mode := "apply"
	if r.DryRun {
		mode = "dry run: nothing was changed"
	}
	fmt.Fprintf(b, "Source %s (%s), %s read, %s\n", r.Source, r.Type, r.Read, mode)
	fmt.Fprintf(b, "Run %s at %s, %s, %d API requests\n", r.RunID, r.Started.Format(time.RFC3339),
		r.Duration.Round(time.Millisecond), r.Requests)
	if r.Note != "" {
		fmt.Fprintf(b, "Note: %s\n", r.Note)
	}
	if r.Err != nil {
		fmt.Fprintf(b, "FAILED: %v\nNothing was applied.\n", r.Err)
		_, err := io.WriteString(w, b.String())
		return err
	}
	s := r.Summary()
	verb := "Applied"
	if r.DryRun {
		verb = "Would apply"
	}
	fmt.Fprintf(b, "%s: %d creates, %d updates, %d deactivations, %d reactivations, %d group changes, "+
		"%d adoptions, %d links; %d conflicts, %d skipped, %d held\n", verb, s.Creates, s.Updates, s.Deactivations,
		s.Reactivations, s.GroupChanges, s.Adoptions, s.Links, s.Conflicts, s.Skipped, s.Held)
	if r.Plan.Held {
		fmt.Fprintf(b, "HELD: %s\n", r.Plan.HeldReason)
	}
	if len(r.Plan.Actions) == 0 {
		b.WriteString("No changes: the directory matches the source.\n")
	}
	if s.Adoptions > 0 {
		b.WriteString("Check every adoption below: a wrong userName mapping would link the wrong accounts.\n")
	}
	if len(r.Plan.Actions) > 0 {
		b.WriteString("\n")
	}
	for _, a := range r.Plan.Actions {
		writeAction(b, a)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func writeAction(b *strings.Builder, a *Action) {
	kind := string(a.Kind)
	if a.Held {
		kind = "held:" + kind
	}
	fmt.Fprintf(b, "%s %-16s %-5s %s", symbols[a.Kind], kind, a.Object, a.Name)
	if a.SourceID != "" {
		fmt.Fprintf(b, " [%s]", a.SourceID)
	}
	b.WriteString("\n")
	if a.Reason != "" {
		fmt.Fprintf(b, "      reason: %s\n", a.Reason)
	}
	for _, c := range a.FieldChanges() {
		if a.Kind == CreateUser || a.Kind == CreateGroup {
			// A new object has no old values: show what it is created with.
			if c.Field != "active" || c.New != true {
				fmt.Fprintf(b, "      %s: %s\n", c.Field, showValue(c.New))
			}
			continue
		}
		fmt.Fprintf(b, "      %s: %s -> %s\n", c.Field, showValue(c.Old), showValue(c.New))
	}
	if len(a.Added) > 0 {
		fmt.Fprintf(b, "      members added (%d): %s\n", len(a.Added), memberNames(a.Added))
	}
	if len(a.Removed) > 0 {
		fmt.Fprintf(b, "      members removed (%d): %s\n", len(a.Removed), memberNames(a.Removed))
	}
	if len(a.Missing) > 0 {
		fmt.Fprintf(b, "      members not in the directory (%d, not added): %s\n", len(a.Missing), clip(a.Missing))
	}
}

func memberNames(ms []Member) string {
	names := make([]string, len(ms))
	for i, m := range ms {
		names[i] = m.UserName
		if names[i] == "" {
			names[i] = m.ID
		}
	}
	return clip(names)
}

// clip keeps one report line readable for a group of thousands.
func clip(s []string) string {
	const max = 20
	if len(s) <= max {
		return strings.Join(s, ", ")
	}
	return strings.Join(s[:max], ", ") + fmt.Sprintf(", ... and %d more", len(s)-max)
}

func showValue(v any) string {
	switch x := v.(type) {
	case nil:
		return "(none)"
	case string:
		return fmt.Sprintf("%q", x)
	case []store.Email:
		b, _ := json.Marshal(x)
		return string(b)
	default:
		b, err := json.Marshal(x)
		if err != nil {
			return fmt.Sprint(x)
		}
		return string(b)
	}
}
