// Package connectors holds the neutral user and group types that every identity
// provider is mapped to, and the small interfaces a pull connector implements.
//
// Vendor SDK types never leave their connector package: a connector turns what
// Okta or Microsoft Graph says into these types, and reconcile only ever sees
// these. Keeping the seam this narrow is what lets the same engine, the same
// tests and the same dry-run report serve every IdP.
package connectors

import (
	"context"
	"errors"

	"github.com/hashicorp/go-hclog"
)

// User is one user as a source sees it, already mapped to dirsync's attributes.
type User struct {
	// SourceID is the IdP's immutable object id (Okta user id, Entra objectId).
	// It never changes for the life of the account, unlike UserName.
	SourceID string
	// UserName is the login name the application knows the user by.
	UserName string
	// ExternalID is what the IdP would send as SCIM externalId when pushing the
	// same user; usually equal to SourceID.
	ExternalID  string
	DisplayName string
	GivenName   string
	FamilyName  string
	// Email is the primary work email; empty when the source has none.
	Email string
	// Active is false when the user is disabled, suspended, deprovisioned,
	// soft-deleted or otherwise should not be able to use the application.
	Active bool
	// Enterprise holds the mapped enterprise-extension attributes
	// (employeeNumber, department, manager, ...) keyed by their SCIM
	// sub-attribute name. Only keys present are managed by the pull; a nil map
	// means the source maps none, so pushed values are left alone.
	Enterprise map[string]string
}

// Group is one group as a source sees it.
type Group struct {
	// SourceID is the IdP's immutable group id.
	SourceID    string
	DisplayName string
	// ExternalID is what the IdP would send as SCIM externalId for the group.
	ExternalID string
	// Members are the SourceIDs of the group's user members. With group
	// overwrite semantics this list replaces the directory's membership.
	Members []string
}

// Kind says whether a read is a full snapshot or a delta since a cursor.
type Kind int

const (
	// Full is a complete snapshot: anything owned by the source and not in it
	// has left the source's scope.
	Full Kind = iota
	// Delta names only what changed since the cursor: users and groups present
	// are complete records, absent ones are unchanged, removals are explicit.
	Delta
)

func (k Kind) String() string {
	if k == Delta {
		return "delta"
	}
	return "full"
}

// Snapshot is the result of one complete read of a source. A read that failed
// anywhere returns an error and no snapshot: a partial read must never be
// planned, because everything missing from it would look deprovisioned.
type Snapshot struct {
	Kind   Kind
	Users  []User
	Groups []Group
	// RemovedUsers and RemovedGroups are SourceIDs that a Delta reports as
	// deleted or out of scope. A pull never hard-deletes: users are
	// deactivated, groups lose their members and ownership is kept.
	RemovedUsers  []string
	RemovedGroups []string
	// Cursor is the opaque position to resume an incremental read from; it is
	// persisted only after the snapshot's changes were committed.
	Cursor string
	// Requests counts the API calls the read made, for reports and metrics.
	Requests int
	// Throttled counts the responses that told the client to slow down
	// (429, and 503 with Retry-After), retried or not.
	Throttled int
}

// ReadRequest tells a source what to read.
type ReadRequest struct {
	// Cursor is the last committed cursor; empty means no incremental state.
	Cursor string
	// Full asks for a complete snapshot even when a cursor is present.
	Full bool
}

// Source is a pull connector: one configured integration with an IdP.
type Source interface {
	// Read returns a snapshot of everything in the source's scope, or a delta
	// when req has a cursor, Full is false and the source supports it. Any
	// error on any page fails the whole read.
	Read(ctx context.Context, req ReadRequest) (*Snapshot, error)
}

// Tester is implemented by sources that can check their credentials and
// permissions without reading everything ("Test Connection").
type Tester interface {
	// Test checks reachability and permissions and says what the source sees.
	Test(ctx context.Context) (*TestResult, error)
}

// TestResult is what `dirsync source test` prints.
type TestResult struct {
	// Checks lists each thing verified, in order, with its outcome.
	Checks []Check
	// Users and Groups are the counts in scope, when every check passed.
	Users, Groups int
}

// OK reports whether every check passed.
func (r *TestResult) OK() bool {
	for _, c := range r.Checks {
		if !c.OK {
			return false
		}
	}
	return true
}

// Check is one verified prerequisite, such as a permission or a setting.
type Check struct {
	Name string
	OK   bool
	// Detail says what was found, or exactly what is missing and how to fix it.
	Detail string
}

// ErrCursorExpired is returned (wrapped) by an incremental read whose cursor the
// IdP no longer accepts; the caller falls back to a full read.
var ErrCursorExpired = errors.New("incremental cursor expired")

// Config is a connector's settings, decoded from the body of its
// `source "TYPE" "NAME" { ... }` block with gohcl (so it carries `hcl` tags).
// The config package knows connectors only through this interface and an
// explicit type -> constructor map that cmd/dirsync wires, which keeps vendor
// SDKs out of every package but their own.
type Config interface {
	// Validate reports every problem at once (errors.Join), each error text
	// starting with the field name, e.g. "org_url: must use https".
	Validate() error
	// PullEnabled reports whether the block configures pulls. A block with
	// nothing but its labels is a push-only integration and is valid.
	PullEnabled() bool
	// Open builds the pull connector. name is the source's name label.
	Open(ctx context.Context, name string, logger hclog.Logger) (Source, error)
}

// BaseDirSetter is implemented by a Config whose relative file paths
// (api_token_file, private_key_file, ...) resolve against the directory of
// the configuration file; the config loader calls it before Validate.
type BaseDirSetter interface {
	SetBaseDir(dir string)
}
