package scim

import (
	"context"
	"errors"
	"net/http"

	"github.com/dirsync/dirsync/store"
)

// renderGroup renders a group, loading members only when they are wanted:
// Entra asks with excludedAttributes=members precisely to avoid that cost.
func (s *Server) renderGroup(ctx context.Context, tx *store.Tx, g *store.Group, rc *request, proj projection) (document, error) {
	var members []string
	if proj.wants("members") {
		var err error
		if members, err = tx.GroupMembers(ctx, g.ID); err != nil {
			return nil, err
		}
		if members == nil {
			members = []string{}
		}
	}
	return proj.apply(groupDoc(g, members, rc.base)), nil
}

func (s *Server) getGroup(w http.ResponseWriter, r *http.Request, rc *request, id string) error {
	proj, err := parseProjection(r.URL.Query().Get("attributes"), r.URL.Query().Get("excludedAttributes"))
	if err != nil {
		return err
	}
	return s.writeGroup(w, r, rc, id, http.StatusOK, proj)
}

func groupConflict(g *store.Group) *Error {
	return &Error{Status: http.StatusConflict, ScimType: TypeUniqueness, Detail: "displayName " + quote(g.DisplayName) + " is already taken"}
}

func (s *Server) createGroup(w http.ResponseWriter, r *http.Request, rc *request) error {
	body, err := decodeObject(rc.body)
	if err != nil {
		return err
	}
	doc, err := s.groups.normalize(body)
	if err != nil {
		return err
	}
	g, members, err := groupFromDoc(doc, &store.Group{})
	if err != nil {
		return err
	}
	g.Owner, g.SourceID = rc.integration.Name, g.ExternalID
	err = s.store.Update(r.Context(), rc.actor(), func(tx *store.Tx) error {
		if err := tx.CreateGroup(r.Context(), g); err != nil {
			return err
		}
		return s.applyMembers(r.Context(), tx, rc, g.ID, []MemberOp{{Kind: AddMembers, IDs: members}})
	})
	if errors.Is(err, store.ErrConflict) {
		return groupConflict(g)
	}
	if err != nil {
		return err
	}
	return s.writeGroup(w, r, rc, g.ID, http.StatusCreated, projection{})
}

// applyMembers runs membership operations in order. Each names the members
// it touches; the store never rewrites members that were not named.
func (s *Server) applyMembers(ctx context.Context, tx *store.Tx, rc *request, groupID string, ops []MemberOp) error {
	for _, op := range ops {
		var mc store.MemberChange
		var err error
		switch op.Kind {
		case AddMembers:
			if len(op.IDs) == 0 {
				continue
			}
			mc, err = tx.AddMembers(ctx, groupID, op.IDs)
		case RemoveMembers:
			mc, err = tx.RemoveMembers(ctx, groupID, op.IDs)
		case ReplaceMembers:
			mc, err = tx.ReplaceMembers(ctx, groupID, op.IDs)
		}
		if err != nil {
			return err
		}
		if len(mc.Missing) > 0 {
			// Not an error: the IdP may push a group before the user, and
			// failing would make it retry the whole group forever.
			s.logger.Warn("group members name unknown users", "request_id", rc.id, "group", groupID, "missing", mc.Missing)
		}
	}
	return nil
}

// editGroup runs edit on the stored group in one unit of work: attribute
// changes and then membership operations.
func (s *Server) editGroup(ctx context.Context, rc *request, id string, ifMatch int64, edit func(old *store.Group) (*store.Group, []MemberOp, error)) error {
	var g *store.Group
	err := s.store.Update(ctx, rc.actor(), func(tx *store.Tx) error {
		old, err := tx.GetGroup(ctx, id)
		if err != nil {
			return err
		}
		if ifMatch != 0 && old.Version != ifMatch {
			return store.ErrPrecondition
		}
		var ops []MemberOp
		if g, ops, err = edit(old); err != nil {
			return err
		}
		if err := claimGroup(rc, old, g); err != nil {
			return err
		}
		if _, err := tx.UpdateGroup(ctx, g, 0); err != nil {
			return err
		}
		return s.applyMembers(ctx, tx, rc, id, ops)
	})
	if errors.Is(err, store.ErrConflict) {
		return groupConflict(g)
	}
	return err
}

func (s *Server) replaceGroup(w http.ResponseWriter, r *http.Request, rc *request, id string, ifMatch int64) error {
	body, err := decodeObject(rc.body)
	if err != nil {
		return err
	}
	doc, err := s.groups.normalize(body)
	if err != nil {
		return err
	}
	err = s.editGroup(r.Context(), rc, id, ifMatch, func(old *store.Group) (*store.Group, []MemberOp, error) {
		g, members, err := groupFromDoc(doc, old)
		// PUT replaces: a body without members leaves the group empty.
		return g, []MemberOp{{Kind: ReplaceMembers, IDs: members}}, err
	})
	if err != nil {
		return err
	}
	return s.writeGroup(w, r, rc, id, http.StatusOK, projection{})
}

func (s *Server) patchGroup(w http.ResponseWriter, r *http.Request, rc *request, id string, ifMatch int64) error {
	ops, err := parsePatch(rc.body, s.opts.Filter)
	if err != nil {
		return err
	}
	err = s.editGroup(r.Context(), rc, id, ifMatch, func(old *store.Group) (*store.Group, []MemberOp, error) {
		doc := groupDoc(old, nil, rc.base)
		var members []MemberOp
		if err := s.groups.applyPatch(doc, ops, &members, s.opts.Filter); err != nil {
			return nil, nil, err
		}
		g, _, err := groupFromDoc(doc, old)
		return g, members, err
	})
	if err != nil {
		return err
	}
	// Entra expects 204 for a group PATCH; Okta accepts it too.
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) deleteGroup(w http.ResponseWriter, r *http.Request, rc *request, id string, ifMatch int64) error {
	err := s.store.Update(r.Context(), rc.actor(), func(tx *store.Tx) error {
		old, err := tx.GetGroup(r.Context(), id)
		if err != nil {
			return err
		}
		c := *old
		if err := claimGroup(rc, old, &c); err != nil {
			return err
		}
		return tx.DeleteGroup(r.Context(), id, ifMatch)
	})
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) listGroups(w http.ResponseWriter, r *http.Request, rc *request) error {
	return list(s, groupKind, w, r, rc)
}

func (s *Server) writeGroup(w http.ResponseWriter, r *http.Request, rc *request, id string, status int, proj projection) error {
	return write(s, groupKind, w, r, rc, id, status, proj)
}
