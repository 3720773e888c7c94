package config

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/hashicorp/go-hclog"

	"github.com/dirsync/dirsync/connectors"
)

// fakeSettings stands in for a connector's Config.
type fakeSettings struct {
	URL   string `hcl:"url,optional"`
	Pages int    `hcl:"pages,optional"`
	base  string
}

func (f *fakeSettings) Validate() error {
	var errs []error
	if f.URL != "" && !strings.HasPrefix(f.URL, "https://") {
		errs = append(errs, errors.New("url: must use https"))
	}
	if f.Pages < 0 {
		errs = append(errs, errors.New("pages: must be positive"))
	}
	return errors.Join(errs...)
}
func (f *fakeSettings) PullEnabled() bool     { return f.URL != "" }
func (f *fakeSettings) SetBaseDir(dir string) { f.base = dir }
func (f *fakeSettings) Open(context.Context, string, hclog.Logger) (connectors.Source, error) {
	return nil, errors.New("not used")
}

var testTypes = Types{
	"okta":  func() connectors.Config { return new(fakeSettings) },
	"entra": func() connectors.Config { return new(fakeSettings) },
}

func TestParseValidAndDefaults(t *testing.T) {
	src := `
data_dir = "state"
scim {
  public_url = "https://dirsync.example.com/"
}
source "okta" "corp" {
  url      = "https://corp.okta.com"
  schedule = "@every 15m"
  jitter   = "30s"
}
source "entra" "contoso" {}
`
	c, err := Parse([]byte(src), "/etc/dirsync/dirsync.hcl", testTypes)
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"data_dir relative to file", c.DataDir, "/etc/dirsync/state"},
		{"log level default", c.LogLevel, "info"},
		{"scim listen default", c.SCIM.Listen, DefaultSCIMListen},
		{"admin listen default", c.Admin.Listen, DefaultAdminListen},
		{"max deactivations default", *c.Safety.MaxDeactivations, DefaultMaxDeactivations},
		{"scim base url", c.SCIMBaseURL("corp"), "https://dirsync.example.com/scim/corp/v2"},
		{"okta username policy default", c.Source("corp").UsernameChange, "new"},
		{"entra username policy default", c.Source("contoso").UsernameChange, "rename"},
		{"full sync default", c.Source("corp").FullSyncSchedule, "@daily"},
		{"okta pulls", c.Source("corp").Pulls(), true},
		{"push-only entra", c.Source("contoso").Pulls(), false},
		{"base dir passed", c.Source("corp").Connector.(*fakeSettings).base, "/etc/dirsync"},
		{"schedule parsed", c.Source("corp").ScheduleSpec != nil, true},
		{"on_delete default", c.Source("corp").OnDelete, "delete"},
		{"alerts default", c.Alerts.AfterFailures, 3},
		{"alerts no-success default", c.Alerts.NoSuccessDuration.String(), "24h0m0s"},
	}
	for _, ck := range checks {
		if ck.got != ck.want {
			t.Errorf("%s: got %v, want %v", ck.name, ck.got, ck.want)
		}
	}
}

func TestParseErrorsNameFileLineField(t *testing.T) {
	tests := []struct {
		name string
		src  string
		// want lists substrings that must all appear, one problem each.
		want []string
	}{
		{
			name: "unknown top-level attribute",
			src:  "log_level = \"info\"\nlog_levle = \"debug\"\n",
			want: []string{`cfg.hcl:2:1: Unsupported argument; An argument named "log_levle" is not expected here`},
		},
		{
			name: "unknown block",
			src:  "scimm {}\n",
			want: []string{`cfg.hcl:1:1: Unsupported block type`},
		},
		{
			name: "wrong type",
			src:  "safety {\n  max_deactivations = \"many\"\n}\n",
			want: []string{`cfg.hcl:2:24: safety: max_deactivations: Unsuitable value type`},
		},
		{
			name: "missing label",
			src:  "source \"okta\" {}\n",
			want: []string{`cfg.hcl:1:`, `name`},
		},
		{
			name: "bad values gathered at once",
			src: "log_level = \"loud\"\nadmin {\n  listen = \"nowhere\"\n}\n" +
				"safety {\n  max_deactivation_percent = 150\n}\n",
			want: []string{
				`cfg.hcl:1:1: log_level: "loud" is not one of`,
				`cfg.hcl:3:3: admin: listen: "nowhere" is not host:port`,
				`cfg.hcl:6:3: safety: max_deactivation_percent: must be between 0 and 100`,
			},
		},
		{
			name: "connector problems point at their attribute",
			src:  "source \"okta\" \"corp\" {\n  pages = -1\n  url = \"http://x\"\n}\n",
			want: []string{
				`cfg.hcl:3:3: source "okta" "corp": url: must use https`,
				`cfg.hcl:2:3: source "okta" "corp": pages: must be positive`,
			},
		},
		{
			name: "unknown connector attribute",
			src:  "source \"okta\" \"corp\" {\n  org_ulr = \"x\"\n}\n",
			want: []string{`cfg.hcl:2:3: source "okta" "corp": Unsupported argument; An argument named "org_ulr"`},
		},
		{
			name: "duplicate source names",
			src:  "source \"okta\" \"corp\" {}\nsource \"entra\" \"corp\" {}\n",
			want: []string{`cfg.hcl:2:1: source "entra" "corp": duplicate source name "corp" (first defined at cfg.hcl:1)`},
		},
		{
			name: "unknown type and bad name",
			src:  "source \"google\" \"Corp Main\" {}\n",
			want: []string{`unknown source type "google"`, `name must be`},
		},
		{
			name: "bad schedule and jitter",
			src:  "source \"okta\" \"corp\" {\n  url = \"https://x\"\n  schedule = \"every day\"\n  jitter = \"soon\"\n}\n",
			want: []string{
				`cfg.hcl:3:3: source "okta" "corp": schedule: "every day"`,
				`cfg.hcl:4:3: source "okta" "corp": jitter: "soon" is not a duration`,
			},
		},
		{
			name: "schedule on push-only source",
			src:  "source \"okta\" \"corp\" {\n  schedule = \"@hourly\"\n}\n",
			want: []string{`schedule: schedules need pull settings`},
		},
		{
			name: "entra cannot create on rename",
			src:  "source \"entra\" \"c\" {\n  username_change = \"new\"\n}\n",
			want: []string{`cfg.hcl:2:3: source "entra" "c": username_change: entra users are matched on objectId`},
		},
		{
			name: "bad alerts",
			src:  "alerts {\n  webhook_url = \"ftp://x\"\n  after_failures = -1\n  no_success_for = \"a day\"\n}\n",
			want: []string{
				`cfg.hcl:2:3: alerts: webhook_url: "ftp://x" is not an http(s) URL`,
				`cfg.hcl:3:3: alerts: after_failures: must be 1 or more`,
				`cfg.hcl:4:3: alerts: no_success_for: "a day" is not a duration`,
			},
		},
		{
			name: "tls half configured",
			src:  "scim {\n  tls_cert_file = \"/x.pem\"\n}\n",
			want: []string{`scim: tls_cert_file and tls_key_file must be set together`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.src), "cfg.hcl", testTypes)
			if err == nil {
				t.Fatal("no error")
			}
			var ps Problems
			if !errors.As(err, &ps) {
				t.Fatalf("error is %T, want Problems", err)
			}
			msg := strings.ReplaceAll(err.Error(), t.TempDir(), "")
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error does not contain %q:\n%s", w, msg)
				}
			}
		})
	}
}
