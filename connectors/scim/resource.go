package scim

import (
	"strconv"
	"strings"
	"time"

	"github.com/dirsync/dirsync/store"
)

// userKeys are the document keys that map to typed store.User fields; every
// other non-ignored key is kept in User.Extra.
var userKeys = map[string]bool{"userName": true, "externalId": true, "displayName": true, "name": true,
	"emails": true, "active": true, URNEnterprise: true}

// userFromDoc builds the store record a document describes, on top of base
// (the stored user for PUT and PATCH, an empty one for POST). Attributes
// absent from doc are cleared; id, owner, source and timestamps come from base.
func userFromDoc(doc document, base *store.User) (*store.User, error) {
	u := &store.User{ID: base.ID, Owner: base.Owner, SourceID: base.SourceID, Active: base.Active,
		Created: base.Created, LastModified: base.LastModified, Version: base.Version}
	u.UserName = strings.TrimSpace(str(doc["userName"]))
	if u.UserName == "" {
		return nil, badRequest(TypeInvalidValue, "userName is required")
	}
	u.ExternalID = str(doc["externalId"])
	u.DisplayName = str(doc["displayName"])
	if n, ok := doc["name"].(map[string]any); ok {
		u.Name = store.Name{Formatted: str(n["formatted"]), GivenName: str(n["givenName"]),
			FamilyName: str(n["familyName"]), MiddleName: str(n["middleName"]),
			HonorificPrefix: str(n["honorificPrefix"]), HonorificSuffix: str(n["honorificSuffix"])}
	}
	for _, el := range asList(doc["emails"]) {
		m, _ := el.(map[string]any)
		if v := str(m["value"]); v != "" {
			p, _ := m["primary"].(bool)
			u.Emails = append(u.Emails, store.Email{Value: v, Type: str(m["type"]), Primary: p, Display: str(m["display"])})
		}
	}
	// Absent active keeps the current state (true for a new user): clients
	// that do not manage activation must not deactivate by omission.
	if a, ok := doc["active"].(bool); ok {
		u.Active = a
	}
	if ent, ok := doc[URNEnterprise].(map[string]any); ok && len(ent) > 0 {
		u.Enterprise = ent
	}
	for k, v := range doc {
		if userKeys[k] || isIgnoredKey(k) {
			continue
		}
		if u.Extra == nil {
			u.Extra = map[string]any{}
		}
		u.Extra[k] = v
	}
	return u, nil
}

// isIgnoredKey reports keys that never reach the store: read-only common
// attributes, the user's groups (kept as memberships) and the password.
func isIgnoredKey(k string) bool {
	switch k {
	case "id", "meta", "schemas", "groups", "password", "members":
		return true
	}
	return false
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

// userDoc renders a stored user. groups are the ids of its groups (nil to
// leave the attribute out); base is the integration's endpoint URL.
func userDoc(u *store.User, groups []string, base string) document {
	doc := document{}
	for k, v := range u.Extra {
		doc[k] = v
	}
	schemas := []any{URNUser}
	if len(u.Enterprise) > 0 {
		schemas = append(schemas, URNEnterprise)
		doc[URNEnterprise] = u.Enterprise
	}
	doc["schemas"] = schemas
	doc["id"] = u.ID
	doc["userName"] = u.UserName
	setOrDelete(doc, "externalId", u.ExternalID)
	setOrDelete(doc, "displayName", u.DisplayName)
	name := map[string]any{}
	setOrDelete(name, "formatted", u.Name.Formatted)
	setOrDelete(name, "givenName", u.Name.GivenName)
	setOrDelete(name, "familyName", u.Name.FamilyName)
	setOrDelete(name, "middleName", u.Name.MiddleName)
	setOrDelete(name, "honorificPrefix", u.Name.HonorificPrefix)
	setOrDelete(name, "honorificSuffix", u.Name.HonorificSuffix)
	setOrDelete(doc, "name", name)
	var emails []any
	for _, e := range u.Emails {
		m := map[string]any{"value": e.Value}
		setOrDelete(m, "type", e.Type)
		setOrDelete(m, "display", e.Display)
		if e.Primary {
			m["primary"] = true
		}
		emails = append(emails, m)
	}
	setOrDelete(doc, "emails", emails)
	doc["active"] = u.Active
	if groups != nil {
		setOrDelete(doc, "groups", refList(groups, base+"/Groups/"))
	}
	doc["meta"] = meta("User", base+"/Users/"+u.ID, u.Created, u.LastModified, u.Version)
	return doc
}

// groupFromDoc builds a group record from a document on top of base. The
// member ids are returned apart; hasMembers is false when the document has
// no members attribute at all.
func groupFromDoc(doc document, base *store.Group) (*store.Group, []string, error) {
	g := &store.Group{ID: base.ID, Owner: base.Owner, SourceID: base.SourceID,
		Created: base.Created, LastModified: base.LastModified, Version: base.Version}
	g.DisplayName = strings.TrimSpace(str(doc["displayName"]))
	if g.DisplayName == "" {
		return nil, nil, badRequest(TypeInvalidValue, "displayName is required")
	}
	g.ExternalID = str(doc["externalId"])
	for k, v := range doc {
		if k == "displayName" || k == "externalId" || isIgnoredKey(k) {
			continue
		}
		if g.Extra == nil {
			g.Extra = map[string]any{}
		}
		g.Extra[k] = v
	}
	ids, err := valueIDs(doc["members"])
	if err != nil {
		return nil, nil, err
	}
	return g, ids, nil
}

// groupDoc renders a stored group; members nil leaves the attribute out
// (excludedAttributes=members, which Entra asks for on every lookup).
func groupDoc(g *store.Group, members []string, base string) document {
	doc := document{}
	for k, v := range g.Extra {
		doc[k] = v
	}
	doc["schemas"] = []any{URNGroup}
	doc["id"] = g.ID
	doc["displayName"] = g.DisplayName
	setOrDelete(doc, "externalId", g.ExternalID)
	if members != nil {
		doc["members"] = refList(members, base+"/Users/")
	}
	doc["meta"] = meta("Group", base+"/Groups/"+g.ID, g.Created, g.LastModified, g.Version)
	return doc
}

func refList(ids []string, prefix string) []any {
	out := make([]any, 0, len(ids))
	for _, id := range ids {
		out = append(out, map[string]any{"value": id, "$ref": prefix + id})
	}
	return out
}

func meta(rt, location string, created, modified time.Time, version int64) map[string]any {
	return map[string]any{
		"resourceType": rt,
		"created":      created.UTC().Format(time.RFC3339Nano),
		"lastModified": modified.UTC().Format(time.RFC3339Nano),
		"location":     location,
		"version":      etag(version),
	}
}

// etag is the weak entity tag of a store version: SCIM meta.version and the
// ETag header carry the same value.
func etag(version int64) string { return `W/"` + strconv.FormatInt(version, 10) + `"` }

// parseETag reads an If-Match value; "*" and empty mean any version (0).
func parseETag(s string) (int64, bool) {
	s = strings.TrimSpace(s)
	if s == "" || s == "*" {
		return 0, true
	}
	s = strings.TrimPrefix(s, "W/")
	s = strings.Trim(s, `"`)
	v, err := strconv.ParseInt(s, 10, 64)
	return v, err == nil && v > 0
}
