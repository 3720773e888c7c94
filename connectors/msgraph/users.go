package msgraph

import (
	"sort"
	"strings"

	"github.com/microsoftgraph/msgraph-sdk-go/models"

	"github.com/dirsync/dirsync/connectors"
)

// userProperty is every Graph string property the enterprise mapping can
// read, with its typed getter (the manager relationship is handled apart).
var userProperty = map[string]func(models.Userable) *string{
	"employeeId":     models.Userable.GetEmployeeId,
	"department":     models.Userable.GetDepartment,
	"jobTitle":       models.Userable.GetJobTitle,
	"companyName":    models.Userable.GetCompanyName,
	"officeLocation": models.Userable.GetOfficeLocation,
	"employeeType":   models.Userable.GetEmployeeType,
}

func userPropertyNames() []string {
	names := []string{"manager"}
	for k := range userProperty {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// userSelect is the $select of every user request: only what the mapping
// needs, which is also what keeps SDK deserialisation affordable.
func (c *Config) userSelect() []string {
	sel := []string{"id", "userPrincipalName", "mail", "displayName", "givenName", "surname", "accountEnabled"}
	keys := make([]string, 0, len(c.Enterprise))
	for k := range c.Enterprise {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if p := c.Enterprise[k]; p != "manager" && !contains(sel, p) {
			sel = append(sel, p)
		}
	}
	return sel
}

// userExpand asks for the manager's id when the mapping needs it.
func (c *Config) userExpand() []string {
	for _, p := range c.Enterprise {
		if p == "manager" {
			return []string{"manager($select=id)"}
		}
	}
	return nil
}

// mapUser turns a Graph user into the neutral type.
func (c *Config) mapUser(u models.Userable) connectors.User {
	id := str(u.GetId())
	out := connectors.User{
		SourceID:    id,
		ExternalID:  id,
		UserName:    str(u.GetUserPrincipalName()),
		DisplayName: str(u.GetDisplayName()),
		GivenName:   str(u.GetGivenName()),
		FamilyName:  str(u.GetSurname()),
		Email:       str(u.GetMail()),
		Active:      u.GetAccountEnabled() != nil && *u.GetAccountEnabled(),
	}
	if c.userNameAttribute() == "mail" {
		out.UserName = out.Email
	}
	if len(c.Enterprise) > 0 {
		out.Enterprise = make(map[string]string, len(c.Enterprise))
		for attr, prop := range c.Enterprise {
			if prop == "manager" {
				if m := u.GetManager(); m != nil {
					out.Enterprise[attr] = str(m.GetId())
				} else {
					out.Enterprise[attr] = ""
				}
				continue
			}
			out.Enterprise[attr] = str(userProperty[prop](u))
		}
	}
	return out
}

// removedReason returns the @removed reason of a delta item ("changed" for a
// soft delete, "deleted" for a hard one), or "" for a live object.
func removedReason(additional map[string]any) (string, bool) {
	r, ok := additional["@removed"]
	if !ok {
		return "", false
	}
	if m, ok := r.(map[string]any); ok {
		return rawString(m["reason"]), true
	}
	return "", true
}

func rawString(v any) string {
	switch s := v.(type) {
	case string:
		return s
	case *string:
		return str(s)
	}
	return ""
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// matchGroup reports whether a group name passes the groups selection.
func (c *Config) matchGroup(name string) bool {
	if len(c.Groups) == 0 {
		return true
	}
	for _, p := range c.Groups {
		if prefix, ok := strings.CutSuffix(p, "*"); ok {
			if strings.HasPrefix(strings.ToLower(name), strings.ToLower(prefix)) {
				return true
			}
		} else if strings.EqualFold(name, p) {
			return true
		}
	}
	return false
}
