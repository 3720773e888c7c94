package graphfake

import (
	"net/http"
	"strings"
)

// route is one Graph endpoint: its kind (for counters and faults), the roles
// any one of which grants access, and its handler.
type route struct {
	kind  string
	roles []string
	serve func(w http.ResponseWriter, r *http.Request, id string)
}

// GraphHandler serves the Graph v1.0 API.
func (f *Fake) GraphHandler() http.Handler {
	return http.HandlerFunc(f.serveGraph)
}

func (f *Fake) serveGraph(w http.ResponseWriter, r *http.Request) {
	f.requests.Add(1)
	rt, id, ok := f.route(r.URL.Path)
	if !ok {
		graphError(w, http.StatusBadRequest, "BadRequest", "Resource not found for the segment '"+r.URL.Path+"'.")
		return
	}
	f.count(rt.kind)
	if r.Method != http.MethodGet {
		graphError(w, http.StatusMethodNotAllowed, "Request_BadRequest", "Specified HTTP method is not allowed for the request target.")
		return
	}
	if f.inject(w, r, rt.kind) {
		return
	}
	roles, ok := f.authorize(w, r)
	if !ok {
		return
	}
	if !hasAny(roles, rt.roles) {
		graphError(w, http.StatusForbidden, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
		return
	}
	rt.serve(w, r, id)
}

func (f *Fake) route(path string) (route, string, bool) {
	users := []string{UserReadAll, DirectoryReadAll}
	groups := []string{GroupReadAll, DirectoryReadAll}
	members := []string{GroupReadAll, GroupMemberReadAll, DirectoryReadAll}
	apps := []string{AppReadAll, DirectoryReadAll}
	p, ok := strings.CutPrefix(path, "/v1.0/")
	if !ok {
		return route{}, "", false
	}
	seg := strings.Split(p, "/")
	switch {
	case p == "users":
		return route{"users", users, f.listUsers}, "", true
	case p == "users/delta()" || p == "users/delta":
		return route{"users.delta", users, f.usersDelta}, "", true
	case len(seg) == 2 && seg[0] == "users":
		return route{"user", users, f.getUser}, seg[1], true
	case p == "groups":
		return route{"groups", groups, f.listGroups}, "", true
	case p == "groups/delta()" || p == "groups/delta":
		return route{"groups.delta", groups, f.groupsDelta}, "", true
	case len(seg) == 2 && seg[0] == "groups":
		return route{"group", groups, f.getGroup}, seg[1], true
	case len(seg) == 3 && seg[0] == "groups" && seg[2] == "members":
		return route{"members", members, f.listMembers(false)}, seg[1], true
	case len(seg) == 3 && seg[0] == "groups" && seg[2] == "transitiveMembers":
		return route{"transitiveMembers", members, f.listMembers(true)}, seg[1], true
	case len(seg) == 2 && seg[0] == "servicePrincipals":
		return route{"servicePrincipal", apps, f.getServicePrincipal}, seg[1], true
	case len(seg) == 3 && seg[0] == "servicePrincipals" && seg[2] == "appRoleAssignedTo":
		return route{"appRoleAssignedTo", apps, f.listAssignments}, seg[1], true
	}
	return route{}, "", false
}

func hasAny(have, want []string) bool {
	for _, w := range want {
		if contains(have, w) {
			return true
		}
	}
	return false
}
