package reconcile

import (
	"testing"

	"github.com/dirsync/dirsync/connectors"
	"github.com/dirsync/dirsync/store"
)

// The no-op fast path must agree with applying and diffing, for every kind
// of difference; otherwise a steady-state sync would miss a change.
func TestMappedEqualAgreesWithDiff(t *testing.T) {
	base := func() (*store.User, connectors.User) {
		u := &store.User{UserName: "ann@x.com", SourceID: "1", ExternalID: "1", Owner: "okta", DisplayName: "Ann",
			Name: store.Name{GivenName: "Ann", FamilyName: "Lee"}, Active: true,
			Emails:     []store.Email{{Value: "ann@x.com", Type: "work", Primary: true}},
			Enterprise: map[string]any{"department": "R&D", "manager": map[string]any{"value": "m1"}, "costCenter": 42.0}}
		su := connectors.User{SourceID: "1", ExternalID: "1", UserName: "ann@x.com", DisplayName: "Ann", GivenName: "Ann",
			FamilyName: "Lee", Email: "ANN@x.com", Active: true,
			Enterprise: map[string]string{"department": "R&D", "manager": "m1"}}
		return u, su
	}
	tests := []struct {
		name string
		mod  func(u *store.User, su *connectors.User)
	}{
		{"equal", func(*store.User, *connectors.User) {}},
		{"userName", func(_ *store.User, su *connectors.User) { su.UserName = "ann2@x.com" }},
		{"display", func(_ *store.User, su *connectors.User) { su.DisplayName = "A" }},
		{"given", func(_ *store.User, su *connectors.User) { su.GivenName = "A" }},
		{"family", func(_ *store.User, su *connectors.User) { su.FamilyName = "L" }},
		{"active", func(_ *store.User, su *connectors.User) { su.Active = false }},
		{"externalId", func(_ *store.User, su *connectors.User) { su.ExternalID = "x" }},
		{"email", func(_ *store.User, su *connectors.User) { su.Email = "other@x.com" }},
		{"no email from source", func(_ *store.User, su *connectors.User) { su.Email = "" }},
		{"no stored email", func(u *store.User, _ *connectors.User) { u.Emails = nil }},
		{"department", func(_ *store.User, su *connectors.User) { su.Enterprise["department"] = "Ops" }},
		{"department cleared", func(_ *store.User, su *connectors.User) { su.Enterprise["department"] = "" }},
		{"manager", func(_ *store.User, su *connectors.User) { su.Enterprise["manager"] = "m2" }},
		{"manager stored as string", func(u *store.User, _ *connectors.User) { u.Enterprise["manager"] = "m1" }},
		{"new key", func(_ *store.User, su *connectors.User) { su.Enterprise["division"] = "EU" }},
		{"absent key cleared", func(_ *store.User, su *connectors.User) { su.Enterprise["division"] = "" }},
		{"number pushed, string pulled", func(_ *store.User, su *connectors.User) { su.Enterprise["costCenter"] = "42" }},
		{"nil enterprise", func(u *store.User, _ *connectors.User) { u.Enterprise = nil }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, su := base()
			tt.mod(u, &su)
			want := u.Clone()
			applyMapped(want, &su)
			changed := len(store.DiffUsers(u, want)) > 0
			if got := mappedEqual(u, &su); got == changed {
				t.Fatalf("mappedEqual = %v but apply-and-diff changed = %v (%v)", got, changed, store.DiffUsers(u, want))
			}
		})
	}
}
