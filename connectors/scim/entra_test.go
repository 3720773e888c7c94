package scim

import (
	"net/http"
	"strings"
	"testing"
)

// The requests the Entra provisioning service sends, from Microsoft's
// "develop and plan provisioning for a SCIM endpoint" tutorial.
func TestEntraUserReplay(t *testing.T) {
	e := newEnv(t)
	// Test Connection: a random value on the matching attribute.
	e.call("entra", "GET", "/Users"+q("filter", `userName eq "non-existent user 01b4e6b2-9d56-4fbe-a2b6-5a0a8f38d5b1"`), "").wantList(t, 0, 0)
	e.call("entra", "GET", "/Users"+q("filter", `externalId eq "e3bd1f3b-8f4c-4b4e-9b1c-5a3c4d2e1f00"`), "").wantList(t, 0, 0)

	create := `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
		"externalId":"e3bd1f3b-8f4c-4b4e-9b1c-5a3c4d2e1f00","userName":"Test_User_ab6490ee@contoso.com","active":"True",
		"emails":[{"primary":true,"type":"work","value":"Test_User_fd0ea19b@contoso.com"}],
		"meta":{"resourceType":"User"},"name":{"formatted":"givenName familyName","familyName":"familyName","givenName":"givenName"},
		"roles":[],"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"employeeNumber":"5","department":"Sales"}}`
	r := e.call("entra", "POST", "/Users", create).want(t, http.StatusCreated)
	id := r.str("id")
	if r.body["active"] != true {
		t.Fatalf("active %q not read as a boolean: %s", "True", r.raw)
	}
	if ent, _ := r.body[URNEnterprise].(map[string]any); ent["employeeNumber"] != "5" {
		t.Fatalf("enterprise extension lost: %s", r.raw)
	}
	if u := e.user(id); u.Owner != "entra" || u.SourceID != "e3bd1f3b-8f4c-4b4e-9b1c-5a3c4d2e1f00" {
		t.Fatalf("ownership: owner %q source %q", u.Owner, u.SourceID)
	}
	// externalId is not unique: a second user may carry the same one.
	e.call("entra", "POST", "/Users", `{"userName":"other@contoso.com","externalId":"e3bd1f3b-8f4c-4b4e-9b1c-5a3c4d2e1f00"}`).want(t, http.StatusCreated)
	e.call("entra", "GET", "/Users"+q("filter", `externalId eq "e3bd1f3b-8f4c-4b4e-9b1c-5a3c4d2e1f00"`), "").wantList(t, 2, 2)
	// Matching by userName, case-insensitively.
	e.call("entra", "GET", "/Users"+q("filter", `userName eq "test_user_AB6490EE@contoso.com"`), "").wantList(t, 1, 1)

	patch := `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[
		{"op":"Replace","path":"emails[type eq \"work\"].value","value":"updatedEmail@microsoft.com"},
		{"op":"Replace","path":"name.familyName","value":"updatedFamilyName"},
		{"op":"Add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":[{"$ref":null,"value":"mgr-1"}]},
		{"op":"replace","value":{"displayName":"Updated","name.givenName":"G","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber":"6"}},
		{"op":"Add","path":"phoneNumbers[type eq \"mobile\"].value","value":"+1 (555) 0100"}]}`
	r = e.call("entra", "PATCH", "/Users/"+id, patch).want(t, http.StatusOK)
	ent, _ := r.body[URNEnterprise].(map[string]any)
	mgr, _ := ent["manager"].(map[string]any)
	name, _ := r.body["name"].(map[string]any)
	emails, _ := r.body["emails"].([]any)
	phones, _ := r.body["phoneNumbers"].([]any)
	switch {
	case len(emails) != 1 || emails[0].(map[string]any)["value"] != "updatedEmail@microsoft.com":
		t.Fatalf("emails: %s", r.raw)
	case name["familyName"] != "updatedFamilyName" || name["givenName"] != "G" || r.body["displayName"] != "Updated":
		t.Fatalf("name: %s", r.raw)
	case mgr["value"] != "mgr-1" || ent["employeeNumber"] != "6" || ent["department"] != "Sales":
		t.Fatalf("enterprise: %s", r.raw)
	case len(phones) != 1 || phones[0].(map[string]any)["value"] != "+1 (555) 0100":
		t.Fatalf("phone numbers (kept as sent): %s", r.raw)
	}

	// Soft delete and restore arrive as string booleans.
	disable := `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"active","value":"False"}]}`
	if r = e.call("entra", "PATCH", "/Users/"+id, disable).want(t, http.StatusOK); r.body["active"] != false {
		t.Fatalf("disable: %s", r.raw)
	}
	e.call("entra", "GET", "/Users/"+id, "").want(t, http.StatusOK)
	enable := strings.Replace(disable, `"False"`, `"True"`, 1)
	if r = e.call("entra", "PATCH", "/Users/"+id, enable).want(t, http.StatusOK); r.body["active"] != true {
		t.Fatalf("enable: %s", r.raw)
	}
	empty := `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[]}`
	e.call("entra", "PATCH", "/Users/"+id, empty).want(t, http.StatusOK)
	clear := `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"displayName","value":""}]}`
	if r = e.call("entra", "PATCH", "/Users/"+id, clear).want(t, http.StatusOK); r.body["displayName"] != nil {
		t.Fatalf("clear: %s", r.raw)
	}

	// Hard delete after 30 days.
	e.call("entra", "DELETE", "/Users/"+id, "").want(t, http.StatusNoContent)
	e.call("entra", "GET", "/Users/"+id, "").wantError(t, http.StatusNotFound, "")
}

func TestEntraGroupReplay(t *testing.T) {
	e := newEnv(t)
	var ids []string
	for _, n := range []string{"a", "b", "c"} {
		r := e.call("entra", "POST", "/Users", `{"userName":"`+n+`@contoso.com","externalId":"oid-`+n+`"}`).want(t, http.StatusCreated)
		ids = append(ids, r.str("id"))
	}
	lookup := "/Groups" + q("excludedAttributes", "members", "filter", `displayName eq "Group1DisplayName"`)
	e.call("entra", "GET", lookup, "").wantList(t, 0, 0)
	create := `{"externalId":"8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159","id":"c4c3","displayName":"Group1DisplayName",
		"meta":{"resourceType":"Group"},"members":[],
		"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group","http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"]}`
	r := e.call("entra", "POST", "/Groups", create).want(t, http.StatusCreated)
	gid := r.str("id")
	if gid == "c4c3" {
		t.Fatal("client-supplied id was used")
	}
	r = e.call("entra", "GET", lookup, "")
	r.wantList(t, 1, 1)
	if _, has := r.resources()[0]["members"]; has {
		t.Fatalf("excludedAttributes=members ignored: %s", r.raw)
	}
	if r = e.call("entra", "GET", "/Groups/"+gid+q("excludedAttributes", "members"), ""); r.body["members"] != nil || r.body["displayName"] != "Group1DisplayName" {
		t.Fatalf("get excluding members: %s", r.raw)
	}

	add := `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Add","path":"members","value":[
		{"$ref":null,"value":"` + ids[0] + `"},{"$ref":null,"value":"` + ids[1] + `"},{"$ref":null,"value":"` + ids[2] + `"}]}]}`
	e.call("entra", "PATCH", "/Groups/"+gid, add).want(t, http.StatusNoContent)
	if got := e.members(gid); len(got) != 3 {
		t.Fatalf("members after add = %v", got)
	}
	// The legacy removal names the members to remove; the others stay.
	legacy := `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Remove","path":"members","value":[{"$ref":null,"value":"` + ids[0] + `"}]}]}`
	e.call("entra", "PATCH", "/Groups/"+gid, legacy).want(t, http.StatusNoContent)
	if got := strings.Join(e.members(gid), ","); got != strings.Join(sorted(ids[1], ids[2]), ",") {
		t.Fatalf("members after legacy removal = %s", got)
	}
	compliant := `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"remove","path":"members[value eq \"` + ids[1] + `\"]"}]}`
	e.call("entra", "PATCH", "/Groups/"+gid, compliant).want(t, http.StatusNoContent)
	if got := e.members(gid); len(got) != 1 || got[0] != ids[2] {
		t.Fatalf("members after compliant removal = %v", got)
	}
	// Membership filter, as Entra sometimes checks before adding.
	e.call("entra", "GET", "/Groups"+q("filter", `id eq "`+gid+`" and members eq "`+ids[2]+`"`, "excludedAttributes", "members"), "").wantList(t, 1, 1)
	rename := `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"displayName","value":"1879db59-3bdf-4490-ad68-ab880a269474updatedDisplayName"}]}`
	e.call("entra", "PATCH", "/Groups/"+gid, rename).want(t, http.StatusNoContent)
	all := `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Remove","path":"members"}]}`
	e.call("entra", "PATCH", "/Groups/"+gid, all).want(t, http.StatusNoContent)
	if got := e.members(gid); len(got) != 0 {
		t.Fatalf("members after remove-all = %v", got)
	}
	e.call("entra", "DELETE", "/Groups/"+gid, "").want(t, http.StatusNoContent)
}
