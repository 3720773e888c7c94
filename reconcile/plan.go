// Package reconcile turns what an identity provider says (a connectors.Snapshot)
// into exactly the right changes to the directory.
//
// It is split in three: Plan is pure (no I/O) and decides every action from
// the directory State and the snapshot; Apply is the only writer and executes
// a Plan inside the caller's store transaction; the report renders a Plan for
// people and scripts. A dry run is a Plan that is printed and not applied:
// nothing else anywhere checks a dry-run flag, so what a dry run shows is what
// an apply does.
package reconcile

import (
	"github.com/dirsync/dirsync/connectors"
	"github.com/dirsync/dirsync/store"
)

// Kind is what an action does.
type Kind string

// The action kinds, in the order a report lists them.
const (
	CreateUser     Kind = "create"
	AdoptUser      Kind = "adopt"
	UpdateUser     Kind = "update"
	ReactivateUser Kind = "reactivate"
	DeactivateUser Kind = "deactivate"
	CreateGroup    Kind = "create_group"
	AdoptGroup     Kind = "adopt_group"
	UpdateGroup    Kind = "update_group"
	// LinkUser and LinkGroup record the IdP's id on an object the same
	// integration created over SCIM without one (Okta's Group Push sends no
	// externalId); no attribute an application sees changes.
	LinkUser   Kind = "link"
	LinkGroup  Kind = "link_group"
	SetMembers Kind = "set_members"
	// Conflict: the object belongs to another source; nothing is applied.
	Conflict Kind = "conflict"
	// Skip: the object is invalid or protected; nothing is applied.
	Skip Kind = "skip"
	// OutOfScope: a group left the source's scope; a pull never deletes, so
	// it is kept as it is and reported.
	OutOfScope Kind = "out_of_scope"
)

// Options are the per-source rules of a plan.
type Options struct {
	// Source is the integration name that owns what the plan creates.
	Source string
	// RenameInPlace matches users on the IdP's immutable id first, so a
	// userName change renames the user (Entra; Okta with username_change =
	// "rename"). Otherwise users match on userName and a username change
	// creates a new user while the old one leaves scope (Okta's default).
	RenameInPlace bool
	// Protected are userNames no plan ever touches.
	Protected []string
	// Deletion guard: deactivations above either limit are held unless
	// AllowDeactivations is set.
	MaxDeactivations       int
	MaxDeactivationPercent float64
	AllowDeactivations     bool
	// NewID returns ids for created objects; nil means random UUIDs. Ids are
	// assigned at plan time so that the report names the ids the apply uses.
	NewID func() string
}

// Member is one user in a membership change.
type Member struct {
	ID       string `json:"id"`
	UserName string `json:"user_name"`
}

// Action is one decided change, or one reported non-change (conflict, skip).
type Action struct {
	Kind   Kind   `json:"action"`
	Object string `json:"object"` // "user" or "group"
	// ID is the directory id (assigned at plan time for creates).
	ID       string `json:"id,omitempty"`
	Name     string `json:"name"`
	SourceID string `json:"source_id,omitempty"`
	// Changes are the field diffs old -> new the action makes.
	Changes []store.Change `json:"changes,omitempty"`
	// Reason explains deactivations, conflicts, skips and holds.
	Reason  string   `json:"reason,omitempty"`
	Added   []Member `json:"members_added,omitempty"`
	Removed []Member `json:"members_removed,omitempty"`
	// Missing are member source ids the directory does not hold; they are
	// reported, never invented.
	Missing []string `json:"members_missing,omitempty"`
	// Held marks a deactivation the deletion guard holds back.
	Held bool `json:"held,omitempty"`

	user     *store.User
	group    *store.Group
	memberTo []string // the group's full desired member ids
}

// FieldChanges are the action's field diffs. A create's are derived from
// the new object when asked for, not kept in the plan: a first sync plans
// a hundred thousand of them and only a printed report needs them.
func (a *Action) FieldChanges() []store.Change {
	switch {
	case a.Changes != nil:
		return a.Changes
	case a.Kind == CreateUser && a.user != nil:
		return store.DiffUsers(&store.User{}, a.user)
	case a.Kind == CreateGroup && a.group != nil:
		return store.DiffGroups(&store.Group{}, a.group)
	}
	return nil
}

// Applies reports whether Apply writes anything for the action.
func (a *Action) Applies() bool {
	switch a.Kind {
	case Conflict, Skip, OutOfScope:
		return false
	}
	return !a.Held
}

// Plan is every action one snapshot calls for.
type Plan struct {
	Source  string          `json:"source"`
	Read    connectors.Kind `json:"-"`
	Actions []*Action       `json:"actions"`
	// Held is set when the deletion guard held the plan's deactivations.
	Held       bool   `json:"held"`
	HeldReason string `json:"held_reason,omitempty"`
	// Cursor is the snapshot's incremental position, saved after apply.
	Cursor string `json:"-"`

	// needUsers and needGroups are what the first, slim pass could not
	// decide without full records; stamps are fingerprints of users found
	// unchanged by a full comparison, recorded by Apply.
	needUsers, needGroups map[string]bool
	stamps                map[string]string
}

// Summary counts a plan's actions by what they do.
type Summary struct {
	Creates       int `json:"creates"`
	Updates       int `json:"updates"`
	Deactivations int `json:"deactivations"`
	Reactivations int `json:"reactivations"`
	GroupChanges  int `json:"group_changes"`
	Adoptions     int `json:"adoptions"`
	Conflicts     int `json:"conflicts"`
	Skipped       int `json:"skipped"`
	Held          int `json:"held"`
	Links         int `json:"links"`
}

// Summary counts the plan's actions.
func (p *Plan) Summary() Summary {
	var s Summary
	for _, a := range p.Actions {
		if a.Held {
			s.Held++
			continue
		}
		switch a.Kind {
		case CreateUser:
			s.Creates++
		case AdoptUser:
			s.Adoptions++
		case UpdateUser:
			s.Updates++
		case DeactivateUser:
			s.Deactivations++
		case ReactivateUser:
			s.Reactivations++
		case CreateGroup, UpdateGroup, SetMembers:
			s.GroupChanges++
		case AdoptGroup:
			s.Adoptions++
			s.GroupChanges++
		case LinkUser, LinkGroup:
			s.Links++
		case Conflict:
			s.Conflicts++
		case Skip, OutOfScope:
			s.Skipped++
		}
	}
	return s
}

// Changes reports whether applying the plan would write anything.
func (p *Plan) Changes() bool {
	for _, a := range p.Actions {
		if a.Applies() {
			return true
		}
	}
	return false
}

// Counts is the summary as a map, for sync_runs and metrics.
func (s Summary) Counts() map[string]int {
	return map[string]int{
		"creates": s.Creates, "updates": s.Updates, "deactivations": s.Deactivations,
		"reactivations": s.Reactivations, "group_changes": s.GroupChanges, "adoptions": s.Adoptions,
		"conflicts": s.Conflicts, "skipped": s.Skipped, "held": s.Held, "links": s.Links,
	}
}

// Build decides the plan for one snapshot against the directory state. It
// does no I/O and never fails: invalid objects become Skip actions, so one bad
// record cannot block the others.
func Build(st *State, snap *connectors.Snapshot, opts Options) *Plan {
	if opts.NewID == nil {
		opts.NewID = store.NewID
	}
	p := &Plan{Source: opts.Source, Read: snap.Kind, Cursor: snap.Cursor,
		needUsers: map[string]bool{}, needGroups: map[string]bool{}, stamps: map[string]string{}}
	pl := newPlanner(st, snap, opts, p)
	pl.planUsers()
	pl.guard()
	pl.planGroups()
	sortActions(p.Actions)
	return p
}
