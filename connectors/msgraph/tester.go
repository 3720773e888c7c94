package msgraph

import (
	"context"
	"fmt"
	"net/http"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/microsoftgraph/msgraph-sdk-go/groups"
	"github.com/microsoftgraph/msgraph-sdk-go/serviceprincipals"
	"github.com/microsoftgraph/msgraph-sdk-go/users"

	"github.com/dirsync/dirsync/connectors"
)

// Test checks, in order, the credential, each permission a read needs, the
// service principal, and then counts what a full read would sync. A failed
// check says which setting or permission to fix; later checks still run
// where they can, so one run lists every missing permission.
func (s *source) Test(ctx context.Context) (*connectors.TestResult, error) {
	res := &connectors.TestResult{}
	add := func(name string, err error, ok, fix string) {
		c := connectors.Check{Name: name, OK: err == nil, Detail: ok}
		if err != nil {
			c.Detail = fix + ": " + err.Error()
		}
		res.Checks = append(res.Checks, c)
	}
	_, err := s.cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: s.scopes})
	add("token", err, "acquired an app-only token for "+s.scopes[0],
		"cannot get a token: check tenant_id, client_id, the credential and authority_host")
	if err != nil {
		return res, nil
	}
	one := int32(1)
	_, err = s.client.Users().Get(ctx, &users.UsersRequestBuilderGetRequestConfiguration{
		QueryParameters: &users.UsersRequestBuilderGetQueryParameters{Select: []string{"id"}, Top: &one},
	})
	err = s.permErr("read users", err)
	add("permission User.Read.All", err, "users are readable", permFix("User.Read.All", err))
	_, err = s.client.Groups().Get(ctx, &groups.GroupsRequestBuilderGetRequestConfiguration{
		QueryParameters: &groups.GroupsRequestBuilderGetQueryParameters{Select: []string{"id"}, Top: &one},
	})
	err = s.permErr("read groups", err)
	add("permission Group.Read.All", err, "groups are readable", permFix("Group.Read.All", err))
	if s.cfg.scope() == "assigned" {
		_, err = s.client.ServicePrincipals().ByServicePrincipalId(s.cfg.ServicePrincipalID).Get(ctx,
			&serviceprincipals.ServicePrincipalItemRequestBuilderGetRequestConfiguration{
				QueryParameters: &serviceprincipals.ServicePrincipalItemRequestBuilderGetQueryParameters{Select: []string{"id", "appId", "displayName"}},
			})
		err = s.permErr("read service principal", err)
		fix := permFix("Application.Read.All", err)
		if status, _ := statusOf(err); status == http.StatusNotFound || status == http.StatusBadRequest {
			fix = "service_principal_id: no service principal " + s.cfg.ServicePrincipalID +
				" in the tenant (use the enterprise application's object id, not the app id)"
		}
		add("permission Application.Read.All and service principal", err, "service principal "+s.cfg.ServicePrincipalID+" found", fix)
	}
	if !res.OK() {
		return res, nil
	}
	snap, err := s.Read(ctx, connectors.ReadRequest{Full: true})
	add("full read", err, "", "a full read failed")
	if err != nil {
		return res, nil
	}
	res.Checks[len(res.Checks)-1].Detail = fmt.Sprintf("%d users and %d groups in scope (%d requests)", len(snap.Users), len(snap.Groups), snap.Requests)
	res.Users, res.Groups = len(snap.Users), len(snap.Groups)
	return res, nil
}

func (s *source) permErr(op string, err error) error {
	if err == nil {
		return nil
	}
	return wrap(op, err)
}

// permFix says how to fix a failed permission check.
func permFix(perm string, err error) string {
	if status, _ := statusOf(err); status == http.StatusForbidden {
		return "missing application permission " + perm +
			": add it to the app registration (Microsoft Graph, Application permissions) and grant admin consent"
	}
	return "request failed"
}
