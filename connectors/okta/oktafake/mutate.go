package oktafake

import (
	"fmt"
	"maps"
	"slices"
	"time"
)

// The mutation helpers change the org the way the Okta admin console or API
// would, including the timestamps a sync relies on: user changes bump the
// user's lastUpdated, membership changes bump the group's
// lastMembershipUpdated, profile changes bump the group's lastUpdated.

// updateUser applies fn to a user under the write lock and bumps lastUpdated.
func (o *Org) updateUser(id string, fn func(u *User, now time.Time) error) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	u, ok := o.users[id]
	if !ok {
		return notFound("user", id)
	}
	now := o.nowLocked()
	if err := fn(u, now); err != nil {
		return err
	}
	u.LastUpdated = now
	o.version++
	return nil
}

func (o *Org) setStatus(id string, from []string, to string) error {
	return o.updateUser(id, func(u *User, now time.Time) error {
		if from != nil && !slices.Contains(from, u.Status) {
			return fmt.Errorf("user %s is %s, not %v", id, u.Status, from)
		}
		u.Status = to
		u.StatusChanged = now
		return nil
	})
}

// RenameLogin changes profile.login; the id stays the same.
func (o *Org) RenameLogin(id, login string) error {
	return o.UpdateProfile(id, map[string]any{"login": login})
}

// UpdateProfile merges attrs into the user's profile; a nil value becomes null.
func (o *Org) UpdateProfile(id string, attrs map[string]any) error {
	return o.updateUser(id, func(u *User, _ time.Time) error {
		maps.Copy(u.Profile, attrs)
		return nil
	})
}

// SetStatus forces any status, for the statuses no helper below reaches
// (RECOVERY, LOCKED_OUT, PASSWORD_EXPIRED, STAGED, ...).
func (o *Org) SetStatus(id, status string) error {
	if !slices.Contains(Statuses, status) {
		return fmt.Errorf("unknown status %q", status)
	}
	return o.setStatus(id, nil, status)
}

// Suspend suspends an ACTIVE user, as Okta only allows.
func (o *Org) Suspend(id string) error {
	return o.setStatus(id, []string{StatusActive}, StatusSuspended)
}

// Unsuspend returns a SUSPENDED user to ACTIVE.
func (o *Org) Unsuspend(id string) error {
	return o.setStatus(id, []string{StatusSuspended}, StatusActive)
}

// Deprovision deactivates a user. Like Okta it removes the user's direct app
// assignments (the app users disappear) but keeps group memberships.
func (o *Org) Deprovision(id string) error {
	return o.updateUser(id, func(u *User, now time.Time) error {
		if u.Status == StatusDeprovisioned {
			return fmt.Errorf("user %s is already deprovisioned", id)
		}
		u.Status = StatusDeprovisioned
		u.StatusChanged = now
		for _, a := range o.apps {
			delete(a.users, id)
		}
		return nil
	})
}

// Reactivate activates a DEPROVISIONED user again; Okta puts it in
// PROVISIONED until the user sets a password.
func (o *Org) Reactivate(id string) error {
	return o.setStatus(id, []string{StatusDeprovisioned}, StatusProvisioned)
}

// DeleteUser removes a user for good. Okta only deletes deprovisioned users.
func (o *Org) DeleteUser(id string) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	u, ok := o.users[id]
	if !ok {
		return notFound("user", id)
	}
	if u.Status != StatusDeprovisioned {
		return fmt.Errorf("user %s must be deprovisioned before it is deleted", id)
	}
	now := o.nowLocked()
	for _, g := range o.groups {
		o.removeMemberLocked(g, id, now)
	}
	for _, a := range o.apps {
		delete(a.users, id)
	}
	delete(o.users, id)
	o.userIDs, _, _ = removeSorted(o.userIDs, id)
	o.version++
	return nil
}

// AddMember adds a user to a group.
func (o *Org) AddMember(groupID, userID string) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	g, ok := o.groups[groupID]
	if !ok {
		return notFound("group", groupID)
	}
	if _, ok := o.users[userID]; !ok {
		return notFound("user", userID)
	}
	i, found := slices.BinarySearch(g.members, userID)
	if found {
		return nil
	}
	now := o.nowLocked()
	g.members = slices.Insert(g.members, i, userID)
	g.joined = slices.Insert(g.joined, i, now)
	g.LastMembershipUpdated = now
	o.version++
	return nil
}

// RemoveMember removes a user from a group.
func (o *Org) RemoveMember(groupID, userID string) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	g, ok := o.groups[groupID]
	if !ok {
		return notFound("group", groupID)
	}
	if !o.removeMemberLocked(g, userID, o.nowLocked()) {
		return fmt.Errorf("user %s is not a member of group %s", userID, groupID)
	}
	o.version++
	return nil
}

func (o *Org) removeMemberLocked(g *group, userID string, now time.Time) bool {
	var i int
	var found bool
	g.members, i, found = removeSorted(g.members, userID)
	if !found {
		return false
	}
	g.joined = slices.Delete(g.joined, i, i+1)
	g.LastMembershipUpdated = now
	return true
}

// RenameGroup changes a group's profile.name.
func (o *Org) RenameGroup(id, name string) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	g, ok := o.groups[id]
	if !ok {
		return notFound("group", id)
	}
	g.Name = name
	g.LastUpdated = o.nowLocked()
	o.version++
	return nil
}

func (o *Org) appLocked(appID string) (*app, error) {
	a, ok := o.apps[appID]
	if !ok {
		return nil, notFound("app", appID)
	}
	return a, nil
}

// AssignUser assigns a user directly (scope USER) with an app username; an
// empty userName follows the user's login.
func (o *Org) AssignUser(appID, userID, userName string) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	a, err := o.appLocked(appID)
	if err != nil {
		return err
	}
	if _, ok := o.users[userID]; !ok {
		return notFound("user", userID)
	}
	a.users[userID] = assignment{userName: userName, lastUpdated: o.nowLocked()}
	o.version++
	return nil
}

// UnassignUser removes a direct assignment; a group assignment may still
// keep the user in the app.
func (o *Org) UnassignUser(appID, userID string) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	a, err := o.appLocked(appID)
	if err != nil {
		return err
	}
	if _, ok := a.users[userID]; !ok {
		return fmt.Errorf("user %s is not assigned to app %s", userID, appID)
	}
	delete(a.users, userID)
	o.version++
	return nil
}

// AssignGroup assigns a group: its members become app users with scope GROUP.
func (o *Org) AssignGroup(appID, groupID string) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	a, err := o.appLocked(appID)
	if err != nil {
		return err
	}
	if _, ok := o.groups[groupID]; !ok {
		return notFound("group", groupID)
	}
	a.groups[groupID] = o.nowLocked()
	o.version++
	return nil
}

// UnassignGroup removes a group assignment.
func (o *Org) UnassignGroup(appID, groupID string) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	a, err := o.appLocked(appID)
	if err != nil {
		return err
	}
	if _, ok := a.groups[groupID]; !ok {
		return fmt.Errorf("group %s is not assigned to app %s", groupID, appID)
	}
	delete(a.groups, groupID)
	o.version++
	return nil
}
