package scim

import (
	"context"
	"net/http"

	"github.com/dirsync/dirsync/store"
)

// kind is what the shared response helpers need of a resource type.
type kind[T any] struct {
	path    string // "/Users" or "/Groups"
	find    func(tx *store.Tx, ctx context.Context, q store.ListQuery) ([]T, int, error)
	get     func(tx *store.Tx, ctx context.Context, id string) (T, error)
	version func(T) int64
	render  func(s *Server, ctx context.Context, tx *store.Tx, v T, rc *request, proj projection) (document, error)
}

var (
	userKind = kind[*store.User]{
		path: "/Users", find: (*store.Tx).FindUsers, get: (*store.Tx).GetUser,
		version: func(u *store.User) int64 { return u.Version }, render: (*Server).renderUser,
	}
	groupKind = kind[*store.Group]{
		path: "/Groups", find: (*store.Tx).FindGroups, get: (*store.Tx).GetGroup,
		version: func(g *store.Group) int64 { return g.Version }, render: (*Server).renderGroup,
	}
)

// list answers a list request with one page of matching resources.
func list[T any](s *Server, k kind[T], w http.ResponseWriter, r *http.Request, rc *request) error {
	lp, err := s.parseList(r.URL.Query())
	if err != nil {
		return err
	}
	var docs []any
	var total int
	err = s.store.View(r.Context(), func(tx *store.Tx) error {
		items, n, err := k.find(tx, r.Context(), lp.query)
		if err != nil {
			return err
		}
		total = n
		for _, v := range items {
			doc, err := k.render(s, r.Context(), tx, v, rc, lp.proj)
			if err != nil {
				return err
			}
			docs = append(docs, doc)
		}
		return nil
	})
	if err != nil {
		return err
	}
	return s.writeJSON(w, rc, http.StatusOK, listResponse(docs, total, lp.startIndex))
}

// write answers with the resource as stored now (after a write, the result
// of it), with its ETag, and its Location when it was just created.
func write[T any](s *Server, k kind[T], w http.ResponseWriter, r *http.Request, rc *request, id string, status int, proj projection) error {
	var doc document
	var version int64
	err := s.store.View(r.Context(), func(tx *store.Tx) error {
		v, err := k.get(tx, r.Context(), id)
		if err != nil {
			return err
		}
		version = k.version(v)
		doc, err = k.render(s, r.Context(), tx, v, rc, proj)
		return err
	})
	if err != nil {
		return err
	}
	if status == http.StatusCreated {
		w.Header().Set("Location", rc.base+k.path+"/"+id)
	}
	w.Header().Set("ETag", etag(version))
	return s.writeJSON(w, rc, status, doc)
}
