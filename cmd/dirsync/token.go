package main

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/dirsync/dirsync/config"
	"github.com/dirsync/dirsync/store"
)

func (a *app) tokenCommand() *cobra.Command {
	c := &cobra.Command{
		Use:   "token",
		Short: "Manage the SCIM provisioning token of each integration",
		Long: `Each source block is an integration with its own SCIM base URL and provisioning
token. The token is shown once, when created or reset; only its SHA-256 hash is
stored. Reset replaces the token: the old one stops working at once, also in a
running daemon.`,
	}
	issue := func(use, short string, reset bool) *cobra.Command {
		cmd := &cobra.Command{
			Use:   use + " SOURCE",
			Short: short,
			Args:  usageArgs(cobra.ExactArgs(1)),
			RunE: func(cmd *cobra.Command, args []string) error {
				return a.issueToken(cmd, args[0], reset)
			},
		}
		a.addOutputFlag(cmd)
		return cmd
	}
	list := &cobra.Command{
		Use:   "list [SOURCE]",
		Short: "List integrations, their SCIM base URLs and whether a token exists",
		Args:  usageArgs(cobra.MaximumNArgs(1)),
		RunE:  a.listTokens,
	}
	a.addOutputFlag(list)
	c.AddCommand(
		issue("create", "Create the first provisioning token of an integration", false),
		issue("reset", "Replace an integration's token; the old one dies at once", true),
		list,
	)
	return c
}

func (a *app) sourceByName(cfg *config.Config, name string) (*config.Source, error) {
	if s := cfg.Source(name); s != nil {
		return s, nil
	}
	var names []string
	for _, s := range cfg.Sources {
		names = append(names, s.Name)
	}
	if len(names) == 0 {
		return nil, usageErr("unknown source %q: %s configures no sources", name, cfg.Path)
	}
	return nil, usageErr("unknown source %q: configured sources are %s", name, strings.Join(names, ", "))
}

func (a *app) issueToken(cmd *cobra.Command, name string, reset bool) error {
	ctx := cmd.Context()
	cfg, err := a.loadConfig()
	if err != nil {
		return err
	}
	src, err := a.sourceByName(cfg, name)
	if err != nil {
		return err
	}
	st, err := a.openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	var tok string
	actor := cliActor()
	actor.Integration = name
	err = st.Update(ctx, actor, func(tx *store.Tx) error {
		if reset {
			tok, err = tx.ResetToken(ctx, name, src.Type)
		} else {
			tok, err = tx.CreateToken(ctx, name, src.Type)
		}
		return err
	})
	if err != nil {
		return err
	}
	out := struct {
		Integration string `json:"integration"`
		SCIMBaseURL string `json:"scim_base_url"`
		Token       string `json:"token"`
	}{name, cfg.SCIMBaseURL(name), tok}
	if a.output == "json" {
		return writeJSON(cmd.OutOrStdout(), out)
	}
	w := cmd.OutOrStdout()
	fmt.Fprintf(w, "integration:   %s (%s)\n", name, src.Type)
	fmt.Fprintf(w, "scim_base_url: %s\n", out.SCIMBaseURL)
	fmt.Fprintf(w, "token:         %s\n", tok)
	fmt.Fprintln(w, "\nThe token is shown only now: paste it into the IdP's provisioning settings.")
	if reset {
		fmt.Fprintln(w, "The previous token no longer works.")
	}
	return nil
}

func (a *app) listTokens(cmd *cobra.Command, args []string) error {
	ctx := cmd.Context()
	cfg, err := a.loadConfig()
	if err != nil {
		return err
	}
	sources := cfg.Sources
	if len(args) == 1 {
		s, err := a.sourceByName(cfg, args[0])
		if err != nil {
			return err
		}
		sources = []*config.Source{s}
	}
	st, err := a.openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	known, err := st.Integrations(ctx)
	if err != nil {
		return err
	}
	byName := map[string]store.Integration{}
	for _, in := range known {
		byName[in.Name] = in
	}
	type row struct {
		store.Integration
		SCIMBaseURL string `json:"scim_base_url"`
		Pulls       bool   `json:"pulls"`
	}
	var rows []row
	for _, s := range sources {
		in := byName[s.Name]
		in.Name, in.Type = s.Name, s.Type
		rows = append(rows, row{in, cfg.SCIMBaseURL(s.Name), s.Pulls()})
	}
	if a.output == "json" {
		return writeJSON(cmd.OutOrStdout(), rows)
	}
	tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "INTEGRATION\tTYPE\tTOKEN\tSCIM BASE URL")
	for _, r := range rows {
		tok := "none (dirsync token create " + r.Name + ")"
		if r.HasToken {
			tok = "created " + r.TokenCreated.Format("2006-01-02 15:04 MST")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.Name, r.Type, tok, r.SCIMBaseURL)
	}
	return tw.Flush()
}
