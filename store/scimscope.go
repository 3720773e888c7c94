package store

// The SCIM attribute scopes: how a filter's attribute paths map onto the
// users and groups tables and their JSON columns.

import (
	"fmt"
	"strings"

	"github.com/dirsync/dirsync/connectors/scim/filter"
)

// The enterprise extension's schema URN, under which its attributes live in
// the users.enterprise column.
const enterpriseURN = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"

// extraMulti are the multi-valued core attributes kept in users.extra.
var extraMulti = map[string]bool{"phonenumbers": true, "ims": true, "photos": true, "addresses": true,
	"entitlements": true, "roles": true, "x509certificates": true}

func validJSONName(s string) bool {
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-' || r == '$') {
			return false
		}
	}
	return s != ""
}

// validURN keeps a schema URN that becomes part of a JSON path literal to
// characters that cannot end the literal or confuse SQLite's path parser.
func validURN(s string) bool {
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune(":._-", r)) {
			return false
		}
	}
	return true
}

func checkPath(p filter.AttrPath) error {
	if !validJSONName(p.Name) || (p.Sub != "" && !validJSONName(p.Sub)) {
		return fmt.Errorf("%w: invalid attribute name %q", ErrInvalidFilter, p.String())
	}
	return nil
}

// jsonArray is a multi-valued attribute stored as a JSON array of objects
// in column col (optionally under path), compared through "value" by default.
func jsonArray(col, path string) *multi {
	from := "json_each(" + col + ")"
	first := "json_extract(" + col + ", '$[0].value')"
	if path != "$" {
		from = "json_each(" + col + ", '" + path + "')"
		first = "json_extract(" + col + ", '" + path + "[0].value')"
	}
	return &multi{
		from: func(alias string) string { return from + " " + alias + " WHERE 1" },
		elem: func(alias, sub string) target {
			if sub == "" {
				sub = "value"
			}
			if strings.EqualFold(sub, "primary") {
				return target{expr: "coalesce(json_extract(" + alias + ".value, '" + jsonPath(sub) + "'), 0)", kind: kindBool}
			}
			return target{expr: "json_extract(" + alias + ".value, '" + jsonPath(sub) + "')", kind: kindJSON}
		},
		first: first,
	}
}

// metaTarget resolves meta.* of either table; both keep the same columns.
func metaTarget(table, sub string) (target, error) {
	switch strings.ToLower(sub) {
	case "created":
		return target{expr: table + ".created", kind: kindTime}, nil
	case "lastmodified":
		return target{expr: table + ".last_modified", kind: kindTime}, nil
	case "resourcetype":
		return target{kind: kindTrue}, nil
	case "version":
		return target{expr: table + ".version", kind: kindJSON}, nil
	}
	return target{}, fmt.Errorf("%w: unknown attribute meta.%s", ErrInvalidFilter, sub)
}

type userScope struct{}

func (userScope) table() string { return "users" }

func (userScope) resolve(p filter.AttrPath) (target, error) {
	if err := checkPath(p); err != nil {
		return target{}, err
	}
	urn := strings.ToLower(p.URN)
	if urn == strings.ToLower(enterpriseURN) {
		return target{expr: "json_extract(users.enterprise, '" + jsonPath(p.Name, p.Sub) + "')", kind: kindJSON}, nil
	}
	if urn != "" && urn != "urn:ietf:params:scim:schemas:core:2.0:user" {
		// Another extension: kept in extra under its URN, as pushed. The URN
		// is quoted as a JSON path key, so it must not contain a quote.
		if !validURN(p.URN) {
			return target{}, fmt.Errorf("%w: invalid schema URN %q", ErrInvalidFilter, p.URN)
		}
		return target{expr: "json_extract(users.extra, '$.\"" + p.URN + "\"" + jsonPath(p.Name, p.Sub)[1:] + "')", kind: kindJSON}, nil
	}
	name, sub := strings.ToLower(p.Name), strings.ToLower(p.Sub)
	col := func(c string, k kind) (target, error) {
		if p.Sub != "" {
			return target{}, fmt.Errorf("%w: %s has no sub-attribute %q", ErrInvalidFilter, p.Name, p.Sub)
		}
		return target{expr: "users." + c, kind: k}, nil
	}
	switch name {
	case "id":
		return col("id", kindExact)
	case "username":
		return col("user_name_fold", kindFold)
	case "externalid":
		return col("external_id", kindExact)
	case "displayname":
		// caseExact=false, like userName; the NOCASE index keeps eq a lookup.
		return col("display_name", kindNoCase)
	case "active":
		return col("active", kindBool)
	case "name":
		cols := map[string]string{"formatted": "formatted_name", "givenname": "given_name", "familyname": "family_name",
			"middlename": "middle_name", "honorificprefix": "honorific_prefix", "honorificsuffix": "honorific_suffix"}
		if c, ok := cols[sub]; ok {
			return target{expr: "users." + c, kind: kindNoCase}, nil
		}
		return target{}, fmt.Errorf("%w: unknown attribute name.%s", ErrInvalidFilter, p.Sub)
	case "meta":
		return metaTarget("users", p.Sub)
	case "emails":
		return many(jsonArray("users.emails", "$")), nil
	case "groups":
		return many(&multi{
			from: func(a string) string {
				return "memberships " + a + "m JOIN groups " + a + " ON " + a + ".pk = " + a + "m.group_pk WHERE " + a + "m.user_pk = users.pk"
			},
			elem: func(a, sub string) target {
				if strings.EqualFold(sub, "display") {
					return target{expr: a + ".display_name_fold", kind: kindFold}
				}
				return target{expr: a + ".id", kind: kindExact}
			},
			first: "''",
		}), nil
	}
	if extraMulti[name] {
		return many(jsonArray("users.extra", jsonPath(p.Name))), nil
	}
	return target{expr: "json_extract(users.extra, '" + jsonPath(p.Name, p.Sub) + "')", kind: kindJSON}, nil
}

// many is a multi-valued target; the path's sub-attribute is resolved per
// element when the comparison is compiled.
func many(m *multi) target { return target{multi: m} }

type groupScope struct{}

func (groupScope) table() string { return "groups" }

func (groupScope) resolve(p filter.AttrPath) (target, error) {
	if err := checkPath(p); err != nil {
		return target{}, err
	}
	if p.URN != "" && !strings.EqualFold(p.URN, "urn:ietf:params:scim:schemas:core:2.0:Group") {
		return target{expr: "NULL", kind: kindJSON}, nil // no group extensions: nothing has it
	}
	name := strings.ToLower(p.Name)
	if p.Sub != "" && name != "members" && name != "meta" {
		return target{expr: "json_extract(groups.extra, '" + jsonPath(p.Name, p.Sub) + "')", kind: kindJSON}, nil
	}
	switch name {
	case "id":
		return target{expr: "groups.id", kind: kindExact}, nil
	case "displayname":
		return target{expr: "groups.display_name_fold", kind: kindFold}, nil
	case "externalid":
		return target{expr: "groups.external_id", kind: kindExact}, nil
	case "meta":
		return metaTarget("groups", p.Sub)
	case "members":
		return many(&multi{
			from: func(a string) string {
				return "memberships " + a + "m JOIN users " + a + " ON " + a + ".pk = " + a + "m.user_pk WHERE " + a + "m.group_pk = groups.pk"
			},
			elem: func(a, sub string) target {
				if strings.EqualFold(sub, "display") {
					return target{expr: a + ".display_name", kind: kindNoCase}
				}
				return target{expr: a + ".id", kind: kindExact}
			},
			first: "''",
		}), nil
	}
	return target{expr: "json_extract(groups.extra, '" + jsonPath(p.Name) + "')", kind: kindJSON}, nil
}
