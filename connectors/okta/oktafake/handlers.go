package oktafake

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// page is a listing's position: how many items and after which id. Items
// are ordered by id and `after` is the last id of the previous page, which is
// what Okta's opaque cursors amount to.
type page struct {
	limit int
	after string
}

func parsePage(w http.ResponseWriter, r *http.Request, def, max int) (page, bool) {
	p := page{limit: def, after: r.URL.Query().Get("after")}
	if s := r.URL.Query().Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			writeError(w, http.StatusBadRequest, "E0000001", "Api validation failed: limit")
			return p, false
		}
		p.limit = min(n, max)
	}
	return p, true
}

// take returns up to p.limit ids after p.after that keep accepts, and
// whether a next page may follow. Like Okta, a full page always gets a next
// link while candidates remain, even if none of them will match.
func (p page) take(ids []string, keep func(id string) bool) ([]string, bool) {
	i := 0
	if p.after != "" {
		var found bool
		if i, found = slices.BinarySearch(ids, p.after); found {
			i++
		}
	}
	out := make([]string, 0, min(p.limit, len(ids)))
	for ; i < len(ids) && len(out) < p.limit; i++ {
		if keep(ids[i]) {
			out = append(out, ids[i])
		}
	}
	return out, len(out) == p.limit && i < len(ids)
}

// writePage sends one page with its self and next links as separate Link
// header lines; body must already be JSON.
func writePage(w http.ResponseWriter, r *http.Request, body []byte, ids []string, more bool) {
	w.Header().Add("Link", `<`+baseURL(r)+r.URL.RequestURI()+`>; rel="self"`)
	if more && len(ids) > 0 {
		q := r.URL.Query()
		q.Set("after", ids[len(ids)-1])
		w.Header().Add("Link", `<`+baseURL(r)+r.URL.Path+"?"+q.Encode()+`>; rel="next"`)
	}
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

func ts(t time.Time) string { return t.UTC().Format(TimeLayout) }

func (u *User) json(base string) map[string]any {
	var activated any
	if u.Status != StatusStaged {
		activated = ts(u.Created)
	}
	return map[string]any{
		"id": u.ID, "status": u.Status, "created": ts(u.Created), "activated": activated,
		"statusChanged": ts(u.StatusChanged), "lastLogin": nil, "lastUpdated": ts(u.LastUpdated),
		"passwordChanged": nil, "type": map[string]string{"id": "otyfake0000000000000"},
		"profile":     u.Profile,
		"credentials": map[string]any{"provider": map[string]string{"type": "OKTA", "name": "OKTA"}},
		"_links":      map[string]any{"self": map[string]string{"href": base + "/api/v1/users/" + u.ID}},
	}
}

func (g *group) json(base string) map[string]any {
	return map[string]any{
		"id": g.ID, "created": ts(g.Created), "lastUpdated": ts(g.LastUpdated),
		"lastMembershipUpdated": ts(g.LastMembershipUpdated), "objectClass": []string{"okta:user_group"},
		"type": "OKTA_GROUP", "profile": map[string]string{"name": g.Name, "description": g.Description},
		"_links": map[string]any{"self": map[string]string{"href": base + "/api/v1/groups/" + g.ID}},
	}
}

// listFilter parses filter and search (Okta treats both as expressions here)
// and checks them against the object type.
func listFilter(w http.ResponseWriter, r *http.Request, probe attrs) (filter, bool) {
	var f filter
	for _, param := range []string{"filter", "search"} {
		s := r.URL.Query().Get(param)
		if s == "" {
			continue
		}
		p, err := parseFilter(s)
		if err == nil {
			err = p.check(probe)
		}
		if err != nil {
			writeError(w, http.StatusBadRequest, "E0000031", "Invalid search criteria.")
			return nil, false
		}
		f = append(f, p...) // both set: either may match, good enough for a fake
	}
	return f, true
}

func (o *Org) listUsers(w http.ResponseWriter, r *http.Request) {
	p, ok := parsePage(w, r, 200, 200)
	if !ok {
		return
	}
	f, ok := listFilter(w, r, (&User{}).attrs)
	if !ok {
		return
	}
	q := strings.ToLower(r.URL.Query().Get("q"))
	// The plain list leaves out deprovisioned users; only an expression on
	// status can return them.
	hideDeprovisioned := !f.mentions("status")
	base := baseURL(r)
	o.mu.RLock()
	ids, more := p.take(o.userIDs, func(id string) bool {
		u := o.users[id]
		if hideDeprovisioned && u.Status == StatusDeprovisioned {
			return false
		}
		if q != "" && !userMatchesQ(u, q) {
			return false
		}
		return f.match(u.attrs)
	})
	items := make([]map[string]any, 0, len(ids))
	for _, id := range ids {
		items = append(items, o.users[id].json(base))
	}
	body, _ := json.Marshal(items)
	o.mu.RUnlock()
	writePage(w, r, body, ids, more)
}

func userMatchesQ(u *User, q string) bool {
	for _, k := range []string{"login", "email", "firstName", "lastName"} {
		if s, _ := u.Profile[k].(string); strings.HasPrefix(strings.ToLower(s), q) {
			return true
		}
	}
	return false
}

func (o *Org) getUser(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	o.mu.RLock()
	u, ok := o.users[id]
	if !ok { // Okta also finds users by login
		for _, c := range o.users {
			if c.Login() == id {
				u, ok = c, true
				break
			}
		}
	}
	var body []byte
	if ok {
		body, _ = json.Marshal(u.json(baseURL(r)))
	}
	o.mu.RUnlock()
	if !ok {
		writeError(w, http.StatusNotFound, "E0000007", "Not found: Resource not found: "+id+" (User)")
		return
	}
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

func (o *Org) listGroups(w http.ResponseWriter, r *http.Request) {
	p, ok := parsePage(w, r, 10000, 10000)
	if !ok {
		return
	}
	f, ok := listFilter(w, r, (&group{}).attrs)
	if !ok {
		return
	}
	q := strings.ToLower(r.URL.Query().Get("q"))
	base := baseURL(r)
	o.mu.RLock()
	ids, more := p.take(o.groupIDs, func(id string) bool {
		g := o.groups[id]
		return strings.HasPrefix(strings.ToLower(g.Name), q) && f.match(g.attrs)
	})
	items := make([]map[string]any, 0, len(ids))
	for _, id := range ids {
		items = append(items, o.groups[id].json(base))
	}
	body, _ := json.Marshal(items)
	o.mu.RUnlock()
	writePage(w, r, body, ids, more)
}

func (o *Org) getGroup(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	o.mu.RLock()
	g, ok := o.groups[id]
	var body []byte
	if ok {
		body, _ = json.Marshal(g.json(baseURL(r)))
	}
	o.mu.RUnlock()
	if !ok {
		writeError(w, http.StatusNotFound, "E0000007", "Not found: Resource not found: "+id+" (UserGroup)")
		return
	}
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

func (o *Org) listGroupUsers(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	p, ok := parsePage(w, r, 1000, 1000)
	if !ok {
		return
	}
	base := baseURL(r)
	o.mu.RLock()
	g, found := o.groups[id]
	var ids []string
	var more bool
	var body []byte
	if found {
		ids, more = p.take(g.members, func(string) bool { return true })
		items := make([]map[string]any, 0, len(ids))
		for _, uid := range ids {
			items = append(items, o.users[uid].json(base))
		}
		body, _ = json.Marshal(items)
	}
	o.mu.RUnlock()
	if !found {
		writeError(w, http.StatusNotFound, "E0000007", "Not found: Resource not found: "+id+" (UserGroup)")
		return
	}
	writePage(w, r, body, ids, more)
}
