package scim

import (
	"context"
	"errors"
	"net/http"

	"github.com/dirsync/dirsync/store"
)

// collection serves /Users and /Groups: GET lists, POST creates.
func (s *Server) collection(w http.ResponseWriter, r *http.Request, rc *request) error {
	isUsers := rc.rt == s.users
	switch {
	case r.Method == http.MethodGet && isUsers:
		return s.listUsers(w, r, rc)
	case r.Method == http.MethodGet:
		return s.listGroups(w, r, rc)
	case r.Method == http.MethodPost && isUsers:
		return s.createUser(w, r, rc)
	case r.Method == http.MethodPost:
		return s.createGroup(w, r, rc)
	}
	return methodNotAllowed(w, http.MethodGet, http.MethodPost)
}

// item serves /Users/{id} and /Groups/{id}.
func (s *Server) item(w http.ResponseWriter, r *http.Request, rc *request) error {
	id := r.PathValue("id")
	ifMatch, ok := parseETag(r.Header.Get("If-Match"))
	if !ok {
		return &Error{Status: http.StatusPreconditionFailed, Detail: "If-Match does not name a version of this resource"}
	}
	if rc.rt == s.users {
		switch r.Method {
		case http.MethodGet:
			return s.getUser(w, r, rc, id)
		case http.MethodPut:
			return s.replaceUser(w, r, rc, id, ifMatch)
		case http.MethodPatch:
			return s.patchUser(w, r, rc, id, ifMatch)
		case http.MethodDelete:
			return s.deleteUser(w, r, rc, id, ifMatch)
		}
	} else {
		switch r.Method {
		case http.MethodGet:
			return s.getGroup(w, r, rc, id)
		case http.MethodPut:
			return s.replaceGroup(w, r, rc, id, ifMatch)
		case http.MethodPatch:
			return s.patchGroup(w, r, rc, id, ifMatch)
		case http.MethodDelete:
			return s.deleteGroup(w, r, rc, id, ifMatch)
		}
	}
	return methodNotAllowed(w, http.MethodGet, http.MethodPut, http.MethodPatch, http.MethodDelete)
}

// renderUser renders a user with its groups, unless projected away.
func (s *Server) renderUser(ctx context.Context, tx *store.Tx, u *store.User, rc *request, proj projection) (document, error) {
	var groups []string
	if proj.wants("groups") {
		var err error
		if groups, err = tx.GroupIDsOfUser(ctx, u.ID); err != nil {
			return nil, err
		}
		if groups == nil {
			groups = []string{}
		}
	}
	return proj.apply(userDoc(u, groups, rc.base)), nil
}

func (s *Server) getUser(w http.ResponseWriter, r *http.Request, rc *request, id string) error {
	proj, err := parseProjection(r.URL.Query().Get("attributes"), r.URL.Query().Get("excludedAttributes"))
	if err != nil {
		return err
	}
	return s.writeUser(w, r, rc, id, http.StatusOK, proj)
}

func (s *Server) createUser(w http.ResponseWriter, r *http.Request, rc *request) error {
	body, err := decodeObject(rc.body)
	if err != nil {
		return err
	}
	doc, err := s.users.normalize(body)
	if err != nil {
		return err
	}
	u, err := userFromDoc(doc, &store.User{Active: true})
	if err != nil {
		return err
	}
	// The pushing integration owns what it creates; its externalId is the
	// IdP's id for the user, which is what a pull of the same IdP matches.
	u.Owner, u.SourceID = rc.integration.Name, u.ExternalID
	err = s.store.Update(r.Context(), rc.actor(), func(tx *store.Tx) error {
		return tx.CreateUser(r.Context(), u)
	})
	if errors.Is(err, store.ErrConflict) {
		return &Error{Status: http.StatusConflict, ScimType: TypeUniqueness, Detail: "userName " + quote(u.UserName) + " is already taken"}
	}
	if err != nil {
		return err
	}
	return s.writeUser(w, r, rc, u.ID, http.StatusCreated, projection{})
}

// updateUser runs edit on the stored user inside one unit of work and
// writes the result, so a concurrent writer cannot slip in between.
func (s *Server) updateUser(ctx context.Context, rc *request, id string, ifMatch int64, edit func(old *store.User) (*store.User, error)) error {
	err := s.store.Update(ctx, rc.actor(), func(tx *store.Tx) error {
		old, err := tx.GetUser(ctx, id)
		if err != nil {
			return err
		}
		if ifMatch != 0 && old.Version != ifMatch {
			return store.ErrPrecondition
		}
		u, err := edit(old)
		if err != nil {
			return err
		}
		if err := claimUser(rc, old, u); err != nil {
			return err
		}
		_, err = tx.UpdateUser(ctx, u, ifMatch)
		if errors.Is(err, store.ErrConflict) {
			return &Error{Status: http.StatusConflict, ScimType: TypeUniqueness, Detail: "userName " + quote(u.UserName) + " is already taken"}
		}
		return err
	})
	return err
}

func (s *Server) replaceUser(w http.ResponseWriter, r *http.Request, rc *request, id string, ifMatch int64) error {
	body, err := decodeObject(rc.body)
	if err != nil {
		return err
	}
	doc, err := s.users.normalize(body)
	if err != nil {
		return err
	}
	err = s.updateUser(r.Context(), rc, id, ifMatch, func(old *store.User) (*store.User, error) {
		return userFromDoc(doc, old)
	})
	if err != nil {
		return err
	}
	return s.writeUser(w, r, rc, id, http.StatusOK, projection{})
}

func (s *Server) patchUser(w http.ResponseWriter, r *http.Request, rc *request, id string, ifMatch int64) error {
	ops, err := parsePatch(rc.body, s.opts.Filter)
	if err != nil {
		return err
	}
	err = s.updateUser(r.Context(), rc, id, ifMatch, func(old *store.User) (*store.User, error) {
		doc := userDoc(old, nil, rc.base)
		if err := s.users.applyPatch(doc, ops, nil, s.opts.Filter); err != nil {
			return nil, err
		}
		return userFromDoc(doc, old)
	})
	if err != nil {
		return err
	}
	return s.writeUser(w, r, rc, id, http.StatusOK, projection{})
}

func (s *Server) deleteUser(w http.ResponseWriter, r *http.Request, rc *request, id string, ifMatch int64) error {
	var err error
	if rc.integration.OnDelete == OnDeleteDeactivate {
		err = s.updateUser(r.Context(), rc, id, ifMatch, func(old *store.User) (*store.User, error) {
			u := old.Clone()
			u.Active = false
			return u, nil
		})
	} else {
		err = s.store.Update(r.Context(), rc.actor(), func(tx *store.Tx) error {
			old, err := tx.GetUser(r.Context(), id)
			if err != nil {
				return err
			}
			if err := claimUser(rc, old, old.Clone()); err != nil {
				return err
			}
			return tx.DeleteUser(r.Context(), id, ifMatch)
		})
	}
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) listUsers(w http.ResponseWriter, r *http.Request, rc *request) error {
	return list(s, userKind, w, r, rc)
}

func (s *Server) writeUser(w http.ResponseWriter, r *http.Request, rc *request, id string, status int, proj projection) error {
	return write(s, userKind, w, r, rc, id, status, proj)
}
