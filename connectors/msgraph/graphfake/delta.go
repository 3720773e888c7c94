package graphfake

import (
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// deltaRound is the parsed state of one delta request.
type deltaRound struct {
	tok   pageToken
	q     query
	size  int
	first bool // no token: a new initial round
}

// startDelta resolves the request's token into a round, or writes the error
// Graph returns for an expired or unknown token.
func (f *Fake) startDelta(w http.ResponseWriter, r *http.Request, props []string) (deltaRound, bool) {
	v := r.URL.Query()
	t := f.Tenant
	t.mu.Lock()
	epoch, seq := t.epoch, t.seq
	t.mu.Unlock()
	var d deltaRound
	switch {
	case v.Get("$deltatoken") != "" || v.Get("$skiptoken") != "":
		raw := v.Get("$skiptoken")
		if raw == "" {
			raw = v.Get("$deltatoken")
		}
		tok, err := decodePageToken(raw)
		if err != nil || tok.Epoch != epoch {
			graphError(w, http.StatusGone, "syncStateNotFound",
				"The sync state generation is not found or the delta token is expired or invalid. Start a new full sync.")
			return d, false
		}
		if v.Get("$deltatoken") != "" {
			// A delta link starts a new round of the changes since its token.
			tok = pageToken{From: tok.To, To: seq, Page: 1, Epoch: epoch, Sel: tok.Sel, Exp: tok.Exp}
		}
		d.tok = tok
	default:
		d.first = true
		d.tok = pageToken{From: -1, To: seq, Page: 1, Epoch: epoch, Sel: v.Get("$select"), Exp: v.Get("$expand")}
	}
	qv := url.Values{}
	if d.tok.Sel != "" {
		qv.Set("$select", d.tok.Sel)
	}
	if d.tok.Exp != "" {
		qv.Set("$expand", d.tok.Exp)
	}
	q, err := parseValues(r.URL.Path, qv, props)
	if err != nil {
		graphError(w, http.StatusBadRequest, "Request_UnsupportedQuery", err.Error())
		return d, false
	}
	d.q = q
	f.mu.Lock()
	d.size = f.deltaPageSize
	f.mu.Unlock()
	if n, ok := maxPageSize(r); ok {
		d.size = n
		w.Header().Set("Preference-Applied", "odata.maxpagesize="+strconv.Itoa(n))
	}
	return d, true
}

func maxPageSize(r *http.Request) (int, bool) {
	for _, p := range strings.Split(r.Header.Get("Prefer"), ",") {
		if s, ok := strings.CutPrefix(strings.TrimSpace(p), "odata.maxpagesize="); ok {
			if n, err := strconv.Atoi(s); err == nil && n > 0 {
				return n, true
			}
		}
	}
	return 0, false
}

// finish writes one page of a round: a nextLink while items remain, else the
// deltaLink for the next round.
func (d deltaRound) finish(w http.ResponseWriter, r *http.Request, context string, items []map[string]any, total int) {
	end := d.tok.Offset + len(items)
	body := collection(r, context, items, "")
	base := baseURL(r) + r.URL.Path + "?"
	if end < total {
		next := d.tok
		next.Offset, next.Page = end, d.tok.Page+1
		body["@odata.nextLink"] = base + "$skiptoken=" + next.encode()
	} else {
		body["@odata.deltaLink"] = base + "$deltatoken=" + pageToken{To: d.tok.To, Epoch: d.tok.Epoch, Sel: d.tok.Sel, Exp: d.tok.Exp}.encode()
	}
	writeJSON(w, body)
}

// changed summarises the change log of one round for one object type.
type changed struct {
	order   []string
	props   map[string]map[string]bool
	created map[string]bool
	members map[string]map[string]change // group id -> member id -> last change
}

func (t *Tenant) changesIn(from, to int64, groups bool) changed {
	c := changed{props: map[string]map[string]bool{}, created: map[string]bool{}, members: map[string]map[string]change{}}
	i := sort.Search(len(t.changes), func(i int) bool { return t.changes[i].seq > from })
	for ; i < len(t.changes) && t.changes[i].seq <= to; i++ {
		ch := t.changes[i]
		if ch.isGroup != groups {
			continue
		}
		if _, seen := c.props[ch.id]; !seen {
			c.order = append(c.order, ch.id)
			c.props[ch.id] = map[string]bool{}
		}
		for _, p := range ch.props {
			c.props[ch.id][p] = true
		}
		if ch.created {
			c.created[ch.id] = true
		}
		if ch.memberOp != 0 {
			if c.members[ch.id] == nil {
				c.members[ch.id] = map[string]change{}
			}
			c.members[ch.id][ch.member] = ch
		}
	}
	return c
}

func removed(id, reason string) map[string]any {
	return map[string]any{"id": id, "@removed": map[string]any{"reason": reason}}
}

func (f *Fake) usersDelta(w http.ResponseWriter, r *http.Request, _ string) {
	d, ok := f.startDelta(w, r, userProps)
	if !ok {
		return
	}
	t := f.Tenant
	t.mu.Lock()
	defer t.mu.Unlock()
	props := d.q.props(defaultUserProps)
	var ids []string
	var c changed
	if d.tok.From < 0 {
		t.compact()
		ids = t.userOrder
	} else {
		c = t.changesIn(d.tok.From, d.tok.To, false)
		ids = c.order
	}
	start := min(d.tok.Offset, len(ids))
	end := min(start+d.size, len(ids))
	items := make([]map[string]any, 0, end-start)
	for _, id := range ids[start:end] {
		u, live := t.users[id]
		switch {
		case !live && t.deleted[id] != nil:
			items = append(items, removed(id, "changed"))
		case !live:
			items = append(items, removed(id, "deleted"))
		case d.tok.From < 0 || c.created[id]:
			items = append(items, t.userJSON(u, props, d.q.expandMgr))
		default:
			// An update carries the id and the changed properties only.
			var sel []string
			for _, p := range props {
				if p == "id" || c.props[id][p] {
					sel = append(sel, p)
				}
			}
			items = append(items, t.userJSON(u, sel, d.q.expandMgr && c.props[id]["manager"]))
		}
	}
	d.finish(w, r, "users", items, len(ids))
}

// slot is one group item of a groups delta page: Graph may spread a large
// group's initial members@delta over several items (and pages), each
// carrying a part.
type slot struct {
	id     string
	lo, hi int // member range of a split initial item; hi < 0 means all
}

func (f *Fake) groupsDelta(w http.ResponseWriter, r *http.Request, _ string) {
	d, ok := f.startDelta(w, r, groupProps)
	if !ok {
		return
	}
	f.mu.Lock()
	split := f.membersPerItem
	f.mu.Unlock()
	t := f.Tenant
	t.mu.Lock()
	defer t.mu.Unlock()
	withMembers := contains(d.q.sel, "members")
	props := d.q.props(groupProps)
	var ids []string
	var c changed
	if d.tok.From < 0 {
		t.compact()
		ids = t.groupOrder
	} else {
		c = t.changesIn(d.tok.From, d.tok.To, true)
		ids = c.order
	}
	slots := make([]slot, 0, len(ids))
	for _, id := range ids {
		g, live := t.groups[id]
		if !live || split <= 0 || !withMembers || !(d.tok.From < 0 || c.created[id]) || len(g.Members) <= split {
			slots = append(slots, slot{id: id, hi: -1})
			continue
		}
		for lo := 0; lo < len(g.Members); lo += split {
			slots = append(slots, slot{id: id, lo: lo, hi: min(lo+split, len(g.Members))})
		}
	}
	start := min(d.tok.Offset, len(slots))
	end := min(start+d.size, len(slots))
	items := make([]map[string]any, 0, end-start)
	for _, sl := range slots[start:end] {
		id := sl.id
		g, live := t.groups[id]
		if !live {
			items = append(items, removed(id, "deleted"))
			continue
		}
		full := d.tok.From < 0 || c.created[id]
		var m map[string]any
		if full && sl.lo == 0 {
			m = groupJSON(g, props)
		} else {
			m = map[string]any{"id": id}
			if c.props[id]["displayName"] && contains(props, "displayName") {
				m["displayName"] = g.DisplayName
			}
		}
		if withMembers {
			var md []map[string]any
			if full {
				members := g.Members
				if sl.hi >= 0 {
					members = members[sl.lo:sl.hi]
				}
				for _, mid := range members {
					md = append(md, map[string]any{"@odata.type": "#microsoft.graph." + t.kindOf(mid), "id": mid})
				}
			} else {
				for mid, ch := range c.members[id] {
					item := map[string]any{"@odata.type": "#microsoft.graph." + ch.memberType, "id": mid}
					if !g.memberSet[mid] {
						item["@removed"] = map[string]any{"reason": "deleted"}
					}
					md = append(md, item)
				}
			}
			if md != nil {
				m["members@delta"] = md
			}
		}
		items = append(items, m)
	}
	d.finish(w, r, "groups", items, len(slots))
}
