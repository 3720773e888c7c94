package reconcile

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/dirsync/dirsync/connectors"
	"github.com/dirsync/dirsync/store"
)

func (pl *planner) planGroups() {
	src := pl.opts.Source
	byName := make(map[string]*store.Group, len(pl.st.Groups))
	ownedBySrc := map[string]*store.Group{}
	for _, g := range pl.st.Groups {
		byName[store.FoldName(g.DisplayName)] = g
		if g.Owner == src {
			ownedBySrc[g.SourceID] = g
		}
	}
	names, ids := map[string]int{}, map[string]int{}
	for _, g := range pl.snap.Groups {
		names[store.FoldName(g.DisplayName)]++
		ids[g.SourceID]++
	}
	matched := map[string]bool{}
	for _, sg := range pl.snap.Groups {
		skip := func(kind Kind, id, reason string) {
			pl.add(&Action{Kind: kind, Object: "group", ID: id, Name: sg.DisplayName, SourceID: sg.SourceID, Reason: reason})
		}
		switch {
		case strings.TrimSpace(sg.DisplayName) == "":
			skip(Skip, "", "no displayName")
			continue
		case sg.SourceID == "":
			skip(Skip, "", "no source id")
			continue
		case names[store.FoldName(sg.DisplayName)] > 1:
			skip(Skip, "", "displayName appears more than once in the source's data")
			continue
		case ids[sg.SourceID] > 1:
			skip(Skip, "", "source id appears more than once in the source's data")
			continue
		}
		cur, ok := ownedBySrc[sg.SourceID]
		if !ok {
			cur = byName[store.FoldName(sg.DisplayName)]
		}
		if cur != nil && matched[cur.ID] {
			cur = nil
		}
		var want *store.Group
		switch {
		case cur == nil:
			want = &store.Group{ID: pl.opts.NewID(), Owner: src}
			mapGroup(want, sg)
			pl.add(&Action{Kind: CreateGroup, Object: "group", ID: want.ID, Name: want.DisplayName,
				SourceID: sg.SourceID, group: want})
		case cur.Owner != "" && cur.Owner != src:
			skip(Conflict, cur.ID, fmt.Sprintf("displayName is owned by source %q; not taken over", cur.Owner))
			continue
		default:
			if other, taken := byName[store.FoldName(sg.DisplayName)]; taken && other.ID != cur.ID {
				skip(Conflict, cur.ID, fmt.Sprintf("cannot rename %q: displayName is taken by another group", cur.DisplayName))
				matched[cur.ID] = true
				continue
			}
			want = cloneGroup(cur)
			want.Owner = src
			mapGroup(want, sg)
			kind, reason := UpdateGroup, ""
			ch := store.DiffGroups(cur, want)
			switch {
			case cur.Owner == "":
				kind, reason = AdoptGroup, "unowned group with the same displayName linked to this source"
			case cur.SourceID == "" && onlySourceID(ch):
				kind, reason = LinkGroup, "group pushed over SCIM linked to its id in the source"
			}
			if len(ch) > 0 {
				pl.add(&Action{Kind: kind, Object: "group", ID: cur.ID, Name: want.DisplayName,
					SourceID: sg.SourceID, Changes: ch, Reason: reason, group: want})
			}
		}
		matched[want.ID] = true
		pl.planMembers(want, sg)
	}
	var gone []*store.Group
	switch pl.snap.Kind {
	case connectors.Full:
		for _, g := range pl.st.Groups {
			if g.Owner == src && !matched[g.ID] {
				gone = append(gone, g)
			}
		}
	case connectors.Delta:
		for _, id := range pl.snap.RemovedGroups {
			if g, ok := ownedBySrc[id]; ok && !matched[g.ID] {
				gone = append(gone, g)
			}
		}
	}
	for _, g := range gone {
		pl.add(&Action{Kind: OutOfScope, Object: "group", ID: g.ID, Name: g.DisplayName, SourceID: g.SourceID,
			Reason: "no longer in the source's scope; kept with its members (a pull never deletes)"})
	}
}

// onlySourceID reports whether the changes only fill in the source id.
func onlySourceID(ch []store.Change) bool {
	for _, c := range ch {
		if c.Field != "sourceId" {
			return false
		}
	}
	return len(ch) > 0
}

func mapGroup(g *store.Group, sg connectors.Group) {
	g.DisplayName = sg.DisplayName
	g.SourceID = sg.SourceID
	g.ExternalID = sg.ExternalID
}

func cloneGroup(g *store.Group) *store.Group {
	c := *g
	if g.Extra != nil {
		c.Extra = make(map[string]any, len(g.Extra))
		for k, v := range g.Extra {
			c.Extra[k] = v
		}
	}
	return &c
}

// planMembers applies group overwrite: the source's member list replaces the
// group's membership. Members the directory does not hold are reported in
// Missing and never invented.
func (pl *planner) planMembers(g *store.Group, sg connectors.Group) {
	var missing []string
	var fp store.MemberFP
	want := pl.wantBuf[:0]
	for _, sid := range sg.Members {
		t := pl.srcToUser[sid]
		if t == nil && pl.snap.Kind == connectors.Delta {
			t = pl.deltaFallback(sid)
		}
		if t == nil {
			missing = append(missing, sid)
			continue
		}
		// A source may list a member twice; the fingerprint needs each once.
		if t.group == pl.group {
			continue
		}
		t.group = pl.group
		fp.Xor(t.memberHash())
		want = append(want, t.u.ID)
	}
	pl.group++
	pl.wantBuf = want
	sort.Strings(missing)
	if g.MembersFP != "" && fp.String() == g.MembersFP {
		// The stored members are exactly these: no need to read them.
		if len(missing) > 0 {
			pl.add(&Action{Kind: Skip, Object: "group", ID: g.ID, Name: g.DisplayName, SourceID: sg.SourceID,
				Missing: missing, Reason: "members not in the directory were not added"})
		}
		return
	}
	loaded, ok := pl.st.Members[g.ID]
	if g.MembersFP != "" && !ok {
		pl.plan.needGroups[g.ID] = true
		return
	}
	want = slices.Clone(want) // kept by the action; the buffer is reused
	sort.Strings(want)
	seen, have := pl.seenBuf, pl.haveBuf
	clear(seen)
	clear(have)
	for _, id := range want {
		seen[id] = true
	}
	for _, id := range loaded {
		have[id] = true
	}
	a := &Action{Kind: SetMembers, Object: "group", ID: g.ID, Name: g.DisplayName, SourceID: sg.SourceID, group: g}
	for _, id := range want {
		if !have[id] {
			a.Added = append(a.Added, pl.member(id))
		}
	}
	for id := range have {
		if seen[id] {
			continue
		}
		// A protected user (a break-glass admin) never loses a membership.
		if u, ok := pl.userByID[id]; ok && pl.protected[store.FoldName(u.UserName)] {
			want = append(want, id)
			continue
		}
		a.Removed = append(a.Removed, pl.member(id))
	}
	a.Missing = missing
	if len(a.Added)+len(a.Removed) == 0 && len(missing) == 0 {
		return
	}
	if len(a.Added)+len(a.Removed) == 0 {
		// Nothing to write, but the admin must see who could not be added.
		a.Kind, a.Reason = Skip, "members not in the directory were not added"
	}
	sortMembers(a.Added)
	sortMembers(a.Removed)
	sort.Strings(want)
	a.memberTo = want
	pl.add(a)
}

// deltaFallback resolves a member id a delta does not list: a delta lists only
// changed users, so it is the source's existing user with that id, unless
// this plan deactivates it.
func (pl *planner) deltaFallback(sid string) *target {
	if t, ok := pl.fallback[sid]; ok {
		return t
	}
	var t *target
	if cur, ok := pl.ownedBySrc[sid]; ok && !pl.matched[cur.ID] {
		t = pl.targetOf(cur)
	}
	pl.fallback[sid] = t
	return t
}

func (pl *planner) member(id string) Member {
	if u, ok := pl.userByID[id]; ok {
		return Member{ID: id, UserName: u.UserName}
	}
	return Member{ID: id}
}

func sortMembers(m []Member) {
	sort.Slice(m, func(i, j int) bool {
		if m[i].UserName != m[j].UserName {
			return m[i].UserName < m[j].UserName
		}
		return m[i].ID < m[j].ID
	})
}

var kindOrder = map[Kind]int{
	CreateUser: 0, AdoptUser: 1, UpdateUser: 2, ReactivateUser: 3, DeactivateUser: 4,
	LinkUser: 5, CreateGroup: 6, AdoptGroup: 7, UpdateGroup: 8, LinkGroup: 9, SetMembers: 10,
	Conflict: 11, Skip: 12, OutOfScope: 13,
}

// sortActions orders a plan stably: users before groups, then by what the
// action does, then by name. Apply relies on users coming before groups and
// group records before their members.
func sortActions(as []*Action) {
	sort.SliceStable(as, func(i, j int) bool {
		a, b := as[i], as[j]
		if a.Object != b.Object {
			return a.Object == "user"
		}
		if kindOrder[a.Kind] != kindOrder[b.Kind] {
			return kindOrder[a.Kind] < kindOrder[b.Kind]
		}
		if a.Name != b.Name {
			return a.Name < b.Name
		}
		return a.SourceID < b.SourceID
	})
}
