package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/dirsync/dirsync/config"
	"github.com/dirsync/dirsync/daemon"
)

func (a *app) statusCommand() *cobra.Command {
	c := &cobra.Command{
		Use:   "status",
		Short: "Show each source's last run, next run, held deactivations and alerts",
		Long: `Ask the running daemon (admin listener, /status) for each source's last run
(when, outcome, duration, counts), next scheduled runs, held deactivations,
consecutive failures and alerts. When no daemon answers, the same is read from
the database, without next-run times.`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			cfg, err := a.loadConfig()
			if err != nil {
				return err
			}
			st, live := liveStatus(ctx, cfg)
			if st == nil {
				db, err := a.openStore(ctx, cfg)
				if err != nil {
					return err
				}
				defer db.Close()
				if st, err = daemon.StatusFromStore(ctx, db, cfg, alertConfig(cfg), time.Now()); err != nil {
					return err
				}
			}
			if a.output == "json" {
				return writeJSON(cmd.OutOrStdout(), st)
			}
			return printStatus(cmd.OutOrStdout(), st, live, cfg.Admin.Listen)
		},
	}
	a.addOutputFlag(c)
	return c
}

// liveStatus asks the daemon's admin listener; nil when none answers.
func liveStatus(ctx context.Context, cfg *config.Config) (*daemon.Status, bool) {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+cfg.Admin.Listen+"/status", nil)
	if err != nil {
		return nil, false
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, false
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, false
	}
	var st daemon.Status
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		return nil, false
	}
	return &st, true
}

func alertConfig(cfg *config.Config) daemon.AlertConfig {
	return daemon.AlertConfig{
		WebhookURL:    cfg.Alerts.WebhookURL,
		AfterFailures: cfg.Alerts.AfterFailures,
		NoSuccessFor:  cfg.Alerts.NoSuccessDuration,
	}
}

func printStatus(w io.Writer, st *daemon.Status, live bool, admin string) error {
	if live {
		fmt.Fprintf(w, "Live status from the daemon at %s\n\n", admin)
	} else {
		fmt.Fprintf(w, "No daemon answered at %s: status read from the database (no next-run times)\n\n", admin)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SOURCE\tTYPE\tLAST RUN\tOUTCOME\tDURATION\tCHANGES\tNEXT RUN\tHELD\tFAILURES")
	for _, s := range st.Sources {
		last, outcome, dur, changes := "never", "-", "-", "-"
		if !s.Pulls {
			last, outcome = "push only", "-"
		}
		if r := s.LastRun; r != nil {
			last = r.Started.Local().Format("2006-01-02 15:04:05")
			outcome = r.Outcome
			dur = (time.Duration(r.DurationMS) * time.Millisecond).String()
			changes = counts(r.Counts)
		}
		if s.Running {
			outcome = "running since " + s.RunningSince.Local().Format("15:04:05")
		}
		next := "-"
		if !s.NextRun.IsZero() {
			next = s.NextRun.Local().Format("2006-01-02 15:04:05")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%d\n", s.Name, s.Type, last, outcome, dur, changes, next,
			s.HeldDeactivations, s.ConsecutiveFailures)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, s := range st.Sources {
		if s.LastRun != nil && s.LastRun.Error != "" {
			fmt.Fprintf(w, "\n%s: last error: %s\n", s.Name, s.LastRun.Error)
		}
		if s.HeldReason != "" {
			fmt.Fprintf(w, "\n%s: HELD: %s\n", s.Name, s.HeldReason)
		}
		for _, al := range s.Alerts {
			b, _ := json.Marshal(al)
			fmt.Fprintf(w, "\n%s: ALERT %s\n", s.Name, b)
		}
	}
	return nil
}

// counts renders the non-zero run counts compactly ("3 creates, 1 update").
func counts(c map[string]int) string {
	var parts []string
	for _, k := range []string{"creates", "updates", "deactivations", "reactivations", "group_changes", "adoptions", "links", "conflicts", "skipped", "held"} {
		if c[k] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", c[k], k))
		}
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}
