package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/hashicorp/go-hclog"
	"github.com/spf13/cobra"

	"github.com/dirsync/dirsync/config"
	"github.com/dirsync/dirsync/connectors"
	"github.com/dirsync/dirsync/reconcile"
	"github.com/dirsync/dirsync/store"
)

type syncFlags struct {
	source      string
	dryRun      bool
	allowDeacts bool
	full        bool
}

func (a *app) syncCommand() *cobra.Command {
	var f syncFlags
	c := &cobra.Command{
		Use:   "sync",
		Short: "Pull from the IdPs once and apply (or, with --dry-run, report) the changes",
		Long: `Read every pulling source (or only --source), compare it with the directory
using the source's matching rules, and apply creates, updates, deactivations,
reactivations and group overwrites. With --dry-run the same plan is printed and
nothing is changed.

A failed or partial read from an IdP applies nothing. When a run would
deactivate more users than the safety limits allow, creates and updates are
applied and the deactivations are held (exit code 4) until re-run with
--allow-deactivations.

` + exitCodesHelp,
		Example: `  dirsync sync --dry-run
  dirsync sync --source okta --output json
  dirsync sync --source okta --allow-deactivations`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error { return a.runSync(cmd, f) },
	}
	c.Flags().StringVar(&f.source, "source", "", "sync only this source (default: every source with pull settings)")
	c.Flags().BoolVar(&f.dryRun, "dry-run", false, "plan and report, change nothing")
	c.Flags().BoolVar(&f.allowDeacts, "allow-deactivations", false, "apply deactivations above the safety limits")
	c.Flags().BoolVar(&f.full, "full", false, "force a full read even when an incremental cursor exists")
	a.addOutputFlag(c)
	return c
}

func (a *app) runSync(cmd *cobra.Command, f syncFlags) error {
	ctx := cmd.Context()
	cfg, err := a.loadConfig()
	if err != nil {
		return err
	}
	var sources []*config.Source
	if f.source != "" {
		s, err := a.sourceByName(cfg, f.source)
		if err != nil {
			return err
		}
		if !s.Pulls() {
			return usageErr("--source %s: the source is push-only (its block has no pull settings)", f.source)
		}
		sources = []*config.Source{s}
	} else {
		for _, s := range cfg.Sources {
			if s.Pulls() {
				sources = append(sources, s)
			}
		}
		if len(sources) == 0 {
			return usageErr("no source in %s has pull settings; nothing to sync", cfg.Path)
		}
	}
	log := a.logger(cfg)
	st, err := a.openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	eng := &reconcile.Engine{Store: st, Logger: log}
	var reports []*reconcile.Report
	for _, s := range sources {
		rep, _ := syncSource(ctx, eng, cfg, s, log, f.full, f.dryRun, f.allowDeacts)
		reports = append(reports, rep)
	}
	if err := writeReports(cmd.OutOrStdout(), a.output, reports); err != nil {
		return err
	}
	return reportsExit(reports)
}

// syncSource opens a source's connector and runs one sync of it. It is shared
// by the sync command, the daemon's scheduler and the demo.
func syncSource(ctx context.Context, eng *reconcile.Engine, cfg *config.Config, s *config.Source, log hclog.Logger,
	full, dryRun, allowDeacts bool) (*reconcile.Report, error) {
	src, err := s.Connector.Open(ctx, s.Name, log.Named(s.Type).With("source", s.Name))
	if err != nil {
		err = fmt.Errorf("open source %s: %w", s.Name, err)
		rep := &reconcile.Report{Source: s.Name, Type: s.Type, DryRun: dryRun, Outcome: store.OutcomeFailed, Err: err}
		if eng.Observe != nil {
			eng.Observe(rep)
		}
		return rep, err
	}
	return eng.Sync(ctx, reconcile.Request{
		Source: src, Type: s.Type, Full: full, DryRun: dryRun,
		Options: reconcileOptions(cfg, s, allowDeacts),
	})
}

func reconcileOptions(cfg *config.Config, s *config.Source, allowDeacts bool) reconcile.Options {
	return reconcile.Options{
		Source:                 s.Name,
		RenameInPlace:          s.RenameInPlace(),
		Protected:              cfg.Safety.ProtectedUsers,
		MaxDeactivations:       *cfg.Safety.MaxDeactivations,
		MaxDeactivationPercent: *cfg.Safety.MaxDeactivationPercent,
		AllowDeactivations:     allowDeacts,
	}
}

func writeReports(w io.Writer, format string, reports []*reconcile.Report) error {
	if format == "json" {
		out := make([]reconcile.JSONReport, len(reports))
		for i, r := range reports {
			out[i] = r.JSON()
		}
		return writeJSON(w, out)
	}
	for i, r := range reports {
		if i > 0 {
			fmt.Fprintln(w)
		}
		if err := r.WriteText(w); err != nil {
			return err
		}
	}
	return nil
}

// reportsExit maps the worst outcome to the exit code: failure, then held,
// then pending changes of a dry run.
func reportsExit(reports []*reconcile.Report) error {
	var failed, held, pending []string
	for _, r := range reports {
		switch {
		case r.Outcome == store.OutcomeFailed:
			failed = append(failed, r.Source)
		case r.Outcome == store.OutcomeHeld:
			held = append(held, r.Source)
		case r.DryRun && r.Plan != nil && r.Plan.Changes():
			pending = append(pending, r.Source)
		}
	}
	switch {
	case len(failed) > 0:
		return &exitErr{exitError, fmt.Errorf("sync failed for %v; nothing was applied for them", failed)}
	case len(held) > 0:
		return &exitErr{exitHeld, fmt.Errorf("deactivations held for %v; re-run with --allow-deactivations after checking the report", held)}
	case len(pending) > 0:
		return &exitErr{exitPending, errors.New("")}
	}
	return nil
}

func (a *app) sourceCommand() *cobra.Command {
	c := &cobra.Command{Use: "source", Short: "Work with configured sources"}
	test := &cobra.Command{
		Use:   "test SOURCE",
		Short: "Check a source's connection, credentials and permissions, and count what it sees",
		Args:  usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			cfg, err := a.loadConfig()
			if err != nil {
				return err
			}
			s, err := a.sourceByName(cfg, args[0])
			if err != nil {
				return err
			}
			if !s.Pulls() {
				return usageErr("source %s is push-only: test its SCIM endpoint from the IdP's provisioning page", s.Name)
			}
			src, err := s.Connector.Open(ctx, s.Name, a.logger(cfg).Named(s.Type).With("source", s.Name))
			if err != nil {
				return err
			}
			tester, ok := src.(connectors.Tester)
			if !ok {
				return fmt.Errorf("source type %s cannot be tested", s.Type)
			}
			res, err := tester.Test(ctx)
			if err != nil {
				return err
			}
			if a.output == "json" {
				if err := writeJSON(cmd.OutOrStdout(), map[string]any{"source": s.Name, "ok": res.OK(),
					"checks": res.Checks, "users": res.Users, "groups": res.Groups}); err != nil {
					return err
				}
			} else {
				w := cmd.OutOrStdout()
				for _, ck := range res.Checks {
					mark := "ok  "
					if !ck.OK {
						mark = "FAIL"
					}
					fmt.Fprintf(w, "%s %s: %s\n", mark, ck.Name, ck.Detail)
				}
				if res.OK() {
					fmt.Fprintf(w, "Source %s sees %d users and %d groups in scope.\n", s.Name, res.Users, res.Groups)
				}
			}
			if !res.OK() {
				return &exitErr{exitError, fmt.Errorf("source %s: a check failed", s.Name)}
			}
			return nil
		},
	}
	a.addOutputFlag(test)
	c.AddCommand(test)
	return c
}
