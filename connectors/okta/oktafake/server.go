package oktafake

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"time"
)

// Handler serves the org's API: every response carries Content-Type
// application/json, Date, X-Okta-Request-Id and the X-Rate-Limit-* headers,
// and listings paginate with separate `Link: <...>; rel="self"` and
// `Link: <...>; rel="next"` header lines, as Okta sends them.
func (o *Org) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/users", o.scoped(ScopeUsersRead, o.listUsers))
	mux.HandleFunc("GET /api/v1/users/{id}", o.scoped(ScopeUsersRead, o.getUser))
	mux.HandleFunc("GET /api/v1/groups", o.scoped(ScopeGroupsRead, o.listGroups))
	mux.HandleFunc("GET /api/v1/groups/{id}", o.scoped(ScopeGroupsRead, o.getGroup))
	mux.HandleFunc("GET /api/v1/groups/{id}/users", o.scoped(ScopeGroupsRead, o.listGroupUsers))
	mux.HandleFunc("GET /api/v1/apps/{id}", o.scoped(ScopeAppsRead, o.getApp))
	mux.HandleFunc("GET /api/v1/apps/{id}/users", o.scoped(ScopeAppsRead, o.listAppUsers))
	mux.HandleFunc("GET /api/v1/apps/{id}/groups", o.scoped(ScopeAppsRead, o.listAppGroups))
	mux.HandleFunc("POST "+tokenPath, o.serveToken)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "E0000022", "The endpoint does not support the provided HTTP method")
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		o.serve(mux, w, r)
	})
}

var requestSeq atomic.Int64

func (o *Org) serve(mux http.Handler, w http.ResponseWriter, r *http.Request) {
	o.counts.add(r.URL.Path)
	fault, delay := o.faults.next(r.URL.Path)
	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return
		}
	}
	now := o.now()
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Date", now.Format(http.TimeFormat))
	h.Set("X-Okta-Request-Id", fmt.Sprintf("fake-%d", requestSeq.Add(1)))

	limit, remaining, reset, ok := o.limits.take(r.URL.Path, now)
	h.Set("X-Rate-Limit-Limit", strconv.Itoa(limit))
	h.Set("X-Rate-Limit-Remaining", strconv.Itoa(remaining))
	h.Set("X-Rate-Limit-Reset", strconv.FormatInt(epochCeil(reset), 10))
	switch {
	case fault != nil && fault.Close:
		closeConn(w)
	case fault != nil && fault.Truncate:
		truncate(mux, w, r)
	case fault != nil && fault.Status == http.StatusTooManyRequests:
		h.Set("X-Rate-Limit-Remaining", "0")
		h.Set("X-Rate-Limit-Reset", strconv.FormatInt(now.Unix(), 10))
		writeError(w, http.StatusTooManyRequests, "E0000047", "API call exceeded rate limit due to too many requests.")
	case fault != nil:
		writeError(w, fault.Status, "E0000009", "Internal Server Error")
	case !ok:
		writeError(w, http.StatusTooManyRequests, "E0000047", "API call exceeded rate limit due to too many requests.")
	default:
		mux.ServeHTTP(w, r)
	}
}

func epochCeil(t time.Time) int64 {
	if t.Truncate(time.Second).Equal(t) {
		return t.Unix()
	}
	return t.Unix() + 1
}

func closeConn(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, _, err := hj.Hijack()
	if err == nil {
		_ = conn.Close()
	}
}

// truncate renders the real response, announces its full length, sends half
// of it and aborts, so the client sees an unexpected EOF mid-body.
func truncate(mux http.Handler, w http.ResponseWriter, r *http.Request) {
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, r)
	body := rec.Body.Bytes()
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(rec.Code)
	_, _ = w.Write(body[:len(body)/2])
	if f, ok := w.(http.Flusher); ok {
		f.Flush()
	}
	panic(http.ErrAbortHandler)
}

func (o *Org) scoped(scope string, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if o.authorize(w, r, scope) {
			h(w, r)
		}
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "E0000009", "Internal Server Error")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// writeError sends Okta's error body.
func writeError(w http.ResponseWriter, status int, code, summary string) {
	writeJSON(w, status, map[string]any{"errorCode": code, "errorSummary": summary,
		"errorLink": code, "errorId": fmt.Sprintf("oaefake%d", requestSeq.Load()), "errorCauses": []any{}})
}

func baseURL(r *http.Request) string {
	if r.TLS != nil {
		return "https://" + r.Host
	}
	return "http://" + r.Host
}

// Server is the org listening on a real address, for demos and manual runs.
type Server struct {
	// URL is the org URL to configure the connector with.
	URL string
	srv *http.Server
}

// Start listens on addr (e.g. "127.0.0.1:0") and serves the org until Close.
func (o *Org) Start(addr string) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", addr, err)
	}
	s := &Server{URL: "http://" + ln.Addr().String(), srv: &http.Server{
		Handler: o.Handler(), ReadHeaderTimeout: 10 * time.Second}}
	go func() { _ = s.srv.Serve(ln) }()
	return s, nil
}

// Close stops the server at once.
func (s *Server) Close() error { return s.srv.Close() }

// Serve listens on addr and serves the org until ctx is done.
func (o *Org) Serve(ctx context.Context, addr string) error {
	s, err := o.Start(addr)
	if err != nil {
		return err
	}
	<-ctx.Done()
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.srv.Shutdown(shutdown); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("shut down fake okta: %w", err)
	}
	return nil
}
