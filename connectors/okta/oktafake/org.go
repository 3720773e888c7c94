// Package oktafake is an in-memory Okta org served over HTTP, faithful enough
// to the wire format that the real okta-sdk-golang/v2 client can talk to it.
//
// It exists so that the Okta connector is tested through the vendor SDK, with
// the SDK's own pagination, retry and authentication code in the loop: a fake
// that only satisfied our own interfaces would hide exactly the mistakes
// (cached list pages, comma-joined Link headers, missing Date headers) that
// break a sync against a real org. Faults (429 storms, 5xx, truncated bodies,
// closed connections, slow responses) and request counters make the failure
// paths and the request cost testable.
package oktafake

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// User statuses as Okta names them.
const (
	StatusStaged          = "STAGED"
	StatusProvisioned     = "PROVISIONED"
	StatusActive          = "ACTIVE"
	StatusRecovery        = "RECOVERY"
	StatusLockedOut       = "LOCKED_OUT"
	StatusPasswordExpired = "PASSWORD_EXPIRED"
	StatusSuspended       = "SUSPENDED"
	StatusDeprovisioned   = "DEPROVISIONED"
)

// Statuses lists every user status Okta knows.
var Statuses = []string{StatusStaged, StatusProvisioned, StatusActive, StatusRecovery,
	StatusLockedOut, StatusPasswordExpired, StatusSuspended, StatusDeprovisioned}

// TimeLayout is how Okta writes timestamps: UTC, milliseconds, literal Z.
const TimeLayout = "2006-01-02T15:04:05.000Z"

// User is an Okta user. Profile holds login, email, firstName, lastName,
// displayName and any custom attribute; a nil value is sent as JSON null.
type User struct {
	ID            string
	Status        string
	Created       time.Time
	StatusChanged time.Time
	LastUpdated   time.Time
	Profile       map[string]any
}

// Login returns profile.login.
func (u User) Login() string { s, _ := u.Profile["login"].(string); return s }

// Group is an Okta group (type OKTA_GROUP).
type Group struct {
	ID                    string
	Name                  string
	Description           string
	Created               time.Time
	LastUpdated           time.Time
	LastMembershipUpdated time.Time
}

// App is an Okta application instance.
type App struct {
	ID          string
	Label       string
	Created     time.Time
	LastUpdated time.Time
}

type group struct {
	Group
	members []string    // sorted user ids
	joined  []time.Time // when members[i] was added, for app-user timestamps
}

type assignment struct {
	userName    string // empty: follow the user's login, as Okta's default template does
	lastUpdated time.Time
}

type app struct {
	App
	users  map[string]assignment // direct (scope USER) assignments
	groups map[string]time.Time  // group assignments and when they were made

	cacheMu      sync.Mutex
	cacheVersion uint64
	cache        []appUser
}

// Org is one fake Okta org. All methods are safe for concurrent use, also
// while the org is serving requests.
type Org struct {
	mu       sync.RWMutex
	clock    func() time.Time
	seq      map[string]int64
	users    map[string]*User
	userIDs  []string // sorted; ids are allocated in increasing order
	groups   map[string]*group
	groupIDs []string
	apps     map[string]*app
	version  uint64 // bumped by every mutation, invalidates app-user caches

	auth   authState
	faults faultState
	limits rateLimiter
	counts counters
}

// New returns an empty org using the wall clock, with a rate limit of
// 100000 requests a minute per endpoint family (see SetRateLimit).
func New() *Org {
	return &Org{
		clock:  time.Now,
		seq:    map[string]int64{},
		users:  map[string]*User{},
		groups: map[string]*group{},
		apps:   map[string]*app{},
		auth:   newAuthState(),
		limits: rateLimiter{limit: 100000, window: time.Minute, buckets: map[string]*bucket{}},
		counts: counters{paths: map[string]int{}},
	}
}

// SetClock replaces the clock used for timestamps of later mutations and for
// response headers.
func (o *Org) SetClock(now func() time.Time) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.clock = now
}

func (o *Org) now() time.Time {
	o.mu.RLock()
	c := o.clock
	o.mu.RUnlock()
	return c().UTC().Truncate(time.Millisecond)
}

// nowLocked is now() for callers already holding o.mu.
func (o *Org) nowLocked() time.Time { return o.clock().UTC().Truncate(time.Millisecond) }

// newID allocates ids that sort in creation order, shaped like Okta's
// 20-character ids (00u..., 00g..., 0oa...).
func (o *Org) newID(prefix string) string {
	o.seq[prefix]++
	s := strconv.FormatInt(o.seq[prefix], 36)
	return prefix + strings.Repeat("0", 17-len(s)) + s
}

// AddUser adds u and returns its id. Empty ID, Status and timestamps get
// defaults (a new id, ACTIVE, now).
func (o *Org) AddUser(u User) string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.addUserLocked(u)
}

func (o *Org) addUserLocked(u User) string {
	now := o.nowLocked()
	if u.ID == "" {
		u.ID = o.newID("00u")
	}
	if u.Status == "" {
		u.Status = StatusActive
	}
	for _, t := range []*time.Time{&u.Created, &u.StatusChanged, &u.LastUpdated} {
		if t.IsZero() {
			*t = now
		}
	}
	u.Profile = maps.Clone(u.Profile)
	if u.Profile == nil {
		u.Profile = map[string]any{}
	}
	if _, ok := o.users[u.ID]; !ok {
		o.userIDs = insertSorted(o.userIDs, u.ID)
	}
	o.users[u.ID] = &u
	o.version++
	return u.ID
}

// AddGroup adds an OKTA_GROUP and returns its id.
func (o *Org) AddGroup(name, description string) string {
	o.mu.Lock()
	defer o.mu.Unlock()
	now := o.nowLocked()
	g := &group{Group: Group{ID: o.newID("00g"), Name: name, Description: description,
		Created: now, LastUpdated: now, LastMembershipUpdated: now}}
	o.groups[g.ID] = g
	o.groupIDs = insertSorted(o.groupIDs, g.ID)
	o.version++
	return g.ID
}

// AddApp adds an application instance and returns its id.
func (o *Org) AddApp(label string) string {
	o.mu.Lock()
	defer o.mu.Unlock()
	now := o.nowLocked()
	a := &app{App: App{ID: o.newID("0oa"), Label: label, Created: now, LastUpdated: now},
		users: map[string]assignment{}, groups: map[string]time.Time{}}
	o.apps[a.ID] = a
	o.version++
	return a.ID
}

// User returns a copy of the user with id.
func (o *Org) User(id string) (User, bool) {
	o.mu.RLock()
	defer o.mu.RUnlock()
	u, ok := o.users[id]
	if !ok {
		return User{}, false
	}
	c := *u
	c.Profile = maps.Clone(u.Profile)
	return c, true
}

// UserIDs returns every user id in order.
func (o *Org) UserIDs() []string {
	o.mu.RLock()
	defer o.mu.RUnlock()
	return slices.Clone(o.userIDs)
}

// Group returns a copy of the group with id.
func (o *Org) Group(id string) (Group, bool) {
	o.mu.RLock()
	defer o.mu.RUnlock()
	g, ok := o.groups[id]
	if !ok {
		return Group{}, false
	}
	return g.Group, true
}

// GroupIDs returns every group id in order.
func (o *Org) GroupIDs() []string {
	o.mu.RLock()
	defer o.mu.RUnlock()
	return slices.Clone(o.groupIDs)
}

// Members returns the user ids in a group, in order.
func (o *Org) Members(groupID string) []string {
	o.mu.RLock()
	defer o.mu.RUnlock()
	if g, ok := o.groups[groupID]; ok {
		return slices.Clone(g.members)
	}
	return nil
}

// AppIDs returns every application id in order.
func (o *Org) AppIDs() []string {
	o.mu.RLock()
	defer o.mu.RUnlock()
	ids := slices.Collect(maps.Keys(o.apps))
	slices.Sort(ids)
	return ids
}

// AppUserIDs returns the ids of the users assigned to an app, directly or
// through a group, the way GET /api/v1/apps/{id}/users lists them.
func (o *Org) AppUserIDs(appID string) []string {
	o.mu.RLock()
	defer o.mu.RUnlock()
	a, ok := o.apps[appID]
	if !ok {
		return nil
	}
	var ids []string
	for _, au := range o.appUsersLocked(a) {
		ids = append(ids, au.userID)
	}
	return ids
}

func insertSorted(s []string, v string) []string {
	i, found := slices.BinarySearch(s, v)
	if found {
		return s
	}
	return slices.Insert(s, i, v)
}

func removeSorted(s []string, v string) ([]string, int, bool) {
	i, found := slices.BinarySearch(s, v)
	if !found {
		return s, -1, false
	}
	return slices.Delete(s, i, i+1), i, true
}

func notFound(kind, id string) error { return fmt.Errorf("%s %s not found", kind, id) }
