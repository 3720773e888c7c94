package scim

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/hashicorp/go-hclog"
)

// ServeConfig is where and how the endpoint listens.
type ServeConfig struct {
	// Addr is the listen address, e.g. "127.0.0.1:8443".
	Addr string
	// TLSCertFile and TLSKeyFile enable TLS when both are set. Without them
	// the endpoint speaks plain HTTP and belongs behind a TLS proxy.
	TLSCertFile, TLSKeyFile string
	// ShutdownTimeout bounds the graceful drain on cancel. Default 10s.
	ShutdownTimeout time.Duration
}

// NewHTTPServer wraps h in an http.Server with timeouts that a slow or
// hostile client cannot hold open (slowloris), and, when TLS is used, a
// TLS 1.2+ configuration with Go's modern cipher suites.
func NewHTTPServer(h http.Handler, addr string, logger hclog.Logger) *http.Server {
	return &http.Server{
		Addr:              addr,
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		TLSConfig:         &tls.Config{MinVersion: tls.VersionTLS12},
		ErrorLog:          logger.StandardLogger(&hclog.StandardLoggerOptions{InferLevels: true}),
	}
}

// ListenAndServe listens on cfg.Addr and serves h until ctx is canceled,
// then shuts down gracefully. It returns nil after a clean shutdown.
func ListenAndServe(ctx context.Context, h http.Handler, cfg ServeConfig, logger hclog.Logger) error {
	if (cfg.TLSCertFile == "") != (cfg.TLSKeyFile == "") {
		return errors.New("tls: set both the certificate and the key file, or neither")
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	return Serve(ctx, ln, h, cfg, logger)
}

// Serve is ListenAndServe on an existing listener (tests pass 127.0.0.1:0).
func Serve(ctx context.Context, ln net.Listener, h http.Handler, cfg ServeConfig, logger hclog.Logger) error {
	srv := NewHTTPServer(h, ln.Addr().String(), logger)
	if cfg.TLSCertFile != "" {
		cert, err := tls.LoadX509KeyPair(cfg.TLSCertFile, cfg.TLSKeyFile)
		if err != nil {
			ln.Close()
			return fmt.Errorf("tls: load certificate: %w", err)
		}
		srv.TLSConfig.Certificates = []tls.Certificate{cert}
		ln = tls.NewListener(ln, srv.TLSConfig)
	}
	timeout := cfg.ShutdownTimeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	done := make(chan error, 1)
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		done <- srv.Shutdown(sctx)
	}()
	logger.Info("scim endpoint listening", "addr", ln.Addr().String(), "tls", cfg.TLSCertFile != "")
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve scim: %w", err)
	}
	if err := <-done; err != nil {
		return fmt.Errorf("shut down scim: %w", err)
	}
	return nil
}
