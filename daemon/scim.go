package daemon

import (
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/dirsync/dirsync/config"
)

// scimHandler holds the SCIM handler and the integration names, both
// swapped by Reload while requests are being served.
type scimHandler struct {
	h     atomic.Pointer[http.Handler]
	names atomic.Pointer[map[string]bool]
}

var _ http.Handler = (*scimHandler)(nil)

func (s *scimHandler) set(h http.Handler) {
	if h == nil {
		h = http.NotFoundHandler()
	}
	s.h.Store(&h)
}

func (s *scimHandler) setIntegrations(cfg *config.Config) {
	names := map[string]bool{}
	for _, src := range cfg.Sources {
		names[src.Name] = true
	}
	s.names.Store(&names)
}

func (s *scimHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	(*s.h.Load()).ServeHTTP(w, r)
}

// SCIMMiddleware counts and times every request to next by integration,
// route template, method and status. The daemon mounts its SCIM handler
// behind it; it is exported for callers serving SCIM elsewhere (the demo).
func (d *Daemon) SCIMMiddleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		if sw.status == 0 {
			sw.status = http.StatusOK
		}
		integration, route := scimRoute(r.URL.Path, *d.scim.names.Load())
		method := methodLabel(r.Method)
		d.metrics.scimRequests.WithLabelValues(integration, route, method, statusLabel(sw.status)).Inc()
		d.metrics.scimDuration.WithLabelValues(route, method).Observe(time.Since(start).Seconds())
	})
}

// discovery are the SCIM endpoints other than Users and Groups that get a
// route of their own.
var discovery = map[string]bool{"ServiceProviderConfig": true, "Schemas": true, "ResourceTypes": true,
	"Bulk": true, "Me": true, ".search": true}

// scimRoute maps a request path to a route template and an integration
// label. Ids and unknown integration names never become label values: an
// unauthenticated client could otherwise create series at will.
func scimRoute(path string, names map[string]bool) (integration, route string) {
	seg := strings.Split(strings.Trim(path, "/"), "/")
	if len(seg) < 3 || seg[0] != "scim" || seg[2] != "v2" {
		return "none", "other"
	}
	integration = "unknown"
	if names[seg[1]] {
		integration = seg[1]
	}
	const base = "/scim/{integration}/v2"
	rest := seg[3:]
	switch {
	case len(rest) == 0:
		return integration, base
	case len(rest) == 1 && (rest[0] == "Users" || rest[0] == "Groups" || discovery[rest[0]]):
		return integration, base + "/" + rest[0]
	case len(rest) >= 2 && (rest[0] == "Users" || rest[0] == "Groups" || discovery[rest[0]]):
		return integration, base + "/" + rest[0] + "/{id}"
	}
	return integration, base + "/other"
}

func methodLabel(m string) string {
	switch m {
	case http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete,
		http.MethodHead, http.MethodOptions:
		return m
	}
	return "OTHER"
}

// statusWriter remembers the status code a handler sent.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection (flush, deadlines).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
