package msgraph

import (
	"context"
	"strings"
	"sync"

	msgraphcore "github.com/microsoftgraph/msgraph-sdk-go-core"
	"github.com/microsoftgraph/msgraph-sdk-go/groups"
	"github.com/microsoftgraph/msgraph-sdk-go/models"
	"github.com/microsoftgraph/msgraph-sdk-go/serviceprincipals"
	"github.com/microsoftgraph/msgraph-sdk-go/users"
	"golang.org/x/sync/errgroup"

	"github.com/dirsync/dirsync/connectors"
)

// filterBatch is how many ids one `id in (...)` filter may carry in Graph.
const filterBatch = 15

// members lists a group's user members: direct, or every user reachable
// through nested groups when transitive (Graph expands, cycle-safe).
func (s *source) members(ctx context.Context, id string, transitive bool) ([]string, error) {
	top := s.cfg.pageSize()
	var resp models.DirectoryObjectCollectionResponseable
	var err error
	g := s.client.Groups().ByGroupId(id)
	if transitive {
		resp, err = g.TransitiveMembers().Get(ctx, &groups.ItemTransitiveMembersRequestBuilderGetRequestConfiguration{
			QueryParameters: &groups.ItemTransitiveMembersRequestBuilderGetQueryParameters{Select: []string{"id"}, Top: &top},
		})
	} else {
		resp, err = g.Members().Get(ctx, &groups.ItemMembersRequestBuilderGetRequestConfiguration{
			QueryParameters: &groups.ItemMembersRequestBuilderGetQueryParameters{Select: []string{"id"}, Top: &top},
		})
	}
	if err != nil {
		return nil, wrap("list members of group "+id, err)
	}
	pi, err := msgraphcore.NewPageIterator[models.DirectoryObjectable](resp, s.adapter, models.CreateDirectoryObjectCollectionResponseFromDiscriminatorValue)
	if err != nil {
		return nil, wrap("list members of group "+id, err)
	}
	var out []string
	err = pi.Iterate(ctx, func(o models.DirectoryObjectable) bool {
		// Items are typed by their @odata.type; nested groups and service
		// principals are not users.
		if _, ok := o.(models.Userable); ok {
			out = append(out, str(o.GetId()))
		}
		return true
	})
	if err != nil {
		return nil, wrap("list members of group "+id+" page", err)
	}
	return out, nil
}

// membersOf reads the member lists of many groups, once each, with bounded
// concurrency.
func (s *source) membersOf(ctx context.Context, ids []string, transitive bool) (map[string][]string, error) {
	out := make(map[string][]string, len(ids))
	var mu sync.Mutex
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(s.cfg.concurrency())
	for _, id := range ids {
		g.Go(func() error {
			m, err := s.members(ctx, id, transitive)
			if err != nil {
				return err
			}
			mu.Lock()
			out[id] = m
			mu.Unlock()
			return nil
		})
	}
	return out, g.Wait()
}

func idFilter(ids []string) string {
	return "id in ('" + strings.Join(ids, "','") + "')"
}

// batches runs fn over ids in filter-sized batches, in parallel.
func (s *source) batches(ctx context.Context, ids []string, fn func(context.Context, []string) error) error {
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(s.cfg.concurrency())
	for i := 0; i < len(ids); i += filterBatch {
		batch := ids[i:min(i+filterBatch, len(ids))]
		g.Go(func() error { return fn(ctx, batch) })
	}
	return g.Wait()
}

// fetchUsers re-reads users by id, as complete records: a delta item
// carries only the properties that changed. Ids no longer found are absent
// from the result.
func (s *source) fetchUsers(ctx context.Context, ids []string) (map[string]connectors.User, error) {
	out := make(map[string]connectors.User, len(ids))
	var mu sync.Mutex
	err := s.batches(ctx, ids, func(ctx context.Context, batch []string) error {
		filter := idFilter(batch)
		resp, err := s.client.Users().Get(ctx, &users.UsersRequestBuilderGetRequestConfiguration{
			QueryParameters: &users.UsersRequestBuilderGetQueryParameters{
				Filter: &filter, Select: s.cfg.userSelect(), Expand: s.cfg.userExpand(),
			},
		})
		if err != nil {
			return wrap("get changed users", err)
		}
		mu.Lock()
		defer mu.Unlock()
		for _, u := range resp.GetValue() {
			out[str(u.GetId())] = s.cfg.mapUser(u)
		}
		return nil
	})
	return out, err
}

// fetchGroupNames reads the displayName of groups by id.
func (s *source) fetchGroupNames(ctx context.Context, ids []string) (map[string]string, error) {
	out := make(map[string]string, len(ids))
	var mu sync.Mutex
	err := s.batches(ctx, ids, func(ctx context.Context, batch []string) error {
		filter := idFilter(batch)
		resp, err := s.client.Groups().Get(ctx, &groups.GroupsRequestBuilderGetRequestConfiguration{
			QueryParameters: &groups.GroupsRequestBuilderGetQueryParameters{
				Filter: &filter, Select: []string{"id", "displayName"},
			},
		})
		if err != nil {
			return wrap("get groups", err)
		}
		mu.Lock()
		defer mu.Unlock()
		for _, g := range resp.GetValue() {
			out[str(g.GetId())] = str(g.GetDisplayName())
		}
		return nil
	})
	return out, err
}

// assignments lists the users and groups assigned to the application.
func (s *source) assignments(ctx context.Context) (userIDs, groupIDs []string, err error) {
	top := s.cfg.pageSize()
	resp, err := s.client.ServicePrincipals().ByServicePrincipalId(s.cfg.ServicePrincipalID).AppRoleAssignedTo().Get(ctx,
		&serviceprincipals.ItemAppRoleAssignedToRequestBuilderGetRequestConfiguration{
			QueryParameters: &serviceprincipals.ItemAppRoleAssignedToRequestBuilderGetQueryParameters{Top: &top},
		})
	if err != nil {
		return nil, nil, wrap("list app role assignments", err)
	}
	pi, err := msgraphcore.NewPageIterator[models.AppRoleAssignmentable](resp, s.adapter, models.CreateAppRoleAssignmentCollectionResponseFromDiscriminatorValue)
	if err != nil {
		return nil, nil, wrap("list app role assignments", err)
	}
	seen := map[string]bool{}
	err = pi.Iterate(ctx, func(a models.AppRoleAssignmentable) bool {
		if a.GetPrincipalId() == nil {
			return true
		}
		id := a.GetPrincipalId().String()
		if seen[id] { // one principal may hold several app roles
			return true
		}
		seen[id] = true
		switch str(a.GetPrincipalType()) {
		case "User":
			userIDs = append(userIDs, id)
		case "Group":
			groupIDs = append(groupIDs, id)
		}
		return true
	})
	if err != nil {
		return nil, nil, wrap("list app role assignments page", err)
	}
	return userIDs, groupIDs, nil
}
