package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/robfig/cron/v3"

	"github.com/dirsync/dirsync/connectors"
)

// Types maps a source type label to a constructor of its connector settings.
type Types map[string]func() connectors.Config

// Problem is one thing wrong with a configuration, with where it is.
type Problem struct {
	Range *hcl.Range
	// Path is the HCL path of the field, e.g. `source "okta" "corp": org_url`.
	Path    string
	Message string
}

func (p Problem) String() string {
	var b strings.Builder
	if p.Range != nil {
		fmt.Fprintf(&b, "%s:%d:%d: ", p.Range.Filename, p.Range.Start.Line, p.Range.Start.Column)
	}
	if p.Path != "" {
		b.WriteString(p.Path + ": ")
	}
	b.WriteString(p.Message)
	return b.String()
}

// Problems is every problem found in a configuration; Load returns it as its
// error so callers can print each on its own line.
type Problems []Problem

func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// Load reads, decodes, defaults and validates the file at path.
func Load(path string, types Types) (*Config, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	return Parse(src, path, types)
}

// Parse is Load for configuration text already in memory; filename is used
// in messages and to resolve relative paths.
func Parse(src []byte, filename string, types Types) (*Config, error) {
	file, diags := hclsyntax.ParseConfig(src, filename, hcl.InitialPos)
	if diags.HasErrors() {
		return nil, fromDiags(diags)
	}
	var c Config
	if diags := gohcl.DecodeBody(file.Body, nil, &c); diags.HasErrors() {
		return nil, nameFields(file, fromDiags(diags))
	}
	c.Path = filename
	if abs, err := filepath.Abs(filename); err == nil {
		c.Path = abs
	}
	var ps Problems
	ps = append(ps, decodeSources(&c, file, types)...)
	c.applyDefaults()
	ps = append(ps, c.validate(file)...)
	if len(ps) > 0 {
		return nil, ps
	}
	return &c, nil
}

func fromDiags(diags hcl.Diagnostics) Problems {
	var ps Problems
	for _, d := range diags {
		if d.Severity != hcl.DiagError {
			continue
		}
		msg := d.Summary
		if d.Detail != "" {
			msg += "; " + d.Detail
		}
		ps = append(ps, Problem{Range: d.Subject, Message: msg})
	}
	return ps
}

// nameFields fills in the path of problems whose range lies inside an
// attribute: HCL's type errors point at the value but do not name the field.
func nameFields(file *hcl.File, ps Problems) Problems {
	body, ok := file.Body.(*hclsyntax.Body)
	if !ok {
		return ps
	}
	for i, p := range ps {
		if p.Range == nil || p.Path != "" {
			continue
		}
		ps[i].Path = attrAt(body, *p.Range, "")
	}
	return ps
}

func attrAt(body *hclsyntax.Body, r hcl.Range, prefix string) string {
	for name, a := range body.Attributes {
		if a.SrcRange.ContainsOffset(r.Start.Byte) && a.NameRange.Start.Byte != r.Start.Byte {
			return prefix + name
		}
	}
	for _, b := range body.Blocks {
		if b.Body.SrcRange.ContainsOffset(r.Start.Byte) {
			if b.Type == "source" {
				// Source paths are added by decodeSources.
				return attrAt(b.Body, r, "")
			}
			return attrAt(b.Body, r, prefix+b.Type+": ")
		}
	}
	return ""
}

var namePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)

func decodeSources(c *Config, file *hcl.File, types Types) Problems {
	var ps Problems
	// Recover each block's position: gohcl does not keep it for us.
	var blocks []*hclsyntax.Block
	if body, ok := file.Body.(*hclsyntax.Body); ok {
		for _, b := range body.Blocks {
			if b.Type == "source" {
				blocks = append(blocks, b)
			}
		}
	}
	seen := map[string]*Source{}
	for i, s := range c.Sources {
		if i < len(blocks) {
			s.DeclRange = blocks[i].DefRange()
		}
		path := fmt.Sprintf("source %q %q", s.Type, s.Name)
		at := func(msg string) { ps = append(ps, Problem{Range: rangePtr(s.DeclRange), Path: path, Message: msg}) }
		if !namePattern.MatchString(s.Name) {
			at("name must be 1-63 lower-case letters, digits, '-' or '_', starting with a letter or digit (it appears in URLs)")
		}
		if first, dup := seen[s.Name]; dup {
			at(fmt.Sprintf("duplicate source name %q (first defined at %s:%d)", s.Name,
				first.DeclRange.Filename, first.DeclRange.Start.Line))
		}
		seen[s.Name] = s
		newCfg, ok := types[s.Type]
		if !ok {
			at(fmt.Sprintf("unknown source type %q (want one of %s)", s.Type, strings.Join(typeNames(types), ", ")))
			continue
		}
		cfg := newCfg()
		if diags := gohcl.DecodeBody(s.Body, nil, cfg); diags.HasErrors() {
			for _, p := range nameFields(file, fromDiags(diags)) {
				p.Path = strings.TrimSuffix(path+": "+p.Path, ": ")
				ps = append(ps, p)
			}
			continue
		}
		if b, ok := cfg.(connectors.BaseDirSetter); ok {
			b.SetBaseDir(filepath.Dir(c.Path))
		}
		s.Connector = cfg
		if err := cfg.Validate(); err != nil {
			for _, msg := range splitErrors(err) {
				ps = append(ps, Problem{Range: fieldRange(s, msg), Path: path, Message: msg})
			}
		}
	}
	return ps
}

func typeNames(types Types) []string {
	var names []string
	for n := range types {
		names = append(names, fmt.Sprintf("%q", n))
	}
	sort.Strings(names)
	return names
}

// splitErrors flattens errors.Join trees into their messages.
func splitErrors(err error) []string {
	var multi interface{ Unwrap() []error }
	if errors.As(err, &multi) && err.Error() == joined(multi.Unwrap()) {
		var out []string
		for _, e := range multi.Unwrap() {
			out = append(out, splitErrors(e)...)
		}
		return out
	}
	return []string{err.Error()}
}

func joined(errs []error) string {
	s := make([]string, 0, len(errs))
	for _, e := range errs {
		if e != nil {
			s = append(s, e.Error())
		}
	}
	return strings.Join(s, "\n")
}

// fieldRange finds the attribute a connector's message names ("org_url: ..."),
// so that its problem points at the right line; else the block itself.
func fieldRange(s *Source, msg string) *hcl.Range {
	field, _, ok := strings.Cut(msg, ":")
	if body, isSyntax := s.Body.(*hclsyntax.Body); ok && isSyntax {
		field = strings.TrimSpace(strings.SplitN(field, ".", 2)[0])
		field = strings.SplitN(field, "[", 2)[0]
		if a, found := body.Attributes[field]; found {
			r := a.SrcRange
			return &r
		}
		for _, b := range body.Blocks {
			if b.Type == field {
				r := b.DefRange()
				return &r
			}
		}
	}
	return rangePtr(s.DeclRange)
}

func rangePtr(r hcl.Range) *hcl.Range {
	if r.Filename == "" {
		return nil
	}
	return &r
}

func (c *Config) validate(file *hcl.File) Problems {
	var ps Problems
	body, _ := file.Body.(*hclsyntax.Body)
	// attr locates a top-level or block attribute for messages.
	attr := func(block, name string) *hcl.Range {
		if body == nil {
			return nil
		}
		if block == "" {
			if a, ok := body.Attributes[name]; ok {
				return &a.SrcRange
			}
			return nil
		}
		for _, b := range body.Blocks {
			if b.Type == block {
				if a, ok := b.Body.Attributes[name]; ok {
					return &a.SrcRange
				}
				r := b.DefRange()
				return &r
			}
		}
		return nil
	}
	add := func(r *hcl.Range, path, msg string) { ps = append(ps, Problem{Range: r, Path: path, Message: msg}) }

	switch c.LogLevel {
	case "trace", "debug", "info", "warn", "error":
	default:
		add(attr("", "log_level"), "log_level", fmt.Sprintf("%q is not one of trace, debug, info, warn, error", c.LogLevel))
	}
	switch c.LogFormat {
	case "auto", "text", "json":
	default:
		add(attr("", "log_format"), "log_format", fmt.Sprintf("%q is not one of auto, text, json", c.LogFormat))
	}
	if _, _, err := net.SplitHostPort(c.SCIM.Listen); err != nil {
		add(attr("scim", "listen"), "scim: listen", fmt.Sprintf("%q is not host:port", c.SCIM.Listen))
	}
	if u, err := url.Parse(c.SCIM.PublicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		add(attr("scim", "public_url"), "scim: public_url", fmt.Sprintf("%q is not an http(s) URL", c.SCIM.PublicURL))
	}
	if (c.SCIM.TLSCertFile == "") != (c.SCIM.TLSKeyFile == "") {
		add(attr("scim", "tls_cert_file"), "scim", "tls_cert_file and tls_key_file must be set together")
	}
	if c.SCIM.MaxBodyBytes < 0 {
		add(attr("scim", "max_body_bytes"), "scim: max_body_bytes", "must be positive")
	}
	if _, _, err := net.SplitHostPort(c.Admin.Listen); err != nil {
		add(attr("admin", "listen"), "admin: listen", fmt.Sprintf("%q is not host:port", c.Admin.Listen))
	}
	if *c.Safety.MaxDeactivations < 0 {
		add(attr("safety", "max_deactivations"), "safety: max_deactivations", "must be 0 or more")
	}
	if p := *c.Safety.MaxDeactivationPercent; p < 0 || p > 100 {
		add(attr("safety", "max_deactivation_percent"), "safety: max_deactivation_percent", "must be between 0 and 100")
	}
	if c.Alerts.AfterFailures < 1 {
		add(attr("alerts", "after_failures"), "alerts: after_failures", "must be 1 or more")
	}
	if d, err := time.ParseDuration(c.Alerts.NoSuccessFor); err != nil || d <= 0 {
		add(attr("alerts", "no_success_for"), "alerts: no_success_for", fmt.Sprintf("%q is not a duration like 24h", c.Alerts.NoSuccessFor))
	} else {
		c.Alerts.NoSuccessDuration = d
	}
	if w := c.Alerts.WebhookURL; w != "" {
		if u, err := url.Parse(w); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			add(attr("alerts", "webhook_url"), "alerts: webhook_url", fmt.Sprintf("%q is not an http(s) URL", w))
		}
	}
	for _, s := range c.Sources {
		ps = append(ps, s.validate()...)
	}
	return ps
}

var cronParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

func (s *Source) validate() Problems {
	var ps Problems
	path := fmt.Sprintf("source %q %q", s.Type, s.Name)
	add := func(field, msg string) {
		ps = append(ps, Problem{Range: fieldRange(s, field+":"), Path: path + ": " + field, Message: msg})
	}
	var err error
	if s.Schedule != "" {
		if s.ScheduleSpec, err = cronParser.Parse(s.Schedule); err != nil {
			add("schedule", fmt.Sprintf("%q: %v (use 5-field cron or @every 15m)", s.Schedule, err))
		}
	}
	if s.FullSyncSchedule != "" {
		if s.FullSyncSpec, err = cronParser.Parse(s.FullSyncSchedule); err != nil {
			add("full_sync_schedule", fmt.Sprintf("%q: %v (use 5-field cron or @daily)", s.FullSyncSchedule, err))
		}
	}
	if (s.Schedule != "" || s.FullSyncSchedule != "" || s.RunAtStart) && !s.Pulls() {
		add("schedule", "schedules need pull settings; this block has none, so it is a push-only integration")
	}
	if s.Jitter != "" {
		if s.JitterDuration, err = time.ParseDuration(s.Jitter); err != nil || s.JitterDuration < 0 {
			add("jitter", fmt.Sprintf("%q is not a duration like 30s or 5m", s.Jitter))
		}
	}
	switch s.UsernameChange {
	case "new":
		if s.Type == "entra" {
			add("username_change", `entra users are matched on objectId and renamed in place; only "rename" is supported`)
		}
	case "rename":
	default:
		add("username_change", fmt.Sprintf("%q is not one of new, rename", s.UsernameChange))
	}
	switch s.OnDelete {
	case "delete", "deactivate":
	default:
		add("on_delete", fmt.Sprintf("%q is not one of delete, deactivate", s.OnDelete))
	}
	return ps
}
