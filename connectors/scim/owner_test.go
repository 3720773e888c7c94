package scim

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/dirsync/dirsync/store"
	"github.com/hashicorp/go-hclog"
)

// An integration never edits what another integration owns (reconcile's
// conflict rule, over SCIM); an unowned object is adopted by its first
// editor.
func TestOwnershipAcrossIntegrations(t *testing.T) {
	e := newEnv(t)
	uid := e.call("okta", "POST", "/Users", `{"userName":"ann@example.com","externalId":"00u1"}`).want(t, http.StatusCreated).str("id")
	gid := e.call("okta", "POST", "/Groups", `{"displayName":"Eng","members":[{"value":"`+uid+`"}]}`).want(t, http.StatusCreated).str("id")

	refused := []struct{ method, path, body string }{
		{"PATCH", "/Users/" + uid, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"active","value":"False"}]}`},
		{"PUT", "/Users/" + uid, `{"userName":"ann@example.com","externalId":"aad-1"}`},
		{"DELETE", "/Users/" + uid, ""},
		{"PATCH", "/Groups/" + gid, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Remove","path":"members","value":[{"value":"` + uid + `"}]}]}`},
		{"DELETE", "/Groups/" + gid, ""},
	}
	for _, r := range refused {
		res := e.call("entra", r.method, r.path, r.body)
		res.wantError(t, http.StatusForbidden, "")
		if d := res.str("detail"); !strings.Contains(d, `managed by integration "okta"`) {
			t.Fatalf("%s %s: detail %q does not name the owner", r.method, r.path, d)
		}
	}
	if u := e.user(uid); !u.Active || u.Owner != "okta" || u.SourceID != "00u1" {
		t.Fatalf("refused writes changed the user: %+v", u)
	}
	if m := e.members(gid); len(m) != 1 {
		t.Fatalf("refused PATCH changed the members: %v", m)
	}
	// The owner itself may.
	e.call("okta", "PATCH", "/Users/"+uid, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"active":false}}]}`).want(t, http.StatusOK)

	// An unowned user (created by an admin before provisioning) is adopted
	// by the integration that first edits it, with its externalId linked.
	ctx := context.Background()
	var legacy string
	err := e.store.Update(ctx, store.Actor{Channel: store.ChannelCLI}, func(tx *store.Tx) error {
		u := &store.User{UserName: "bob@example.com", Active: true}
		err := tx.CreateUser(ctx, u)
		legacy = u.ID
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	e.call("entra", "PATCH", "/Users/"+legacy, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Add","path":"externalId","value":"aad-2"}]}`).want(t, http.StatusOK)
	if u := e.user(legacy); u.Owner != "entra" || u.SourceID != "aad-2" {
		t.Fatalf("unowned user not adopted: owner %q source %q", u.Owner, u.SourceID)
	}
	e.call("okta", "DELETE", "/Users/"+legacy, "").wantError(t, http.StatusForbidden, "")
}

// Behind a TLS-terminating proxy the request says http and the proxy's
// host; resource locations must use the configured public URL.
func TestLocationsUsePublicURL(t *testing.T) {
	e := newEnv(t)
	h, err := New(e.store, hclog.NewNullLogger(), []Integration{{Name: "okta"}}, Options{PublicURL: "https://dirsync.example.com/"})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	e.srv = srv
	res := e.call("okta", "POST", "/Users", `{"userName":"loc@example.com"}`).want(t, http.StatusCreated)
	meta, _ := res.body["meta"].(map[string]any)
	want := "https://dirsync.example.com/scim/okta/v2/Users/" + res.str("id")
	if meta["location"] != want || res.header.Get("Location") != want {
		t.Fatalf("location = %v / %q, want %s", meta["location"], res.header.Get("Location"), want)
	}
}
