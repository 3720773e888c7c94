package daemon

import (
	"errors"
	"net/http"

	"github.com/hashicorp/go-hclog"

	"github.com/dirsync/dirsync/config"
)

// ErrStopping is returned by Reload once shutdown has begun.
var ErrStopping = errors.New("daemon is shutting down")

// Reload applies a new configuration that the caller has already loaded
// and validated (on SIGHUP; keep the old one when the new one is bad).
// Listeners and their connections stay; schedules, sources, log level,
// safety limits (passed to each sync) and the TLS certificate are replaced.
// A running sync finishes with the configuration it started with. scim and
// alerts, when not nil, replace the SCIM handler (rebuild it from cfg so new
// integrations are served) and the alert settings.
//
// A changed listen address or TLS on/off needs a restart; Reload logs that
// and keeps serving on the old one.
func (d *Daemon) Reload(cfg *config.Config, scim http.Handler, alerts *AlertConfig) error {
	if cfg == nil {
		return errors.New("reload: config is required")
	}
	d.reloadMu.Lock()
	defer d.reloadMu.Unlock()
	var newAlerts AlertConfig
	if alerts != nil {
		var err error
		if newAlerts, err = alerts.withDefaults(); err != nil {
			return err
		}
	}
	var certs certStore
	if err := certs.load(cfg.SCIM); err != nil {
		return err
	}
	if certs.enabled() != d.certs.enabled() {
		d.log.Warn("scim tls was switched on or off; restart dirsync to apply it")
	} else if certs.enabled() {
		d.certs.cert.Store(certs.cert.Load())
	}

	d.mu.Lock()
	if d.stopping {
		d.mu.Unlock()
		return ErrStopping
	}
	old := d.cfg
	d.cfg = cfg
	if alerts != nil {
		d.alerts = newAlerts
	}
	var removed []string
	for name, st := range d.sources {
		if cfg.Source(name) == nil && !st.running {
			delete(d.sources, name)
			removed = append(removed, name)
		}
	}
	sched := d.sched
	d.mu.Unlock()

	if old.SCIM.Listen != cfg.SCIM.Listen {
		d.log.Warn("scim listen address changed; restart dirsync to apply it", "old", old.SCIM.Listen,
			"new", cfg.SCIM.Listen)
	}
	if old.Admin.Listen != cfg.Admin.Listen {
		d.log.Warn("admin listen address changed; restart dirsync to apply it", "old", old.Admin.Listen,
			"new", cfg.Admin.Listen)
	}
	d.root.SetLevel(hclog.LevelFromString(cfg.LogLevel))
	if scim != nil {
		d.scim.set(scim)
	}
	d.scim.setIntegrations(cfg)
	for _, name := range removed {
		d.metrics.forget(name)
	}

	// Restart the schedules only when Run started them; before Run, the new
	// configuration is simply what Run will use.
	if sched != nil {
		sched.stop()
		d.mu.Lock()
		if !d.stopping {
			d.sched = d.startSchedules(cfg)
		}
		d.mu.Unlock()
	}
	d.checkAlerts()
	d.log.Info("configuration reloaded", "sources", len(cfg.Sources))
	return nil
}
