package scim

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/dirsync/dirsync/store"
)

// The request sequence Okta sends for an assignment, a profile update, a
// deactivation and a reactivation (Okta SCIM 2.0 reference).
func TestOktaUserReplay(t *testing.T) {
	e := newEnv(t)
	filter := q("filter", `userName eq "dade.murphy@example.com"`, "startIndex", "1", "count", "100")
	e.call("okta", "GET", "/Users"+filter, "").wantList(t, 0, 0)

	create := `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"dade.murphy@example.com",
		"name":{"givenName":"Dade","familyName":"Murphy"},"emails":[{"primary":true,"value":"dade.murphy@example.com","type":"work"}],
		"displayName":"Dade Murphy","locale":"en-US","externalId":"00ujl29u0le5T6Aj10h7","groups":[],
		"password":"1mz050nq","active":true}`
	r := e.call("okta", "POST", "/Users", create, "Content-Type", "application/json").want(t, http.StatusCreated)
	id := r.str("id")
	if id == "" || strings.Contains(r.raw, "password") || strings.Contains(r.raw, "1mz050nq") {
		t.Fatalf("create answer: %s", r.raw)
	}
	if r.header.Get("Location") != e.srv.URL+"/scim/okta/v2/Users/"+id || r.header.Get("ETag") != `W/"1"` {
		t.Fatalf("Location %q ETag %q", r.header.Get("Location"), r.header.Get("ETag"))
	}
	u := e.user(id)
	if u.Owner != "okta" || u.SourceID != "00ujl29u0le5T6Aj10h7" || u.Extra["password"] != nil || u.Extra["locale"] != "en-US" {
		t.Fatalf("stored user: %+v", u)
	}

	// A duplicate, differing only in case, is 409 uniqueness.
	dup := strings.Replace(create, "dade.murphy@example.com", "DADE.Murphy@example.com", 1)
	e.call("okta", "POST", "/Users", dup, "Content-Type", "application/json").wantError(t, http.StatusConflict, TypeUniqueness)

	r = e.call("okta", "GET", "/Users"+filter, "")
	r.wantList(t, 1, 1)
	if got := r.resources()[0]; got["id"] != id || got["active"] != true {
		t.Fatalf("match: %v", got)
	}

	// Update: GET then a full PUT. PUT replaces: displayName absent is cleared.
	e.call("okta", "GET", "/Users/"+id, "").want(t, http.StatusOK)
	put := `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"id":"` + id + `","userName":"dade.murphy@example.com",
		"name":{"givenName":"Dade","familyName":"Murphy-Burns"},"emails":[{"primary":true,"value":"dade.murphy@example.com","type":"work"}],
		"externalId":"00ujl29u0le5T6Aj10h7","active":true,"meta":{"resourceType":"User"}}`
	r = e.call("okta", "PUT", "/Users/"+id, put).want(t, http.StatusOK)
	if r.body["displayName"] != nil || r.body["name"].(map[string]any)["familyName"] != "Murphy-Burns" || r.header.Get("ETag") != `W/"2"` {
		t.Fatalf("PUT answer: %s", r.raw)
	}

	// Deactivate with Okta's path-less replace; the user is still returned.
	deactivate := `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"active":false}}]}`
	r = e.call("okta", "PATCH", "/Users/"+id, deactivate).want(t, http.StatusOK)
	if r.body["active"] != false {
		t.Fatalf("deactivate answer: %s", r.raw)
	}
	r = e.call("okta", "GET", "/Users"+filter, "")
	r.wantList(t, 1, 1)
	if r.resources()[0]["active"] != false {
		t.Fatalf("deactivated user: %s", r.raw)
	}
	e.call("okta", "GET", "/Users"+q("filter", "active eq false"), "").wantList(t, 1, 1)
	reactivate := strings.Replace(deactivate, "false", "true", 1)
	if r = e.call("okta", "PATCH", "/Users/"+id, reactivate).want(t, http.StatusOK); r.body["active"] != true {
		t.Fatalf("reactivate answer: %s", r.raw)
	}

	// Every write was audited as a push of this integration with a request id.
	entries, err := e.store.Audit(context.Background(), store.AuditQuery{Integration: "okta"})
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) < 4 {
		t.Fatalf("audit has %d okta entries, want at least 4", len(entries))
	}
	for _, a := range entries {
		if a.Channel != store.ChannelPush || a.RunID == "" {
			t.Fatalf("audit entry %+v", a)
		}
	}
}

// Okta Group Push: create with no members, rename, then membership by a
// remove/add PATCH, a full replace, and a PUT; unlink deletes.
func TestOktaGroupPushReplay(t *testing.T) {
	e := newEnv(t)
	var ids []string
	for _, n := range []string{"a", "b", "c"} {
		r := e.call("okta", "POST", "/Users", `{"userName":"`+n+`@example.com","externalId":"00u`+n+`"}`).want(t, http.StatusCreated)
		ids = append(ids, r.str("id"))
	}
	r := e.call("okta", "POST", "/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Test SCIMv2","members":[]}`,
		"Content-Type", "application/json").want(t, http.StatusCreated)
	gid := r.str("id")
	if m, ok := r.body["members"].([]any); !ok || len(m) != 0 {
		t.Fatalf("created group: %s", r.raw)
	}

	rename := `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"id":"` + gid + `","displayName":"Test SCIMv2 renamed"}}]}`
	e.call("okta", "PATCH", "/Groups/"+gid, rename).want(t, http.StatusNoContent)
	if r = e.call("okta", "GET", "/Groups/"+gid, ""); r.body["displayName"] != "Test SCIMv2 renamed" {
		t.Fatalf("renamed group: %s", r.raw)
	}

	add := `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","path":"members","value":[
		{"value":"` + ids[0] + `","display":"a@example.com"},{"value":"` + ids[1] + `","display":"b@example.com"}]}]}`
	e.call("okta", "PATCH", "/Groups/"+gid, add).want(t, http.StatusNoContent)
	swap := `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[
		{"op":"remove","path":"members[value eq \"` + ids[0] + `\"]"},
		{"op":"add","path":"members","value":[{"value":"` + ids[2] + `","display":"c@example.com"}]}]}`
	e.call("okta", "PATCH", "/Groups/"+gid, swap).want(t, http.StatusNoContent)
	if got := strings.Join(e.members(gid), ","); got != strings.Join(sorted(ids[1], ids[2]), ",") {
		t.Fatalf("members after swap = %s", got)
	}

	full := `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"members","value":[{"value":"` + ids[0] + `"}]}]}`
	e.call("okta", "PATCH", "/Groups/"+gid, full).want(t, http.StatusNoContent)
	if got := e.members(gid); len(got) != 1 || got[0] != ids[0] {
		t.Fatalf("members after replace = %v", got)
	}

	put := `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Test SCIMv2 renamed","members":[{"value":"` + ids[1] + `"},{"value":"` + ids[2] + `"}]}`
	r = e.call("okta", "PUT", "/Groups/"+gid, put).want(t, http.StatusOK)
	if m, _ := r.body["members"].([]any); len(m) != 2 {
		t.Fatalf("PUT answer: %s", r.raw)
	}

	e.call("okta", "POST", "/Groups", `{"displayName":"test scimv2 RENAMED"}`).wantError(t, http.StatusConflict, TypeUniqueness)
	e.call("okta", "DELETE", "/Groups/"+gid, "").want(t, http.StatusNoContent)
	e.call("okta", "GET", "/Groups/"+gid, "").wantError(t, http.StatusNotFound, "")
}

func sorted(s ...string) []string {
	for i := range s {
		for j := i + 1; j < len(s); j++ {
			if s[j] < s[i] {
				s[i], s[j] = s[j], s[i]
			}
		}
	}
	return s
}
