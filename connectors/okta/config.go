// Package okta is the pull connector for Okta: it reads users and groups with
// okta-sdk-golang/v2 and maps them to connectors.User and connectors.Group.
//
// The SDK is configured explicitly on every field that matters (cache off,
// our own HTTP client and timeouts, retries, auth mode) because its defaults
// merge in ~/.okta/okta.yaml and OKTA_* variables and cache list pages, and a
// sync daemon must behave the same on every host. SDK types never leave this
// package.
package okta

import (
	"errors"
	"fmt"
	"maps"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/dirsync/dirsync/connectors"
)

// Default settings, applied by Validate.
var (
	defaultScopes         = []string{"okta.users.read", "okta.groups.read", "okta.apps.read"}
	defaultActiveStatuses = []string{"ACTIVE", "PROVISIONED", "STAGED", "RECOVERY", "LOCKED_OUT", "PASSWORD_EXPIRED"}
	allStatuses           = []string{"STAGED", "PROVISIONED", "ACTIVE", "RECOVERY", "LOCKED_OUT", "PASSWORD_EXPIRED", "SUSPENDED", "DEPROVISIONED"}
	enterpriseAttributes  = []string{"employeeNumber", "costCenter", "organization", "division", "department", "manager"}
)

const (
	defaultPageSize       = 200
	maxPageSize           = 200 // the most /api/v1/users returns per page
	defaultConcurrency    = 4
	maxConcurrency        = 32
	defaultRequestTimeout = 30 * time.Second
	defaultMinRemaining   = 10
	defaultMaxRetries     = 4
)

// Config is the body of a `source "okta" "NAME" { ... }` block. Every
// attribute is optional: a block with nothing set is a push-only integration
// (Okta pushes through the SCIM endpoint) and PullEnabled is false.
type Config struct {
	// OrgURL is the org, e.g. https://example.okta.com. Only https, except
	// http on 127.0.0.1/localhost for a simulated org.
	OrgURL string `hcl:"org_url,optional"`
	// APITokenFile and APITokenEnv name where an SSWS API token is read from.
	APITokenFile string `hcl:"api_token_file,optional"`
	APITokenEnv  string `hcl:"api_token_env,optional"`
	// ClientID and PrivateKeyFile configure OAuth 2.0 for Okta APIs with a
	// service app and private_key_jwt; the key is PEM (PKCS#1, PKCS#8 or EC)
	// or a JWK as the admin console downloads it.
	ClientID       string `hcl:"client_id,optional"`
	PrivateKeyFile string `hcl:"private_key_file,optional"`
	// PrivateKeyID is the key's kid, needed when the app has several keys; a
	// JWK file carries its own.
	PrivateKeyID string `hcl:"private_key_id,optional"`
	// Scopes requested with OAuth; default okta.users.read okta.groups.read
	// okta.apps.read.
	Scopes []string `hcl:"scopes,optional"`
	// AppID limits the users to those assigned to this app, directly or
	// through a group; empty means every user in the org.
	AppID string `hcl:"app_id,optional"`
	// UserName is where userName comes from: "login" (default, the Okta
	// username) or "app", the app assignment's username
	// (credentials.userName), which is what Okta's SCIM push sends and which
	// an app's "Application username format" can make differ from login.
	// "app" needs app_id.
	UserName string `hcl:"user_name,optional"`
	// GroupIDs, GroupNames (exact), GroupNamePattern (a regexp on the name)
	// and GroupsAssignedToApp select the groups whose memberships are pulled;
	// a group matching any of them is selected. None set: no groups.
	GroupIDs            []string `hcl:"group_ids,optional"`
	GroupNames          []string `hcl:"group_names,optional"`
	GroupNamePattern    string   `hcl:"group_name_pattern,optional"`
	GroupsAssignedToApp bool     `hcl:"groups_assigned_to_app,optional"`
	// ActiveStatuses are the Okta statuses mapped to active=true.
	ActiveStatuses []string `hcl:"active_statuses,optional"`
	// DisplayName is the profile attribute for displayName (default
	// displayName; empty values fall back to "firstName lastName").
	DisplayName string `hcl:"display_name,optional"`
	// Email is the profile attribute for the work email (default email).
	Email string `hcl:"email,optional"`
	// Enterprise maps SCIM enterprise sub-attributes to profile attributes,
	// e.g. { employeeNumber = "employeeNumber", department = "department" }.
	Enterprise map[string]string `hcl:"enterprise,optional"`
	// PageSize is the limit sent with every list call, at most 200.
	PageSize int `hcl:"page_size,optional"`
	// MaxConcurrency bounds parallel group-member reads (default 4).
	MaxConcurrency int `hcl:"max_concurrency,optional"`
	// RequestTimeout bounds one HTTP attempt, e.g. "30s".
	RequestTimeout string `hcl:"request_timeout,optional"`
	// RateLimitMinRemaining makes the connector wait for the rate-limit
	// window to reset once X-Rate-Limit-Remaining drops below it (default 10;
	// 0 turns pacing off and leaves 429s to the SDK's retries).
	RateLimitMinRemaining *int `hcl:"rate_limit_min_remaining,optional"`
	// MaxRetries is how often a 429 is retried by the SDK (default 4).
	MaxRetries *int `hcl:"max_retries,optional"`

	baseDir        string
	requestTimeout time.Duration
	pattern        *regexp.Regexp
}

var _ connectors.Config = (*Config)(nil)
var _ connectors.BaseDirSetter = (*Config)(nil)

// SetBaseDir sets the directory relative secret files resolve against.
func (c *Config) SetBaseDir(dir string) { c.baseDir = dir }

// PullEnabled reports whether anything beyond the block's labels is set.
func (c *Config) PullEnabled() bool {
	return c.OrgURL != "" || c.APITokenFile != "" || c.APITokenEnv != "" || c.ClientID != "" ||
		c.PrivateKeyFile != "" || c.AppID != "" || len(c.GroupIDs) > 0 || len(c.GroupNames) > 0 ||
		c.GroupNamePattern != "" || c.GroupsAssignedToApp
}

var (
	attrName = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]*$`)
	scopeRE  = regexp.MustCompile(`^okta\.[A-Za-z]+\.(read|manage)$`)
	appIDRE  = regexp.MustCompile(`^0oa[A-Za-z0-9]{5,}$`)
	groupRE  = regexp.MustCompile(`^00g[A-Za-z0-9]{5,}$`)
)

// Validate applies defaults and reports every problem at once, each starting
// with the attribute name.
func (c *Config) Validate() error {
	if !c.PullEnabled() {
		return nil
	}
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", field, fmt.Sprintf(format, args...)))
	}
	c.validateURL(bad)
	c.validateAuth(bad)

	if c.AppID != "" && !appIDRE.MatchString(c.AppID) {
		bad("app_id", "%q is not an Okta app id (0oa...)", c.AppID)
	}
	for _, id := range c.GroupIDs {
		if !groupRE.MatchString(id) {
			bad("group_ids", "%q is not an Okta group id (00g...)", id)
		}
	}
	for _, n := range c.GroupNames {
		if strings.TrimSpace(n) == "" {
			bad("group_names", "names must not be empty")
		}
	}
	c.pattern = nil
	if c.GroupNamePattern != "" {
		re, err := regexp.Compile(c.GroupNamePattern)
		if err != nil {
			bad("group_name_pattern", "invalid regexp: %v", err)
		}
		c.pattern = re
	}
	if c.GroupsAssignedToApp && c.AppID == "" {
		bad("groups_assigned_to_app", "needs app_id")
	}
	switch c.UserName {
	case "", "login":
		c.UserName = "login"
	case "app":
		if c.AppID == "" {
			bad("user_name", `"app" needs app_id (the username of the app assignment)`)
		}
	default:
		bad("user_name", "%q is not login or app", c.UserName)
	}

	if c.ActiveStatuses == nil {
		c.ActiveStatuses = slices.Clone(defaultActiveStatuses)
	}
	for _, s := range c.ActiveStatuses {
		switch {
		case !slices.Contains(allStatuses, s):
			bad("active_statuses", "unknown status %q (one of %s)", s, strings.Join(allStatuses, ", "))
		case s == "DEPROVISIONED":
			bad("active_statuses", "DEPROVISIONED users cannot be active")
		}
	}
	if c.DisplayName == "" {
		c.DisplayName = "displayName"
	}
	if c.Email == "" {
		c.Email = "email"
	}
	for field, v := range map[string]string{"display_name": c.DisplayName, "email": c.Email} {
		if !attrName.MatchString(v) {
			bad(field, "%q is not a profile attribute name", v)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(c.Enterprise)) {
		if !slices.Contains(enterpriseAttributes, k) {
			bad("enterprise", "unknown enterprise attribute %q (one of %s)", k, strings.Join(enterpriseAttributes, ", "))
		}
		if !attrName.MatchString(c.Enterprise[k]) {
			bad("enterprise", "%s: %q is not a profile attribute name", k, c.Enterprise[k])
		}
	}

	c.validateLimits(bad)
	return errors.Join(errs...)
}

func (c *Config) validateURL(bad func(string, string, ...any)) {
	if c.OrgURL == "" {
		bad("org_url", "required for pulls")
		return
	}
	u, err := url.Parse(c.OrgURL)
	if err != nil || u.Host == "" {
		bad("org_url", "%q is not a URL like https://example.okta.com", c.OrgURL)
		return
	}
	switch {
	case u.Scheme == "http" && isLoopback(u.Hostname()):
	case u.Scheme != "https":
		bad("org_url", "must use https")
	}
	if strings.Contains(u.Hostname(), "-admin.") {
		bad("org_url", "use the org URL, not the -admin one")
	}
	if strings.Trim(u.Path, "/") != "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		bad("org_url", "must be just scheme and host, like https://example.okta.com")
	}
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func (c *Config) validateAuth(bad func(string, string, ...any)) {
	token := c.APITokenFile != "" || c.APITokenEnv != ""
	oauth := c.ClientID != "" || c.PrivateKeyFile != ""
	switch {
	case token && oauth:
		bad("api_token_file", "set either an API token (api_token_file/api_token_env) or OAuth (client_id/private_key_file), not both")
	case c.APITokenFile != "" && c.APITokenEnv != "":
		bad("api_token_file", "set either api_token_file or api_token_env, not both")
	case !token && !oauth:
		bad("api_token_file", "pulls need credentials: api_token_file, api_token_env, or client_id with private_key_file")
	case oauth && c.ClientID == "":
		bad("client_id", "required with private_key_file")
	case oauth && c.PrivateKeyFile == "":
		bad("private_key_file", "required with client_id")
	}
	if !oauth {
		if c.Scopes != nil {
			bad("scopes", "only used with client_id (API tokens have no scopes)")
		}
		if c.PrivateKeyID != "" {
			bad("private_key_id", "only used with private_key_file")
		}
		return
	}
	if c.Scopes == nil {
		c.Scopes = slices.Clone(defaultScopes)
	}
	for _, s := range c.Scopes {
		if !scopeRE.MatchString(s) {
			bad("scopes", "%q is not an Okta API scope like okta.users.read", s)
		}
	}
	need := map[string]bool{"okta.users.read": true}
	if c.AppID != "" {
		need["okta.apps.read"] = true
	}
	if len(c.GroupIDs) > 0 || len(c.GroupNames) > 0 || c.GroupNamePattern != "" || c.GroupsAssignedToApp {
		need["okta.groups.read"] = true
	}
	for _, s := range slices.Sorted(maps.Keys(need)) {
		if !slices.Contains(c.Scopes, s) && !slices.Contains(c.Scopes, strings.TrimSuffix(s, ".read")+".manage") {
			bad("scopes", "missing %s, which this configuration needs", s)
		}
	}
}

func (c *Config) validateLimits(bad func(string, string, ...any)) {
	if c.PageSize == 0 {
		c.PageSize = defaultPageSize
	}
	if c.PageSize < 1 || c.PageSize > maxPageSize {
		bad("page_size", "must be between 1 and %d, got %d", maxPageSize, c.PageSize)
	}
	if c.MaxConcurrency == 0 {
		c.MaxConcurrency = defaultConcurrency
	}
	if c.MaxConcurrency < 1 || c.MaxConcurrency > maxConcurrency {
		bad("max_concurrency", "must be between 1 and %d, got %d", maxConcurrency, c.MaxConcurrency)
	}
	c.requestTimeout = defaultRequestTimeout
	if c.RequestTimeout != "" {
		d, err := time.ParseDuration(c.RequestTimeout)
		switch {
		case err != nil:
			bad("request_timeout", "%q is not a duration like 30s", c.RequestTimeout)
		case d < time.Second || d > 10*time.Minute:
			bad("request_timeout", "must be between 1s and 10m, got %s", d)
		default:
			c.requestTimeout = d
		}
	}
	if c.RateLimitMinRemaining == nil {
		c.RateLimitMinRemaining = ptr(defaultMinRemaining)
	}
	if *c.RateLimitMinRemaining < 0 {
		bad("rate_limit_min_remaining", "must not be negative")
	}
	if c.MaxRetries == nil {
		c.MaxRetries = ptr(defaultMaxRetries)
	}
	if *c.MaxRetries < 0 || *c.MaxRetries > 10 {
		bad("max_retries", "must be between 0 and 10, got %d", *c.MaxRetries)
	}
}

func ptr[T any](v T) *T { return &v }
