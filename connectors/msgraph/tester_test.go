package msgraph

import (
	"context"
	"strings"
	"testing"

	"github.com/dirsync/dirsync/connectors/msgraph/graphfake"
)

func TestTest(t *testing.T) {
	tests := []struct {
		name      string
		roles     []string
		configure func(*Config)
		wantFail  string // name of the failing check, "" for all OK
		wantFix   string
		wantUsers int
	}{
		{name: "all granted", roles: allRoles, wantUsers: 4},
		{name: "directory read covers all", roles: []string{graphfake.DirectoryReadAll}, wantUsers: 4},
		{
			name:     "missing Group.Read.All",
			roles:    []string{graphfake.UserReadAll, graphfake.AppReadAll},
			wantFail: "permission Group.Read.All",
			wantFix:  "missing application permission Group.Read.All",
		},
		{
			name:     "missing User.Read.All",
			roles:    []string{graphfake.GroupReadAll, graphfake.AppReadAll},
			wantFail: "permission User.Read.All",
			wantFix:  "missing application permission User.Read.All",
		},
		{
			name:     "missing Application.Read.All",
			roles:    []string{graphfake.UserReadAll, graphfake.GroupReadAll},
			wantFail: "permission Application.Read.All and service principal",
			wantFix:  "missing application permission Application.Read.All",
		},
		{
			name:      "unknown service principal",
			roles:     allRoles,
			configure: func(c *Config) { c.ServicePrincipalID = graphfake.AppID },
			wantFail:  "permission Application.Read.All and service principal",
			wantFix:   "service_principal_id: no service principal",
		},
		{
			name:      "wrong secret",
			roles:     allRoles,
			configure: func(c *Config) { c.ClientSecretFile, c.ClientSecretEnv = "", "MSGRAPH_TEST_SECRET" },
			wantFail:  "token",
			wantFix:   "AADSTS7000215",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tn := newTenant(t)
			tn.f.SetRoles(graphfake.AppID, tt.roles...)
			t.Setenv("MSGRAPH_TEST_SECRET", "not-the-secret")
			c := testConfig(t, tn.f, "assigned")
			if tt.configure != nil {
				tt.configure(c)
			}
			res, err := open(t, c).Test(context.Background())
			if err != nil {
				t.Fatalf("test: %v", err)
			}
			if tt.wantFail == "" {
				if !res.OK() || res.Users != tt.wantUsers || res.Groups != 1 {
					t.Errorf("result = %+v, want every check OK with %d users and 1 group", res, tt.wantUsers)
				}
				return
			}
			if res.OK() {
				t.Fatalf("result OK, want %q to fail: %+v", tt.wantFail, res)
			}
			for _, c := range res.Checks {
				if c.OK == (c.Name == tt.wantFail) {
					t.Errorf("check %q ok=%v (%s), want only %q to fail", c.Name, c.OK, c.Detail, tt.wantFail)
				}
				if c.Name == tt.wantFail && !strings.Contains(c.Detail, tt.wantFix) {
					t.Errorf("check %q detail %q, want it to mention %q", c.Name, c.Detail, tt.wantFix)
				}
			}
		})
	}
}
