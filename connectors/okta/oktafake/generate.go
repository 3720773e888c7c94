package oktafake

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"time"
)

var (
	firstNames  = []string{"Ada", "Alan", "Barbara", "Claude", "Dennis", "Edsger", "Frances", "Grace", "Hedy", "Ken", "Linus", "Margaret", "Niklaus", "Radia", "Shafi", "Tim"}
	lastNames   = []string{"Lovelace", "Turing", "Liskov", "Shannon", "Ritchie", "Dijkstra", "Allen", "Hopper", "Lamarr", "Thompson", "Torvalds", "Hamilton", "Wirth", "Perlman", "Goldwasser", "Berners-Lee"}
	departments = []string{"Engineering", "Sales", "Finance", "Support", "Marketing", "Legal", "People"}
)

// GenerateBase is the instant generated data starts from; every generated
// timestamp lies between it and a year later, so mutations made with the
// wall clock afterwards are always newer.
var GenerateBase = time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)

// Generate builds an org deterministically from seed: users users with a mix
// of every status (most ACTIVE, a few percent each of the others, some with a
// null displayName), groups groups holding membershipsTotal memberships in
// all (a few groups are twenty times larger than the rest, so member listings
// need several pages; no group exceeds the user count), and one app "dirsync" with every other non-deprovisioned
// user assigned directly and every tenth group assigned. It builds 100k users,
// 10k groups and 1M memberships in a few seconds.
func Generate(seed uint64, users, groups, membershipsTotal int) *Org {
	o := New()
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	year := int64(365 * 24 * time.Hour / time.Second)
	at := func() time.Time {
		return GenerateBase.Add(time.Duration(rng.Int64N(year))*time.Second + time.Duration(rng.IntN(1000))*time.Millisecond)
	}

	o.mu.Lock()
	defer o.mu.Unlock()
	o.userIDs = make([]string, 0, users)
	for i := range users {
		created := at()
		updated := created.Add(time.Duration(rng.IntN(1000)) * time.Minute)
		first, last := firstNames[rng.IntN(len(firstNames))], lastNames[rng.IntN(len(lastNames))]
		login := fmt.Sprintf("user%06d@example.com", i)
		var display any = first + " " + last
		if rng.IntN(10) == 0 {
			display = nil
		}
		u := &User{
			ID: o.newID("00u"), Status: generatedStatus(rng.IntN(100)),
			Created: created, StatusChanged: updated, LastUpdated: updated,
			Profile: map[string]any{
				"login": login, "email": login, "firstName": first, "lastName": last,
				"displayName": display, "employeeNumber": fmt.Sprintf("E%06d", i),
				"department": departments[rng.IntN(len(departments))],
			},
		}
		o.users[u.ID] = u
		o.userIDs = append(o.userIDs, u.ID)
	}

	weights, total := make([]int, groups), 0
	for i := range weights {
		weights[i] = 1
		if i%500 == 0 {
			weights[i] = 20
		}
		total += weights[i]
	}
	o.groupIDs = make([]string, 0, groups)
	left := membershipsTotal
	for i := range groups {
		created := at()
		g := &group{Group: Group{ID: o.newID("00g"), Name: fmt.Sprintf("group-%05d", i),
			Description: departments[i%len(departments)] + " team", Created: created,
			LastUpdated: created.Add(time.Hour), LastMembershipUpdated: created.Add(2 * time.Hour)}}
		// Share what is left among the groups still to come, so a capped big
		// group does not lose memberships.
		k := left * weights[i] / total
		if i == groups-1 {
			k = left
		}
		k = min(k, users, left)
		left -= k
		total -= weights[i]
		g.members = sampleMembers(rng, o.userIDs, k)
		g.joined = make([]time.Time, len(g.members))
		for j := range g.joined {
			g.joined[j] = created
		}
		o.groups[g.ID] = g
		o.groupIDs = append(o.groupIDs, g.ID)
	}

	created := GenerateBase
	a := &app{App: App{ID: o.newID("0oa"), Label: "dirsync", Created: created, LastUpdated: created},
		users: map[string]assignment{}, groups: map[string]time.Time{}}
	for i, id := range o.userIDs {
		if i%2 == 0 && o.users[id].Status != StatusDeprovisioned {
			a.users[id] = assignment{lastUpdated: o.users[id].Created}
		}
	}
	for i, id := range o.groupIDs {
		if i%10 == 0 {
			a.groups[id] = o.groups[id].Created
		}
	}
	o.apps[a.ID] = a
	o.version++
	return o
}

func generatedStatus(r int) string {
	switch r {
	case 0:
		return StatusStaged
	case 1:
		return StatusProvisioned
	case 2:
		return StatusRecovery
	case 3:
		return StatusLockedOut
	case 4:
		return StatusPasswordExpired
	case 5, 6:
		return StatusSuspended
	case 7, 8:
		return StatusDeprovisioned
	default:
		return StatusActive
	}
}

// sampleMembers picks k distinct ids (Floyd's algorithm) and sorts them.
func sampleMembers(rng *rand.Rand, ids []string, k int) []string {
	n := len(ids)
	picked := make(map[int]struct{}, k)
	out := make([]string, 0, k)
	for j := n - k; j < n; j++ {
		t := rng.IntN(j + 1)
		if _, dup := picked[t]; dup {
			t = j
		}
		picked[t] = struct{}{}
		out = append(out, ids[t])
	}
	slices.Sort(out)
	return out
}
