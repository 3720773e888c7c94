package scim

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/go-hclog"

	"github.com/dirsync/dirsync/store"
)

// env is a SCIM endpoint over a real SQLite store, served over real HTTP.
type env struct {
	t      *testing.T
	store  *store.Store
	srv    *httptest.Server
	tokens map[string]string
}

func newEnv(t *testing.T, integrations ...Integration) *env {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "dirsync.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if len(integrations) == 0 {
		integrations = []Integration{{Name: "okta"}, {Name: "entra"}}
	}
	e := &env{t: t, store: st, tokens: map[string]string{}}
	for _, in := range integrations {
		err := st.Update(ctx, store.Actor{Channel: store.ChannelCLI, Who: "test"}, func(tx *store.Tx) error {
			tok, err := tx.CreateToken(ctx, in.Name, "scim")
			e.tokens[in.Name] = tok
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	h, err := New(st, hclog.NewNullLogger(), integrations, Options{MaxBodyBytes: 64 << 10, MaxCount: 50})
	if err != nil {
		t.Fatal(err)
	}
	e.srv = httptest.NewServer(h)
	t.Cleanup(e.srv.Close)
	return e
}

// resp is a decoded response.
type resp struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

// call sends one request as integration in (its own token) and decodes the
// answer. Paths are relative to /scim/{in}/v2.
func (e *env) call(in, method, path, body string, hdr ...string) resp {
	e.t.Helper()
	return e.callToken(in, e.tokens[in], method, path, body, hdr...)
}

func (e *env) callToken(in, token, method, path, body string, hdr ...string) resp {
	e.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	u := e.srv.URL + "/scim/" + in + "/v2" + path
	req, err := http.NewRequest(method, u, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/scim+json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	r := resp{status: res.StatusCode, header: res.Header, raw: string(raw)}
	if len(raw) > 0 {
		if ct := res.Header.Get("Content-Type"); ct != "application/scim+json" {
			e.t.Fatalf("%s %s: Content-Type %q", method, path, ct)
		}
		if err := json.Unmarshal(raw, &r.body); err != nil {
			e.t.Fatalf("%s %s: response is not a JSON object: %s", method, path, raw)
		}
	}
	return r
}

// want fails unless the response has the status.
func (r resp) want(t *testing.T, status int) resp {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d; body %s", r.status, status, r.raw)
	}
	return r
}

// wantError checks a SCIM error body: status as a string, and scimType.
func (r resp) wantError(t *testing.T, status int, scimType string) {
	t.Helper()
	r.want(t, status)
	if r.body["status"] != itoa(status) {
		t.Fatalf("error status field = %#v, want %q", r.body["status"], itoa(status))
	}
	if s, _ := r.body["schemas"].([]any); len(s) != 1 || s[0] != URNError {
		t.Fatalf("error schemas = %v", r.body["schemas"])
	}
	if got, _ := r.body["scimType"].(string); got != scimType {
		t.Fatalf("scimType = %q, want %q; body %s", got, scimType, r.raw)
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

// q builds a query string.
func q(kv ...string) string {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return "?" + v.Encode()
}

func (r resp) str(key string) string { s, _ := r.body[key].(string); return s }

func (r resp) resources() []map[string]any {
	list, _ := r.body["Resources"].([]any)
	out := make([]map[string]any, len(list))
	for i, el := range list {
		out[i], _ = el.(map[string]any)
	}
	return out
}

// wantList checks a ListResponse's integer counters.
func (r resp) wantList(t *testing.T, total, itemsPerPage int) {
	t.Helper()
	r.want(t, http.StatusOK)
	if r.body["totalResults"] != float64(total) || r.body["itemsPerPage"] != float64(itemsPerPage) {
		t.Fatalf("totalResults/itemsPerPage = %v/%v, want %d/%d; body %s",
			r.body["totalResults"], r.body["itemsPerPage"], total, itemsPerPage, r.raw)
	}
	if _, ok := r.body["Resources"].([]any); !ok {
		t.Fatalf("Resources is not an array: %s", r.raw)
	}
	if !strings.Contains(r.raw, `"totalResults":`+itoa(total)) {
		t.Fatalf("totalResults is not a JSON integer: %s", r.raw)
	}
}

func (e *env) members(groupID string) []string {
	e.t.Helper()
	var ids []string
	err := e.store.View(context.Background(), func(tx *store.Tx) (err error) {
		ids, err = tx.GroupMembers(context.Background(), groupID)
		return err
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return ids
}

func (e *env) user(id string) *store.User {
	e.t.Helper()
	var u *store.User
	err := e.store.View(context.Background(), func(tx *store.Tx) (err error) {
		u, err = tx.GetUser(context.Background(), id)
		return err
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return u
}
