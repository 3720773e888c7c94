// Package msgraph pulls users and groups from Microsoft Entra ID through the
// Microsoft Graph API (msgraph-sdk-go with an azidentity app credential) and
// maps them to dirsync's neutral connectors types.
//
// A full read lists users and groups through delta queries, so that the
// delta links it returns as the cursor let the next read fetch only what
// changed. Scope "assigned" limits the read to the users and groups assigned
// to the enterprise application, the way Entra's own provisioning does.
package msgraph

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/dirsync/dirsync/connectors"
)

// Defaults for optional settings.
const (
	DefaultAuthorityHost  = "https://login.microsoftonline.com/"
	DefaultGraphURL       = "https://graph.microsoft.com/v1.0"
	defaultPageSize       = 999
	defaultConcurrency    = 4
	defaultMaxRetries     = 3
	defaultRequestTimeout = 60 * time.Second
)

// Config is the body of a `source "msgraph" "NAME" { ... }` block. With none
// of tenant_id, client_id or a credential set the block is a push-only
// integration: Entra pushes through SCIM and nothing is pulled.
type Config struct {
	// TenantID is the Entra directory (tenant) id, a GUID.
	TenantID string `hcl:"tenant_id,optional"`
	// ClientID is the app registration's application (client) id, a GUID.
	ClientID string `hcl:"client_id,optional"`
	// ClientSecretFile and ClientSecretEnv name where the client secret is;
	// CertificateFile is a PEM file holding the certificate and its private
	// key. Exactly one of the three is set when pulling.
	ClientSecretFile string `hcl:"client_secret_file,optional"`
	ClientSecretEnv  string `hcl:"client_secret_env,optional"`
	CertificateFile  string `hcl:"certificate_file,optional"`
	// AuthorityHost is the Entra login endpoint; change it for national
	// clouds (https://login.microsoftonline.us/, ...).
	AuthorityHost string `hcl:"authority_host,optional"`
	// GraphURL is the Graph base URL with its version, e.g.
	// https://graph.microsoft.us/v1.0 for US Government.
	GraphURL string `hcl:"graph_url,optional"`
	// Scope is "assigned" (default: users and groups assigned to the
	// application, as Entra provisioning scopes them) or "all".
	Scope string `hcl:"scope,optional"`
	// ServicePrincipalID is the objectId of the enterprise application's
	// service principal (not the app id); required for scope "assigned".
	ServicePrincipalID string `hcl:"service_principal_id,optional"`
	// UserNameAttribute is the Graph property used as userName:
	// "userPrincipalName" (default) or "mail".
	UserNameAttribute string `hcl:"user_name_attribute,optional"`
	// Enterprise maps SCIM enterprise sub-attributes to Graph user
	// properties, e.g. { employeeNumber = "employeeId", manager = "manager" }.
	Enterprise map[string]string `hcl:"enterprise,optional"`
	// NestedGroups expands members of nested groups into their parents.
	NestedGroups bool `hcl:"nested_groups,optional"`
	// Groups narrows which groups are synced, by displayName: an exact name,
	// or a prefix ending in "*". Empty means every group in scope. It does not
	// change which users are in scope.
	Groups []string `hcl:"groups,optional"`
	// PageSize is the $top of list requests and the maxpagesize of delta
	// requests, at most 999.
	PageSize int `hcl:"page_size,optional"`
	// MaxConcurrency bounds parallel member and user lookups (default 4).
	MaxConcurrency int `hcl:"max_concurrency,optional"`
	// MaxRetries bounds retries of throttled (429) and unavailable (503, 504)
	// requests; unset means 3, 0 disables retries, at most 10.
	MaxRetries *int `hcl:"max_retries,optional"`
	// CAFile is a PEM bundle of extra certificate authorities trusted for
	// the authority and Graph hosts, e.g. behind a TLS-inspecting proxy
	// (or the simulated tenant of `dirsync demo`). The system roots stay
	// trusted.
	CAFile string `hcl:"ca_file,optional"`
	// RequestTimeout bounds each HTTP request, e.g. "60s" (default 60s).
	RequestTimeout string `hcl:"request_timeout,optional"`

	baseDir string
	// authClient replaces the transport of token requests. Only tests set
	// it, to trust a fake login endpoint's certificate; production always
	// uses azidentity's default transport.
	authClient *http.Client
}

var _ connectors.Config = (*Config)(nil)
var _ connectors.BaseDirSetter = (*Config)(nil)

// SetBaseDir resolves relative secret and certificate paths against dir.
func (c *Config) SetBaseDir(dir string) { c.baseDir = dir }

// PullEnabled reports whether the block configures pulls.
func (c *Config) PullEnabled() bool {
	return c.TenantID != "" || c.ClientID != "" || c.ClientSecretFile != "" ||
		c.ClientSecretEnv != "" || c.CertificateFile != ""
}

var guidRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// Validate reports every problem at once, each prefixed with its field.
func (c *Config) Validate() error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf(field+": "+format, args...))
	}
	if !c.PullEnabled() {
		if set := c.pullOnlySettings(); len(set) > 0 {
			bad("tenant_id", "required: %s only apply to pulls", strings.Join(set, ", "))
		}
		return errors.Join(errs...)
	}
	for field, v := range map[string]string{"tenant_id": c.TenantID, "client_id": c.ClientID} {
		switch {
		case v == "":
			bad(field, "required when pulling")
		case !guidRE.MatchString(v):
			bad(field, "must be a GUID, got %q", v)
		}
	}
	creds := 0
	for _, v := range []string{c.ClientSecretFile, c.ClientSecretEnv, c.CertificateFile} {
		if v != "" {
			creds++
		}
	}
	if creds != 1 {
		bad("client_secret_file", "set exactly one of client_secret_file, client_secret_env and certificate_file (%d set)", creds)
	}
	if c.AuthorityHost != "" {
		// azidentity refuses a plain-http authority even on loopback.
		if err := checkURL(c.AuthorityHost, false); err != nil {
			bad("authority_host", "%v", err)
		}
	}
	if c.GraphURL != "" {
		if err := checkURL(c.GraphURL, true); err != nil {
			bad("graph_url", "%v", err)
		} else if v := path.Base(strings.TrimSuffix(c.GraphURL, "/")); v != "v1.0" && v != "beta" {
			bad("graph_url", "must end in the API version, e.g. https://graph.microsoft.com/v1.0, got %q", c.GraphURL)
		}
	}
	switch c.scope() {
	case "assigned":
		if c.ServicePrincipalID == "" {
			bad("service_principal_id", `required when scope is "assigned" (the enterprise application's object id)`)
		}
	case "all":
	default:
		bad("scope", `must be "assigned" or "all", got %q`, c.Scope)
	}
	if c.ServicePrincipalID != "" && !guidRE.MatchString(c.ServicePrincipalID) {
		bad("service_principal_id", "must be a GUID, got %q", c.ServicePrincipalID)
	}
	if a := c.userNameAttribute(); a != "userPrincipalName" && a != "mail" {
		bad("user_name_attribute", `must be "userPrincipalName" or "mail", got %q`, a)
	}
	errs = append(errs, c.validateEnterprise()...)
	for i, g := range c.Groups {
		if strings.TrimSpace(g) == "" || strings.Contains(strings.TrimSuffix(g, "*"), "*") {
			bad(fmt.Sprintf("groups[%d]", i), `must be a group name or a prefix ending in "*", got %q`, g)
		}
	}
	if c.PageSize < 0 || c.PageSize > 999 {
		bad("page_size", "must be between 1 and 999, got %d", c.PageSize)
	}
	if c.MaxConcurrency < 0 || c.MaxConcurrency > 64 {
		bad("max_concurrency", "must be between 1 and 64, got %d", c.MaxConcurrency)
	}
	if c.MaxRetries != nil && (*c.MaxRetries < 0 || *c.MaxRetries > 10) {
		bad("max_retries", "must be between 0 and 10, got %d", *c.MaxRetries)
	}
	if c.RequestTimeout != "" {
		if d, err := time.ParseDuration(c.RequestTimeout); err != nil || d <= 0 {
			bad("request_timeout", "must be a positive duration such as \"60s\", got %q", c.RequestTimeout)
		}
	}
	return errors.Join(errs...)
}

func (c *Config) pullOnlySettings() []string {
	var set []string
	add := func(ok bool, name string) {
		if ok {
			set = append(set, name)
		}
	}
	add(c.AuthorityHost != "", "authority_host")
	add(c.GraphURL != "", "graph_url")
	add(c.Scope != "", "scope")
	add(c.ServicePrincipalID != "", "service_principal_id")
	add(c.UserNameAttribute != "", "user_name_attribute")
	add(len(c.Enterprise) > 0, "enterprise")
	add(c.NestedGroups, "nested_groups")
	add(len(c.Groups) > 0, "groups")
	add(c.PageSize != 0, "page_size")
	add(c.MaxConcurrency != 0, "max_concurrency")
	add(c.MaxRetries != nil, "max_retries")
	add(c.RequestTimeout != "", "request_timeout")
	return set
}

// enterpriseAttrs are the SCIM enterprise extension sub-attributes.
var enterpriseAttrs = []string{"employeeNumber", "costCenter", "organization", "division", "department", "manager"}

func (c *Config) validateEnterprise() []error {
	var errs []error
	keys := make([]string, 0, len(c.Enterprise))
	for k := range c.Enterprise {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := c.Enterprise[k]
		field := "enterprise." + k
		switch {
		case !slices.Contains(enterpriseAttrs, k):
			errs = append(errs, fmt.Errorf("%s: not a SCIM enterprise attribute (one of %s)", field, strings.Join(enterpriseAttrs, ", ")))
		case (k == "manager") != (v == "manager"):
			errs = append(errs, fmt.Errorf(`%s: manager maps only to and from the Graph "manager" relationship, got %q`, field, v))
		case userProperty[v] == nil && v != "manager":
			errs = append(errs, fmt.Errorf("%s: unsupported Graph user property %q (one of %s)", field, v, strings.Join(userPropertyNames(), ", ")))
		}
	}
	return errs
}

// checkURL requires an absolute https URL; allowHTTPLoopback admits http
// for 127.0.0.1, ::1 and localhost (the fake in tests and demos).
func checkURL(raw string, allowHTTPLoopback bool) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("not a URL: %w", err)
	}
	if u.Host == "" {
		return fmt.Errorf("must be an absolute URL, got %q", raw)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("must not have a query or fragment, got %q", raw)
	}
	switch {
	case u.Scheme == "https":
		return nil
	case u.Scheme == "http" && allowHTTPLoopback && isLoopback(u.Hostname()):
		return nil
	}
	return fmt.Errorf("must use https, got %q", raw)
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func (c *Config) scope() string {
	if c.Scope == "" {
		return "assigned"
	}
	return c.Scope
}

func (c *Config) userNameAttribute() string {
	if c.UserNameAttribute == "" {
		return "userPrincipalName"
	}
	return c.UserNameAttribute
}

func (c *Config) authorityHost() string {
	if c.AuthorityHost == "" {
		return DefaultAuthorityHost
	}
	return c.AuthorityHost
}

func (c *Config) graphURL() string {
	if c.GraphURL == "" {
		return DefaultGraphURL
	}
	return strings.TrimSuffix(c.GraphURL, "/")
}

func (c *Config) pageSize() int32 {
	if c.PageSize == 0 {
		return defaultPageSize
	}
	return int32(c.PageSize)
}

func (c *Config) concurrency() int {
	if c.MaxConcurrency == 0 {
		return defaultConcurrency
	}
	return c.MaxConcurrency
}

func (c *Config) maxRetries() int {
	if c.MaxRetries == nil {
		return defaultMaxRetries
	}
	return *c.MaxRetries
}

func (c *Config) requestTimeout() time.Duration {
	if d, err := time.ParseDuration(c.RequestTimeout); err == nil && d > 0 {
		return d
	}
	return defaultRequestTimeout
}
