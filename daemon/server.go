package daemon

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/dirsync/dirsync/config"
)

// Server timeouts. A slow or stalled client must not hold a connection (and
// a goroutine) forever; SCIM requests are small and quick.
const (
	readHeaderTimeout = 10 * time.Second
	readTimeout       = 30 * time.Second
	writeTimeout      = 60 * time.Second
	idleTimeout       = 120 * time.Second
	maxHeaderBytes    = 64 << 10
	// pingTimeout bounds the database check of /readyz and the watchdog.
	pingTimeout = 5 * time.Second
)

func newServer(h http.Handler, log hclog.Logger) *http.Server {
	return &http.Server{
		Handler: h, ReadHeaderTimeout: readHeaderTimeout, ReadTimeout: readTimeout,
		WriteTimeout: writeTimeout, IdleTimeout: idleTimeout, MaxHeaderBytes: maxHeaderBytes,
		ErrorLog: log.StandardLogger(&hclog.StandardLoggerOptions{InferLevels: true}),
	}
}

// certStore holds the SCIM listener's certificate; Reload re-reads the
// files, so a renewed certificate is picked up with SIGHUP.
type certStore struct {
	cert atomic.Pointer[tls.Certificate]
}

func (c *certStore) load(s *config.SCIM) error {
	if s == nil || s.TLSCertFile == "" {
		c.cert.Store(nil)
		return nil
	}
	cert, err := tls.LoadX509KeyPair(s.TLSCertFile, s.TLSKeyFile)
	if err != nil {
		return fmt.Errorf("scim: tls_cert_file/tls_key_file: %w", err)
	}
	c.cert.Store(&cert)
	return nil
}

func (c *certStore) enabled() bool { return c.cert.Load() != nil }

// tlsConfig is TLS 1.2+ with Go's default (modern) cipher suites.
func (c *certStore) tlsConfig() *tls.Config {
	return &tls.Config{
		MinVersion: tls.VersionTLS12,
		GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
			return c.cert.Load(), nil
		},
	}
}

// scimMux serves SCIM at "/" behind the metrics middleware.
func (d *Daemon) scimMux() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/", d.SCIMMiddleware(&d.scim))
	return mux
}

// adminMux serves the admin endpoints. Metrics and status are not for the
// internet: the admin listener defaults to loopback.
func (d *Daemon) adminMux() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /healthz", jsonHandler(func(*http.Request) (any, int, error) {
		return map[string]string{"status": "ok"}, http.StatusOK, nil
	}))
	mux.Handle("GET /readyz", jsonHandler(func(r *http.Request) (any, int, error) {
		rd := d.Readiness(r.Context())
		if !rd.Ready || !rd.Healthy {
			return rd, http.StatusServiceUnavailable, nil
		}
		return rd, http.StatusOK, nil
	}))
	mux.Handle("GET /status", jsonHandler(func(*http.Request) (any, int, error) {
		return d.Status(), http.StatusOK, nil
	}))
	mux.Handle("GET /metrics", promhttp.HandlerFor(d.reg, promhttp.HandlerOpts{
		ErrorLog: d.log.StandardLogger(&hclog.StandardLoggerOptions{ForceLevel: hclog.Warn}),
	}))
	return mux
}

// jsonHandler turns (value, status, error) into a JSON response, so that
// every endpoint answers errors the same way.
func jsonHandler(fn func(*http.Request) (any, int, error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v, code, err := fn(r)
		if err != nil {
			v, code = map[string]string{"error": err.Error()}, http.StatusInternalServerError
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(code)
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		_ = enc.Encode(v)
	})
}

// Readiness is the JSON of GET /readyz.
type Readiness struct {
	// Ready is false when the database does not answer or no configuration
	// is loaded: the daemon cannot serve.
	Ready bool `json:"ready"`
	// Healthy is false while any source alert fires.
	Healthy bool `json:"healthy"`
	// Database is "ok" or why the ping failed.
	Database string `json:"database"`
	// Config is the loaded configuration file.
	Config string  `json:"config,omitempty"`
	Alerts []Alert `json:"alerts,omitempty"`
}

// Readiness checks the database and collects every firing alert. /readyz
// answers 503 unless both Ready and Healthy hold.
func (d *Daemon) Readiness(ctx context.Context) *Readiness {
	rd := &Readiness{Ready: true, Healthy: true, Database: "ok"}
	ctx, cancel := context.WithTimeout(ctx, pingTimeout)
	defer cancel()
	if err := d.store.Ping(ctx); err != nil {
		rd.Ready, rd.Database = false, err.Error()
	}
	st := d.Status()
	d.mu.Lock()
	if d.cfg == nil {
		rd.Ready = false
	} else {
		rd.Config = d.cfg.Path
	}
	d.mu.Unlock()
	for _, s := range st.Sources {
		rd.Alerts = append(rd.Alerts, s.Alerts...)
	}
	rd.Healthy = len(rd.Alerts) == 0
	return rd
}

// serve runs srv on ln until Shutdown, with TLS when tlsCfg is set; a
// clean stop is nil.
func serve(srv *http.Server, ln net.Listener, tlsCfg *tls.Config) error {
	var err error
	if tlsCfg != nil {
		srv.TLSConfig = tlsCfg
		err = srv.ServeTLS(ln, "", "")
	} else {
		err = srv.Serve(ln)
	}
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}
