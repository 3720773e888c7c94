package main

import (
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/dirsync/dirsync/store"
)

func (a *app) auditCommand() *cobra.Command {
	var (
		q            store.AuditQuery
		since, until string
	)
	c := &cobra.Command{
		Use:   "audit",
		Short: "Query the audit log of every change",
		Long: `Query the append-only audit log. Every change is recorded with when, through
which channel (push = SCIM, pull = sync, cli = an admin), the integration, the
run or request id, and each field's old and new value.

Times are RFC 3339 (2026-11-23T10:00:00Z), a date (2026-11-23), or a duration
meaning "ago" (24h, 90m).`,
		Example: `  dirsync audit --since 24h --integration okta
  dirsync audit --user ann@example.com --output json
  dirsync audit --action user.update --since 2026-11-01 --until 2026-11-02`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			now := time.Now()
			var err error
			if q.Since, err = parseWhen(since, now); err != nil {
				return usageErr("--since: %v", err)
			}
			if q.Until, err = parseWhen(until, now); err != nil {
				return usageErr("--until: %v", err)
			}
			if q.Limit < 0 {
				return usageErr("--limit: must be positive")
			}
			cfg, err := a.loadConfig()
			if err != nil {
				return err
			}
			st, err := a.openStore(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			defer st.Close()
			rows, err := st.Audit(cmd.Context(), q)
			if err != nil {
				return err
			}
			if a.output == "json" {
				if rows == nil {
					rows = []store.AuditEntry{}
				}
				return writeJSON(cmd.OutOrStdout(), rows)
			}
			return printAudit(cmd, rows)
		},
	}
	f := c.Flags()
	f.StringVar(&since, "since", "", "only entries at or after this time")
	f.StringVar(&until, "until", "", "only entries before this time")
	f.StringVar(&q.User, "user", "", "only entries about this user (userName or id)")
	f.StringVar(&q.Integration, "integration", "", "only entries of this integration (source name)")
	f.StringVar(&q.Action, "action", "", `only this action ("user.update") or family ("user.")`)
	f.StringVar(&q.RunID, "run", "", "only entries of this sync run or SCIM request id")
	f.IntVar(&q.Limit, "limit", 1000, "at most this many entries (the newest)")
	a.addOutputFlag(c)
	return c
}

// parseWhen accepts RFC 3339, a date, or a duration meaning "that long ago".
func parseWhen(s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if d, err := time.ParseDuration(s); err == nil {
		return now.Add(-d), nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a time (2026-11-23T10:00:00Z), a date (2026-11-23) or a duration (24h)", s)
}

func printAudit(cmd *cobra.Command, rows []store.AuditEntry) error {
	w := cmd.OutOrStdout()
	if len(rows) == 0 {
		fmt.Fprintln(w, "no audit entries match")
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TIME\tCHANNEL\tINTEGRATION\tACTION\tOBJECT\tCHANGES")
	for _, r := range rows {
		var ch []string
		for _, c := range r.Changes {
			ch = append(ch, fmt.Sprintf("%s: %s -> %s", c.Field, show(c.Old), show(c.New)))
		}
		obj := r.ObjectName
		if obj == "" {
			obj = r.ObjectID
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.At.Format(time.RFC3339), r.Channel, dash(r.Integration),
			r.Action, obj, strings.Join(ch, "; "))
	}
	return tw.Flush()
}

func show(v any) string {
	if v == nil {
		return "(none)"
	}
	if s, ok := v.(string); ok {
		return fmt.Sprintf("%q", s)
	}
	return fmt.Sprint(v)
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
