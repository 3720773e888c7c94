package graphfake

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// graphError writes an OData error body the way Graph does.
func graphError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{
		"code":       code,
		"message":    msg,
		"innerError": map[string]any{"request-id": newGUID(), "date": "2026-01-01T00:00:00"},
	}})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	b, err := json.Marshal(v)
	if err != nil {
		graphError(w, http.StatusInternalServerError, "generalException", err.Error())
		return
	}
	w.Write(b)
}

// userProps are the user properties the fake knows, in output order.
var userProps = []string{"id", "userPrincipalName", "mail", "displayName", "givenName", "surname",
	"accountEnabled", "employeeId", "department", "jobTitle", "companyName", "officeLocation", "employeeType"}

// defaultUserProps are what Graph returns for users without $select.
var defaultUserProps = []string{"id", "userPrincipalName", "mail", "displayName", "givenName", "surname", "jobTitle", "officeLocation"}

var groupProps = []string{"id", "displayName"}

// query is the parsed OData options of one request.
type query struct {
	sel          []string // nil: defaults
	expandMgr    bool
	top          int
	skip         string // raw $skiptoken
	filterIDs    []string
	filterPrefix string // startswith(displayName,'x')
	filterEq     string // displayName eq 'x'
}

func parseQuery(r *http.Request, props []string) (query, error) {
	return parseValues(r.URL.Path, r.URL.Query(), props)
}

func parseValues(path string, v url.Values, props []string) (query, error) {
	q := query{top: 100, skip: v.Get("$skiptoken")}
	if s := v.Get("$select"); s != "" {
		for _, p := range strings.Split(s, ",") {
			p = strings.TrimSpace(p)
			if p == "members" && strings.HasPrefix(path, "/v1.0/groups/delta") {
				q.sel = append(q.sel, p)
				continue
			}
			if !contains(props, p) {
				return q, fmt.Errorf("Could not find a property named '%s' on type 'microsoft.graph.directoryObject'.", p)
			}
			q.sel = append(q.sel, p)
		}
	}
	if e := v.Get("$expand"); e != "" {
		if !strings.HasPrefix(e, "manager") {
			return q, fmt.Errorf("Expanding '%s' is not supported.", e)
		}
		q.expandMgr = true
	}
	if t := v.Get("$top"); t != "" {
		n, err := strconv.Atoi(t)
		if err != nil || n < 1 || n > 999 {
			return q, fmt.Errorf("Invalid page size specified: '%s'. Must be between 1 and 999 inclusive.", t)
		}
		q.top = n
	}
	if f := v.Get("$filter"); f != "" {
		if err := q.parseFilter(f); err != nil {
			return q, err
		}
	}
	return q, nil
}

// parseFilter understands the three filters the connector uses:
// id in ('a','b'), startswith(displayName,'x') and displayName eq 'x'.
func (q *query) parseFilter(f string) error {
	switch {
	case strings.HasPrefix(f, "id in (") && strings.HasSuffix(f, ")"):
		for _, s := range strings.Split(f[len("id in ("):len(f)-1], ",") {
			s = strings.Trim(strings.TrimSpace(s), "'")
			q.filterIDs = append(q.filterIDs, s)
		}
		if len(q.filterIDs) > 15 {
			return fmt.Errorf("Too many child clauses specified in search filter expression containing 'OR' operators: %d. Max allowed: 15.", len(q.filterIDs))
		}
	case strings.HasPrefix(f, "startswith(displayName,'") && strings.HasSuffix(f, "')"):
		q.filterPrefix = unquote(f[len("startswith(displayName,'") : len(f)-2])
	case strings.HasPrefix(f, "displayName eq '") && strings.HasSuffix(f, "'"):
		q.filterEq = unquote(f[len("displayName eq '") : len(f)-1])
	default:
		return fmt.Errorf("Unsupported or invalid query filter clause specified for property: %q", f)
	}
	return nil
}

func unquote(s string) string { return strings.ReplaceAll(s, "''", "'") }

func (q *query) props(defaults []string) []string {
	if q.sel == nil {
		return defaults
	}
	if !contains(q.sel, "id") {
		return append([]string{"id"}, q.sel...)
	}
	return q.sel
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// pageToken is the state a $skiptoken carries. Graph's are opaque; ours are
// base64 JSON so that faults can target page N.
type pageToken struct {
	Offset int   `json:"o"`
	Page   int   `json:"p"`
	From   int64 `json:"f,omitempty"` // delta: changes after From, -1 for the initial round
	To     int64 `json:"t,omitempty"` // delta: up to To
	Epoch  int64 `json:"e,omitempty"` // delta: token generation
	// Sel and Exp carry the delta query's $select and $expand, which Graph
	// keeps in its tokens rather than in the links.
	Sel string `json:"s,omitempty"`
	Exp string `json:"x,omitempty"`
}

func (p pageToken) encode() string {
	b, _ := json.Marshal(p)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodePageToken(s string) (pageToken, error) {
	var p pageToken
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return p, err
	}
	return p, json.Unmarshal(b, &p)
}

// pageOf returns the 1-based page number a request asks for.
func pageOf(r *http.Request) int {
	v := r.URL.Query()
	for _, k := range []string{"$skiptoken", "$deltatoken"} {
		if s := v.Get(k); s != "" {
			if p, err := decodePageToken(s); err == nil && p.Page > 0 {
				return p.Page
			}
		}
	}
	return 1
}

// link builds an absolute link to the same path with the request's query
// options and the given token parameter replaced.
func link(r *http.Request, base, param, token string) string {
	v := url.Values{}
	for k, vs := range r.URL.Query() {
		if k == "$skiptoken" || k == "$deltatoken" {
			continue
		}
		v[k] = vs
	}
	v.Set(param, token)
	return base + r.URL.Path + "?" + v.Encode()
}

func baseURL(r *http.Request) string {
	return "http://" + r.Host
}
