package reconcile

import (
	"context"
	"fmt"

	"github.com/dirsync/dirsync/store"
)

// Apply executes a plan inside tx; it is the only place reconcile writes.
// Held and reported-only actions are skipped. Any store error fails the whole
// apply, and the caller's transaction rolls everything back: a directory is
// either fully before or fully after a run.
func Apply(ctx context.Context, tx *store.Tx, p *Plan) error {
	// Users and group records first, then memberships (the plan's order
	// already), so that membership writes can be bracketed as one bulk load.
	applyKinds := func(members bool) error {
		for _, a := range p.Actions {
			if !a.Applies() || (a.Kind == SetMembers) != members {
				continue
			}
			if err := applyOne(ctx, tx, a); err != nil {
				return fmt.Errorf("%s %s %q: %w", a.Kind, a.Object, a.Name, err)
			}
		}
		return nil
	}
	if err := applyKinds(false); err != nil {
		return err
	}
	adds := 0
	for _, a := range p.Actions {
		if a.Kind == SetMembers && a.Applies() {
			adds += len(a.Added)
		}
	}
	if err := tx.BulkMembers(ctx, adds, func() error { return applyKinds(true) }); err != nil {
		return err
	}
	// Users found equal in full: record their fingerprints so that the next
	// plan need not load them. Bookkeeping only; no attribute changes.
	if len(p.stamps) > 0 {
		return tx.SetPullFingerprints(ctx, p.stamps)
	}
	return nil
}

func applyOne(ctx context.Context, tx *store.Tx, a *Action) error {
	switch a.Kind {
	case CreateUser:
		return tx.CreateUser(ctx, a.user.Clone())
	case AdoptUser, UpdateUser, ReactivateUser, DeactivateUser, LinkUser:
		_, err := tx.UpdateUser(ctx, a.user.Clone(), 0)
		return err
	case CreateGroup:
		g := cloneGroup(a.group)
		return tx.CreateGroup(ctx, g)
	case AdoptGroup, UpdateGroup, LinkGroup:
		_, err := tx.UpdateGroup(ctx, cloneGroup(a.group), 0)
		return err
	case SetMembers:
		mc, err := tx.ReplaceMembers(ctx, a.ID, a.memberTo)
		if err != nil {
			return err
		}
		if len(mc.Missing) > 0 {
			// The plan resolved every member against the same transaction's
			// state; a miss here means the plan was not built from it.
			return fmt.Errorf("members vanished between plan and apply: %v", mc.Missing)
		}
		return nil
	}
	return fmt.Errorf("unknown action kind %q", a.Kind)
}
