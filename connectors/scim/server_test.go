package scim

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/hashicorp/go-hclog"

	"github.com/dirsync/dirsync/store"
)

func TestAuth(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name, in, token string
	}{
		{name: "missing token", in: "okta", token: ""},
		{name: "wrong token", in: "okta", token: "dsk_wrong"},
		{name: "other integration's token", in: "okta", token: e.tokens["entra"]},
		{name: "unknown integration", in: "nope", token: e.tokens["okta"]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.callToken(tt.in, tt.token, "GET", "/Users", "")
			r.wantError(t, http.StatusUnauthorized, "")
			// No oracle: the same answer for every failure.
			if r.str("detail") != "missing or invalid bearer token" {
				t.Fatalf("detail = %q", r.str("detail"))
			}
		})
	}
	t.Run("basic scheme", func(t *testing.T) {
		e.callToken("okta", "", "GET", "/Users", "", "Authorization", "Basic "+e.tokens["okta"]).wantError(t, http.StatusUnauthorized, "")
	})
	t.Run("reset kills the old token at once", func(t *testing.T) {
		old := e.tokens["okta"]
		e.call("okta", "GET", "/Users", "").want(t, http.StatusOK)
		err := e.store.Update(context.Background(), store.Actor{Channel: store.ChannelCLI}, func(tx *store.Tx) (err error) {
			e.tokens["okta"], err = tx.ResetToken(context.Background(), "okta", "scim")
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		e.callToken("okta", old, "GET", "/Users", "").wantError(t, http.StatusUnauthorized, "")
		e.call("okta", "GET", "/Users", "").want(t, http.StatusOK)
	})
}

func TestClientErrors(t *testing.T) {
	e := newEnv(t)
	r := e.call("okta", "POST", "/Users", `{"userName":"taken@example.com"}`).want(t, http.StatusCreated)
	id := r.str("id")
	big := `{"userName":"x","title":"` + strings.Repeat("a", 70<<10) + `"}`
	tests := []struct {
		name, method, path, body string
		hdr                      []string
		status                   int
		scimType                 string
	}{
		{"invalid JSON", "POST", "/Users", `{"userName":`, nil, 400, TypeInvalidSyntax},
		{"JSON array", "POST", "/Users", `[]`, nil, 400, TypeInvalidSyntax},
		{"trailing data", "POST", "/Users", `{"userName":"a"} {}`, nil, 400, TypeInvalidSyntax},
		{"missing userName", "POST", "/Users", `{"displayName":"No Name"}`, nil, 400, TypeInvalidValue},
		{"bad active", "POST", "/Users", `{"userName":"b","active":"yes please"}`, nil, 400, TypeInvalidValue},
		{"missing displayName", "POST", "/Groups", `{"members":[]}`, nil, 400, TypeInvalidValue},
		{"bad filter", "GET", "/Users" + q("filter", `userName eq`), "", nil, 400, TypeInvalidFilter},
		{"unevaluable filter", "GET", "/Users" + q("filter", `active gt 3`), "", nil, 400, TypeInvalidFilter},
		{"filter too long", "GET", "/Users" + q("filter", `userName eq "`+strings.Repeat("a", 5000)+`"`), "", nil, 400, TypeInvalidFilter},
		{"filter too deep", "GET", "/Users" + q("filter", strings.Repeat("(", 20)+"a pr"+strings.Repeat(")", 20)), "", nil, 400, TypeInvalidFilter},
		{"bad count", "GET", "/Users" + q("count", "ten"), "", nil, 400, TypeInvalidValue},
		{"bad sortOrder", "GET", "/Users" + q("sortOrder", "up"), "", nil, 400, TypeInvalidValue},
		{"unknown user", "GET", "/Users/nope", "", nil, 404, ""},
		{"unknown group", "PATCH", "/Groups/nope", ops(`[]`), nil, 404, ""},
		{"unknown endpoint", "GET", "/Widgets", "", nil, 404, ""},
		{"duplicate", "POST", "/Users", `{"userName":"TAKEN@example.com"}`, nil, 409, TypeUniqueness},
		{"stale If-Match", "PUT", "/Users/" + id, `{"userName":"taken@example.com"}`, []string{"If-Match", `W/"7"`}, 412, ""},
		{"garbage If-Match", "DELETE", "/Users/" + id, "", []string{"If-Match", `"abc"`}, 412, ""},
		{"body too large", "POST", "/Users", big, nil, 413, ""},
		{"wrong content type", "POST", "/Users", `{"userName":"c"}`, []string{"Content-Type", "text/plain"}, 415, ""},
		{"missing content type", "PATCH", "/Users/" + id, ops(`[]`), []string{"Content-Type", ""}, 415, ""},
		{"POST to a user", "POST", "/Users/" + id, `{}`, nil, 405, ""},
		{"DELETE collection", "DELETE", "/Users", "", nil, 405, ""},
		{"POST discovery", "POST", "/ServiceProviderConfig", `{}`, nil, 405, ""},
		{"PUT schemas", "PUT", "/Schemas", `{}`, nil, 405, ""},
		{"patch read-only", "PATCH", "/Users/" + id, ops(`[{"op":"replace","path":"meta.created","value":"x"}]`), nil, 400, TypeMutability},
		{"patch bad path", "PATCH", "/Users/" + id, ops(`[{"op":"replace","path":"emails[","value":"x"}]`), nil, 400, TypeInvalidPath},
		{"patch clears userName", "PATCH", "/Users/" + id, ops(`[{"op":"remove","path":"userName"}]`), nil, 400, TypeInvalidValue},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.call("okta", tt.method, tt.path, tt.body, tt.hdr...).wantError(t, tt.status, tt.scimType)
		})
	}
	if r := e.call("okta", "GET", "/Users/"+id, ""); r.header.Get("ETag") != `W/"1"` {
		t.Fatalf("a failed request changed the user: %s", r.raw)
	}
	r = e.call("okta", "PUT", "/Users/"+id, `{"userName":"taken@example.com","title":"T"}`, "If-Match", `W/"1"`).want(t, http.StatusOK)
	if r.header.Get("ETag") != `W/"2"` || r.body["meta"].(map[string]any)["version"] != `W/"2"` {
		t.Fatalf("ETag after matching If-Match: %q, %v", r.header.Get("ETag"), r.body["meta"])
	}
}

func TestListPagingAndProjection(t *testing.T) {
	e := newEnv(t)
	for i := range 7 {
		e.call("okta", "POST", "/Users", fmt.Sprintf(`{"userName":"user%d@example.com","title":"T%d","name":{"givenName":"G%d"}}`, i, i, i)).
			want(t, http.StatusCreated)
	}
	var seen []string
	for start := 1; start <= 7; start += 3 {
		r := e.call("okta", "GET", "/Users"+q("startIndex", itoa(start), "count", "3"), "")
		want := min(3, 8-start)
		r.wantList(t, 7, want)
		if r.body["startIndex"] != float64(start) {
			t.Fatalf("startIndex = %v", r.body["startIndex"])
		}
		for _, u := range r.resources() {
			seen = append(seen, u["userName"].(string))
		}
	}
	if strings.Join(seen, ",") != "user0@example.com,user1@example.com,user2@example.com,user3@example.com,user4@example.com,user5@example.com,user6@example.com" {
		t.Fatalf("pages are not a stable, complete order: %v", seen)
	}
	// count is capped at Options.MaxCount (50); count=0 returns the total only.
	e.call("okta", "GET", "/Users"+q("count", "0"), "").wantList(t, 7, 0)
	e.call("okta", "GET", "/Users"+q("count", "100000"), "").wantList(t, 7, 7)
	e.call("okta", "GET", "/Users"+q("startIndex", "100"), "").wantList(t, 7, 0)

	r := e.call("okta", "GET", "/Users"+q("sortBy", "userName", "sortOrder", "descending", "count", "1"), "")
	if r.resources()[0]["userName"] != "user6@example.com" {
		t.Fatalf("sort: %s", r.raw)
	}
	r = e.call("okta", "GET", "/Users"+q("attributes", "userName,name.givenName", "count", "1"), "")
	u := r.resources()[0]
	if u["id"] == nil || u["userName"] == nil || u["title"] != nil || u["meta"] != nil || u["name"].(map[string]any)["givenName"] != "G0" {
		t.Fatalf("attributes projection: %v", u)
	}
	r = e.call("okta", "GET", "/Users"+q("excludedAttributes", "title,groups,id", "count", "1"), "")
	if u := r.resources()[0]; u["title"] != nil || u["groups"] != nil || u["id"] == nil || u["userName"] == nil {
		t.Fatalf("excludedAttributes projection: %v", u)
	}
}

func TestDiscovery(t *testing.T) {
	e := newEnv(t)
	r := e.call("okta", "GET", "/ServiceProviderConfig", "").want(t, http.StatusOK)
	if p, _ := r.body["patch"].(map[string]any); p["supported"] != true {
		t.Fatalf("ServiceProviderConfig: %s", r.raw)
	}
	e.call("okta", "GET", "/ResourceTypes", "").wantList(t, 2, 2)
	if r = e.call("okta", "GET", "/ResourceTypes/User", "").want(t, http.StatusOK); r.body["endpoint"] != "/Users" {
		t.Fatalf("ResourceTypes/User: %s", r.raw)
	}
	r = e.call("okta", "GET", "/Schemas", "")
	r.wantList(t, 3, 3)
	r = e.call("okta", "GET", "/Schemas/"+URNEnterprise, "").want(t, http.StatusOK)
	if !strings.Contains(r.raw, `"employeeNumber"`) {
		t.Fatalf("enterprise schema: %s", r.raw)
	}
	r = e.call("okta", "GET", "/Schemas/"+URNUser, "").want(t, http.StatusOK)
	if !strings.Contains(r.raw, `"name":"userName"`) || !strings.Contains(r.raw, `"uniqueness":"server"`) {
		t.Fatalf("user schema: %s", r.raw)
	}
	e.call("okta", "GET", "/Schemas/urn:nope", "").wantError(t, http.StatusNotFound, "")
}

func TestDeleteDeactivates(t *testing.T) {
	e := newEnv(t, Integration{Name: "okta", OnDelete: OnDeleteDeactivate})
	id := e.call("okta", "POST", "/Users", `{"userName":"keep@example.com"}`).want(t, http.StatusCreated).str("id")
	e.call("okta", "DELETE", "/Users/"+id, "").want(t, http.StatusNoContent)
	if r := e.call("okta", "GET", "/Users/"+id, "").want(t, http.StatusOK); r.body["active"] != false {
		t.Fatalf("deactivated user: %s", r.raw)
	}
}

func TestNewValidatesIntegrations(t *testing.T) {
	_, err := New(nil, hclog.NewNullLogger(), []Integration{{Name: "a", OnDelete: "purge"}, {Name: "b/c"}, {Name: "d"}, {Name: "d"}}, Options{})
	if err == nil {
		t.Fatal("New accepted bad integrations")
	}
	for _, want := range []string{`integration "a": on_delete: must be`, `integration "b/c": name`, `integration "d": configured twice`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
}

// Concurrent PATCHes that each add a different member to one group must all
// take effect: membership edits name their members, never rewrite the list.
func TestConcurrentMemberPatches(t *testing.T) {
	e := newEnv(t)
	gid := e.call("entra", "POST", "/Groups", `{"displayName":"Everyone"}`).want(t, http.StatusCreated).str("id")
	const n = 20
	ids := make([]string, n)
	for i := range ids {
		ids[i] = e.call("entra", "POST", "/Users", fmt.Sprintf(`{"userName":"u%d@example.com"}`, i)).want(t, http.StatusCreated).str("id")
	}
	var wg sync.WaitGroup
	errs := make(chan string, n)
	for _, id := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			body := ops(`[{"op":"Add","path":"members","value":[{"value":"` + id + `"}]}]`)
			req, _ := http.NewRequest("PATCH", e.srv.URL+"/scim/entra/v2/Groups/"+gid, strings.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+e.tokens["entra"])
			req.Header.Set("Content-Type", "application/scim+json")
			res, err := e.srv.Client().Do(req)
			if err != nil {
				errs <- err.Error()
				return
			}
			res.Body.Close()
			if res.StatusCode != http.StatusNoContent {
				errs <- fmt.Sprintf("status %d", res.StatusCode)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if got := e.members(gid); len(got) != n {
		t.Fatalf("group has %d members after %d concurrent adds", len(got), n)
	}
}
