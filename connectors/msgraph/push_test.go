package msgraph

import (
	"context"
	"fmt"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/hashicorp/go-hclog"

	"github.com/dirsync/dirsync/connectors/scim"
	"github.com/dirsync/dirsync/connectors/scim/scimtest"
	"github.com/dirsync/dirsync/reconcile"
	"github.com/dirsync/dirsync/store"
)

func filterQ(f string, args ...any) string { return url.QueryEscape(fmt.Sprintf(f, args...)) }

// Entra's provisioning service pushes the assigned users and groups over
// SCIM; a later pull of the same tenant must plan no changes (issue #6).
func TestPushThenPullConverges(t *testing.T) {
	e := newE2E(t)
	ctx := context.Background()
	var token string
	e.must(e.st.Update(ctx, store.Actor{Channel: store.ChannelCLI}, func(tx *store.Tx) (err error) {
		token, err = tx.CreateToken(ctx, "entra", "entra")
		return err
	}))
	h, err := scim.New(e.st, hclog.NewNullLogger(), []scim.Integration{{Name: "entra"}}, scim.Options{})
	e.must(err)
	srv := httptest.NewServer(h)
	defer srv.Close()
	c := scimtest.Client{T: t, Base: srv.URL + "/scim/entra/v2", Token: token, ContentType: "application/scim+json"}

	// Test Connection: a random value on the matching attribute.
	if code, list := c.Do("GET", "/Users?filter="+filterQ(`userName eq "%s"`, "d7f0c0a4-test"), nil); code != 200 || list["totalResults"] != float64(0) {
		t.Fatalf("test connection: %d %v", code, list)
	}
	scimIDs := map[string]string{}
	for _, n := range []string{"ann", "bob", "cy", "dee"} {
		oid := e.ids[n]
		if code, list := c.Do("GET", "/Users?filter="+filterQ(`externalId eq "%s"`, oid), nil); code != 200 || list["totalResults"] != float64(0) {
			t.Fatalf("match %s: %d %v", n, code, list)
		}
		code, u := c.Do("POST", "/Users", map[string]any{
			"schemas":     []string{"urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"},
			"externalId":  oid,
			"userName":    n + "@contoso.com",
			"active":      "True",
			"displayName": string(n[0]-32) + n[1:],
			"emails":      []map[string]any{{"primary": true, "type": "work", "value": n + "@contoso.com"}},
			"name":        map[string]any{"givenName": n, "familyName": "Test"},
		})
		if code != 201 {
			t.Fatalf("create %s: %d %v", n, code, u)
		}
		scimIDs[n] = u["id"].(string)
	}
	if code, list := c.Do("GET", "/Groups?excludedAttributes=members&filter="+filterQ(`displayName eq "Eng"`), nil); code != 200 || list["totalResults"] != float64(0) {
		t.Fatalf("group match: %d %v", code, list)
	}
	code, g := c.Do("POST", "/Groups", map[string]any{
		"schemas":     []string{"urn:ietf:params:scim:schemas:core:2.0:Group", "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"},
		"externalId":  e.eng,
		"displayName": "Eng",
		"members":     []any{},
	})
	if code != 201 {
		t.Fatalf("create group: %d %v", code, g)
	}
	code, _ = c.Do("PATCH", "/Groups/"+g["id"].(string), map[string]any{
		"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
		"Operations": []map[string]any{{"op": "Add", "path": "members", "value": []map[string]any{
			{"$ref": nil, "value": scimIDs["cy"]}, {"$ref": nil, "value": scimIDs["dee"]}}}},
	})
	if code != 204 && code != 200 {
		t.Fatalf("add members: %d", code)
	}

	rep := e.sync(true)
	if rep.Outcome != store.OutcomeSuccess {
		t.Fatalf("pull: %s %v", rep.Outcome, rep.Err)
	}
	if rep.Plan.Changes() || rep.Summary() != (reconcile.Summary{}) {
		t.Fatalf("pull after push planned changes: %+v\n%s", rep.Summary(), planOf(rep))
	}

	// A missed push (Entra disables bob; the PATCH never arrives) is repaired
	// by the next pull, and the late push then changes nothing for a pull.
	e.must(e.fake.SetEnabled(e.ids["bob"], false))
	if got := planOf(e.sync(true)); got != "deactivate:bob" {
		t.Fatalf("missed push not repaired: %s", got)
	}
	code, _ = c.Do("PATCH", "/Users/"+scimIDs["bob"], map[string]any{
		"schemas":    []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
		"Operations": []map[string]any{{"op": "Replace", "path": "active", "value": "False"}},
	})
	if code != 200 && code != 204 {
		t.Fatalf("disable PATCH: %d", code)
	}
	if again := e.sync(true); again.Plan.Changes() {
		t.Fatalf("pull after the late push not empty: %s", planOf(again))
	}
}
