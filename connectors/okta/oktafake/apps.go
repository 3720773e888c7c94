package oktafake

import (
	"encoding/json"
	"maps"
	"net/http"
	"slices"
	"time"
)

// appUser is one row of GET /api/v1/apps/{id}/users.
type appUser struct {
	userID, userName, scope string
	lastUpdated             time.Time
}

// appUsersLocked derives the app users the way Okta does: every direct
// assignment (scope USER) plus every member of an assigned group (scope
// GROUP) unless also assigned directly; deprovisioned users have none. The
// result is cached until the next mutation. Callers hold o.mu.
func (o *Org) appUsersLocked(a *app) []appUser {
	a.cacheMu.Lock()
	defer a.cacheMu.Unlock()
	if a.cache != nil && a.cacheVersion == o.version {
		return a.cache
	}
	rows := map[string]appUser{}
	for gid, at := range a.groups {
		g := o.groups[gid]
		if g == nil {
			continue
		}
		for i, uid := range g.members {
			u := o.users[uid]
			if u == nil || u.Status == StatusDeprovisioned {
				continue
			}
			// The app user was created when both the assignment and the
			// membership existed.
			lu := at
			if g.joined[i].After(lu) {
				lu = g.joined[i]
			}
			if prev, ok := rows[uid]; ok && prev.lastUpdated.Before(lu) {
				lu = prev.lastUpdated
			}
			rows[uid] = appUser{userID: uid, userName: u.Login(), scope: "GROUP", lastUpdated: lu}
		}
	}
	for uid, as := range a.users {
		u := o.users[uid]
		if u == nil || u.Status == StatusDeprovisioned {
			continue
		}
		name := as.userName
		if name == "" {
			name = u.Login()
		}
		rows[uid] = appUser{userID: uid, userName: name, scope: "USER", lastUpdated: as.lastUpdated}
	}
	ids := slices.Sorted(maps.Keys(rows))
	a.cache = make([]appUser, len(ids))
	for i, id := range ids {
		a.cache[i] = rows[id]
	}
	a.cacheVersion = o.version
	return a.cache
}

func (o *Org) getApp(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	o.mu.RLock()
	a, ok := o.apps[id]
	var body []byte
	if ok {
		body, _ = json.Marshal(map[string]any{
			"id": a.ID, "name": "scim2testapp", "label": a.Label, "status": "ACTIVE",
			"created": ts(a.Created), "lastUpdated": ts(a.LastUpdated), "signOnMode": "AUTO_LOGIN",
			"features": []string{"PUSH_NEW_USERS", "PUSH_PROFILE_UPDATES", "GROUP_PUSH"},
			"_links":   map[string]any{"self": map[string]string{"href": baseURL(r) + "/api/v1/apps/" + a.ID}},
		})
	}
	o.mu.RUnlock()
	if !ok {
		writeError(w, http.StatusNotFound, "E0000007", "Not found: Resource not found: "+id+" (AppInstance)")
		return
	}
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

func (o *Org) listAppUsers(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	p, ok := parsePage(w, r, 50, 500)
	if !ok {
		return
	}
	expand := r.URL.Query().Get("expand") == "user"
	base := baseURL(r)
	o.mu.RLock()
	a, found := o.apps[id]
	var ids []string
	var more bool
	var body []byte
	if found {
		rows := o.appUsersLocked(a)
		userIDs := make([]string, len(rows))
		for i, row := range rows {
			userIDs[i] = row.userID
		}
		ids, more = p.take(userIDs, func(string) bool { return true })
		items := make([]map[string]any, 0, len(ids))
		for _, uid := range ids {
			i, _ := slices.BinarySearch(userIDs, uid)
			row, u := rows[i], o.users[uid]
			item := map[string]any{
				"id": uid, "externalId": nil, "created": ts(row.lastUpdated), "lastUpdated": ts(row.lastUpdated),
				"scope": row.scope, "status": "PROVISIONED", "statusChanged": ts(row.lastUpdated),
				"passwordChanged": nil, "syncState": "DISABLED", "profile": map[string]any{},
				"credentials": map[string]any{"userName": row.userName},
				"_links": map[string]any{"user": map[string]string{"href": base + "/api/v1/users/" + uid},
					"app": map[string]string{"href": base + "/api/v1/apps/" + id}},
			}
			if expand {
				item["_embedded"] = map[string]any{"user": u.json(base)}
			}
			items = append(items, item)
		}
		body, _ = json.Marshal(items)
	}
	o.mu.RUnlock()
	if !found {
		writeError(w, http.StatusNotFound, "E0000007", "Not found: Resource not found: "+id+" (AppInstance)")
		return
	}
	writePage(w, r, body, ids, more)
}

func (o *Org) listAppGroups(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	p, ok := parsePage(w, r, 20, 200)
	if !ok {
		return
	}
	base := baseURL(r)
	o.mu.RLock()
	a, found := o.apps[id]
	var ids []string
	var more bool
	var body []byte
	if found {
		ids, more = p.take(slices.Sorted(maps.Keys(a.groups)), func(string) bool { return true })
		items := make([]map[string]any, 0, len(ids))
		for i, gid := range ids {
			items = append(items, map[string]any{
				"id": gid, "lastUpdated": ts(a.groups[gid]), "priority": i, "profile": map[string]any{},
				"_links": map[string]any{"group": map[string]string{"href": base + "/api/v1/groups/" + gid},
					"app": map[string]string{"href": base + "/api/v1/apps/" + id}},
			})
		}
		body, _ = json.Marshal(items)
	}
	o.mu.RUnlock()
	if !found {
		writeError(w, http.StatusNotFound, "E0000007", "Not found: Resource not found: "+id+" (AppInstance)")
		return
	}
	writePage(w, r, body, ids, more)
}
