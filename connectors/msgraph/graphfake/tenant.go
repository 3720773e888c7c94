// Package graphfake is an in-memory Microsoft Entra tenant served over HTTP
// on loopback, speaking enough of the Microsoft Graph v1.0 wire format (users,
// groups, members, delta queries, app role assignments, OData paging and
// errors) and of the Entra token endpoint for the real msgraph-sdk-go client
// and azidentity credentials to run against it.
//
// It deliberately imports nothing from the Graph SDK: other packages (demo,
// benchmarks) use it without paying for that build, and a fake written from
// the wire format catches SDK assumptions a fake built from SDK types would
// share.
package graphfake

import (
	"fmt"
	"sync"
)

// User is one Entra user as the fake stores it.
type User struct {
	ID                string
	UserPrincipalName string
	Mail              string
	DisplayName       string
	GivenName         string
	Surname           string
	AccountEnabled    bool
	EmployeeID        string
	Department        string
	JobTitle          string
	CompanyName       string
	OfficeLocation    string
	EmployeeType      string
	// ManagerID is the objectId of the user's manager, "" for none.
	ManagerID string
}

// Group is one security group. Members holds user and group object ids.
type Group struct {
	ID          string
	DisplayName string
	Members     []string
}

// Assignment is an app role assignment of a user or group to the fake's
// service principal.
type Assignment struct {
	PrincipalID   string
	PrincipalType string // "User" or "Group"
}

// Tenant is the directory state behind the fake. All methods are safe for
// concurrent use; mutations are recorded in a change log that delta queries
// replay.
type Tenant struct {
	mu sync.Mutex

	users      map[string]*User
	userOrder  []string
	deleted    map[string]*User // soft-deleted, restorable
	groups     map[string]*group
	groupOrder []string
	dirty      bool // orders contain removed ids

	spID, appID, spName string
	assignments         []Assignment

	seq     int64 // last change number
	epoch   int64 // delta tokens of an older epoch are expired
	changes []change
}

type group struct {
	Group
	memberSet map[string]bool
}

// change is one entry of the delta change log.
type change struct {
	seq     int64
	isGroup bool
	id      string
	props   []string // changed property names, nil for a creation
	created bool
	// member changes of a group: id -> true added, false removed
	member     string
	memberType string // "user" or "group"
	memberOp   int    // 0 none, 1 added, -1 removed
}

func newTenant(spID, appID string) *Tenant {
	return &Tenant{
		users:   map[string]*User{},
		deleted: map[string]*User{},
		groups:  map[string]*group{},
		spID:    spID,
		appID:   appID,
		spName:  "dirsync",
	}
}

func (t *Tenant) record(c change) {
	t.seq++
	c.seq = t.seq
	t.changes = append(t.changes, c)
}

// compact drops ids of removed objects from the listing orders.
func (t *Tenant) compact() {
	if !t.dirty {
		return
	}
	uo := t.userOrder[:0]
	for _, id := range t.userOrder {
		if _, ok := t.users[id]; ok {
			uo = append(uo, id)
		}
	}
	t.userOrder = uo
	gro := t.groupOrder[:0]
	for _, id := range t.groupOrder {
		if _, ok := t.groups[id]; ok {
			gro = append(gro, id)
		}
	}
	t.groupOrder = gro
	t.dirty = false
}

// kindOf says whether id names a user, a group or nothing.
func (t *Tenant) kindOf(id string) string {
	if _, ok := t.users[id]; ok {
		return "user"
	}
	if _, ok := t.groups[id]; ok {
		return "group"
	}
	return ""
}

func errNotFound(kind, id string) error {
	return fmt.Errorf("%s %s not found", kind, id)
}
