package graphfake

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
)

// Spec describes a generated tenant. Generation is deterministic for a given
// Seed, so benchmarks and tests see the same ids run after run.
type Spec struct {
	Users, Groups, Memberships int
	Seed                       uint64
	// AssignUsers and AssignGroups assign the first n users and groups to the
	// application (for "assigned" scope).
	AssignUsers, AssignGroups int
}

// Generate fills the tenant with Spec.Users users and Spec.Groups groups and
// spreads Spec.Memberships user memberships over the groups round-robin. It is
// meant for an empty tenant and records no delta changes (as if everything
// predates the first sync), so a generated 100k-user tenant costs no change
// log.
func (t *Tenant) Generate(s Spec) {
	t.mu.Lock()
	defer t.mu.Unlock()
	r := splitmix{s: s.Seed}
	userIDs := make([]string, s.Users)
	for i := range s.Users {
		id := r.guid()
		userIDs[i] = id
		u := &User{
			ID:                id,
			UserPrincipalName: fmt.Sprintf("user%06d@contoso.example", i),
			Mail:              fmt.Sprintf("user.%06d@contoso.example", i),
			DisplayName:       fmt.Sprintf("User %06d", i),
			GivenName:         "User",
			Surname:           fmt.Sprintf("%06d", i),
			AccountEnabled:    i%50 != 49,
			EmployeeID:        fmt.Sprintf("E%06d", i),
			Department:        fmt.Sprintf("Dept %d", i%20),
		}
		if i > 0 {
			u.ManagerID = userIDs[(i-1)/10]
		}
		t.users[id] = u
		t.userOrder = append(t.userOrder, id)
	}
	groups := make([]*group, s.Groups)
	for i := range s.Groups {
		g := &group{Group: Group{ID: r.guid(), DisplayName: fmt.Sprintf("Group %05d", i)}, memberSet: map[string]bool{}}
		groups[i] = g
		t.groups[g.ID] = g
		t.groupOrder = append(t.groupOrder, g.ID)
	}
	if s.Groups > 0 && s.Users > 0 {
		// Member k of group g is user (g + k*Groups) mod Users: no duplicates
		// while a group has fewer members than there are users.
		for m := range s.Memberships {
			gi := m % s.Groups
			ui := (gi + (m/s.Groups)*s.Groups + m/s.Users) % s.Users
			g, id := groups[gi], userIDs[ui]
			if !g.memberSet[id] {
				g.memberSet[id] = true
				g.Members = append(g.Members, id)
			}
		}
	}
	for i := range min(s.AssignUsers, s.Users) {
		t.assignments = append(t.assignments, Assignment{PrincipalID: userIDs[i], PrincipalType: "User"})
	}
	for i := range min(s.AssignGroups, s.Groups) {
		t.assignments = append(t.assignments, Assignment{PrincipalID: groups[i].ID, PrincipalType: "Group"})
	}
}

// splitmix is a tiny deterministic generator for ids.
type splitmix struct{ s uint64 }

func (r *splitmix) next() uint64 {
	r.s += 0x9e3779b97f4a7c15
	z := r.s
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

func (r *splitmix) guid() string {
	var b [16]byte
	a, c := r.next(), r.next()
	for i := range 8 {
		b[i] = byte(a >> (8 * i))
		b[8+i] = byte(c >> (8 * i))
	}
	return formatGUID(b)
}

// newGUID returns a random version 4 GUID.
func newGUID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return formatGUID(b)
}

func formatGUID(b [16]byte) string {
	b[6] = b[6]&0x0f | 0x40 // version 4
	b[8] = b[8]&0x3f | 0x80 // RFC 4122 variant
	var s [36]byte
	hex.Encode(s[0:8], b[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], b[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], b[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], b[8:10])
	s[23] = '-'
	hex.Encode(s[24:], b[10:])
	return string(s[:])
}
