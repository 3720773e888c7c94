package scim

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"

	"github.com/dirsync/dirsync/connectors/scim/filter"
)

func mustJSON(t *testing.T, s string) map[string]any {
	t.Helper()
	m, err := decodeObject([]byte(s))
	if err != nil {
		t.Fatalf("test JSON %s: %v", s, err)
	}
	return m
}

// patchDoc normalises start, applies body and returns the document.
func patchDoc(t *testing.T, rt *resourceType, start, body string, members *[]MemberOp) (document, error) {
	t.Helper()
	doc, err := rt.normalize(mustJSON(t, start))
	if err != nil {
		t.Fatal(err)
	}
	ops, err := parsePatch([]byte(body), filter.Limits{})
	if err != nil {
		return nil, err
	}
	return doc, rt.applyPatch(doc, ops, members, filter.Limits{})
}

func ops(list string) string {
	return `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":` + list + `}`
}

func TestPatchUser(t *testing.T) {
	const base = `{"userName":"bjensen","active":true,"displayName":"Babs","name":{"givenName":"Barbara","familyName":"Jensen"},
		"emails":[{"value":"b@work.example","type":"work","primary":true},{"value":"b@home.example","type":"home"}],
		"title":"Guide","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"Tours"}}`
	tests := []struct {
		name, body string
		want       string // JSON of the changed attributes, merged over base
		drop       []string
		wantType   string
	}{
		{name: "okta deactivate", body: ops(`[{"op":"replace","value":{"active":false}}]`), want: `{"active":false}`},
		{name: "entra boolean string", body: ops(`[{"op":"Replace","path":"active","value":"False"}]`), want: `{"active":false}`},
		{name: "entra reactivate", body: ops(`[{"op":"Replace","path":"active","value":"True"}]`), want: `{"active":true}`},
		{name: "bad boolean", body: ops(`[{"op":"replace","path":"active","value":"maybe"}]`), wantType: TypeInvalidValue},
		{name: "sub-attribute", body: ops(`[{"op":"replace","path":"name.givenName","value":"Babs"}]`),
			want: `{"name":{"givenName":"Babs","familyName":"Jensen"}}`},
		{name: "case-insensitive path", body: ops(`[{"op":"replace","path":"NAME.FamilyName","value":"J"}]`),
			want: `{"name":{"givenName":"Barbara","familyName":"J"}}`},
		{name: "complex replace merges", body: ops(`[{"op":"replace","path":"name","value":{"familyName":"X"}}]`),
			want: `{"name":{"givenName":"Barbara","familyName":"X"}}`},
		{name: "entra path-less with attribute paths", body: ops(`[{"op":"replace","value":{"displayName":"X","name.givenName":"Y",
			"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber":"Z"}}]`),
			want: `{"displayName":"X","name":{"givenName":"Y","familyName":"Jensen"},
			"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"Tours","employeeNumber":"Z"}}`},
		{name: "full urn path", body: ops(`[{"op":"Add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber","value":"7"}]`),
			want: `{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"Tours","employeeNumber":"7"}}`},
		{name: "manager as list", body: ops(`[{"op":"Add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":[{"$ref":"../Users/m1","value":"m1"}]}]`),
			want: `{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"Tours","manager":{"$ref":"../Users/m1","value":"m1"}}}`},
		{name: "manager without urn", body: ops(`[{"op":"Add","path":"manager","value":[{"value":"m2"}]}]`),
			want: `{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"Tours","manager":{"value":"m2"}}}`},
		{name: "manager as string", body: ops(`[{"op":"Add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":"m1"}]`),
			want: `{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"Tours","manager":{"value":"m1"}}}`},
		{name: "extension object path-less", body: ops(`[{"op":"replace","value":{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"Department":"Sales"}}}]`),
			want: `{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"Sales"}}`},
		{name: "filtered sub replace", body: ops(`[{"op":"replace","path":"emails[type eq \"work\"].value","value":"new@work.example"}]`),
			want: `{"emails":[{"value":"new@work.example","type":"work","primary":true},{"value":"b@home.example","type":"home"}]}`},
		{name: "filtered add creates", body: ops(`[{"op":"Add","path":"phoneNumbers[type eq \"mobile\"].value","value":"555"}]`),
			want: `{"phoneNumbers":[{"type":"mobile","value":"555"}]}`},
		{name: "filtered remove", body: ops(`[{"op":"remove","path":"emails[type eq \"home\"]"}]`),
			want: `{"emails":[{"value":"b@work.example","type":"work","primary":true}]}`},
		{name: "filtered no target", body: ops(`[{"op":"replace","path":"emails[type co \"x\"].value","value":"a"}]`), wantType: TypeNoTarget},
		{name: "add email keeps one primary", body: ops(`[{"op":"add","path":"emails","value":[{"value":"c@x","type":"other","primary":"True"}]}]`),
			want: `{"emails":[{"value":"b@work.example","type":"work"},{"value":"b@home.example","type":"home"},{"value":"c@x","type":"other","primary":true}]}`},
		{name: "add duplicate email is a no-op", body: ops(`[{"op":"add","path":"emails","value":[{"value":"b@home.example","type":"home"}]}]`), want: `{}`},
		{name: "remove by value", body: ops(`[{"op":"Remove","path":"emails","value":[{"value":"B@HOME.example"}]}]`),
			want: `{"emails":[{"value":"b@work.example","type":"work","primary":true}]}`},
		{name: "replace with empty string clears", body: ops(`[{"op":"Replace","path":"displayName","value":""}]`), drop: []string{"displayName"}},
		{name: "replace with null clears", body: ops(`[{"op":"replace","path":"title","value":null}]`), drop: []string{"title"}},
		{name: "path-less null clears", body: ops(`[{"op":"replace","value":{"title":null}}]`), drop: []string{"title"}},
		{name: "remove attribute", body: ops(`[{"op":"remove","path":"name.givenName"}]`), want: `{"name":{"familyName":"Jensen"}}`},
		{name: "remove extension attribute empties extension", body: ops(`[{"op":"remove","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department"}]`),
			drop: []string{URNEnterprise}},
		{name: "empty operations", body: ops(`[]`), want: `{}`},
		{name: "unknown attribute kept", body: ops(`[{"op":"add","path":"costCentre","value":"42"}]`), want: `{"costCentre":"42"}`},
		{name: "read-only path refused", body: ops(`[{"op":"replace","path":"id","value":"x"}]`), wantType: TypeMutability},
		{name: "read-only in value ignored", body: ops(`[{"op":"replace","value":{"id":"x","meta":{},"displayName":"D"}}]`), want: `{"displayName":"D"}`},
		{name: "password dropped", body: ops(`[{"op":"replace","path":"password","value":"secret"}]`), want: `{}`},
		{name: "remove without path", body: ops(`[{"op":"remove"}]`), wantType: TypeNoTarget},
		{name: "bad op", body: ops(`[{"op":"move","path":"title"}]`), wantType: TypeInvalidSyntax},
		{name: "bad path", body: ops(`[{"op":"add","path":"emails[type eq","value":"x"}]`), wantType: TypeInvalidPath},
		{name: "filter on single-valued", body: ops(`[{"op":"replace","path":"title[value eq \"x\"]","value":"x"}]`), wantType: TypeInvalidPath},
		{name: "sub of simple attribute", body: ops(`[{"op":"replace","path":"title.x","value":"x"}]`), wantType: TypeInvalidPath},
		{name: "path-less non-object", body: ops(`[{"op":"replace","value":"x"}]`), wantType: TypeInvalidValue},
		{name: "wrong schema", body: `{"schemas":["urn:x"],"Operations":[]}`, wantType: TypeInvalidSyntax},
		{name: "not json", body: `{"Operations":[`, wantType: TypeInvalidSyntax},
		{name: "lower-case operations key", body: `{"operations":[{"op":"replace","path":"title","value":"T"}]}`, want: `{"title":"T"}`},
	}
	rt := newUserType()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := patchDoc(t, rt, base, tt.body, nil)
			if tt.wantType != "" {
				var se *Error
				if !errors.As(err, &se) || se.ScimType != tt.wantType || se.Status != 400 {
					t.Fatalf("error = %v, want 400 %s", err, tt.wantType)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want, _ := rt.normalize(mustJSON(t, base))
			for k, v := range mustJSON(t, orEmpty(tt.want)) {
				want[k] = v
			}
			for _, k := range tt.drop {
				delete(want, k)
			}
			if !reflect.DeepEqual(got, want) {
				g, _ := json.Marshal(got)
				w, _ := json.Marshal(want)
				t.Fatalf("got  %s\nwant %s", g, w)
			}
		})
	}
}

func orEmpty(s string) string {
	if s == "" {
		return "{}"
	}
	return s
}

func TestPatchGroupMembers(t *testing.T) {
	tests := []struct {
		name, body string
		want       []MemberOp
		doc        string // expected displayName
		wantType   string
	}{
		{name: "entra add", body: ops(`[{"op":"Add","path":"members","value":[{"$ref":null,"value":"u1"},{"value":"u2"}]}]`),
			want: []MemberOp{{AddMembers, []string{"u1", "u2"}}}},
		{name: "entra legacy remove names members", body: ops(`[{"op":"Remove","path":"members","value":[{"$ref":null,"value":"u1"}]}]`),
			want: []MemberOp{{RemoveMembers, []string{"u1"}}}},
		{name: "compliant remove", body: ops(`[{"op":"remove","path":"members[value eq \"u1\"]"}]`),
			want: []MemberOp{{RemoveMembers, []string{"u1"}}}},
		{name: "remove or filter", body: ops(`[{"op":"remove","path":"members[value eq \"u1\" or value eq \"u2\"]"}]`),
			want: []MemberOp{{RemoveMembers, []string{"u1", "u2"}}}},
		{name: "remove all", body: ops(`[{"op":"remove","path":"members"}]`), want: []MemberOp{{ReplaceMembers, nil}}},
		{name: "okta remove and add", body: ops(`[{"op":"remove","path":"members[value eq \"u1\"]"},{"op":"add","path":"members","value":[{"value":"u3","display":"c@x"}]}]`),
			want: []MemberOp{{RemoveMembers, []string{"u1"}}, {AddMembers, []string{"u3"}}}},
		{name: "okta full replace", body: ops(`[{"op":"replace","path":"members","value":[{"value":"u4"}]}]`),
			want: []MemberOp{{ReplaceMembers, []string{"u4"}}}},
		{name: "okta rename", body: ops(`[{"op":"replace","value":{"id":"g1","displayName":"Renamed"}}]`), doc: "Renamed"},
		{name: "path-less members", body: ops(`[{"op":"add","value":{"members":[{"value":"u5"}]}}]`),
			want: []MemberOp{{AddMembers, []string{"u5"}}}},
		{name: "member without value", body: ops(`[{"op":"add","path":"members","value":[{"display":"x"}]}]`), wantType: TypeInvalidValue},
		{name: "unsupported member filter", body: ops(`[{"op":"remove","path":"members[display eq \"x\"]"}]`), wantType: TypeInvalidFilter},
		{name: "members sub path", body: ops(`[{"op":"replace","path":"members.display","value":"x"}]`), wantType: TypeInvalidPath},
		{name: "clear displayName", body: ops(`[{"op":"replace","path":"displayName","value":"Other"}]`), doc: "Other"},
	}
	rt := newGroupType()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []MemberOp
			doc, err := patchDoc(t, rt, `{"displayName":"Tour Guides"}`, tt.body, &got)
			if tt.wantType != "" {
				var se *Error
				if !errors.As(err, &se) || se.ScimType != tt.wantType {
					t.Fatalf("error = %v, want %s", err, tt.wantType)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("member ops = %+v, want %+v", got, tt.want)
			}
			wantName := tt.doc
			if wantName == "" {
				wantName = "Tour Guides"
			}
			if doc["displayName"] != wantName || doc["members"] != nil {
				t.Fatalf("doc = %v", doc)
			}
		})
	}
}

func FuzzPatch(f *testing.F) {
	f.Add(ops(`[{"op":"replace","value":{"active":false}}]`))
	f.Add(ops(`[{"op":"Remove","path":"members","value":[{"value":"u1"}]}]`))
	f.Add(ops(`[{"op":"replace","path":"emails[type eq \"work\"].value","value":"x"}]`))
	f.Add(ops(`[{"op":"add","value":{"name.givenName":"Y","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager":"m"}}]`))
	f.Add(ops(`[{"op":"remove","path":"emails[value co \"b\"].display"}]`))
	f.Fuzz(func(t *testing.T, body string) {
		for _, rt := range []*resourceType{newUserType(), newGroupType()} {
			doc, _ := rt.normalize(map[string]any{"userName": "u", "displayName": "g",
				"emails": []any{map[string]any{"value": "a", "type": "work"}}})
			ops, err := parsePatch([]byte(body), filter.Limits{MaxLength: 256, MaxDepth: 4})
			if err == nil {
				var members []MemberOp
				err = rt.applyPatch(doc, ops, &members, filter.Limits{MaxLength: 256, MaxDepth: 4})
			}
			var se *Error
			if err != nil && (!errors.As(err, &se) || se.Status != 400) {
				t.Fatalf("body %q: error %v is not a 400 SCIM error", body, err)
			}
		}
	})
}
