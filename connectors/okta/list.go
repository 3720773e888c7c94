package okta

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/okta/okta-sdk-golang/v2/okta"
	"github.com/okta/okta-sdk-golang/v2/okta/query"
)

// listAll follows every page of a listing. The SDK's List calls return one
// page; the rest come from resp.Next. Any error on any page fails the lot:
// a partial listing must never become a snapshot.
func listAll[T any](ctx context.Context, what string, first func() ([]T, *okta.Response, error)) ([]T, error) {
	items, resp, err := first()
	for err == nil && resp.HasNextPage() {
		var next []T
		resp, err = resp.Next(ctx, &next)
		items = append(items, next...)
	}
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", what, describe(err, resp))
	}
	return items, nil
}

// apiError is an API failure with its HTTP status, so Test can say what is
// missing. The SDK returns the response alongside its *okta.Error.
type apiError struct {
	status int
	err    error
}

func (e *apiError) Error() string {
	return fmt.Sprintf("%d %s: %v", e.status, http.StatusText(e.status), e.err)
}
func (e *apiError) Unwrap() error { return e.err }

func describe(err error, resp *okta.Response) error {
	if resp != nil && resp.Response != nil && resp.StatusCode >= 400 {
		return &apiError{status: resp.StatusCode, err: err}
	}
	return err
}

func statusOf(err error) int {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae.status
	}
	return 0
}

func (s *source) params(extra func(*query.Params)) *query.Params {
	qp := &query.Params{Limit: int64(s.cfg.PageSize)}
	if extra != nil {
		extra(qp)
	}
	return qp
}

func (s *source) listUsers(ctx context.Context, what string, extra func(*query.Params)) ([]rawUser, error) {
	users, err := listAll(ctx, what, func() ([]*okta.User, *okta.Response, error) {
		return s.client.User.ListUsers(ctx, s.params(extra))
	})
	if err != nil {
		return nil, err
	}
	out := make([]rawUser, len(users))
	for i, u := range users {
		out[i] = fromSDK(u)
	}
	return out, nil
}

func (s *source) listAppUsers(ctx context.Context, expand bool) ([]*okta.AppUser, error) {
	return listAll(ctx, "users of app "+s.cfg.AppID, func() ([]*okta.AppUser, *okta.Response, error) {
		return s.client.Application.ListApplicationUsers(ctx, s.cfg.AppID, s.params(func(qp *query.Params) {
			if expand {
				qp.Expand = "user"
			}
		}))
	})
}

func (s *source) listGroups(ctx context.Context, filter string) ([]*okta.Group, error) {
	return listAll(ctx, "groups", func() ([]*okta.Group, *okta.Response, error) {
		return s.client.Group.ListGroups(ctx, s.params(func(qp *query.Params) { qp.Filter = filter }))
	})
}

func (s *source) listAppGroups(ctx context.Context) ([]*okta.ApplicationGroupAssignment, error) {
	return listAll(ctx, "groups of app "+s.cfg.AppID, func() ([]*okta.ApplicationGroupAssignment, *okta.Response, error) {
		return s.client.Application.ListApplicationGroupAssignments(ctx, s.cfg.AppID, s.params(nil))
	})
}

func (s *source) getGroup(ctx context.Context, id string) (*okta.Group, error) {
	g, resp, err := s.client.Group.GetGroup(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("get group %s: %w", id, describe(err, resp))
	}
	return g, nil
}

func (s *source) getUser(ctx context.Context, id string) (rawUser, error) {
	u, resp, err := s.client.User.GetUser(ctx, id)
	if err != nil {
		return rawUser{}, fmt.Errorf("get user %s: %w", id, describe(err, resp))
	}
	return fromSDK(u), nil
}
