package graphfake

import (
	"errors"
	"fmt"
	"slices"
)

// AddUser creates a user; an empty ID gets a fresh GUID. It returns the id.
func (t *Tenant) AddUser(u User) string {
	t.mu.Lock()
	defer t.mu.Unlock()
	if u.ID == "" {
		u.ID = newGUID()
	}
	t.users[u.ID] = &u
	t.userOrder = append(t.userOrder, u.ID)
	t.record(change{id: u.ID, created: true})
	return u.ID
}

// AddGroup creates a group with the given members; an empty ID gets a fresh
// GUID. It returns the id.
func (t *Tenant) AddGroup(g Group) string {
	t.mu.Lock()
	defer t.mu.Unlock()
	if g.ID == "" {
		g.ID = newGUID()
	}
	members := g.Members
	g.Members = nil
	ng := &group{Group: g, memberSet: map[string]bool{}}
	t.groups[g.ID] = ng
	t.groupOrder = append(t.groupOrder, g.ID)
	t.record(change{isGroup: true, id: g.ID, created: true})
	for _, m := range members {
		t.addMember(ng, m)
	}
	return g.ID
}

// UpdateUser applies fn to the user and records the properties it changed
// (compared field by field) for delta.
func (t *Tenant) UpdateUser(id string, fn func(*User)) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	u, ok := t.users[id]
	if !ok {
		return errNotFound("user", id)
	}
	before := *u
	fn(u)
	u.ID = id
	if props := diffUser(&before, u); len(props) > 0 {
		t.record(change{id: id, props: props})
	}
	return nil
}

// RenameUPN changes a user's userPrincipalName.
func (t *Tenant) RenameUPN(id, upn string) error {
	return t.UpdateUser(id, func(u *User) { u.UserPrincipalName = upn })
}

// SetEnabled enables or disables sign-in for a user.
func (t *Tenant) SetEnabled(id string, enabled bool) error {
	return t.UpdateUser(id, func(u *User) { u.AccountEnabled = enabled })
}

// SoftDelete moves a user to the deleted items, from where Restore brings it
// back; delta reports it as removed with reason "changed".
func (t *Tenant) SoftDelete(id string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	u, ok := t.users[id]
	if !ok {
		return errNotFound("user", id)
	}
	t.dropFromGroups(id, "user")
	delete(t.users, id)
	t.deleted[id] = u
	t.dirty = true
	t.record(change{id: id})
	return nil
}

// Restore brings a soft-deleted user back. Group memberships are not
// restored, as in Entra when the groups changed meanwhile.
func (t *Tenant) Restore(id string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	u, ok := t.deleted[id]
	if !ok {
		return errNotFound("deleted user", id)
	}
	delete(t.deleted, id)
	t.users[id] = u
	t.userOrder = append(t.userOrder, id)
	t.record(change{id: id, created: true})
	return nil
}

// HardDelete removes a user (live or soft-deleted) for good; delta reports it
// as removed with reason "deleted".
func (t *Tenant) HardDelete(id string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	_, live := t.users[id]
	_, soft := t.deleted[id]
	if !live && !soft {
		return errNotFound("user", id)
	}
	t.dropFromGroups(id, "user")
	delete(t.users, id)
	delete(t.deleted, id)
	t.dirty = true
	t.unassign(id)
	t.record(change{id: id})
	return nil
}

// DeleteGroup removes a group; delta reports it with reason "deleted".
func (t *Tenant) DeleteGroup(id string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, ok := t.groups[id]; !ok {
		return errNotFound("group", id)
	}
	t.dropFromGroups(id, "group")
	delete(t.groups, id)
	t.dirty = true
	t.unassign(id)
	t.record(change{isGroup: true, id: id})
	return nil
}

// RenameGroup changes a group's displayName.
func (t *Tenant) RenameGroup(id, name string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	g, ok := t.groups[id]
	if !ok {
		return errNotFound("group", id)
	}
	g.DisplayName = name
	t.record(change{isGroup: true, id: id, props: []string{"displayName"}})
	return nil
}

// AddMember adds a user or group to a group.
func (t *Tenant) AddMember(groupID, memberID string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	g, ok := t.groups[groupID]
	if !ok {
		return errNotFound("group", groupID)
	}
	if t.kindOf(memberID) == "" {
		return errNotFound("member", memberID)
	}
	if g.memberSet[memberID] {
		return fmt.Errorf("%s is already a member of %s", memberID, groupID)
	}
	t.addMember(g, memberID)
	return nil
}

// RemoveMember removes a user or group from a group.
func (t *Tenant) RemoveMember(groupID, memberID string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	g, ok := t.groups[groupID]
	if !ok {
		return errNotFound("group", groupID)
	}
	if !g.memberSet[memberID] {
		return fmt.Errorf("%s is not a member of %s", memberID, groupID)
	}
	t.removeMember(g, memberID, t.kindOf(memberID))
	return nil
}

// Assign assigns a user or group to the application's service principal.
func (t *Tenant) Assign(principalID string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	var typ string
	switch t.kindOf(principalID) {
	case "user":
		typ = "User"
	case "group":
		typ = "Group"
	default:
		return errNotFound("principal", principalID)
	}
	for _, a := range t.assignments {
		if a.PrincipalID == principalID {
			return fmt.Errorf("%s is already assigned", principalID)
		}
	}
	t.assignments = append(t.assignments, Assignment{PrincipalID: principalID, PrincipalType: typ})
	return nil
}

// Unassign removes a principal's assignment to the application.
func (t *Tenant) Unassign(principalID string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.unassign(principalID) {
		return errors.New("principal " + principalID + " is not assigned")
	}
	return nil
}

// ExpireDeltaTokens makes every delta link issued so far invalid, as Entra
// does after about seven days.
func (t *Tenant) ExpireDeltaTokens() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.epoch++
}

// User returns a copy of a live user.
func (t *Tenant) User(id string) (User, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	u, ok := t.users[id]
	if !ok {
		return User{}, false
	}
	return *u, true
}

// UserIDs returns the ids of live users in creation order.
func (t *Tenant) UserIDs() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.compact()
	return slices.Clone(t.userOrder)
}

// GroupIDs returns the ids of groups in creation order.
func (t *Tenant) GroupIDs() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.compact()
	return slices.Clone(t.groupOrder)
}

func (t *Tenant) addMember(g *group, id string) {
	if g.memberSet[id] {
		return
	}
	g.memberSet[id] = true
	g.Members = append(g.Members, id)
	t.record(change{isGroup: true, id: g.ID, member: id, memberType: t.kindOf(id), memberOp: 1})
}

func (t *Tenant) removeMember(g *group, id, kind string) {
	delete(g.memberSet, id)
	g.Members = slices.DeleteFunc(g.Members, func(m string) bool { return m == id })
	t.record(change{isGroup: true, id: g.ID, member: id, memberType: kind, memberOp: -1})
}

// dropFromGroups removes a deleted object from every group it belonged to.
func (t *Tenant) dropFromGroups(id, kind string) {
	for _, g := range t.groups {
		if g.memberSet[id] {
			t.removeMember(g, id, kind)
		}
	}
}

func (t *Tenant) unassign(id string) bool {
	n := len(t.assignments)
	t.assignments = slices.DeleteFunc(t.assignments, func(a Assignment) bool { return a.PrincipalID == id })
	return len(t.assignments) != n
}

func diffUser(a, b *User) []string {
	var p []string
	add := func(changed bool, name string) {
		if changed {
			p = append(p, name)
		}
	}
	add(a.UserPrincipalName != b.UserPrincipalName, "userPrincipalName")
	add(a.Mail != b.Mail, "mail")
	add(a.DisplayName != b.DisplayName, "displayName")
	add(a.GivenName != b.GivenName, "givenName")
	add(a.Surname != b.Surname, "surname")
	add(a.AccountEnabled != b.AccountEnabled, "accountEnabled")
	add(a.EmployeeID != b.EmployeeID, "employeeId")
	add(a.Department != b.Department, "department")
	add(a.JobTitle != b.JobTitle, "jobTitle")
	add(a.CompanyName != b.CompanyName, "companyName")
	add(a.OfficeLocation != b.OfficeLocation, "officeLocation")
	add(a.EmployeeType != b.EmployeeType, "employeeType")
	add(a.ManagerID != b.ManagerID, "manager")
	return p
}
