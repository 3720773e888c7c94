// Package daemon is what `dirsync serve` runs: the SCIM and admin listeners,
// the per-source pull schedules, metrics, alerts, systemd notifications,
// configuration reload and an orderly shutdown.
//
// Everything it needs is injected through Options (the store, the function
// that runs one sync, the SCIM handler, a clock), so that tests drive a real
// daemon on 127.0.0.1:0 with a fake sync and no IdP. The daemon never runs two
// syncs of one source at once, keeps serving SCIM while a sync runs, and on
// shutdown lets a running sync commit or roll back before it returns.
package daemon

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/dirsync/dirsync/config"
	"github.com/dirsync/dirsync/reconcile"
	"github.com/dirsync/dirsync/store"
)

// SyncFunc runs one sync of one source (full or incremental) and returns its
// report. The report may be nil only when err is not.
type SyncFunc func(ctx context.Context, cfg *config.Config, source *config.Source, full bool) (*reconcile.Report, error)

// Defaults for the zero values of Options and AlertConfig.
const (
	DefaultShutdownTimeout = 10 * time.Second
	DefaultSyncGrace       = 60 * time.Second
	DefaultAfterFailures   = 3
	DefaultNoSuccessFor    = 24 * time.Hour
)

// Options are a daemon's dependencies and limits.
type Options struct {
	// Config is a loaded, validated configuration.
	Config *config.Config
	// Store answers readiness pings and seeds each source's last runs.
	Store *store.Store
	// Logger is the root logger; the daemon logs as Named("daemon") and sets
	// the root's level on Reload.
	Logger hclog.Logger
	// Sync runs one sync; the scheduler calls it.
	Sync SyncFunc
	// SCIM is mounted at "/" on the SCIM listener, behind the metrics
	// middleware. Nil serves 404 for everything.
	SCIM http.Handler
	// Registry receives the daemon's metrics (and Go and process metrics,
	// unless already there); New creates one when nil. The global default
	// registry is never used.
	Registry *prometheus.Registry
	// Now defaults to time.Now.
	Now func() time.Time
	// HTTPClient posts alert webhooks; default: a client with a 10s timeout.
	HTTPClient *http.Client
	// Alerts says when a source is unhealthy and where to post about it.
	Alerts AlertConfig
	// ShutdownTimeout bounds how long the listeners drain requests on
	// shutdown. Default DefaultShutdownTimeout.
	ShutdownTimeout time.Duration
	// SyncGrace is how long shutdown waits for a running sync to finish
	// before cancelling its context. Default DefaultSyncGrace.
	SyncGrace time.Duration
}

// AlertConfig says when a source is alerted on. The zero value takes the
// defaults and posts nowhere.
type AlertConfig struct {
	// WebhookURL, when set, receives each alert (firing and resolved) as a
	// JSON POST (see Alert).
	WebhookURL string
	// AfterFailures alerts when this many applying runs in a row failed.
	// Default DefaultAfterFailures.
	AfterFailures int
	// NoSuccessFor alerts when a scheduled source has not succeeded for this
	// long. Default DefaultNoSuccessFor.
	NoSuccessFor time.Duration
}

func (a AlertConfig) withDefaults() (AlertConfig, error) {
	var errs []error
	if a.WebhookURL != "" {
		u, err := url.Parse(a.WebhookURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, fmt.Errorf("alerts: webhook_url: %q is not an http(s) URL", a.WebhookURL))
		}
	}
	if a.AfterFailures < 0 {
		errs = append(errs, fmt.Errorf("alerts: after_failures: must be 1 or more, got %d", a.AfterFailures))
	}
	if a.NoSuccessFor < 0 {
		errs = append(errs, fmt.Errorf("alerts: no_success_for: must be positive, got %s", a.NoSuccessFor))
	}
	if a.AfterFailures == 0 {
		a.AfterFailures = DefaultAfterFailures
	}
	if a.NoSuccessFor == 0 {
		a.NoSuccessFor = DefaultNoSuccessFor
	}
	return a, errors.Join(errs...)
}

// Daemon is a running `dirsync serve`. Build it with New, then call Run.
type Daemon struct {
	root    hclog.Logger
	log     hclog.Logger
	store   *store.Store
	sync    SyncFunc
	now     func() time.Time
	client  *http.Client
	reg     *prometheus.Registry
	metrics *metrics
	opts    Options
	started time.Time

	// reloadMu serialises Reloads.
	reloadMu sync.Mutex
	// mu guards everything below it.
	mu        sync.Mutex
	cfg       *config.Config
	alerts    AlertConfig
	sources   map[string]*sourceState
	sched     *scheduler
	stopping  bool
	listening bool

	scim     scimHandler
	certs    certStore
	scimLn   net.Listener
	adminLn  net.Listener
	scimSrv  *http.Server
	adminSrv *http.Server

	// runCtx is the context of every sync. It is cancelled only after the
	// shutdown grace period, so a sync is never cut off mid-apply by a
	// signal.
	runCtx     context.Context
	cancelRuns context.CancelFunc
	runs       sync.WaitGroup
	hooks      sync.WaitGroup
}

// New checks opts and builds a daemon; it binds nothing yet.
func New(opts Options) (*Daemon, error) {
	var errs []error
	if opts.Config == nil {
		errs = append(errs, errors.New("daemon: config is required"))
	}
	if opts.Store == nil {
		errs = append(errs, errors.New("daemon: store is required"))
	}
	if opts.Sync == nil {
		errs = append(errs, errors.New("daemon: sync function is required"))
	}
	alerts, err := opts.Alerts.withDefaults()
	if err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if opts.Logger == nil {
		opts.Logger = hclog.NewNullLogger()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Registry == nil {
		opts.Registry = prometheus.NewRegistry()
	}
	if opts.HTTPClient == nil {
		opts.HTTPClient = &http.Client{Timeout: webhookTimeout}
	}
	if opts.ShutdownTimeout <= 0 {
		opts.ShutdownTimeout = DefaultShutdownTimeout
	}
	if opts.SyncGrace <= 0 {
		opts.SyncGrace = DefaultSyncGrace
	}
	m, err := newMetrics(opts.Registry)
	if err != nil {
		return nil, err
	}
	d := &Daemon{
		root: opts.Logger, log: opts.Logger.Named("daemon"), store: opts.Store, sync: opts.Sync,
		now: opts.Now, client: opts.HTTPClient, reg: opts.Registry, metrics: m, opts: opts,
		cfg: opts.Config, alerts: alerts, sources: map[string]*sourceState{},
	}
	d.started = d.now()
	d.runCtx, d.cancelRuns = context.WithCancel(context.Background())
	d.scim.set(opts.SCIM)
	d.scim.setIntegrations(opts.Config)
	if err := d.certs.load(opts.Config.SCIM); err != nil {
		return nil, err
	}
	return d, nil
}

// Registry is the registry the daemon's metrics are registered on.
func (d *Daemon) Registry() *prometheus.Registry { return d.reg }

// SCIMAddr is the bound SCIM address ("" before Listen), e.g. for port 0.
func (d *Daemon) SCIMAddr() string { return addrOf(d.scimLn) }

// AdminAddr is the bound admin address ("" before Listen).
func (d *Daemon) AdminAddr() string { return addrOf(d.adminLn) }

func addrOf(ln net.Listener) string {
	if ln == nil {
		return ""
	}
	return ln.Addr().String()
}

// Listen binds the SCIM and admin listeners. Run calls it when the caller
// has not, so a caller that needs the addresses first (port 0) calls it
// before Run. It is not safe to call concurrently with itself.
func (d *Daemon) Listen() error {
	d.mu.Lock()
	cfg, listening := d.cfg, d.listening
	d.mu.Unlock()
	if listening {
		return nil
	}
	scimLn, err := net.Listen("tcp", cfg.SCIM.Listen)
	if err != nil {
		return fmt.Errorf("scim: listen on %s: %w", cfg.SCIM.Listen, err)
	}
	adminLn, err := net.Listen("tcp", cfg.Admin.Listen)
	if err != nil {
		scimLn.Close()
		return fmt.Errorf("admin: listen on %s: %w", cfg.Admin.Listen, err)
	}
	d.mu.Lock()
	d.scimLn, d.adminLn, d.listening = scimLn, adminLn, true
	d.mu.Unlock()
	return nil
}
