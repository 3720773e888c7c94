package okta

import (
	"context"
	"errors"
	"fmt"

	"github.com/okta/okta-sdk-golang/v2/okta"
	"github.com/okta/okta-sdk-golang/v2/okta/query"

	"github.com/dirsync/dirsync/connectors"
)

// Test checks, in order: that the org answers, that the credential is
// accepted, each permission the configuration needs (users; groups when
// groups are selected; the app when app_id is set), and then counts what is in scope with a full read.
// It stops at the first failed check, whose Detail says what is missing.
func (s *source) Test(ctx context.Context) (*connectors.TestResult, error) {
	ctx, _ = withStats(ctx)
	res := &connectors.TestResult{}
	check := func(name string, err error, ok string, fail func(int) string) bool {
		c := connectors.Check{Name: name, OK: err == nil, Detail: ok}
		if err != nil {
			c.Detail = fail(statusOf(err))
		}
		res.Checks = append(res.Checks, c)
		return c.OK
	}
	one := &query.Params{Limit: 1}
	_, resp, err := s.client.User.ListUsers(ctx, one)
	err = describe(err, resp)
	reachable := err == nil || statusOf(err) != 0
	var oe *okta.Error
	if !reachable && errors.As(err, &oe) {
		reachable = true // the OAuth token endpoint answered with an error
	}
	if !check("reach org", boolErr(reachable, err), s.cfg.OrgURL+" answered", func(int) string {
		return fmt.Sprintf("cannot reach %s: %v", s.cfg.OrgURL, err)
	}) {
		return res, nil
	}
	if !check("credentials", boolErr(statusOf(err) != 401 && (statusOf(err) != 0 || err == nil), err),
		s.credential()+" accepted", func(int) string {
			return fmt.Sprintf("%s was rejected: %v", s.credential(), err)
		}) {
		return res, nil
	}
	if !check("okta.users.read", err, "users can be listed", s.lacks("okta.users.read", err)) {
		return res, nil
	}
	if s.hasGroupSelection() {
		_, resp, err = s.client.Group.ListGroups(ctx, one)
		err = describe(err, resp)
		if !check("okta.groups.read", err, "groups can be listed", s.lacks("okta.groups.read", err)) {
			return res, nil
		}
	}
	if s.cfg.AppID != "" {
		_, resp, err = s.client.Application.GetApplication(ctx, s.cfg.AppID, okta.NewApplication(), nil)
		err = describe(err, resp)
		if !check("okta.apps.read", err, "app "+s.cfg.AppID+" found", func(status int) string {
			if status == 404 {
				return fmt.Sprintf("app %s not found: check app_id", s.cfg.AppID)
			}
			return s.lacks("okta.apps.read", err)(status)
		}) {
			return res, nil
		}
	}
	snap, err := s.Read(ctx, connectors.ReadRequest{Full: true})
	if !check("read scope", err, "", func(int) string { return err.Error() }) {
		return res, nil
	}
	res.Users, res.Groups = len(snap.Users), len(snap.Groups)
	res.Checks[len(res.Checks)-1].Detail = fmt.Sprintf("%d users and %d groups in scope (%d requests)",
		res.Users, res.Groups, snap.Requests)
	return res, nil
}

func boolErr(ok bool, err error) error {
	if ok {
		return nil
	}
	if err == nil {
		return errors.New("failed")
	}
	return err
}

func (s *source) credential() string {
	if s.cfg.ClientID != "" {
		return "OAuth client " + s.cfg.ClientID
	}
	return "the API token"
}

// lacks words a failed permission check.
func (s *source) lacks(scope string, err error) func(int) string {
	return func(status int) string {
		if status != 403 {
			return fmt.Sprintf("%s check failed: %v", scope, err)
		}
		if s.cfg.ClientID != "" {
			return fmt.Sprintf("the access token lacks %s: grant it to service app %s in Okta and list it in scopes", scope, s.cfg.ClientID)
		}
		return fmt.Sprintf("the API token lacks %s: its admin needs a role that can read these objects", scope)
	}
}
