// Package config loads and validates dirsync's HCL configuration.
//
// Decoding keeps HCL's source ranges so that every problem names the file,
// line and field; validation gathers every problem at once instead of
// stopping at the first, so an admin fixes a file in one pass. Connector
// settings are decoded by the connector's own Config type, found through an
// explicit type -> constructor map (Types) that cmd/dirsync wires: this
// package never imports a vendor SDK.
package config

import (
	"os"
	"path/filepath"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/robfig/cron/v3"

	"github.com/dirsync/dirsync/connectors"
)

// Config is a whole configuration file.
type Config struct {
	// DataDir holds the SQLite database (dirsync.db) and drift reports.
	// Default: $STATE_DIRECTORY (systemd StateDirectory=), else /var/lib/dirsync.
	DataDir string `hcl:"data_dir,optional"`
	// LogLevel is trace, debug, info (default), warn or error.
	LogLevel string `hcl:"log_level,optional"`
	// LogFormat is text, json, or auto (default): json under systemd
	// (JOURNAL_STREAM is set), text otherwise.
	LogFormat string `hcl:"log_format,optional"`

	SCIM    *SCIM     `hcl:"scim,block"`
	Admin   *Admin    `hcl:"admin,block"`
	Safety  *Safety   `hcl:"safety,block"`
	Alerts  *Alerts   `hcl:"alerts,block"`
	Sources []*Source `hcl:"source,block"`

	// Path is the file the configuration was loaded from.
	Path string
}

// SCIM configures the inbound SCIM listener the IdPs push to.
type SCIM struct {
	// Listen is the address to serve SCIM on. Default 127.0.0.1:8080 (put a
	// TLS-terminating proxy in front, or set the TLS files).
	Listen string `hcl:"listen,optional"`
	// PublicURL is the base URL the IdPs reach this listener at; each
	// integration's SCIM base URL is {public_url}/scim/{name}/v2.
	PublicURL string `hcl:"public_url,optional"`
	// TLSCertFile and TLSKeyFile enable TLS on the listener when both are set.
	TLSCertFile string `hcl:"tls_cert_file,optional"`
	TLSKeyFile  string `hcl:"tls_key_file,optional"`
	// MaxBodyBytes caps a request body (default 1 MiB); larger answers 413.
	MaxBodyBytes int64 `hcl:"max_body_bytes,optional"`
}

// Admin configures the admin listener (health, readiness, metrics, status).
type Admin struct {
	// Listen defaults to 127.0.0.1:9090: metrics and status are not for the
	// internet.
	Listen string `hcl:"listen,optional"`
}

// Safety holds the limits that keep a bad IdP read from emptying a directory.
type Safety struct {
	// MaxDeactivations holds a run's deactivations when it would deactivate
	// more users than this. Default 50. 0 holds every deactivation.
	MaxDeactivations *int `hcl:"max_deactivations,optional"`
	// MaxDeactivationPercent holds a run's deactivations when they exceed
	// this share of the source's active users. Default 10.
	MaxDeactivationPercent *float64 `hcl:"max_deactivation_percent,optional"`
	// ProtectedUsers are userNames (case-insensitive) no sync ever changes.
	ProtectedUsers []string `hcl:"protected_users,optional"`
}

// Alerts are raised for the failures that otherwise go unnoticed for days:
// a source failing run after run, a source with no success for too long, and
// held deactivations. They are logged at error, exported as metrics and in
// /readyz, and POSTed as JSON to WebhookURL when it is set.
type Alerts struct {
	WebhookURL string `hcl:"webhook_url,optional"`
	// AfterFailures raises an alert after this many failed runs in a row.
	// Default 3.
	AfterFailures int `hcl:"after_failures,optional"`
	// NoSuccessFor raises an alert when a pulling source has not succeeded
	// for this long. Default "24h".
	NoSuccessFor string `hcl:"no_success_for,optional"`

	NoSuccessDuration time.Duration
}

// Source is one `source "TYPE" "NAME" { ... }` block: one integration.
type Source struct {
	// Type selects the IdP: "okta" or "entra". It decides the matching rules
	// and the SCIM dialect.
	Type string `hcl:"type,label"`
	// Name appears in SCIM URLs, logs and the audit log.
	Name string `hcl:"name,label"`

	// Schedule is the incremental pull schedule: a cron expression (five
	// fields) or a descriptor such as "@every 15m". Empty: no scheduled pulls.
	Schedule string `hcl:"schedule,optional"`
	// FullSyncSchedule is the schedule of full reads, which see what an
	// incremental read cannot (e.g. app unassignments). Default: "@daily"
	// when Schedule is set.
	FullSyncSchedule string `hcl:"full_sync_schedule,optional"`
	// Jitter delays each scheduled run by a random duration up to this.
	Jitter string `hcl:"jitter,optional"`
	// RunAtStart runs a full sync when the daemon starts.
	RunAtStart bool `hcl:"run_at_start,optional"`
	// UsernameChange is what a username change in the IdP does: "new" (the
	// Okta default, as documented in the LastPass guide: a new user is created
	// and the old one deactivated) or "rename" (match on the IdP's immutable
	// id and rename in place; the only choice for entra).
	UsernameChange string `hcl:"username_change,optional"`
	// OnDelete is what a SCIM DELETE /Users does: "delete" (default, RFC 7644)
	// or "deactivate".
	OnDelete string `hcl:"on_delete,optional"`

	// Body is the rest of the block: the connector's own settings.
	Body hcl.Body `hcl:",remain"`

	// Connector is Body decoded by the connector's Config type.
	Connector connectors.Config
	// Parsed schedules; nil when not set.
	ScheduleSpec, FullSyncSpec cron.Schedule
	JitterDuration             time.Duration
	// DeclRange is where the block starts, for messages.
	DeclRange hcl.Range
}

// Defaults applied by Load.
const (
	DefaultSCIMListen             = "127.0.0.1:8080"
	DefaultAdminListen            = "127.0.0.1:9090"
	DefaultMaxDeactivations       = 50
	DefaultMaxDeactivationPercent = 10.0
	DefaultMaxBodyBytes           = 1 << 20
)

// DatabasePath is the SQLite file inside DataDir.
func (c *Config) DatabasePath() string { return filepath.Join(c.DataDir, "dirsync.db") }

// Source returns the source named name, or nil.
func (c *Config) Source(name string) *Source {
	for _, s := range c.Sources {
		if s.Name == name {
			return s
		}
	}
	return nil
}

// SCIMBaseURL is the base URL an IdP is given for one integration.
func (c *Config) SCIMBaseURL(name string) string {
	return trimSlash(c.SCIM.PublicURL) + "/scim/" + name + "/v2"
}

// Pulls reports whether the source is configured to pull from its IdP.
func (s *Source) Pulls() bool { return s.Connector != nil && s.Connector.PullEnabled() }

// RenameInPlace reports whether a username change renames the existing user
// (matching on the IdP's immutable id) rather than creating a new one.
func (s *Source) RenameInPlace() bool { return s.UsernameChange == "rename" }

func (c *Config) applyDefaults() {
	if c.DataDir == "" {
		c.DataDir = os.Getenv("STATE_DIRECTORY")
		if c.DataDir == "" {
			c.DataDir = "/var/lib/dirsync"
		}
	} else if !filepath.IsAbs(c.DataDir) && c.Path != "" {
		c.DataDir = filepath.Join(filepath.Dir(c.Path), c.DataDir)
	}
	if c.LogLevel == "" {
		c.LogLevel = "info"
	}
	if c.LogFormat == "" {
		c.LogFormat = "auto"
	}
	if c.SCIM == nil {
		c.SCIM = &SCIM{}
	}
	if c.SCIM.Listen == "" {
		c.SCIM.Listen = DefaultSCIMListen
	}
	if c.SCIM.PublicURL == "" {
		scheme := "http"
		if c.SCIM.TLSCertFile != "" {
			scheme = "https"
		}
		c.SCIM.PublicURL = scheme + "://" + c.SCIM.Listen
	}
	if c.SCIM.MaxBodyBytes == 0 {
		c.SCIM.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if c.Admin == nil {
		c.Admin = &Admin{}
	}
	if c.Admin.Listen == "" {
		c.Admin.Listen = DefaultAdminListen
	}
	if c.Safety == nil {
		c.Safety = &Safety{}
	}
	if c.Safety.MaxDeactivations == nil {
		n := DefaultMaxDeactivations
		c.Safety.MaxDeactivations = &n
	}
	if c.Safety.MaxDeactivationPercent == nil {
		p := DefaultMaxDeactivationPercent
		c.Safety.MaxDeactivationPercent = &p
	}
	if c.Alerts == nil {
		c.Alerts = &Alerts{}
	}
	if c.Alerts.AfterFailures == 0 {
		c.Alerts.AfterFailures = 3
	}
	if c.Alerts.NoSuccessFor == "" {
		c.Alerts.NoSuccessFor = "24h"
	}
	for _, s := range c.Sources {
		if s.UsernameChange == "" {
			s.UsernameChange = "new"
			if s.Type == "entra" {
				s.UsernameChange = "rename"
			}
		}
		if s.OnDelete == "" {
			s.OnDelete = "delete"
		}
		if s.Schedule != "" && s.FullSyncSchedule == "" {
			s.FullSyncSchedule = "@daily"
		}
	}
}

func trimSlash(s string) string {
	for len(s) > 0 && s[len(s)-1] == '/' {
		s = s[:len(s)-1]
	}
	return s
}
