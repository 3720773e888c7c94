package okta

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

// scimClient speaks to the SCIM endpoint the way Okta's provisioning does.

// Okta pushes users and groups over SCIM; a later pull of the same Okta
// state must plan no changes (issue #6), only link the pushed groups (Okta's
// Group Push sends no externalId) once.
func TestPushThenPullConverges(t *testing.T) {
	e := newE2E(t, nil)
	ctx := context.Background()
	var token string
	err := e.st.Update(ctx, store.Actor{Channel: store.ChannelCLI}, func(tx *store.Tx) (err error) {
		token, err = tx.CreateToken(ctx, "okta", "okta")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	h, err := scim.New(e.st, hclog.NewNullLogger(), []scim.Integration{{Name: "okta"}}, scim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	c := scimtest.Client{T: t, Base: srv.URL + "/scim/okta/v2", Token: token, ContentType: "application/json"}

	// Assignment: Okta looks the user up by userName, then creates it.
	scimIDs := map[string]string{}
	for _, n := range []string{"ann", "bob", "cy"} {
		login := n + "@example.com"
		code, list := c.Do("GET", "/Users?filter="+url.QueryEscape(fmt.Sprintf("userName eq %q", login))+"&startIndex=1&count=100", nil)
		if code != 200 || list["totalResults"] != float64(0) {
			t.Fatalf("lookup %s: %d %v", login, code, list)
		}
		first := string(n[0]-32) + n[1:]
		code, u := c.Do("POST", "/Users", map[string]any{
			"schemas":     []string{"urn:ietf:params:scim:schemas:core:2.0:User"},
			"userName":    login,
			"name":        map[string]any{"givenName": first, "familyName": "Test"},
			"emails":      []map[string]any{{"primary": true, "value": login, "type": "work"}},
			"displayName": first + " Test",
			"locale":      "en-US",
			"externalId":  e.users[n],
			"groups":      []any{},
			"password":    "not-stored-1!",
			"active":      true,
		})
		if code != 201 {
			t.Fatalf("create %s: %d %v", login, code, u)
		}
		scimIDs[n] = u["id"].(string)
	}
	// Group Push.
	for name, members := range map[string][]string{"LP-Eng": {"ann", "bob"}, "LP-Sales": {"cy"}} {
		var ms []map[string]any
		for _, m := range members {
			ms = append(ms, map[string]any{"value": scimIDs[m], "display": m + "@example.com"})
		}
		code, g := c.Do("POST", "/Groups", map[string]any{
			"schemas":     []string{"urn:ietf:params:scim:schemas:core:2.0:Group"},
			"displayName": name, "members": ms,
		})
		if code != 201 {
			t.Fatalf("push group %s: %d %v", name, code, g)
		}
	}

	rep := e.sync(true)
	if rep.Outcome != store.OutcomeSuccess {
		t.Fatalf("pull: %s %v", rep.Outcome, rep.Err)
	}
	s := rep.Summary()
	s.Links = 0
	if s != (reconcile.Summary{}) {
		t.Fatalf("pull after push planned changes: %+v\n%s", rep.Summary(), plan(rep))
	}
	if rep.Summary().Links != 2 {
		t.Fatalf("want the two pushed groups linked once, got %+v: %s", rep.Summary(), plan(rep))
	}
	if again := e.sync(true); again.Plan.Changes() {
		t.Fatalf("second pull not empty: %s", plan(again))
	}

	// A missed push is repaired by the next pull: Okta suspends bob, but the
	// deactivation PATCH never arrives.
	e.must(e.org.Suspend(e.users["bob"]))
	if got := plan(e.sync(true)); got != "deactivate:bob@example.com" {
		t.Fatalf("missed push not repaired: %s", got)
	}
	// And the push of the same change afterwards is a no-op for the pull.
	code, _ := c.Do("PATCH", "/Users/"+scimIDs["bob"], map[string]any{
		"schemas":    []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
		"Operations": []map[string]any{{"op": "replace", "value": map[string]any{"active": false}}},
	})
	if code != 200 && code != 204 {
		t.Fatalf("deactivate PATCH: %d", code)
	}
	if again := e.sync(true); again.Plan.Changes() {
		t.Fatalf("pull after the late push not empty: %s", plan(again))
	}
}
