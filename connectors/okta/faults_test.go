package okta

import (
	"strings"
	"testing"
	"time"

	"github.com/dirsync/dirsync/connectors"
	"github.com/dirsync/dirsync/connectors/okta/oktafake"
)

func TestPagination(t *testing.T) {
	o := oktafake.Generate(3, 45, 4, 120)
	url := serveOrg(t, o)
	snap := read(t, open(t, tokenConfig(t, url, func(c *Config) {
		c.PageSize = 5
		c.GroupNamePattern = "."
	})), connectors.ReadRequest{})
	if len(snap.Users) != 45 {
		t.Errorf("users = %d, want all 45 across pages", len(snap.Users))
	}
	members := 0
	for _, g := range snap.Groups {
		members += len(g.Members)
		if want := len(o.Members(g.SourceID)); len(g.Members) != want {
			t.Errorf("group %s: %d members, want %d", g.DisplayName, len(g.Members), want)
		}
	}
	if members != 120 || len(snap.Groups) != 4 {
		t.Errorf("groups %d with %d members, want 4 with 120", len(snap.Groups), members)
	}
	// 45 users in pages of 5 need at least 9 requests for the users alone.
	if snap.Requests < 9+1+1+120/5 || snap.Requests != o.Requests() {
		t.Errorf("requests = %d (server saw %d), want them equal and at least %d", snap.Requests, o.Requests(), 9+2+120/5)
	}
}

func TestCacheIsOff(t *testing.T) {
	f := newFixture(t)
	s := open(t, tokenConfig(t, serveOrg(t, f.org), func(c *Config) { c.GroupNames = []string{"eng"} }))
	read(t, s, connectors.ReadRequest{})
	if err := f.org.RenameLogin(f.alice, "alice.new@example.com"); err != nil {
		t.Fatal(err)
	}
	if err := f.org.RemoveMember(f.eng, f.bob); err != nil {
		t.Fatal(err)
	}
	snap := read(t, s, connectors.ReadRequest{Full: true})
	if got := userByID(snap)[f.alice].UserName; got != "alice.new@example.com" {
		t.Errorf("second read saw login %q: a cached page was served", got)
	}
	if got := groupByName(snap)["eng"]; len(got) != 2 {
		t.Errorf("second read saw eng members %v, want 2", got)
	}
}

func TestFaults(t *testing.T) {
	tests := []struct {
		name    string
		fault   oktafake.Fault
		wantErr string // empty: the read succeeds
	}{
		{"429 storm is retried", oktafake.Fault{Status: 429, Times: 2}, ""},
		{"500 on page 3 fails", oktafake.Fault{Path: "/api/v1/users", After: 2, Status: 500}, "500"},
		{"truncated page fails", oktafake.Fault{Path: "/api/v1/users", After: 1, Truncate: true}, "unexpected EOF"},
		{"dropped connection once is retried", oktafake.Fault{Path: "/api/v1/users", After: 1, Close: true}, ""},
		{"dropped connection forever fails", oktafake.Fault{Path: "/api/v1/users", After: 1, Close: true, Times: -1}, "connection closed"},
		{"500 on any later request fails", oktafake.Fault{Status: 500, After: 12}, "500"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			url := serveOrg(t, f.org)
			f.org.Inject(tt.fault)
			s := open(t, tokenConfig(t, url, func(c *Config) {
				c.PageSize = 1
				c.GroupNamePattern = "."
			}))
			snap, err := s.Read(t.Context(), connectors.ReadRequest{})
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("read failed: %v", err)
			case tt.wantErr == "" && len(snap.Users) != 6:
				t.Errorf("users = %d, want 6", len(snap.Users))
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("err = %v, want one containing %q", err, tt.wantErr)
			case tt.wantErr != "" && snap != nil:
				t.Errorf("a failed read returned a snapshot")
			}
		})
	}
}

// With max_retries 0 any 429 fails the read, so a successful read over a
// tiny budget shows the connector waited for the window instead.
func TestPacingAvoids429(t *testing.T) {
	f := newFixture(t)
	url := serveOrg(t, f.org)
	f.org.SetRateLimit(4, time.Second)
	s := open(t, tokenConfig(t, url, func(c *Config) {
		c.PageSize = 1
		c.MaxRetries = ptr(0)
		c.RateLimitMinRemaining = ptr(1)
	}))
	if _, err := s.Read(t.Context(), connectors.ReadRequest{}); err != nil {
		t.Fatalf("read over a small budget: %v", err)
	}
	t.Run("without pacing it fails", func(t *testing.T) {
		f.org.SetRateLimit(4, time.Minute)
		s := open(t, tokenConfig(t, url, func(c *Config) {
			c.PageSize = 1
			c.MaxRetries = ptr(0)
			c.RateLimitMinRemaining = ptr(0)
		}))
		if _, err := s.Read(t.Context(), connectors.ReadRequest{}); err == nil {
			t.Error("read succeeded without pacing, so the budget was never hit and the test above proves nothing")
		}
	})
}
