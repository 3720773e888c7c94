package graphfake

import (
	"net/http"
	"regexp"
	"strings"
)

var guidRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

func notFound(w http.ResponseWriter, id string) {
	graphError(w, http.StatusNotFound, "Request_ResourceNotFound",
		"Resource '"+id+"' does not exist or one of its queried reference-property objects are not present.")
}

func badID(w http.ResponseWriter, id string) bool {
	if guidRE.MatchString(id) {
		return false
	}
	graphError(w, http.StatusBadRequest, "Request_BadRequest", "Invalid object identifier '"+id+"'.")
	return true
}

func (t *Tenant) userJSON(u *User, props []string, expandMgr bool) map[string]any {
	m := make(map[string]any, len(props)+1)
	for _, p := range props {
		switch p {
		case "id":
			m[p] = u.ID
		case "userPrincipalName":
			m[p] = u.UserPrincipalName
		case "mail":
			m[p] = nullable(u.Mail)
		case "displayName":
			m[p] = u.DisplayName
		case "givenName":
			m[p] = nullable(u.GivenName)
		case "surname":
			m[p] = nullable(u.Surname)
		case "accountEnabled":
			m[p] = u.AccountEnabled
		case "employeeId":
			m[p] = nullable(u.EmployeeID)
		case "department":
			m[p] = nullable(u.Department)
		case "jobTitle":
			m[p] = nullable(u.JobTitle)
		case "companyName":
			m[p] = nullable(u.CompanyName)
		case "officeLocation":
			m[p] = nullable(u.OfficeLocation)
		case "employeeType":
			m[p] = nullable(u.EmployeeType)
		}
	}
	if expandMgr {
		if mgr, ok := t.users[u.ManagerID]; ok {
			m["manager"] = map[string]any{"@odata.type": "#microsoft.graph.user", "id": mgr.ID}
		} else {
			m["manager"] = nil
		}
	}
	return m
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func groupJSON(g *group, props []string) map[string]any {
	m := map[string]any{"id": g.ID}
	if contains(props, "displayName") {
		m["displayName"] = g.DisplayName
	}
	return m
}

// page cuts ids at the request's $skiptoken and returns the page and the
// next link ("" on the last page).
func page(r *http.Request, ids []string, q query) ([]string, string, error) {
	tok := pageToken{Page: 1}
	if q.skip != "" {
		var err error
		if tok, err = decodePageToken(q.skip); err != nil {
			return nil, "", err
		}
	}
	start := min(tok.Offset, len(ids))
	end := min(start+q.top, len(ids))
	next := ""
	if end < len(ids) {
		next = link(r, baseURL(r), "$skiptoken", pageToken{Offset: end, Page: tok.Page + 1}.encode())
	}
	return ids[start:end], next, nil
}

func collection(r *http.Request, context string, items []map[string]any, next string) map[string]any {
	body := map[string]any{
		"@odata.context": baseURL(r) + "/v1.0/$metadata#" + context,
		"value":          items,
	}
	if next != "" {
		body["@odata.nextLink"] = next
	}
	return body
}

func (f *Fake) listUsers(w http.ResponseWriter, r *http.Request, _ string) {
	q, err := parseQuery(r, userProps)
	if err != nil {
		graphError(w, http.StatusBadRequest, "Request_UnsupportedQuery", err.Error())
		return
	}
	t := f.Tenant
	t.mu.Lock()
	t.compact()
	ids := t.userOrder
	if q.filterIDs != nil {
		ids = nil
		for _, id := range q.filterIDs {
			if _, ok := t.users[id]; ok {
				ids = append(ids, id)
			}
		}
	}
	pg, next, err := page(r, ids, q)
	if err != nil {
		t.mu.Unlock()
		graphError(w, http.StatusBadRequest, "Request_BadRequest", "Invalid skip token.")
		return
	}
	props := q.props(defaultUserProps)
	items := make([]map[string]any, len(pg))
	for i, id := range pg {
		items[i] = t.userJSON(t.users[id], props, q.expandMgr)
	}
	t.mu.Unlock()
	writeJSON(w, collection(r, "users", items, next))
}

func (f *Fake) getUser(w http.ResponseWriter, r *http.Request, id string) {
	q, err := parseQuery(r, userProps)
	if err != nil {
		graphError(w, http.StatusBadRequest, "Request_UnsupportedQuery", err.Error())
		return
	}
	t := f.Tenant
	t.mu.Lock()
	u, ok := t.users[id]
	if !ok {
		// Graph also accepts a userPrincipalName in place of the id.
		for _, cand := range t.users {
			if strings.EqualFold(cand.UserPrincipalName, id) {
				u, ok = cand, true
				break
			}
		}
	}
	if !ok {
		t.mu.Unlock()
		notFound(w, id)
		return
	}
	body := t.userJSON(u, q.props(defaultUserProps), q.expandMgr)
	t.mu.Unlock()
	body["@odata.context"] = baseURL(r) + "/v1.0/$metadata#users/$entity"
	writeJSON(w, body)
}

func (f *Fake) listGroups(w http.ResponseWriter, r *http.Request, _ string) {
	q, err := parseQuery(r, groupProps)
	if err != nil {
		graphError(w, http.StatusBadRequest, "Request_UnsupportedQuery", err.Error())
		return
	}
	t := f.Tenant
	t.mu.Lock()
	t.compact()
	ids := t.groupOrder
	if q.filterIDs != nil || q.filterPrefix != "" || q.filterEq != "" {
		ids = nil
		for _, id := range t.groupOrder {
			g := t.groups[id]
			switch {
			case q.filterIDs != nil && !contains(q.filterIDs, id):
			case q.filterPrefix != "" && !strings.HasPrefix(strings.ToLower(g.DisplayName), strings.ToLower(q.filterPrefix)):
			case q.filterEq != "" && !strings.EqualFold(g.DisplayName, q.filterEq):
			default:
				ids = append(ids, id)
			}
		}
	}
	pg, next, err := page(r, ids, q)
	if err != nil {
		t.mu.Unlock()
		graphError(w, http.StatusBadRequest, "Request_BadRequest", "Invalid skip token.")
		return
	}
	props := q.props(groupProps)
	items := make([]map[string]any, len(pg))
	for i, id := range pg {
		items[i] = groupJSON(t.groups[id], props)
	}
	t.mu.Unlock()
	writeJSON(w, collection(r, "groups", items, next))
}

func (f *Fake) getGroup(w http.ResponseWriter, r *http.Request, id string) {
	if badID(w, id) {
		return
	}
	q, err := parseQuery(r, groupProps)
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
	body := groupJSON(g, q.props(groupProps))
	t.mu.Unlock()
	body["@odata.context"] = baseURL(r) + "/v1.0/$metadata#groups/$entity"
	writeJSON(w, body)
}
