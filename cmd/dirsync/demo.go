package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"

	"github.com/hashicorp/go-hclog"
	"github.com/spf13/cobra"

	"github.com/dirsync/dirsync/config"
	"github.com/dirsync/dirsync/connectors/msgraph/graphfake"
	"github.com/dirsync/dirsync/connectors/okta/oktafake"
	"github.com/dirsync/dirsync/daemon"
	"github.com/dirsync/dirsync/reconcile"
	"github.com/dirsync/dirsync/store"
)

type demoFlags struct {
	dir  string
	once bool
}

func (a *app) demoCommand() *cobra.Command {
	var f demoFlags
	c := &cobra.Command{
		Use:   "demo",
		Short: "Run the whole product against simulated Okta and Entra tenants on 127.0.0.1",
		Long: `Start a simulated Okta org and a simulated Entra ID tenant on loopback (the
fakes the tests use, speaking the real wire formats to the real SDKs), write a
configuration for them, start the daemon on a fresh SQLite file, create each
integration's SCIM token, then run a dry run and a sync of each source, change
something in both IdPs and sync again (an incremental read), and keep serving
SCIM and the admin endpoints until interrupted. Nothing leaves this machine.`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error { return a.runDemo(cmd.Context(), cmd.OutOrStdout(), f) },
	}
	c.Flags().StringVar(&f.dir, "dir", "", "directory for the configuration and database (default: a new temporary directory)")
	c.Flags().BoolVar(&f.once, "once", false, "exit after the syncs instead of serving")
	return c
}

// demoTenants are the simulated IdPs and what the configuration needs of them.
type demoTenants struct {
	okta      *oktafake.Org
	oktaURL   string
	oktaApp   string
	oktaUsers map[string]string
	graph     *graphfake.Fake
	graphURL  string
	authority string
	graphIDs  map[string]string
}

func (a *app) runDemo(ctx context.Context, w io.Writer, f demoFlags) error {
	dir := f.dir
	if dir == "" {
		var err error
		if dir, err = os.MkdirTemp("", "dirsync-demo-"); err != nil {
			return err
		}
	}
	t, err := startDemoTenants(dir)
	if err != nil {
		return err
	}
	defer t.graph.Close()
	path, err := writeDemoConfig(dir, t)
	if err != nil {
		return err
	}
	a.configPath = path
	cfg, err := a.loadConfig()
	if err != nil {
		return err
	}
	cfg.LogLevel = "warn" // the reports are the demo's output
	fmt.Fprintf(w, "dirsync demo\n  simulated Okta org:    %s\n  simulated Entra tenant: %s (login %s)\n  configuration:         %s\n  database:              %s\n\n",
		t.oktaURL, t.graphURL, t.authority, path, cfg.DatabasePath())

	return a.serve(ctx, cfg, func(d *daemon.Daemon, st *store.Store, log hclog.Logger) error {
		if err := demoTokens(ctx, w, cfg, st, d); err != nil {
			return err
		}
		eng := &reconcile.Engine{Store: st, Logger: log, Observe: d.Observe}
		if err := demoSyncs(ctx, w, eng, cfg, log); err != nil {
			return err
		}
		fmt.Fprintln(w, "== The IdPs change: Okta suspends bob and renames a group; Entra disables eve and renames dan")
		if err := t.change(); err != nil {
			return err
		}
		for _, s := range cfg.Sources {
			if !s.Pulls() {
				continue
			}
			rep, _ := syncSource(ctx, eng, cfg, s, log, false, false, false)
			if err := rep.WriteText(w); err != nil {
				return err
			}
			fmt.Fprintln(w)
		}
		fmt.Fprintf(w, "== Serving\n  admin:  http://%s/status  /metrics  /readyz\n  status: dirsync --config %s status\n  audit:  dirsync --config %s audit --since 1h\n",
			d.AdminAddr(), path, path)
		if f.once {
			return errStopAfterReady
		}
		fmt.Fprintln(w, "Scheduled pulls run every minute. Press Ctrl-C to stop.")
		return nil
	})
}

func demoTokens(ctx context.Context, w io.Writer, cfg *config.Config, st *store.Store, d *daemon.Daemon) error {
	fmt.Fprintln(w, "== SCIM integrations (paste the base URL and token into the IdP's provisioning page)")
	for _, s := range cfg.Sources {
		var tok string
		err := st.Update(ctx, cliActor(), func(tx *store.Tx) (err error) {
			tok, err = tx.ResetToken(ctx, s.Name, s.Type)
			return err
		})
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "  %-7s %s\n          token %s\n", s.Name, cfg.SCIMBaseURL(s.Name), tok)
		if s.Name == "okta" {
			fmt.Fprintf(w, "          try:  curl -s -H 'Authorization: Bearer %s' '%s/Users?count=2'\n", tok, cfg.SCIMBaseURL(s.Name))
		}
	}
	fmt.Fprintln(w)
	return nil
}

func demoSyncs(ctx context.Context, w io.Writer, eng *reconcile.Engine, cfg *config.Config, log hclog.Logger) error {
	for _, dry := range []bool{true, false} {
		title := "== Dry run: what a sync would do (nothing is changed)"
		if !dry {
			title = "== Sync: the same plan, applied"
		}
		fmt.Fprintln(w, title)
		for _, s := range cfg.Sources {
			if !s.Pulls() {
				continue
			}
			rep, _ := syncSource(ctx, eng, cfg, s, log, true, dry, false)
			if err := rep.WriteText(w); err != nil {
				return err
			}
			fmt.Fprintln(w)
		}
	}
	return nil
}

func startDemoTenants(dir string) (*demoTenants, error) {
	t := &demoTenants{okta: oktafake.New(), graph: graphfake.New(), oktaUsers: map[string]string{}, graphIDs: map[string]string{}}
	o := t.okta
	o.AddToken(demoOktaToken)
	t.oktaApp = o.AddApp("LastPass")
	eng, sales := o.AddGroup("Engineering", ""), o.AddGroup("Sales", "")
	for i, n := range []string{"ann", "bob", "cy", "dee", "eli", "fay"} {
		id := o.AddUser(oktafake.User{Status: "ACTIVE", Profile: map[string]any{
			"login": n + "@example.com", "email": n + "@example.com", "firstName": title(n), "lastName": "Okta",
			"department": []string{"R&D", "Sales"}[i%2],
		}})
		t.oktaUsers[n] = id
		group := eng
		if i%2 == 1 {
			group = sales
		}
		if err := o.AddMember(group, id); err != nil {
			return nil, err
		}
	}
	for _, g := range []string{eng, sales} {
		if err := o.AssignGroup(t.oktaApp, g); err != nil {
			return nil, err
		}
	}
	srv, err := o.Start("127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	t.oktaURL = srv.URL

	g := t.graph
	g.RegisterSecret(graphfake.AppID, demoGraphSecret, graphfake.UserReadAll, graphfake.GroupReadAll, graphfake.AppReadAll)
	var members []string
	for _, n := range []string{"dan", "eve", "gus", "hal"} {
		id := g.AddUser(graphfake.User{UserPrincipalName: n + "@contoso.com", Mail: n + "@contoso.com",
			DisplayName: title(n) + " Entra", GivenName: title(n), Surname: "Entra", AccountEnabled: true, Department: "Ops"})
		t.graphIDs[n] = id
		members = append(members, id)
	}
	ops := g.AddGroup(graphfake.Group{DisplayName: "Operations", Members: members})
	if err := g.Assign(ops); err != nil {
		return nil, err
	}
	if t.graphURL, t.authority, err = g.Listen("127.0.0.1:0", "127.0.0.1:0"); err != nil {
		return nil, err
	}
	files := map[string][]byte{
		"okta-token":   []byte(demoOktaToken + "\n"),
		"graph-secret": []byte(demoGraphSecret + "\n"),
		"graph-ca.pem": g.LoginCertificatePEM(),
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// change makes the IdP-side changes the second round of syncs picks up.
func (t *demoTenants) change() error {
	if err := t.okta.Suspend(t.oktaUsers["bob"]); err != nil {
		return err
	}
	for _, id := range t.okta.GroupIDs() {
		if g, ok := t.okta.Group(id); ok && g.Name == "Sales" {
			if err := t.okta.RenameGroup(id, "Sales EMEA"); err != nil {
				return err
			}
		}
	}
	if err := t.graph.SetEnabled(t.graphIDs["eve"], false); err != nil {
		return err
	}
	return t.graph.RenameUPN(t.graphIDs["dan"], "daniel@contoso.com")
}

const (
	demoOktaToken   = "00demo-okta-api-token"
	demoGraphSecret = "demo-graph-client-secret"
)

func title(s string) string { return strings.ToUpper(s[:1]) + s[1:] }

// freeAddr picks a free loopback port for a listener whose URL must be known
// before it is bound (the SCIM public URL goes into the configuration).
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

func writeDemoConfig(dir string, t *demoTenants) (string, error) {
	scimAddr, err := freeAddr()
	if err != nil {
		return "", err
	}
	adminAddr, err := freeAddr()
	if err != nil {
		return "", err
	}
	src := fmt.Sprintf(`# Written by dirsync demo: simulated IdPs on loopback.
data_dir = %q

scim {
  listen     = %q
  public_url = "http://%s"
}

admin {
  listen = %q
}

safety {
  max_deactivations        = 10
  max_deactivation_percent = 50
}

source "okta" "okta" {
  schedule               = "@every 1m"
  org_url                = %q
  api_token_file         = "okta-token"
  app_id                 = %q
  groups_assigned_to_app = true
  enterprise             = { department = "department" }
}

source "entra" "entra" {
  schedule             = "@every 1m"
  tenant_id            = %q
  client_id            = %q
  client_secret_file   = "graph-secret"
  authority_host       = %q
  graph_url            = %q
  ca_file              = "graph-ca.pem"
  scope                = "assigned"
  service_principal_id = %q
  enterprise           = { department = "department" }
}
`, dir, scimAddr, scimAddr, adminAddr, t.oktaURL, t.oktaApp, graphfake.TenantID, graphfake.AppID,
		t.authority, t.graphURL, graphfake.ServicePrincipalID)
	path := filepath.Join(dir, "dirsync.hcl")
	return path, os.WriteFile(path, []byte(src), 0o600)
}
