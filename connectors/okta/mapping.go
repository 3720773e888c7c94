package okta

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/okta/okta-sdk-golang/v2/okta"

	"github.com/dirsync/dirsync/connectors"
)

// rawUser is the part of an Okta user the mapping needs, whether it came
// from /users, /groups/{id}/users or an app user's _embedded.user.
type rawUser struct {
	id, status string
	// appUserName is the app assignment's username, when read through an
	// app (user_name = "app").
	appUserName string
	profile     map[string]any
	lastUpdated time.Time
}

func fromSDK(u *okta.User) rawUser {
	r := rawUser{id: u.Id, status: u.Status}
	if u.Profile != nil {
		r.profile = *u.Profile
	}
	if u.LastUpdated != nil {
		r.lastUpdated = *u.LastUpdated
	}
	return r
}

// fromEmbedded reads the user the SDK leaves as a generic map in
// AppUser.Embedded when the listing used expand=user.
func fromEmbedded(au *okta.AppUser) (rawUser, error) {
	emb, _ := au.Embedded.(map[string]any)
	u, ok := emb["user"].(map[string]any)
	if !ok {
		return rawUser{}, fmt.Errorf("app user %s: no embedded user", au.Id)
	}
	r := rawUser{}
	if au.Credentials != nil {
		r.appUserName = au.Credentials.UserName
	}
	r.id, _ = u["id"].(string)
	r.status, _ = u["status"].(string)
	r.profile, _ = u["profile"].(map[string]any)
	if s, _ := u["lastUpdated"].(string); s != "" {
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return rawUser{}, fmt.Errorf("app user %s: lastUpdated: %w", au.Id, err)
		}
		r.lastUpdated = t
	}
	if r.id == "" {
		return rawUser{}, fmt.Errorf("app user %s: embedded user has no id", au.Id)
	}
	return r, nil
}

// mapUser turns an Okta user into the neutral type. SUSPENDED and
// DEPROVISIONED users (anything outside active_statuses) map to Active=false
// rather than being left out, so reconcile deactivates them.
func (s *source) mapUser(r rawUser) connectors.User {
	attr := func(name string) string { return profileString(r.profile[name]) }
	given, family := attr("firstName"), attr("lastName")
	display := attr(s.cfg.DisplayName)
	if display == "" {
		display = strings.TrimSpace(given + " " + family)
	}
	u := connectors.User{
		SourceID: r.id, ExternalID: r.id, UserName: s.userName(r, attr("login")),
		DisplayName: display, GivenName: given, FamilyName: family,
		Email: attr(s.cfg.Email), Active: s.active[r.status],
	}
	if len(s.cfg.Enterprise) > 0 {
		// Every mapped key is present, empty when Okta has null, so a value
		// removed in Okta is removed downstream too.
		u.Enterprise = make(map[string]string, len(s.cfg.Enterprise))
		for k, name := range s.cfg.Enterprise {
			u.Enterprise[k] = attr(name)
		}
	}
	return u
}

// profileString renders a profile value; custom attributes may be numbers
// or booleans in the Okta schema.
func profileString(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(v)
	default:
		return fmt.Sprint(v)
	}
}

// userName follows user_name: the app username when configured and known,
// else the Okta login (which is also Okta's default app username).
func (s *source) userName(r rawUser, login string) string {
	if s.cfg.UserName == "app" && r.appUserName != "" {
		return r.appUserName
	}
	return login
}
