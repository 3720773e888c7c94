package scim

import (
	"net/http"

	"github.com/dirsync/dirsync/store"
)

// claim applies the ownership rule shared with reconcile to a write through
// integration rc: an object another integration owns is refused (403, never
// a silent takeover, or push and pull of two IdPs would fight over it); an
// unowned object is adopted by the integration that edits it; the owner's
// own edits keep SourceID in step with externalId.
func claim(rc *request, kind, name, owner string, setOwner func(owner string), link func()) error {
	switch owner {
	case rc.integration.Name:
		link()
		return nil
	case "":
		setOwner(rc.integration.Name)
		link()
		return nil
	default:
		return &Error{Status: http.StatusForbidden, Detail: kind + " " + quote(name) + " is managed by integration " +
			quote(owner) + ", not " + quote(rc.integration.Name) + "; change it in that IdP, or remove it from this " +
			"integration's assignments"}
	}
}

func claimUser(rc *request, old, u *store.User) error {
	return claim(rc, "user", old.UserName, old.Owner,
		func(o string) { u.Owner = o },
		func() { u.SourceID = u.ExternalID })
}

func claimGroup(rc *request, old, g *store.Group) error {
	return claim(rc, "group", old.DisplayName, old.Owner,
		func(o string) { g.Owner = o },
		func() { g.SourceID = g.ExternalID })
}
