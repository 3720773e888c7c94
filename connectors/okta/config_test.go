package okta

import (
	"strings"
	"testing"
)

func TestValidate(t *testing.T) {
	base := func() Config { return Config{OrgURL: "https://example.okta.com", APITokenFile: "token"} }
	tests := []struct {
		name string
		mod  func(*Config)
		want []string // substrings, one per expected error; none = valid
	}{
		{"push only block", func(c *Config) { *c = Config{} }, nil},
		{"minimal token", func(c *Config) {}, nil},
		{"token env", func(c *Config) { c.APITokenFile, c.APITokenEnv = "", "OKTA_TOKEN" }, nil},
		{"oauth", func(c *Config) { c.APITokenFile, c.ClientID, c.PrivateKeyFile = "", "0oa1", "key.pem" }, nil},
		{"loopback http", func(c *Config) { c.OrgURL = "http://127.0.0.1:8080" }, nil},
		{"localhost http", func(c *Config) { c.OrgURL = "http://localhost:8080" }, nil},
		{"missing org url", func(c *Config) { c.OrgURL = "" }, []string{"org_url: required"}},
		{"http elsewhere", func(c *Config) { c.OrgURL = "http://example.okta.com" }, []string{"org_url: must use https"}},
		{"admin url", func(c *Config) { c.OrgURL = "https://example-admin.okta.com" }, []string{"org_url: use the org URL"}},
		{"url with path", func(c *Config) { c.OrgURL = "https://example.okta.com/api/v1" }, []string{"org_url: must be just scheme and host"}},
		{"not a url", func(c *Config) { c.OrgURL = "example" }, []string{"org_url: \"example\" is not a URL"}},
		{"no credentials", func(c *Config) { c.APITokenFile = "" }, []string{"api_token_file: pulls need credentials"}},
		{"token twice", func(c *Config) { c.APITokenEnv = "X" }, []string{"api_token_file: set either api_token_file or api_token_env"}},
		{"token and oauth", func(c *Config) { c.ClientID, c.PrivateKeyFile = "0oa1", "k" }, []string{"api_token_file: set either an API token"}},
		{"client without key", func(c *Config) { c.APITokenFile, c.ClientID = "", "0oa1" }, []string{"private_key_file: required with client_id"}},
		{"key without client", func(c *Config) { c.APITokenFile, c.PrivateKeyFile = "", "k" }, []string{"client_id: required with private_key_file"}},
		{"scopes with token", func(c *Config) { c.Scopes = []string{"okta.users.read"} }, []string{"scopes: only used with client_id"}},
		{"key id with token", func(c *Config) { c.PrivateKeyID = "k1" }, []string{"private_key_id: only used"}},
		{"bad scope and missing scope", func(c *Config) {
			c.APITokenFile, c.ClientID, c.PrivateKeyFile, c.AppID = "", "0oa1", "k", "0oaapp123"
			c.Scopes = []string{"okta.users.read", "users"}
		}, []string{`scopes: "users" is not`, "scopes: missing okta.apps.read"}},
		{"bad app id", func(c *Config) { c.AppID = "app" }, []string{"app_id: \"app\" is not an Okta app id"}},
		{"bad group id", func(c *Config) { c.GroupIDs = []string{"eng"} }, []string{"group_ids: \"eng\" is not an Okta group id"}},
		{"empty group name", func(c *Config) { c.GroupNames = []string{" "} }, []string{"group_names: names must not be empty"}},
		{"bad pattern", func(c *Config) { c.GroupNamePattern = "(" }, []string{"group_name_pattern: invalid regexp"}},
		{"assigned without app", func(c *Config) { c.GroupsAssignedToApp = true }, []string{"groups_assigned_to_app: needs app_id"}},
		{"unknown status", func(c *Config) { c.ActiveStatuses = []string{"ACTIVE", "HAPPY"} }, []string{"active_statuses: unknown status \"HAPPY\""}},
		{"deprovisioned active", func(c *Config) { c.ActiveStatuses = []string{"DEPROVISIONED"} }, []string{"active_statuses: DEPROVISIONED"}},
		{"bad display name attr", func(c *Config) { c.DisplayName = "a b" }, []string{"display_name: \"a b\""}},
		{"bad email attr", func(c *Config) { c.Email = "1x" }, []string{"email: \"1x\""}},
		{"unknown enterprise key", func(c *Config) { c.Enterprise = map[string]string{"salary": "salary"} }, []string{"enterprise: unknown enterprise attribute \"salary\""}},
		{"bad enterprise value", func(c *Config) { c.Enterprise = map[string]string{"department": "de pt"} }, []string{"enterprise: department: \"de pt\""}},
		{"page size", func(c *Config) { c.PageSize = 500 }, []string{"page_size: must be between 1 and 200"}},
		{"concurrency", func(c *Config) { c.MaxConcurrency = -1 }, []string{"max_concurrency: must be between 1 and 32"}},
		{"timeout syntax", func(c *Config) { c.RequestTimeout = "soon" }, []string{"request_timeout: \"soon\" is not a duration"}},
		{"timeout range", func(c *Config) { c.RequestTimeout = "1h" }, []string{"request_timeout: must be between 1s and 10m"}},
		{"min remaining", func(c *Config) { c.RateLimitMinRemaining = ptr(-1) }, []string{"rate_limit_min_remaining: must not be negative"}},
		{"retries", func(c *Config) { c.MaxRetries = ptr(11) }, []string{"max_retries: must be between 0 and 10"}},
		{"every problem at once", func(c *Config) {
			c.OrgURL, c.PageSize, c.RequestTimeout = "http://example.okta.com", 0, "x"
			c.MaxConcurrency = 99
		}, []string{"org_url:", "max_concurrency:", "request_timeout:"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := base()
			tt.mod(&c)
			err := c.Validate()
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("no error, want %q", tt.want)
			}
			lines := strings.Split(err.Error(), "\n")
			if len(lines) != len(tt.want) {
				t.Errorf("got %d errors %q, want %d", len(lines), lines, len(tt.want))
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestValidateDefaults(t *testing.T) {
	c := Config{OrgURL: "https://example.okta.com", ClientID: "0oa1", PrivateKeyFile: "k"}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.PageSize != 200 || c.MaxConcurrency != 4 || c.requestTimeout.String() != "30s" || *c.MaxRetries != 4 ||
		*c.RateLimitMinRemaining != 10 || len(c.Scopes) != 3 || len(c.ActiveStatuses) != 6 ||
		c.DisplayName != "displayName" || c.Email != "email" {
		t.Errorf("defaults not applied: %+v", c)
	}
	if (&Config{}).PullEnabled() || !c.PullEnabled() {
		t.Error("PullEnabled wrong")
	}
}
