package graphfake

import (
	"net/http"
	"strings"
)

// listMembers serves /members, or /transitiveMembers (every user and group
// reachable through nested groups, each once, cycle-safe).
func (f *Fake) listMembers(transitive bool) func(http.ResponseWriter, *http.Request, string) {
	return func(w http.ResponseWriter, r *http.Request, id string) {
		if badID(w, id) {
			return
		}
		q, err := parseQuery(r, append(userProps[:len(userProps):len(userProps)], "displayName"))
		if err != nil {
			graphError(w, http.StatusBadRequest, "Request_UnsupportedQuery", err.Error())
			return
		}
		t := f.Tenant
		t.mu.Lock()
		g, ok := t.groups[id]
		if !ok {
			t.mu.Unlock()
			notFound(w, id)
			return
		}
		ids := g.Members
		if transitive {
			ids = t.transitive(g)
		}
		pg, next, err := page(r, ids, q)
		if err != nil {
			t.mu.Unlock()
			graphError(w, http.StatusBadRequest, "Request_BadRequest", "Invalid skip token.")
			return
		}
		items := make([]map[string]any, 0, len(pg))
		for _, mid := range pg {
			items = append(items, t.memberJSON(mid, q))
		}
		t.mu.Unlock()
		writeJSON(w, collection(r, "directoryObjects", items, next))
	}
}

func (t *Tenant) memberJSON(id string, q query) map[string]any {
	if u, ok := t.users[id]; ok {
		m := t.userJSON(u, q.props(defaultUserProps), false)
		m["@odata.type"] = "#microsoft.graph.user"
		return m
	}
	m := groupJSON(t.groups[id], q.props(groupProps))
	m["@odata.type"] = "#microsoft.graph.group"
	return m
}

func (t *Tenant) transitive(root *group) []string {
	seen := map[string]bool{root.ID: true}
	var out []string
	queue := []*group{root}
	for len(queue) > 0 {
		g := queue[0]
		queue = queue[1:]
		for _, m := range g.Members {
			if seen[m] {
				continue
			}
			seen[m] = true
			out = append(out, m)
			if ng, ok := t.groups[m]; ok {
				queue = append(queue, ng)
			}
		}
	}
	return out
}

func (f *Fake) getServicePrincipal(w http.ResponseWriter, r *http.Request, id string) {
	if badID(w, id) {
		return
	}
	t := f.Tenant
	if !strings.EqualFold(id, t.spID) {
		notFound(w, id)
		return
	}
	writeJSON(w, map[string]any{
		"@odata.context":             baseURL(r) + "/v1.0/$metadata#servicePrincipals/$entity",
		"id":                         t.spID,
		"appId":                      t.appID,
		"displayName":                t.spName,
		"appRoleAssignmentRequired":  true,
		"servicePrincipalType":       "Application",
		"accountEnabled":             true,
		"appOwnerOrganizationId":     TenantID,
		"signInAudience":             "AzureADMyOrg",
		"preferredSingleSignOnMode":  nil,
		"appRoles":                   []any{},
		"servicePrincipalNames":      []string{t.appID},
		"replyUrls":                  []string{},
		"tags":                       []string{"WindowsAzureActiveDirectoryIntegratedApp"},
		"alternativeNames":           []string{},
		"notificationEmailAddresses": []string{},
	})
}

func (f *Fake) listAssignments(w http.ResponseWriter, r *http.Request, id string) {
	if badID(w, id) {
		return
	}
	q, err := parseQuery(r, []string{"id", "principalId", "principalType", "principalDisplayName", "appRoleId", "resourceId"})
	if err != nil {
		graphError(w, http.StatusBadRequest, "Request_UnsupportedQuery", err.Error())
		return
	}
	t := f.Tenant
	t.mu.Lock()
	if !strings.EqualFold(id, t.spID) {
		t.mu.Unlock()
		notFound(w, id)
		return
	}
	ids := make([]string, len(t.assignments))
	for i, a := range t.assignments {
		ids[i] = a.PrincipalID
	}
	pg, next, err := page(r, ids, q)
	if err != nil {
		t.mu.Unlock()
		graphError(w, http.StatusBadRequest, "Request_BadRequest", "Invalid skip token.")
		return
	}
	items := make([]map[string]any, 0, len(pg))
	for _, pid := range pg {
		typ, name := "User", ""
		if u, ok := t.users[pid]; ok {
			name = u.DisplayName
		} else if g, ok := t.groups[pid]; ok {
			typ, name = "Group", g.DisplayName
		}
		items = append(items, map[string]any{
			// Real assignment ids are opaque base64 strings, not GUIDs.
			"id":                   strings.ReplaceAll(pid, "-", "")[:22] + "Xq",
			"createdDateTime":      "2026-01-01T00:00:00Z",
			"appRoleId":            "00000000-0000-0000-0000-000000000000",
			"principalId":          pid,
			"principalType":        typ,
			"principalDisplayName": name,
			"resourceId":           t.spID,
			"resourceDisplayName":  t.spName,
		})
	}
	t.mu.Unlock()
	writeJSON(w, collection(r, "servicePrincipals('"+t.spID+"')/appRoleAssignedTo", items, next))
}
