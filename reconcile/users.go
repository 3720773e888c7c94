package reconcile

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/mail"
	"sort"
	"strconv"
	"strings"

	"github.com/dirsync/dirsync/connectors"
	"github.com/dirsync/dirsync/store"
)

// planner holds the indexes one Build uses.
type planner struct {
	st   *State
	snap *connectors.Snapshot
	opts Options
	plan *Plan

	byName      map[string]*store.User // folded userName -> user, whole directory
	ownedBySrc  map[string]*store.User // source id -> the source's user (active first)
	protected   map[string]bool
	matched     map[string]bool    // directory user ids claimed by this snapshot
	srcToUser   map[string]*target // snapshot source id -> directory user after the plan
	userByID    map[string]*store.User
	activeOwned int
	// fallback holds the targets a delta's member lists reach through
	// ownedBySrc (users the delta does not list).
	fallback map[string]*target
	targets  map[*store.User]*target
	// Scratch space for planMembers; group numbers the groups so that a
	// target can tell it was already listed by the current one.
	seenBuf, haveBuf map[string]bool
	wantBuf          []string
	group            int
}

// target is a directory user as the member lists reach it. A steady-state
// plan resolves a million member ids; keeping the id's fingerprint share and
// a per-group stamp here avoids hashing each membership and a second map.
type target struct {
	u      *store.User
	hash   store.MemberFP
	hashed bool
	group  int // the last group that listed this user
}

func (t *target) memberHash() store.MemberFP {
	if !t.hashed {
		t.hash, t.hashed = store.MemberHash(t.u.ID), true
	}
	return t.hash
}

// resolve records which directory user a snapshot user became.
func (pl *planner) resolve(sourceID string, u *store.User) {
	pl.srcToUser[sourceID] = pl.targetOf(u)
}

// targetOf returns the one target of u, so that two member ids reaching the
// same user are still counted once.
func (pl *planner) targetOf(u *store.User) *target {
	t, ok := pl.targets[u]
	if !ok {
		t = &target{u: u}
		pl.targets[u] = t
	}
	return t
}

func newPlanner(st *State, snap *connectors.Snapshot, opts Options, p *Plan) *planner {
	pl := &planner{
		st: st, snap: snap, opts: opts, plan: p,
		byName:     make(map[string]*store.User, len(st.Users)),
		ownedBySrc: map[string]*store.User{},
		protected:  map[string]bool{},
		matched:    map[string]bool{},
		srcToUser:  make(map[string]*target, len(snap.Users)),
		userByID:   make(map[string]*store.User, len(st.Users)),
		fallback:   map[string]*target{},
		targets:    make(map[*store.User]*target, len(snap.Users)),
		seenBuf:    map[string]bool{},
		group:      1,
		haveBuf:    map[string]bool{},
	}
	for _, n := range opts.Protected {
		pl.protected[store.FoldName(n)] = true
	}
	for _, u := range st.Users {
		pl.byName[store.FoldName(u.UserName)] = u
		pl.userByID[u.ID] = u
		if u.Owner != opts.Source {
			continue
		}
		if u.Active {
			pl.activeOwned++
		}
		// Under username_change = "new" an old, deactivated account keeps its
		// source id beside the new one; the active account is the live one.
		if prev, ok := pl.ownedBySrc[u.SourceID]; !ok || (!prev.Active && u.Active) {
			pl.ownedBySrc[u.SourceID] = u
		}
	}
	return pl
}

func (pl *planner) add(a *Action) { pl.plan.Actions = append(pl.plan.Actions, a) }

// validUsers drops, with a Skip each, users that cannot be applied: no
// userName, a malformed email, or a userName or id that appears twice in one
// snapshot (which of the two is right cannot be known). It returns the
// indexes of the others in the snapshot, and every user's folded userName.
func (pl *planner) validUsers() (valid []int, folds []string) {
	users := pl.snap.Users
	folds = make([]string, len(users))
	names, ids := make(map[string]int, len(users)), make(map[string]int, len(users))
	for i := range users {
		folds[i] = store.FoldName(users[i].UserName)
		names[folds[i]]++
		ids[users[i].SourceID]++
	}
	valid = make([]int, 0, len(users))
	for i := range users {
		u := &users[i]
		reason := ""
		switch {
		case strings.TrimSpace(u.UserName) == "":
			reason = "no userName"
		case u.SourceID == "":
			reason = "no source id"
		case names[folds[i]] > 1:
			reason = "userName appears more than once in the source's data"
		case ids[u.SourceID] > 1:
			reason = "source id appears more than once in the source's data"
		case u.Email != "" && !validEmail(u.Email):
			reason = fmt.Sprintf("invalid email %q", u.Email)
		}
		if reason != "" {
			pl.add(&Action{Kind: Skip, Object: "user", Name: u.UserName, SourceID: u.SourceID, Reason: reason})
			continue
		}
		valid = append(valid, i)
	}
	return valid, folds
}

// validEmail reports whether s is a bare address (what net/mail parses to
// itself). Nearly every address is a plain dot-atom, which is checked here
// without the parser; the parser decides the rest.
func validEmail(s string) bool {
	if simpleAddress(s) {
		return true
	}
	a, err := mail.ParseAddress(s)
	return err == nil && a.Address == s
}

// simpleAddress reports whether s is local@domain with both parts dot-atoms
// of letters, digits and "._%+-" (no leading, trailing or doubled dots), a
// subset of RFC 5322 that net/mail accepts unchanged.
func simpleAddress(s string) bool {
	at := strings.IndexByte(s, '@')
	if at <= 0 || at == len(s)-1 {
		return false
	}
	return dotAtom(s[:at]) && dotAtom(s[at+1:])
}

func dotAtom(s string) bool {
	prevDot := true // no leading dot
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '.':
			if prevDot {
				return false
			}
			prevDot = true
			continue
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9',
			c == '_', c == '%', c == '+', c == '-':
		default:
			return false
		}
		prevDot = false
	}
	return !prevDot // no trailing dot
}

func (pl *planner) planUsers() {
	valid, folds := pl.validUsers()
	for _, i := range valid {
		pl.planUser(&pl.snap.Users[i], folds[i])
	}
	switch pl.snap.Kind {
	case connectors.Full:
		// Whatever the source owns and the snapshot no longer lists has left
		// its scope (unassigned, deleted, filtered out).
		for _, u := range pl.st.Users {
			if u.Owner == pl.opts.Source && !pl.matched[u.ID] && u.Active {
				pl.deactivate(u, "no longer in the source's scope")
			}
		}
	case connectors.Delta:
		for _, id := range pl.snap.RemovedUsers {
			if u, ok := pl.ownedBySrc[id]; ok && !pl.matched[u.ID] && u.Active {
				pl.matched[u.ID] = true
				pl.deactivate(u, "deleted or removed from scope in the source")
			}
		}
	}
}

func (pl *planner) deactivate(u *store.User, reason string) {
	if !pl.st.Full[u.ID] && !pl.protected[store.FoldName(u.UserName)] {
		pl.plan.needUsers[u.ID] = true
		return
	}
	if pl.protected[store.FoldName(u.UserName)] {
		pl.add(&Action{Kind: Skip, Object: "user", ID: u.ID, Name: u.UserName, SourceID: u.SourceID,
			Reason: "protected user (safety.protected_users); would deactivate: " + reason})
		return
	}
	want := u.Clone()
	want.Active = false
	pl.add(&Action{Kind: DeactivateUser, Object: "user", ID: u.ID, Name: u.UserName, SourceID: u.SourceID,
		Reason: reason, Changes: store.DiffUsers(u, want), user: want})
}

// match finds the directory user a snapshot user is, following the source's
// rules, and says how it was found.
// rules, and says how it was found; named is the directory user holding the
// snapshot user's userName (fold), if any.
func (pl *planner) match(su *connectors.User, fold string) (cur, named *store.User, byID bool) {
	named = pl.byName[fold]
	if pl.opts.RenameInPlace {
		if u, ok := pl.ownedBySrc[su.SourceID]; ok && !pl.matched[u.ID] {
			return u, named, true
		}
	}
	if named != nil && !pl.matched[named.ID] {
		return named, named, false
	}
	return nil, named, false
}

// isProtected reports whether a userName (folded) is in protected_users.
func (pl *planner) isProtected(fold string) bool {
	return len(pl.protected) > 0 && pl.protected[fold]
}

func (pl *planner) planUser(su *connectors.User, fold string) {
	src := pl.opts.Source
	cur, named, _ := pl.match(su, fold)
	skip := func(kind Kind, id, reason string) {
		pl.add(&Action{Kind: kind, Object: "user", ID: id, Name: su.UserName, SourceID: su.SourceID, Reason: reason})
	}
	if pl.isProtected(fold) || (cur != nil && pl.isProtected(store.FoldName(cur.UserName))) {
		id := ""
		if cur != nil {
			id = cur.ID
			pl.matched[cur.ID] = true
			pl.resolve(su.SourceID, cur)
		}
		skip(Skip, id, "protected user (safety.protected_users)")
		return
	}
	fp := sourceFingerprint(su, src)
	if cur == nil {
		u := &store.User{ID: pl.opts.NewID(), Owner: src, PullFP: fp}
		applyMapped(u, su)
		pl.resolve(su.SourceID, u)
		pl.userByID[u.ID] = u
		pl.add(&Action{Kind: CreateUser, Object: "user", ID: u.ID, Name: u.UserName, SourceID: su.SourceID,
			user: u})
		return
	}
	if cur.Owner != "" && cur.Owner != src {
		skip(Conflict, cur.ID, fmt.Sprintf("userName is owned by source %q; not taken over", cur.Owner))
		return
	}
	// A rename in place must not collide with another user's name.
	if named != nil && named.ID != cur.ID {
		skip(Conflict, cur.ID, fmt.Sprintf("cannot rename %q: userName is taken by another user (%s)", cur.UserName, ownerOf(named)))
		pl.matched[cur.ID] = true
		return
	}
	pl.matched[cur.ID] = true
	if cur.Owner == src && cur.PullFP != "" && cur.PullFP == fp {
		// The steady state: unchanged since a pull applied this very record
		// (any other write clears the fingerprint). Nothing to load.
		pl.resolve(su.SourceID, cur)
		return
	}
	if !pl.st.Full[cur.ID] {
		// Decided in the second pass, with the full record.
		pl.plan.needUsers[cur.ID] = true
		pl.resolve(su.SourceID, cur)
		return
	}
	if cur.Owner == src && mappedEqual(cur, su) {
		pl.resolve(su.SourceID, cur)
		pl.plan.stamps[cur.ID] = fp
		return
	}
	want := cur.Clone()
	want.Owner = src
	want.PullFP = fp
	applyMapped(want, su)
	pl.resolve(su.SourceID, want)
	pl.userByID[want.ID] = want
	changes := store.DiffUsers(cur, want)
	kind := UpdateUser
	reason := ""
	switch {
	case cur.Owner == "":
		kind, reason = AdoptUser, "unowned user with the same userName linked to this source"
	case cur.SourceID == "" && onlySourceID(changes):
		kind, reason = LinkUser, "user pushed over SCIM linked to its id in the source"
	case cur.Active && !want.Active:
		kind, reason = DeactivateUser, "disabled, suspended or deprovisioned in the source"
	case !cur.Active && want.Active:
		kind, reason = ReactivateUser, "active again in the source"
	}
	if len(changes) == 0 {
		return
	}
	pl.add(&Action{Kind: kind, Object: "user", ID: cur.ID, Name: want.UserName, SourceID: su.SourceID,
		Changes: changes, Reason: reason, user: want})
}

func ownerOf(u *store.User) string {
	if u.Owner == "" {
		return "unowned"
	}
	return "owned by " + u.Owner
}

// sourceFingerprint identifies the mapped attributes of a source record as
// applied by source; equal fingerprints mean equal attributes.
func sourceFingerprint(su *connectors.User, source string) string {
	// One buffer hashed once: a hash.Hash would copy every field to the heap.
	var arr [512]byte
	buf := arr[:0]
	field := func(s string) { buf = append(append(buf, s...), 0) }
	field(source)
	field(su.SourceID)
	field(su.ExternalID)
	field(su.UserName)
	field(su.DisplayName)
	field(su.GivenName)
	field(su.FamilyName)
	field(strings.ToLower(su.Email))
	field(strconv.FormatBool(su.Active))
	keys := make([]string, 0, len(su.Enterprise))
	for k := range su.Enterprise {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		field(k)
		field(su.Enterprise[k])
	}
	sum := sha256.Sum256(buf)
	return hex.EncodeToString(sum[:16])
}

// mappedEqual reports whether applying su to u would change nothing; it
// mirrors applyMapped without allocating.
func mappedEqual(u *store.User, su *connectors.User) bool {
	if u.UserName != su.UserName || u.SourceID != su.SourceID || u.ExternalID != su.ExternalID ||
		u.DisplayName != su.DisplayName || u.Name.GivenName != su.GivenName ||
		u.Name.FamilyName != su.FamilyName || u.Active != su.Active {
		return false
	}
	if su.Email != "" && !strings.EqualFold(su.Email, u.PrimaryEmail()) {
		return false
	}
	for k, v := range su.Enterprise {
		cur, ok := u.Enterprise[k]
		switch {
		case v == "":
			if ok {
				return false
			}
		case k == "manager":
			m, isMap := cur.(map[string]any)
			if !isMap || m["value"] != v {
				return false
			}
		default:
			if s, isStr := cur.(string); !isStr || s != v {
				return false
			}
		}
	}
	return true
}

// applyMapped writes the attributes a source manages onto u, leaving every
// other attribute (pushed extras, other emails) as it is.
func applyMapped(u *store.User, su *connectors.User) {
	u.UserName = su.UserName
	u.SourceID = su.SourceID
	u.ExternalID = su.ExternalID
	u.DisplayName = su.DisplayName
	u.Name.GivenName = su.GivenName
	u.Name.FamilyName = su.FamilyName
	u.Active = su.Active
	if su.Email != "" && !strings.EqualFold(su.Email, u.PrimaryEmail()) {
		u.Emails = setPrimaryEmail(u.Emails, su.Email)
	}
	for k, v := range su.Enterprise {
		if u.Enterprise == nil {
			u.Enterprise = map[string]any{}
		}
		setEnterprise(u.Enterprise, k, v)
	}
}

// setPrimaryEmail replaces the primary (else work) address, or adds one.
func setPrimaryEmail(emails []store.Email, addr string) []store.Email {
	out := append([]store.Email(nil), emails...)
	for _, pick := range []func(store.Email) bool{
		func(e store.Email) bool { return e.Primary },
		func(e store.Email) bool { return strings.EqualFold(e.Type, "work") },
	} {
		for i := range out {
			if pick(out[i]) {
				out[i].Value = addr
				return out
			}
		}
	}
	return append([]store.Email{{Value: addr, Type: "work", Primary: true}}, out...)
}

// setEnterprise sets one enterprise attribute; manager is complex in SCIM
// ({"value": id}), the others are strings. An empty value removes it.
func setEnterprise(ent map[string]any, key, val string) {
	if val == "" {
		delete(ent, key)
		return
	}
	if key == "manager" {
		if m, ok := ent[key].(map[string]any); ok && m["value"] == val {
			return
		}
		ent[key] = map[string]any{"value": val}
		return
	}
	ent[key] = val
}

// guard holds the plan's deactivations when they exceed the safety limits.
func (pl *planner) guard() {
	var deact []*Action
	for _, a := range pl.plan.Actions {
		if a.Kind == DeactivateUser {
			deact = append(deact, a)
		}
	}
	n := len(deact)
	if n == 0 || pl.opts.AllowDeactivations {
		return
	}
	reason := ""
	switch {
	case n > pl.opts.MaxDeactivations:
		reason = fmt.Sprintf("%d deactivations exceed safety.max_deactivations (%d)", n, pl.opts.MaxDeactivations)
	case pl.activeOwned > 0 && float64(n)*100/float64(pl.activeOwned) > pl.opts.MaxDeactivationPercent:
		reason = fmt.Sprintf("%d deactivations are %.1f%% of the source's %d active users, above safety.max_deactivation_percent (%g%%)",
			n, float64(n)*100/float64(pl.activeOwned), pl.activeOwned, pl.opts.MaxDeactivationPercent)
	default:
		return
	}
	pl.plan.Held, pl.plan.HeldReason = true, reason+"; re-run with --allow-deactivations to apply them"
	for _, a := range deact {
		a.Held = true
	}
}
