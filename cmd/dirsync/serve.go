package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/hashicorp/go-hclog"
	"github.com/spf13/cobra"

	"github.com/dirsync/dirsync/config"
	"github.com/dirsync/dirsync/connectors/scim"
	"github.com/dirsync/dirsync/daemon"
	"github.com/dirsync/dirsync/reconcile"
	"github.com/dirsync/dirsync/store"
)

func (a *app) serveCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "serve",
		Short: "Run the daemon: SCIM endpoint, admin endpoints and scheduled pulls",
		Long: `Serve the SCIM 2.0 endpoint of every integration and the admin listener
(/healthz, /readyz, /metrics, /status), and run each pulling source on its
schedules. Under systemd it notifies READY, STOPPING and the watchdog.

Signals: SIGTERM or SIGINT stop gracefully (stop accepting, let a running
apply commit or roll back, close the database); SIGHUP reloads the
configuration, and keeps the running one when the new file is invalid.`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := a.loadConfig()
			if err != nil {
				return err
			}
			return a.serve(cmd.Context(), cfg, nil)
		},
	}
}

// errStopAfterReady, returned by a ready callback, ends serve without running
// the daemon (demo --once).
var errStopAfterReady = errors.New("stop after ready")

// serve runs the daemon until ctx is done. ready, when set, is called with
// the daemon once its listeners are bound (the demo prints their addresses).
func (a *app) serve(ctx context.Context, cfg *config.Config, ready func(*daemon.Daemon, *store.Store, hclog.Logger) error) error {
	log := a.logger(cfg)
	st, err := a.openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	handler, err := scimHandler(st, log, cfg)
	if err != nil {
		return err
	}
	eng := &reconcile.Engine{Store: st, Logger: log}
	d, err := daemon.New(daemon.Options{
		Config: cfg, Store: st, Logger: log, SCIM: handler, Alerts: alertConfig(cfg),
		Sync: func(ctx context.Context, cfg *config.Config, s *config.Source, full bool) (*reconcile.Report, error) {
			return syncSource(ctx, eng, cfg, s, log, full, false, false)
		},
	})
	if err != nil {
		return err
	}
	eng.Observe = d.Observe
	if err := d.Listen(); err != nil {
		return err
	}
	if ready != nil {
		if err := ready(d, st, log); errors.Is(err, errStopAfterReady) {
			return nil
		} else if err != nil {
			return err
		}
	}
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case <-hup:
				a.reload(d, st, log)
			}
		}
	}()
	log.Info("dirsync serving", "scim", d.SCIMAddr(), "admin", d.AdminAddr(), "sources", len(cfg.Sources))
	return d.Run(ctx)
}

// reload loads and validates the configuration again; a bad file is logged
// and the running configuration stays.
func (a *app) reload(d *daemon.Daemon, st *store.Store, log hclog.Logger) {
	cfg, err := a.loadConfig()
	if err != nil {
		log.Error("reload failed; keeping the running configuration", "error", err)
		return
	}
	handler, err := scimHandler(st, log, cfg)
	if err != nil {
		log.Error("reload failed; keeping the running configuration", "error", err)
		return
	}
	alerts := alertConfig(cfg)
	if err := d.Reload(cfg, handler, &alerts); err != nil {
		log.Error("reload failed; keeping the running configuration", "error", err)
		return
	}
	log.Info("configuration reloaded", "path", cfg.Path, "sources", len(cfg.Sources))
}

func scimHandler(st *store.Store, log hclog.Logger, cfg *config.Config) (*scim.Server, error) {
	var ins []scim.Integration
	for _, s := range cfg.Sources {
		ins = append(ins, scim.Integration{Name: s.Name, OnDelete: s.OnDelete})
	}
	h, err := scim.New(st, log.Named("scim"), ins, scim.Options{MaxBodyBytes: cfg.SCIM.MaxBodyBytes,
		PublicURL: cfg.SCIM.PublicURL})
	if err != nil {
		return nil, fmt.Errorf("scim: %w", err)
	}
	return h, nil
}
