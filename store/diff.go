package store

import (
	"encoding/json"
	"reflect"
	"sort"
)

// Change is one field's old and new value, as recorded in the audit log and
// shown in reports.
type Change struct {
	Field string `json:"field"`
	Old   any    `json:"old"`
	New   any    `json:"new"`
}

// DiffUsers lists the fields that differ between a and b, in a stable order.
// Enterprise and extra attributes are compared key by key so that the audit
// log says which one changed, not that "extra" did.
func DiffUsers(a, b *User) []Change {
	var c []Change
	str := func(field, x, y string) {
		if x != y {
			c = append(c, Change{Field: field, Old: x, New: y})
		}
	}
	str("userName", a.UserName, b.UserName)
	str("externalId", a.ExternalID, b.ExternalID)
	str("owner", a.Owner, b.Owner)
	str("sourceId", a.SourceID, b.SourceID)
	str("displayName", a.DisplayName, b.DisplayName)
	str("name.formatted", a.Name.Formatted, b.Name.Formatted)
	str("name.givenName", a.Name.GivenName, b.Name.GivenName)
	str("name.familyName", a.Name.FamilyName, b.Name.FamilyName)
	str("name.middleName", a.Name.MiddleName, b.Name.MiddleName)
	str("name.honorificPrefix", a.Name.HonorificPrefix, b.Name.HonorificPrefix)
	str("name.honorificSuffix", a.Name.HonorificSuffix, b.Name.HonorificSuffix)
	if !sameEmails(a.Emails, b.Emails) {
		// Typed, not JSON-normalised: a first sync holds 100k of these, and
		// they marshal the same.
		c = append(c, Change{Field: "emails", Old: emailsValue(a.Emails), New: emailsValue(b.Emails)})
	}
	if a.Active != b.Active {
		c = append(c, Change{Field: "active", Old: a.Active, New: b.Active})
	}
	c = append(c, diffMaps("enterprise.", a.Enterprise, b.Enterprise)...)
	c = append(c, diffMaps("", a.Extra, b.Extra)...)
	return c
}

// DiffGroups lists the group fields (not members) that differ.
func DiffGroups(a, b *Group) []Change {
	var c []Change
	str := func(field, x, y string) {
		if x != y {
			c = append(c, Change{Field: field, Old: x, New: y})
		}
	}
	str("displayName", a.DisplayName, b.DisplayName)
	str("externalId", a.ExternalID, b.ExternalID)
	str("owner", a.Owner, b.Owner)
	str("sourceId", a.SourceID, b.SourceID)
	c = append(c, diffMaps("", a.Extra, b.Extra)...)
	return c
}

func diffMaps(prefix string, a, b map[string]any) []Change {
	keys := map[string]bool{}
	for k := range a {
		keys[k] = true
	}
	for k := range b {
		keys[k] = true
	}
	if len(a) == 0 && len(b) == 0 {
		return nil
	}
	sorted := make([]string, 0, len(keys))
	for k := range keys {
		sorted = append(sorted, k)
	}
	sort.Strings(sorted)
	var c []Change
	for _, k := range sorted {
		if sameJSON(a[k], b[k]) {
			continue
		}
		c = append(c, Change{Field: prefix + k, Old: jsonValue(a[k]), New: jsonValue(b[k])})
	}
	return c
}

// jsonValue normalises v through JSON so that values decoded from the
// database and values built in Go compare equal when they mean the same.
func jsonValue(v any) any {
	if v == nil {
		return nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return v
	}
	var out any
	if json.Unmarshal(b, &out) != nil {
		return v
	}
	if s, ok := out.([]any); ok && len(s) == 0 {
		return nil
	}
	return out
}

// sameJSON compares cheaply first: a reconcile compares every user, and the
// JSON round trip is only needed when values differ in Go type alone (an int
// built in Go against a float64 decoded from the database).
func sameJSON(a, b any) bool {
	if reflect.DeepEqual(a, b) {
		return true
	}
	return reflect.DeepEqual(jsonValue(a), jsonValue(b))
}

func sameEmails(a, b []Email) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func emailsValue(e []Email) any {
	if len(e) == 0 {
		return nil
	}
	return append([]Email(nil), e...)
}
