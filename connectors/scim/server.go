package scim

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/hashicorp/go-hclog"

	"github.com/dirsync/dirsync/connectors/scim/filter"
	"github.com/dirsync/dirsync/store"
)

// On-delete policies for DELETE /Users/{id}.
const (
	OnDeleteDelete     = "delete"
	OnDeleteDeactivate = "deactivate"
)

// Integration is one configured source that may push through SCIM; its name
// is the {integration} URL segment and the owner of what it creates.
type Integration struct {
	Name string
	// OnDelete is OnDeleteDelete (the default when empty) or
	// OnDeleteDeactivate, which keeps the user and sets active=false.
	OnDelete string
}

// Options tune the endpoint; zero fields take the defaults below.
type Options struct {
	// MaxBodyBytes caps a request body (413 beyond it). Default 1 MiB.
	MaxBodyBytes int64
	// DefaultCount is the page size when a list request has no count.
	// Default 100, which is what Okta asks for.
	DefaultCount int
	// MaxCount caps count; larger requests get MaxCount results (RFC 7644
	// §3.4.2.4 lets a server return fewer). Default 500.
	MaxCount int
	// Filter caps filter length and nesting.
	Filter filter.Limits
	// PublicURL is the base URL the IdPs reach the endpoint at (config
	// scim.public_url). meta.location and $ref are built from it; without it,
	// from the request, which behind a TLS-terminating proxy says http.
	PublicURL string
}

func (o Options) withDefaults() Options {
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = 1 << 20
	}
	if o.MaxCount <= 0 {
		o.MaxCount = 500
	}
	if o.DefaultCount <= 0 {
		o.DefaultCount = min(100, o.MaxCount)
	}
	return o
}

// Server is the SCIM endpoint of every configured integration, mounted at
// /scim/{integration}/v2/. It is an http.Handler.
type Server struct {
	store        *store.Store
	logger       hclog.Logger
	integrations map[string]Integration
	opts         Options
	users        *resourceType
	groups       *resourceType
	mux          *http.ServeMux
}

var _ http.Handler = (*Server)(nil)

// New builds the endpoint for integrations over st. Every problem with the
// integrations is reported at once.
func New(st *store.Store, logger hclog.Logger, integrations []Integration, opts Options) (*Server, error) {
	s := &Server{store: st, logger: logger.Named("scim"), integrations: map[string]Integration{},
		opts: opts.withDefaults(), users: newUserType(), groups: newGroupType(), mux: http.NewServeMux()}
	var errs []error
	for _, in := range integrations {
		switch {
		case in.Name == "" || strings.ContainsAny(in.Name, "/?#% "):
			errs = append(errs, fmt.Errorf("integration %q: name must be a non-empty URL path segment", in.Name))
			continue
		case in.OnDelete == "":
			in.OnDelete = OnDeleteDelete
		case in.OnDelete != OnDeleteDelete && in.OnDelete != OnDeleteDeactivate:
			errs = append(errs, fmt.Errorf("integration %q: on_delete: must be %q or %q, got %q",
				in.Name, OnDeleteDelete, OnDeleteDeactivate, in.OnDelete))
			continue
		}
		if _, dup := s.integrations[in.Name]; dup {
			errs = append(errs, fmt.Errorf("integration %q: configured twice", in.Name))
		}
		s.integrations[in.Name] = in
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	const p = "/scim/{integration}/v2"
	s.mux.Handle(p+"/Users", s.wrap(s.users, s.collection))
	s.mux.Handle(p+"/Users/{id}", s.wrap(s.users, s.item))
	s.mux.Handle(p+"/Groups", s.wrap(s.groups, s.collection))
	s.mux.Handle(p+"/Groups/{id}", s.wrap(s.groups, s.item))
	s.mux.Handle(p+"/{what}", s.wrap(nil, s.discovery))
	s.mux.Handle(p+"/{what}/{id...}", s.wrap(nil, s.discovery))
	return s, nil
}

// ServeHTTP routes a request; anything outside the SCIM tree is a SCIM 404.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if _, pattern := s.mux.Handler(r); pattern == "" {
		writeError(w, &Error{Status: http.StatusNotFound, Detail: "no such endpoint"})
		return
	}
	s.mux.ServeHTTP(w, r)
}

// request is what every handler knows about the request it serves.
type request struct {
	id          string
	integration Integration
	// base is the integration's endpoint URL, for meta.location and $ref.
	base string
	rt   *resourceType
	body []byte
}

type handlerFunc func(w http.ResponseWriter, r *http.Request, rc *request) error

// wrap authenticates, checks the content type, reads the body under its
// limit, logs, and turns a returned error into a SCIM error response.
func (s *Server) wrap(rt *resourceType, h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rc := &request{id: uuid.NewString(), rt: rt}
		sw := &statusWriter{ResponseWriter: w}
		name := r.PathValue("integration")
		log := s.logger.With("request_id", rc.id, "integration", name, "method", r.Method, "path", r.URL.Path)
		err := s.prepare(r, rc, name)
		if err == nil {
			err = h(sw, r, rc)
		}
		detail := ""
		if err != nil {
			se := toSCIMError(err)
			if se.Status >= 500 {
				log.Error("scim request failed", "error", err)
			}
			writeError(sw, se)
			detail = se.Detail
		}
		log.Debug("scim request", "status", sw.status, "detail", detail, "duration", time.Since(start))
	})
}

func (s *Server) prepare(r *http.Request, rc *request, name string) error {
	in, ok := s.integrations[name]
	tok, hasBearer := bearer(r.Header.Get("Authorization"))
	if !ok || !hasBearer {
		// An unknown integration answers like a bad token: no oracle for
		// which integrations exist.
		return &Error{Status: http.StatusUnauthorized, Detail: "missing or invalid bearer token"}
	}
	valid, err := s.store.VerifyToken(r.Context(), name, tok)
	if err != nil {
		return fmt.Errorf("verify token: %w", err)
	}
	if !valid {
		return &Error{Status: http.StatusUnauthorized, Detail: "missing or invalid bearer token"}
	}
	rc.integration = in
	rc.base = s.baseURL(r, name)
	switch r.Method {
	case http.MethodPost, http.MethodPut, http.MethodPatch:
		mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if err != nil || (mt != "application/scim+json" && mt != "application/json") {
			return &Error{Status: http.StatusUnsupportedMediaType,
				Detail: "Content-Type must be application/scim+json or application/json"}
		}
		body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, s.opts.MaxBodyBytes))
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return &Error{Status: http.StatusRequestEntityTooLarge,
				Detail: fmt.Sprintf("request body is larger than %d bytes", s.opts.MaxBodyBytes)}
		}
		if err != nil {
			return badRequest(TypeInvalidSyntax, "read request body: %v", err)
		}
		rc.body = body
	}
	return nil
}

func bearer(h string) (string, bool) {
	scheme, tok, ok := strings.Cut(strings.TrimSpace(h), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	tok = strings.TrimSpace(tok)
	return tok, tok != ""
}

func (s *Server) baseURL(r *http.Request, integration string) string {
	if s.opts.PublicURL != "" {
		return strings.TrimRight(s.opts.PublicURL, "/") + "/scim/" + integration + "/v2"
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + "/scim/" + integration + "/v2"
}

// toSCIMError maps store sentinels to their SCIM answers; anything else is
// a 500 whose detail does not leak internals.
func toSCIMError(err error) *Error {
	var se *Error
	switch {
	case errors.As(err, &se):
		return se
	case errors.Is(err, store.ErrNotFound):
		return &Error{Status: http.StatusNotFound, Detail: "resource not found"}
	case errors.Is(err, store.ErrConflict):
		return &Error{Status: http.StatusConflict, ScimType: TypeUniqueness, Detail: err.Error()}
	case errors.Is(err, store.ErrPrecondition):
		return &Error{Status: http.StatusPreconditionFailed, Detail: "resource version does not match If-Match"}
	case errors.Is(err, store.ErrInvalidFilter):
		return badRequest(TypeInvalidFilter, "%v", err)
	case errors.Is(err, context.Canceled):
		return &Error{Status: http.StatusServiceUnavailable, Detail: "request canceled"}
	}
	return &Error{Status: http.StatusInternalServerError, Detail: "internal error"}
}

func writeError(w http.ResponseWriter, e *Error) {
	w.Header().Set("Content-Type", "application/scim+json")
	w.WriteHeader(e.Status)
	_ = json.NewEncoder(w).Encode(e)
}

func (s *Server) writeJSON(w http.ResponseWriter, rc *request, status int, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode response: %w", err)
	}
	w.Header().Set("Content-Type", "application/scim+json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
	return nil
}

func methodNotAllowed(w http.ResponseWriter, allow ...string) error {
	w.Header().Set("Allow", strings.Join(allow, ", "))
	return &Error{Status: http.StatusMethodNotAllowed, Detail: "method not allowed; allowed: " + strings.Join(allow, ", ")}
}

// statusWriter remembers the status for the request log.
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

// actor is the store actor of a push request.
func (rc *request) actor() store.Actor {
	return store.Actor{Channel: store.ChannelPush, Integration: rc.integration.Name, RunID: rc.id}
}
