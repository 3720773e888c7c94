package msgraph

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/dirsync/dirsync/connectors"
	"github.com/dirsync/dirsync/connectors/msgraph/graphfake"
)

func TestReadFaults(t *testing.T) {
	zero := 0
	tests := []struct {
		name    string
		scope   string
		retries *int
		timeout string
		fault   graphfake.Fault
		wantErr string // "" means the read must succeed
		// wantRequests is what the fake must have seen, retries included.
		wantRequests int
	}{
		{
			name:         "throttled twice then served",
			scope:        "all",
			fault:        graphfake.Fault{Kind: "users.delta", Status: 429, RetryAfter: "0", Times: 2},
			wantRequests: 3 + 3 + 2, // 3 user pages, 3 group pages, 2 retries
		},
		{
			name:         "503 on page 2 retried",
			scope:        "all",
			fault:        graphfake.Fault{Kind: "groups.delta", Page: 2, Status: 503, RetryAfter: "0"},
			wantRequests: 3 + 3 + 1,
		},
		{
			name:    "retries disabled",
			scope:   "all",
			retries: &zero,
			fault:   graphfake.Fault{Kind: "users.delta", Status: 429, RetryAfter: "0"},
			wantErr: "429",
		},
		{
			name:    "throttled beyond max_retries",
			scope:   "all",
			fault:   graphfake.Fault{Kind: "users.delta", Page: 2, Status: 503, RetryAfter: "0", Times: -1},
			wantErr: "503",
		},
		{
			name:    "5xx mid-listing",
			scope:   "all",
			fault:   graphfake.Fault{Kind: "users.delta", Page: 2, Status: 500},
			wantErr: "500",
		},
		{
			name:    "truncated listing",
			scope:   "all",
			fault:   graphfake.Fault{Kind: "groups.delta", Page: 3, Truncate: true},
			wantErr: "groups delta page",
		},
		{
			name:    "slow response beyond request_timeout",
			scope:   "all",
			timeout: "100ms",
			fault:   graphfake.Fault{Kind: "groups.delta", Delay: time.Minute},
			wantErr: "deadline exceeded",
		},
		{
			name:    "member page fails",
			scope:   "assigned",
			fault:   graphfake.Fault{Kind: "members", Page: 2, Status: 500},
			wantErr: "list members of group",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tn := newTenant(t)
			f := tn.f
			c := testConfig(t, f, tt.scope)
			c.PageSize, c.MaxRetries, c.RequestTimeout = 1, tt.retries, tt.timeout
			if tt.scope == "all" {
				c.PageSize = 2 // 6 users and 5 groups: 3 pages each
				for range 3 {
					f.AddGroup(graphfake.Group{DisplayName: "extra"})
				}
			}
			src := open(t, c)
			f.Inject(tt.fault)
			before := f.Requests()
			snap, err := src.Read(context.Background(), connectors.ReadRequest{})
			if tt.wantErr != "" {
				t.Log(err)
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one mentioning %q", err, tt.wantErr)
				}
				if snap != nil {
					t.Errorf("got a snapshot with the error: %+v", snap)
				}
				return
			}
			if err != nil {
				t.Fatalf("read: %v", err)
			}
			if got := f.Requests() - before; got != tt.wantRequests || snap.Requests != got {
				t.Errorf("fake saw %d requests, snapshot says %d, want %d", got, snap.Requests, tt.wantRequests)
			}
			if len(snap.Users) != 6 {
				t.Errorf("got %d users, want 6", len(snap.Users))
			}
		})
	}
}
